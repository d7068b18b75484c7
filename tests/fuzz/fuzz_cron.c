/*
 * Cron expressions (util/cron.c): parsing, then the next firing time in a
 * few zones, and the `every` arithmetic.
 *
 * Input: byte 0 picks the zone (UTC, zones with DST gaps of an hour, half an
 * hour and none, a POSIX rule), bytes 1-8 the instant to search from, byte
 * 9 the size of the error buffer; the rest is the expression.
 * Invariants:
 *   1. The parser writes no further than the error buffer it is given, and
 *      explains every refusal; the result does not depend on whether an
 *      error buffer was given.
 *   2. A parsed expression has every field in range and none empty.
 *   3. The next firing is a whole second strictly after the start, within
 *      the horizon, and searching again from one second before it finds it
 *      (when that second is still in the range a search may start from).
 *   4. In UTC it is a whole minute whose calendar fields (read by gmtime_r,
 *      not cron.c) match the expression, and no earlier minute of the
 *      following ten hours after the start matches.
 *   5. `every`: the first anchor + k * period after the start.
 */
#include "fuzz.h"
#include "util/cron.h"
#include "util/error.h"
#include "util/tz.h"

#include <time.h>

#define ERRBUF 80

static const char *const zones[] = {"Europe/Paris", "America/New_York", "Australia/Lord_Howe",
                                    "Asia/Kathmandu"};
static const kith_tz *tzs[6];

static void setup(void)
{
    char err[128];
    /* The zones fall back to POSIX rules when tzdata is missing. */
    for (int i = 0; i < 4; i++)
        tzs[i + 1] = kith_tz_get(zones[i], err, sizeof(err));
    if (!tzs[1]) tzs[1] = kith_tz_from_posix("CET-1CEST,M3.5.0,M10.5.0/3", err, sizeof(err));
    tzs[5] = kith_tz_from_posix("AAA-10:30BBB-11,M10.1.0,M4.1.0", err, sizeof(err));
}

static int utc_matches(const kith_cron *c, int64_t secs)
{
    time_t t = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) return 0;
    int year = tm.tm_year + 1900, month = tm.tm_mon + 1;
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int last = dm[tm.tm_mon] + (month == 2 && leap);
    int dom =
        (c->days >> tm.tm_mday & 1) || ((c->flags & KITH_CRON_LAST_DAY) && tm.tm_mday == last);
    int dow = c->weekdays >> tm.tm_wday & 1;
    int day = c->flags & (KITH_CRON_DOM_STAR | KITH_CRON_DOW_STAR) ? dom && dow : dom || dow;
    return (c->minutes >> tm.tm_min & 1) && (c->hours >> tm.tm_hour & 1) &&
           (c->months >> month & 1) && day;
}

static void check_every(int64_t a, int64_t b, int64_t c)
{
    int64_t anchor = a % KITH_CRON_MAX_MS, after = b % KITH_CRON_MAX_MS;
    int64_t period = c < 0 ? -(c % KITH_CRON_MAX_MS) : c % KITH_CRON_MAX_MS;
    int64_t next;
    if (kith_every_next(anchor, period, after, &next) < 0) return;
    FUZZ_CHECK(period > 0, "a period of %lld accepted", (long long)period);
    FUZZ_CHECK(next > after, "every: %lld not after %lld", (long long)next, (long long)after);
    FUZZ_CHECK((next - anchor) % period == 0 && next >= anchor, "every: off the grid");
    FUZZ_CHECK(next == anchor || next - period <= after, "every: skipped a run");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!tzs[5]) setup();
    fuzz_input in = {data, size};
    const kith_tz *tz = tzs[fuzz_u8(&in) % 6];
    int64_t raw = fuzz_i64(&in);
    size_t errlen = fuzz_u8(&in) % ERRBUF;
    char *expr = fuzz_str(&in, '\0');

    char err[ERRBUF + 16];
    memset(err, 0x5A, sizeof(err));
    kith_cron c, c2;
    memset(&c, 0, sizeof(c));
    memset(&c2, 0, sizeof(c2));
    int rc = kith_cron_parse(expr, &c, err, errlen);
    for (size_t i = errlen; i < sizeof(err); i++)
        FUZZ_CHECK((unsigned char)err[i] == 0x5A, "wrote past an error buffer of %zu", errlen);
    int rc2 = kith_cron_parse(expr, &c2, NULL, 0);
    FUZZ_CHECK(rc == rc2, "parse gave %d with an error buffer, %d without", rc, rc2);
    if (rc < 0) {
        FUZZ_CHECK(rc == KITH_EPARAMS, "parse returned %d", rc);
        if (errlen > 1) FUZZ_CHECK(err[0] && memchr(err, 0, errlen), "a refusal without a reason");
        free(expr);
        check_every(raw, raw >> 7, raw >> 21);
        return 0;
    }
    FUZZ_CHECK(memcmp(&c, &c2, sizeof(c)) == 0, "parse depends on the error buffer");
    FUZZ_CHECK(c.minutes && c.minutes >> 60 == 0, "minutes %llx", (unsigned long long)c.minutes);
    FUZZ_CHECK(c.hours && c.hours >> 24 == 0, "hours %x", c.hours);
    FUZZ_CHECK((c.days || c.flags & KITH_CRON_LAST_DAY) && !(c.days & 1), "days %x", c.days);
    FUZZ_CHECK(c.months && !(c.months & 1) && c.months >> 13 == 0, "months %x", c.months);
    FUZZ_CHECK(c.weekdays && c.weekdays >> 7 == 0, "weekdays %x", c.weekdays);

    /* Mostly in range, now and then anywhere. */
    int64_t after = (raw & 0xF) == 0xF ? raw : raw % (KITH_CRON_MAX_MS / 2);
    int64_t next;
    rc = kith_cron_next(&c, tz, after, &next);
    if (after < -KITH_CRON_MAX_MS || after > KITH_CRON_MAX_MS) {
        FUZZ_CHECK(rc == KITH_EPARAMS, "out-of-range start gave %d", rc);
    } else if (rc == 0) {
        FUZZ_CHECK(next > after && next % 1000 == 0, "next %lld after %lld", (long long)next,
                   (long long)after);
        FUZZ_CHECK(next - after <= (int64_t)(KITH_CRON_HORIZON_DAYS + 2) * 86400000,
                   "next %lld beyond the horizon from %lld", (long long)next, (long long)after);
        /* Near year 9999 the firing may lie past the range a search may
         * start from; only then is the search from it refused. */
        int64_t again = next;
        if (next - 1000 <= KITH_CRON_MAX_MS)
            FUZZ_CHECK(kith_cron_next(&c, tz, next - 1000, &again) == 0 && again == next,
                       "from %lld: %lld, from a second before it: %lld", (long long)after,
                       (long long)next, (long long)again);
        if (!tz) {
            FUZZ_CHECK(next % 60000 == 0, "UTC firing off the minute: %lld", (long long)next);
            FUZZ_CHECK(utc_matches(&c, next / 1000), "%s fires at %lld, which does not match", expr,
                       (long long)next);
            int64_t from = after - (after % 60000 + 60000) % 60000 + 60000;
            for (int64_t t = from; t < next && t < from + 600 * 60000; t += 60000)
                FUZZ_CHECK(!utc_matches(&c, t / 1000), "%s skipped %lld (fired %lld)", expr,
                           (long long)t, (long long)next);
        }
    } else {
        FUZZ_CHECK(rc == KITH_ENOTFOUND, "next returned %d", rc);
    }
    free(expr);
    check_every(raw, raw >> 7, raw >> 21);
    return 0;
}
