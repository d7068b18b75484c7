/*
 * Cron expressions and `every` periods: the grammar and its errors, the
 * calendar (last days, leap years, the Vixie day rule, impossible dates) and
 * the daylight-saving rules of cron.h on both transition days of
 * Europe/Paris and America/New_York in 2026.
 *
 * Expected instants were computed outside this code: UTC wall times with
 * python3's datetime, zone conversions with python3's zoneinfo over the
 * system tzdata, e.g. for the daily 02:30 job on the Paris autumn day
 *   python3 -c "from zoneinfo import ZoneInfo; from datetime import *;
 *     print(datetime(2026,10,25,2,30,fold=0,tzinfo=ZoneInfo('Europe/Paris'))
 *     .astimezone(timezone.utc))"          # 2026-10-25 00:30:00+00:00
 * and, for the half-hourly runs, by listing every UTC minute whose zoneinfo
 * wall-clock reading has a minute divisible by 30.
 */
#include "check.h"
#include "util/cron.h"
#include "util/error.h"
#include "util/timefmt.h"
#include "util/tz.h"

#include <stdint.h>
#include <string.h>

/* Milliseconds since the epoch of a UTC civil time. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
    return (kith_time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60) *
           1000;
}

static const kith_tz *zone(const char *name)
{
    if (!name) return NULL;
    char err[160];
    const kith_tz *tz = kith_tz_get(name, err, sizeof err);
    if (!tz) fprintf(stderr, "cannot load %s: %s\n", name, err);
    return tz;
}

/* Checks that `expr` in `tz` first fires at `want` after `after` (want < 0:
 * expects that error code instead), printing both times when not. */
#define CHECK_NEXT(expr, tz, after, want) check_next(__LINE__, expr, tz, after, want)
static void check_next(int line, const char *expr, const char *tz, int64_t after, int64_t want)
{
    kith_cron c;
    char err[160] = "";
    int64_t got = 0;
    int rc = kith_cron_parse(expr, &c, err, sizeof err);
    if (rc == 0) rc = kith_cron_next(&c, zone(tz), after, &got);
    if (rc == 0 && want >= 0 && got == want) {
        check_passed++;
        return;
    }
    if (rc < 0 && want < 0 && rc == want) {
        check_passed++;
        return;
    }
    char a[KITH_TIME_BUFSZ], g[KITH_TIME_BUFSZ], w[KITH_TIME_BUFSZ];
    kith_time_format(after, a);
    kith_time_format(got, g);
    kith_time_format(want, w);
    check_failed++;
    fprintf(stderr, "%s:%d: \"%s\" in %s after %s: got %s (rc %d %s), want %s\n", __FILE__, line,
            expr, tz ? tz : "UTC", a, rc == 0 ? g : "-", rc, err, want >= 0 ? w : "an error");
}

/* Checks the successive firings of `expr` after `after`: n of them. */
#define CHECK_RUNS(expr, tz, after, ...)                                                           \
    do {                                                                                           \
        const int64_t want_[] = {__VA_ARGS__};                                                     \
        int64_t t_ = (after);                                                                      \
        for (size_t i_ = 0; i_ < sizeof want_ / sizeof want_[0]; i_++) {                           \
            check_next(__LINE__, expr, tz, t_, want_[i_]);                                         \
            t_ = want_[i_];                                                                        \
        }                                                                                          \
    } while (0)

#define CHECK_PARSE_ERROR(expr, msg)                                                               \
    do {                                                                                           \
        kith_cron c_;                                                                              \
        char err_[160] = "";                                                                       \
        CHECK_INT(kith_cron_parse(expr, &c_, err_, sizeof err_), KITH_EPARAMS);                    \
        CHECK_STR(err_, msg);                                                                      \
    } while (0)

