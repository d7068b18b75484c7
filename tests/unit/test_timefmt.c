/*
 * ISO 8601 in and out, offsets, durations, calendar edges.
 */
#include "check.h"
#include "util/error.h"
#include "util/timefmt.h"

static int64_t parse(const char *s)
{
    int64_t ms = -1;
    if (kith_time_parse_iso(s, &ms) < 0) return -1;
    return ms;
}

int main(void)
{
    char buf[KITH_TIME_BUFSZ];
    kith_time_format(0, buf);
    CHECK_STR(buf, "1970-01-01T00:00:00.000Z");
    kith_time_format(1795444317250LL, buf);
    CHECK_STR(buf, "2026-11-23T14:31:57.250Z");
    kith_time_format(-1, buf);
    CHECK_STR(buf, "1969-12-31T23:59:59.999Z");
    /* The ends of int64 (found by fuzz_convert: a rule may put any Lua
     * integer in a time field); the old floor division overflowed. */
    kith_time_format(INT64_MIN, buf);
    CHECK_STR(buf, "-292275055-05-16T16:47:04.192Z");
    kith_time_format(INT64_MAX, buf);
    CHECK_STR(buf, "292278994-08-17T07:12:55.807Z");
    CHECK_INT(parse("2026-11-23T14:31:57.250Z"), 1795444317250LL);
    CHECK_INT(parse("2026-11-23T16:31:57.250+02:00"), 1795444317250LL);
    CHECK_INT(parse("2026-11-23T09:31:57.25-0500"), 1795444317250LL);
    CHECK_INT(parse("2026-11-23"), 1795392000000LL);
    CHECK_INT(parse("2024-02-29T00:00:00Z"), 1709164800000LL);
    CHECK_INT(parse("2023-02-29T00:00:00Z"), -1);
    CHECK_INT(parse("2026-11-23T14:31:57"), -1); /* no offset: ambiguous */
    CHECK_INT(parse("2026-13-01T00:00:00Z"), -1);
    CHECK_INT(parse("2026-11-23T24:00:00Z"), -1);
    CHECK_INT(parse("2026-11-23T14:31:57Zjunk"), -1);
    CHECK_INT(parse(""), -1);
    int64_t ms;
    CHECK_INT(kith_time_parse_duration("90s", &ms), 0);
    CHECK_INT(ms, 90000);
    CHECK_INT(kith_time_parse_duration("15m", &ms), 0);
    CHECK_INT(ms, 900000);
    CHECK_INT(kith_time_parse_duration("2h", &ms), 0);
    CHECK_INT(ms, 7200000);
    CHECK_INT(kith_time_parse_duration("3d", &ms), 0);
    CHECK_INT(ms, 259200000);
    CHECK_INT(kith_time_parse_duration("1w", &ms), 0);
    CHECK_INT(ms, 604800000);
    CHECK_INT(kith_time_parse_duration("1y", &ms), KITH_EPARAMS);
    CHECK_INT(kith_time_parse_duration("m", &ms), KITH_EPARAMS);
    CHECK_INT(kith_time_parse_duration("-1m", &ms), KITH_EPARAMS);
    CHECK_INT(kith_time_parse_duration("99999999999s", &ms), KITH_EPARAMS);
    /* Round trip over a spread of times. */
    for (int64_t t = -86400000LL * 1000; t < 86400000LL * 40000; t += 86400000LL * 97 + 12345) {
        kith_time_format(t, buf);
        CHECK_INT(parse(buf), t);
    }
    return check_done();
}
