/*
 * Time on the wire (util/timefmt.c): ISO 8601 and duration parsing, and
 * formatting.
 *
 * Input: byte 0 odd: bytes 1-8 are an instant in ms to format; even: the
 * rest is text to parse.  Invariants:
 *   1. Any instant formats into the buffer as a NUL-terminated string whose
 *      fields agree with gmtime_r; in four-digit years the text parses back
 *      to the same instant.
 *   2. A parsed time formats and parses back to itself, and lies within the
 *      years 0000-9999 give or take a day of offset.
 *   3. A parsed duration is a non-negative whole number of seconds, at most
 *      10^9 weeks.
 */
#include "fuzz.h"
#include "util/timefmt.h"

#include <time.h>

static void check_format(int64_t ms)
{
    char out[KITH_TIME_BUFSZ + 8];
    memset(out, 0x5A, sizeof(out));
    kith_time_format(ms, out);
    FUZZ_CHECK(memchr(out, 0, KITH_TIME_BUFSZ), "format of %lld not terminated", (long long)ms);
    for (size_t i = KITH_TIME_BUFSZ; i < sizeof(out); i++)
        FUZZ_CHECK((unsigned char)out[i] == 0x5A, "format of %lld overran", (long long)ms);
    int64_t secs = ms / 1000 - (ms % 1000 < 0);
    int milli = (int)((ms % 1000 + 1000) % 1000);
    time_t t = (time_t)secs;
    struct tm tm;
    if (gmtime_r(&t, &tm)) {
        char want[64];
        snprintf(want, sizeof(want), "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
                 (long long)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                 tm.tm_sec, milli);
        FUZZ_CHECK(strcmp(out, want) == 0, "%lld formats as %s, gmtime_r says %s", (long long)ms,
                   out, want);
    }
    if (out[0] != '-' && strlen(out) == 24) {
        int64_t back;
        FUZZ_CHECK(kith_time_parse_iso(out, &back) == 0 && back == ms,
                   "%s (from %lld) parses back as %lld", out, (long long)ms, (long long)back);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size};
    if (fuzz_u8(&in) & 1) {
        check_format(fuzz_i64(&in));
        return 0;
    }
    char *s = fuzz_str(&in, '\0');
    int64_t ms;
    if (kith_time_parse_iso(s, &ms) == 0) {
        static const int64_t day = 86400000;
        int64_t lo = kith_time_days_from_civil(0, 1, 1) * day - day;
        int64_t hi = kith_time_days_from_civil(10000, 1, 1) * day + day;
        FUZZ_CHECK(ms >= lo && ms < hi, "\"%s\" parsed as %lld", s, (long long)ms);
        check_format(ms);
    }
    if (kith_time_parse_duration(s, &ms) == 0)
        FUZZ_CHECK(ms >= 0 && ms % 1000 == 0 && ms <= 604800000LL * 1000000000LL,
                   "\"%s\" parsed as %lld ms", s, (long long)ms);
    free(s);
    return 0;
}