static void test_fields(void)
{
    /* 2026-05-01 is a Friday. */
    CHECK_NEXT("* * * * *", NULL, utc(2026, 5, 1, 12, 0) + 30000, utc(2026, 5, 1, 12, 1));
    CHECK_NEXT("* * * * *", NULL, utc(2026, 5, 1, 12, 0), utc(2026, 5, 1, 12, 1)); /* strictly */
    CHECK_NEXT("* * * * *", NULL, utc(2026, 5, 1, 12, 0) - 1, utc(2026, 5, 1, 12, 0));
    CHECK_NEXT("0 9 * * MON-FRI", NULL, utc(2026, 5, 1, 10, 0), utc(2026, 5, 4, 9, 0));
    CHECK_NEXT("0 9 * * mon-fri", NULL, utc(2026, 5, 2, 10, 0), utc(2026, 5, 4, 9, 0));
    CHECK_NEXT("0 9 * * Mon-Fri", NULL, utc(2026, 5, 4, 8, 0), utc(2026, 5, 4, 9, 0));
    CHECK_NEXT("0 9 * * 1-5", NULL, utc(2026, 5, 1, 10, 0), utc(2026, 5, 4, 9, 0));
    CHECK_NEXT("0 8,12,18 * * *", NULL, utc(2026, 5, 1, 12, 0), utc(2026, 5, 1, 18, 0));
    CHECK_NEXT("0 8,12,18 * * *", NULL, utc(2026, 5, 1, 18, 0), utc(2026, 5, 2, 8, 0));
    CHECK_NEXT("*/15 * * * *", NULL, utc(2026, 5, 1, 12, 50), utc(2026, 5, 1, 13, 0));
    CHECK_NEXT("10-40/10 * * * *", NULL, utc(2026, 5, 1, 12, 40), utc(2026, 5, 1, 13, 10));
    CHECK_NEXT("5/20 * * * *", NULL, utc(2026, 5, 1, 12, 46), utc(2026, 5, 1, 13, 5));
    CHECK_NEXT("0 0 1 jan,JUL *", NULL, utc(2026, 1, 1, 0, 0), utc(2026, 7, 1, 0, 0));
    CHECK_NEXT("0 12 * JAN-MAR,jul SUN", NULL, utc(2026, 4, 1, 0, 0), utc(2026, 7, 5, 12, 0));
    CHECK_NEXT("0 0 * * 5-7", NULL, utc(2026, 5, 2, 12, 0), utc(2026, 5, 3, 0, 0)); /* 7 = Sun */
    CHECK_NEXT("0 0 * * 5-7", NULL, utc(2026, 5, 3, 12, 0), utc(2026, 5, 8, 0, 0));
    CHECK_NEXT("0 0 * * 7", NULL, utc(2026, 5, 1, 12, 0), utc(2026, 5, 3, 0, 0));
    /* "7/2" runs from 7 to the field's end: Sunday.  Found by fuzz_cron: it
     * parsed to no weekday at all, so the job never ran, and with a day of
     * the month ("0 0 13 * 7/2") it silently lost its Sundays. */
    CHECK_NEXT("0 0 * * 7/2", NULL, utc(2026, 5, 1, 12, 0), utc(2026, 5, 3, 0, 0));
    CHECK_NEXT("0 0 13 * 7/2", NULL, utc(2026, 5, 1, 12, 0), utc(2026, 5, 3, 0, 0));
    CHECK_NEXT("59 23 31 12 *", NULL, utc(2026, 5, 1, 0, 0), utc(2026, 12, 31, 23, 59));
    CHECK_NEXT("0 0 1 1 *", NULL, utc(1969, 7, 4, 0, 0), 0); /* before the epoch */

    kith_cron c;
    CHECK_INT(kith_cron_parse("0 9 * * MON-FRI", &c, NULL, 0), 0);
    CHECK_INT(c.weekdays, 0x3e);
    CHECK_INT(kith_cron_parse("  */20  0-23/6\t* * 0-7 ", &c, NULL, 0), 0);
    CHECK(c.minutes == ((1ull << 0) | (1ull << 20) | (1ull << 40)));
    CHECK_INT(c.hours, (1 << 0) | (1 << 6) | (1 << 12) | (1 << 18));
    CHECK_INT(c.weekdays, 0x7f);
}

static void test_last_day_and_leap_years(void)
{
    CHECK_NEXT("0 0 L * *", NULL, utc(2026, 1, 31, 0, 0), utc(2026, 2, 28, 0, 0));
    CHECK_NEXT("0 0 L * *", NULL, utc(2028, 2, 1, 0, 0), utc(2028, 2, 29, 0, 0));
    CHECK_NEXT("0 0 L * *", NULL, utc(2026, 4, 1, 0, 0), utc(2026, 4, 30, 0, 0));
    CHECK_NEXT("0 0 L 2 *", NULL, utc(2027, 3, 1, 0, 0), utc(2028, 2, 29, 0, 0));
    CHECK_NEXT("0 0 L 2 *", NULL, utc(2100, 1, 1, 0, 0), utc(2100, 2, 28, 0, 0)); /* not leap */
    CHECK_NEXT("0 0 15,L * *", NULL, utc(2026, 2, 15, 0, 0), utc(2026, 2, 28, 0, 0));
    CHECK_NEXT("30 23 l * *", NULL, utc(2026, 12, 1, 0, 0), utc(2026, 12, 31, 23, 30));
    CHECK_NEXT("0 0 29 2 *", NULL, utc(2026, 1, 1, 0, 0), utc(2028, 2, 29, 0, 0));
    /* The longest wait a possible expression can have: 2100 is no leap year. */
    CHECK_NEXT("0 0 29 2 *", NULL, utc(2096, 3, 1, 0, 0), utc(2104, 2, 29, 0, 0));
    CHECK_NEXT("0 0 30 2 *", NULL, utc(2026, 1, 1, 0, 0), KITH_ENOTFOUND);
    CHECK_NEXT("0 0 31 2 *", NULL, utc(2026, 1, 1, 0, 0), KITH_ENOTFOUND);
    CHECK_NEXT("0 0 31 4,6,9,11 *", "Europe/Paris", utc(2026, 1, 1, 0, 0), KITH_ENOTFOUND);
}

static void test_day_rule(void)
{
    /* Both day fields restricted: either matches.  2026-01-09 is a Friday. */
    CHECK_RUNS("0 0 13 * FRI", NULL, utc(2026, 1, 8, 12, 0), utc(2026, 1, 9, 0, 0),
               utc(2026, 1, 13, 0, 0), utc(2026, 1, 16, 0, 0));
    CHECK_RUNS("0 0 L * FRI", NULL, utc(2026, 1, 29, 0, 0), utc(2026, 1, 30, 0, 0),
               utc(2026, 1, 31, 0, 0), utc(2026, 2, 6, 0, 0));
    /* A field that begins with '*' makes both required: the 1st, 11th,
     * 21st or 31st that is a Monday. */
    CHECK_NEXT("0 0 */10 * 1", NULL, utc(2026, 1, 1, 0, 0), utc(2026, 5, 11, 0, 0));
    CHECK_NEXT("0 0 1 * *", NULL, utc(2026, 1, 1, 0, 0), utc(2026, 2, 1, 0, 0));
}

static void test_macros(void)
{
    int64_t t = utc(2026, 5, 1, 12, 34); /* a Friday */
    CHECK_NEXT("@hourly", NULL, t, utc(2026, 5, 1, 13, 0));
    CHECK_NEXT("@daily", NULL, t, utc(2026, 5, 2, 0, 0));
    CHECK_NEXT("@midnight", NULL, t, utc(2026, 5, 2, 0, 0));
    CHECK_NEXT("@weekly", NULL, t, utc(2026, 5, 3, 0, 0));
    CHECK_NEXT("@monthly", NULL, t, utc(2026, 6, 1, 0, 0));
    CHECK_NEXT("@yearly", NULL, t, utc(2027, 1, 1, 0, 0));
    CHECK_NEXT("@annually", NULL, t, utc(2027, 1, 1, 0, 0));
    CHECK_NEXT(" @DAILY ", NULL, t, utc(2026, 5, 2, 0, 0));
    /* @daily is wall-clock midnight. */
    CHECK_NEXT("@daily", "Europe/Paris", t, utc(2026, 5, 1, 22, 0));
}

static void test_parse_errors(void)
{
    CHECK_PARSE_ERROR("60 * * * *", "minute: value 60 is out of range 0-59");
    CHECK_PARSE_ERROR("* 24 * * *", "hour: value 24 is out of range 0-23");
    CHECK_PARSE_ERROR("* * 0 * *", "day-of-month: value 0 is out of range 1-31");
    CHECK_PARSE_ERROR("* * * 13 *", "month: value 13 is out of range 1-12");
    CHECK_PARSE_ERROR("* * * * 8", "day-of-week: value 8 is out of range 0-7");
    CHECK_PARSE_ERROR("99999999999 * * * *", "minute: value 99999999999 is out of range 0-59");
    CHECK_PARSE_ERROR("* * * * FUN", "day-of-week: unknown name \"FUN\"");
    CHECK_PARSE_ERROR("* * * JANUARY *", "month: unknown name \"JANUARY\"");
    CHECK_PARSE_ERROR("MON * * * *", "minute: unknown name \"MON\"");
    CHECK_PARSE_ERROR("*/0 * * * *", "minute: step 0 is out of range 1-59");
    CHECK_PARSE_ERROR("*/ * * * *", "minute: step needs a number");
    CHECK_PARSE_ERROR("5-1 * * * *", "minute: range 5-1 runs backwards");
    CHECK_PARSE_ERROR("* * * * FRI-MON", "day-of-week: range 5-1 runs backwards");
    CHECK_PARSE_ERROR("1-2-3 * * * *", "minute: unexpected '-'");
    CHECK_PARSE_ERROR("1,,2 * * * *", "minute: empty list item");
    CHECK_PARSE_ERROR("1, * * * *", "minute: empty list item");
    CHECK_PARSE_ERROR("* 1- * * *", "hour: missing value");
    CHECK_PARSE_ERROR("? * * * *", "minute: unexpected '?'");
    CHECK_PARSE_ERROR("L * * * *", "minute: L is only allowed in day-of-month");
    CHECK_PARSE_ERROR("* * * * L", "day-of-week: L is only allowed in day-of-month");
    CHECK_PARSE_ERROR("* * * *",
                      "expected 5 fields (minute hour day-of-month month day-of-week), got 4");
    CHECK_PARSE_ERROR("* * * * * *", "expected 5 fields (minute hour day-of-month month "
                                     "day-of-week), got more than 5");
    CHECK_PARSE_ERROR("", "expected 5 fields (minute hour day-of-month month day-of-week), got 0");
    CHECK_PARSE_ERROR("@reboot", "unknown macro \"@reboot\" (expected @hourly, @daily, @weekly, "
                                 "@monthly, @yearly or @annually)");
    CHECK_PARSE_ERROR("@daily 5", "@daily must stand alone");
    kith_cron c;
    CHECK_INT(kith_cron_parse(NULL, &c, NULL, 0), KITH_EPARAMS);
    CHECK_INT(kith_cron_parse("* * * * *", &c, NULL, 0), 0);
    int64_t next;
    CHECK_INT(kith_cron_next(&c, NULL, INT64_MAX, &next), KITH_EPARAMS);
    CHECK_INT(kith_cron_next(&c, NULL, INT64_MIN, &next), KITH_EPARAMS);
}

/* Paris: 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z); 2026-10-25 03:00
 * CEST -> 02:00 CET (01:00Z). */
static void test_paris_dst(void)
{
    const char *P = "Europe/Paris";
    /* 02:30 does not exist in spring: it runs once, at 03:00 CEST. */
    CHECK_RUNS("30 2 * * *", P, utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 1, 0),
               utc(2026, 3, 30, 0, 30));
    /* 02:30 happens twice in autumn: it runs once, at the first (CEST). */
    CHECK_RUNS("30 2 * * *", P, utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 0, 30),
               utc(2026, 10, 26, 1, 30));
    /* Asked from inside the second pass, it does not run again that day. */
    CHECK_NEXT("30 2 * * *", P, utc(2026, 10, 25, 1, 10), utc(2026, 10, 26, 1, 30));
    /* A fixed hour with several minutes: the four gap slots collapse into
     * one run; in autumn only the first pass runs. */
    CHECK_RUNS("*/15 2 * * *", P, utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 1, 0),
               utc(2026, 3, 30, 0, 0));
    CHECK_RUNS("*/15 2 * * *", P, utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 0, 0),
               utc(2026, 10, 25, 0, 15), utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 0, 45),
               utc(2026, 10, 26, 1, 0));
    /* Every hour: elapsed time.  Spring: 01:30 CET, then 03:00 CEST, 30
     * minutes later.  Autumn: both passes of 02:00-02:59 run. */
    CHECK_RUNS("*/30 * * * *", P, utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 0, 30),
               utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2, 0));
    CHECK_RUNS("*/30 * * * *", P, utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 0, 0),
               utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 1, 30),
               utc(2026, 10, 25, 2, 0), utc(2026, 10, 25, 2, 30));
    /* From the middle of the first pass, the second pass is next. */
    CHECK_NEXT("0 * * * *", P, utc(2026, 10, 25, 0, 10), utc(2026, 10, 25, 1, 0));
    CHECK_RUNS("15 * * * *", P, utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 0, 15),
               utc(2026, 3, 29, 1, 15));
}

/* New York: 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z); 2026-11-01 02:00
 * EDT -> 01:00 EST (06:00Z), so there the repeated hour is 01:00-01:59. */
static void test_new_york_dst(void)
{
    const char *NY = "America/New_York";
    CHECK_RUNS("30 2 * * *", NY, utc(2026, 3, 7, 12, 0), utc(2026, 3, 8, 7, 0),
               utc(2026, 3, 9, 6, 30));
    CHECK_RUNS("30 2 * * *", NY, utc(2026, 10, 31, 12, 0), utc(2026, 11, 1, 7, 30),
               utc(2026, 11, 2, 7, 30));
    CHECK_RUNS("30 1 * * *", NY, utc(2026, 10, 31, 12, 0), utc(2026, 11, 1, 5, 30),
               utc(2026, 11, 2, 6, 30));
    CHECK_RUNS("*/30 * * * *", NY, utc(2026, 3, 8, 6, 0), utc(2026, 3, 8, 6, 30),
               utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 7, 30), utc(2026, 3, 8, 8, 0));
    CHECK_RUNS("*/30 * * * *", NY, utc(2026, 11, 1, 4, 30), utc(2026, 11, 1, 5, 0),
               utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 0), utc(2026, 11, 1, 6, 30),
               utc(2026, 11, 1, 7, 0), utc(2026, 11, 1, 7, 30));
    CHECK_NEXT("0 9 * * MON-FRI", NY, utc(2026, 3, 6, 15, 0), utc(2026, 3, 9, 13, 0));
    /* Lord Howe's gap is half an hour (02:00-02:30), so 02:30 exists. */
    CHECK_NEXT("30 2 * * *", "Australia/Lord_Howe", utc(2026, 10, 3, 12, 0),
               utc(2026, 10, 3, 15, 30));
}

static void test_every(void)
{
    int64_t next = 0;
    CHECK_INT(kith_every_next(1000, 500, 999, &next), 0);
    CHECK_INT(next, 1000); /* the anchor itself is the first run */
    CHECK_INT(kith_every_next(1000, 500, 1000, &next), 0);
    CHECK_INT(next, 1500);
    CHECK_INT(kith_every_next(1000, 500, 1499, &next), 0);
    CHECK_INT(next, 1500);
    CHECK_INT(kith_every_next(1000, 500, 1500, &next), 0);
    CHECK_INT(next, 2000);
    CHECK_INT(kith_every_next(-1000, 300, -1, &next), 0);
    CHECK_INT(next, 200);
    int64_t day = 86400000;
    CHECK_INT(kith_every_next(utc(2026, 1, 1, 9, 0), 7 * day, utc(2026, 5, 1, 12, 0), &next), 0);
    CHECK_INT(next, utc(2026, 5, 7, 9, 0));
    CHECK_INT(kith_every_next(0, 0, 10, &next), KITH_EPARAMS);
    CHECK_INT(kith_every_next(0, -5, 10, &next), KITH_EPARAMS);
    CHECK_INT(kith_every_next(0, INT64_MAX, 10, &next), KITH_EPARAMS);
    CHECK_INT(kith_every_next(INT64_MIN, 1000, 10, &next), KITH_EPARAMS);
}

int main(void)
{
    test_fields();
    test_last_day_and_leap_years();
    test_day_rule();
    test_macros();
    test_parse_errors();
    test_paris_dst();
    test_new_york_dst();
    test_every();
    kith_tz_cache_clear();
    return check_done();
}
