/*
 * Business-hours calendars: the grammar and its errors, deadlines across
 * weekends and holidays in Asia/Shanghai, whole-day windows across both
 * clock changes of Europe/Berlin, night windows that hold the gap and the
 * repeated hour of America/New_York, the 24/7 calendar, and properties over
 * random instants (add and elapsed are inverse, add is monotone, elapsed
 * adds up over adjacent spans and agrees with a minute-by-minute count).
 *
 * Expected instants were worked out by hand from the 2026 rules: Shanghai
 * is UTC+8 all year; Berlin goes 02:00 CET -> 03:00 CEST at 2026-03-29
 * 01:00Z and 03:00 CEST -> 02:00 CET at 2026-10-25 01:00Z; New York goes
 * 02:00 EST -> 03:00 EDT at 2026-03-08 07:00Z and 02:00 EDT -> 01:00 EST at
 * 2026-11-01 06:00Z.  2026-01-09 is a Friday; the DST days are Sundays.
 */
#include "check.h"
#include "util/bizcal.h"
#include "util/error.h"
#include "util/timefmt.h"
#include "util/tz.h"

#include <stdint.h>
#include <string.h>

#define MIN  ((int64_t)60 * 1000)
#define HOUR (60 * MIN)
#define DAY  (24 * HOUR)

/* Milliseconds since the epoch of a UTC civil time. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
    return (kith_time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60) *
           1000;
}

/* Parses a calendar the test relies on; a failure is reported and leaves a
 * 24/7 UTC calendar behind so the checks that follow fail loudly. */
static kith_bizcal cal(const char *tz, const char *days, const char *hours,
                       const char *const *holidays, size_t n)
{
    kith_bizcal c;
    char err[200] = "";
    int rc = kith_bizcal_parse(&c, tz, days, hours, holidays, n, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "cannot parse %s %s %s: %s\n", tz, days, hours, err);
        check_failed++;
        memset(&c, 0, sizeof c);
        c.days = 0x7f;
        c.end_min = 1440;
    }
    return c;
}

/* Checks a time, printing both as ISO 8601 when they differ. */
#define CHECK_TIME(got, want) check_time(__LINE__, #got, got, want)
static void check_time(int line, const char *what, int64_t got, int64_t want)
{
    if (got == want) {
        check_passed++;
        return;
    }
    char g[KITH_TIME_BUFSZ], w[KITH_TIME_BUFSZ];
    kith_time_format(got, g);
    kith_time_format(want, w);
    check_failed++;
    fprintf(stderr, "%s:%d: %s: got %s (%lld), want %s (%lld)\n", __FILE__, line, what, g,
            (long long)got, w, (long long)want);
}

static void test_parse(void)
{
    kith_bizcal c;
    char err[200];
    CHECK_INT(
        kith_bizcal_parse(&c, "Asia/Shanghai", "MON-FRI", "09:00-18:00", NULL, 0, err, sizeof err),
        0);
    CHECK(c.tz != NULL);
    CHECK_INT(c.days, 0x3e);
    CHECK_INT(c.start_min, 9 * 60);
    CHECK_INT(c.end_min, 18 * 60);
    CHECK_INT(c.nholidays, 0);

    static const struct {
        const char *days;
        int mask;
    } masks[] = {
        {"MON,WED,FRI", 0x2a}, {"SAT-SUN", 0x41}, {"MON-SUN", 0x7f},
        {"SUN-SAT", 0x7f},     {"fri-mon", 0x63}, {"Mon - Tue , sun", 0x07},
        {"MON-MON", 0x02},     {"MON,MON", 0x02}, {"SAT-TUE,THU", 0x57},
    };
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
        int rc =
            kith_bizcal_parse(&c, NULL, masks[i].days, "09:00-18:00", NULL, 0, err, sizeof err);
        CHECK_INT(rc, 0);
        if (rc == 0 && c.days != masks[i].mask)
            fprintf(stderr, "days \"%s\": mask %#x\n", masks[i].days, c.days);
        CHECK_INT(c.days, masks[i].mask);
    }
    CHECK(c.tz == NULL);

    CHECK_INT(kith_bizcal_parse(&c, "", "MON", "00:00-24:00", NULL, 0, err, sizeof err), 0);
    CHECK(c.tz == NULL);
    CHECK_INT(c.start_min, 0);
    CHECK_INT(c.end_min, 1440);
    CHECK_INT(kith_bizcal_parse(&c, "UTC", "MON", "9:30 - 17:45", NULL, 0, err, sizeof err), 0);
    CHECK_INT(c.start_min, 9 * 60 + 30);
    CHECK_INT(c.end_min, 17 * 60 + 45);

    /* Holidays are sorted and kept once each. */
    const char *hol[] = {"2026-10-02", "2026-10-01", "2026-10-02", "2024-02-29"};
    CHECK_INT(kith_bizcal_parse(&c, NULL, "MON-FRI", "09:00-18:00", hol, 4, err, sizeof err), 0);
    CHECK_INT(c.nholidays, 3);
    CHECK_INT(c.holidays[0], kith_time_days_from_civil(2024, 2, 29));
    CHECK_INT(c.holidays[1], kith_time_days_from_civil(2026, 10, 1));
    CHECK_INT(c.holidays[2], kith_time_days_from_civil(2026, 10, 2));

    /* 64 holidays are fine, 65 are not. */
    char dates[KITH_BIZCAL_MAX_HOLIDAYS + 1][11];
    const char *many[KITH_BIZCAL_MAX_HOLIDAYS + 1];
    for (int i = 0; i <= KITH_BIZCAL_MAX_HOLIDAYS; i++) {
        snprintf(dates[i], sizeof dates[i], "2027-%02d-%02d", 1 + i / 28, 1 + i % 28);
        many[i] = dates[i];
    }
    CHECK_INT(kith_bizcal_parse(&c, NULL, "MON-FRI", "09:00-18:00", many, KITH_BIZCAL_MAX_HOLIDAYS,
                                err, sizeof err),
              0);
    CHECK_INT(c.nholidays, KITH_BIZCAL_MAX_HOLIDAYS);
}

#define CHECK_PARSE_ERROR(tz_, days_, hours_, hol_, n_, msg)                                       \
    do {                                                                                           \
        kith_bizcal c_;                                                                            \
        memset(&c_, 0xa5, sizeof c_);                                                              \
        char err_[200] = "";                                                                       \
        CHECK_INT(kith_bizcal_parse(&c_, tz_, days_, hours_, hol_, n_, err_, sizeof err_),         \
                  KITH_EPARAMS);                                                                   \
        CHECK_STR(err_, msg);                                                                      \
        CHECK_INT(c_.days, 0xa5); /* untouched */                                                  \
    } while (0)

static void test_parse_errors(void)
{
    CHECK_PARSE_ERROR(NULL, NULL, "09:00-18:00", NULL, 0, "days: no days given (e.g. \"MON-FRI\")");
    CHECK_PARSE_ERROR(NULL, " ", "09:00-18:00", NULL, 0, "days: no days given (e.g. \"MON-FRI\")");
    CHECK_PARSE_ERROR(NULL, "MOM-FRI", "09:00-18:00", NULL, 0,
                      "days: unknown day \"MOM\" (expected MON, TUE, WED, THU, FRI, SAT or SUN)");
    CHECK_PARSE_ERROR(
        NULL, "MONDAY", "09:00-18:00", NULL, 0,
        "days: unknown day \"MONDAY\" (expected MON, TUE, WED, THU, FRI, SAT or SUN)");
    CHECK_PARSE_ERROR(NULL, "MON-", "09:00-18:00", NULL, 0, "days: missing day name");
    CHECK_PARSE_ERROR(NULL, "MON,,FRI", "09:00-18:00", NULL, 0, "days: missing day name");
    CHECK_PARSE_ERROR(NULL, "MON FRI", "09:00-18:00", NULL, 0, "days: unexpected 'F'");
    CHECK_PARSE_ERROR(NULL, "1-5", "09:00-18:00", NULL, 0, "days: unexpected '1'");

    CHECK_PARSE_ERROR(NULL, "MON-FRI", NULL, NULL, 0,
                      "hours: expected \"HH:MM-HH:MM\" (e.g. \"09:00-18:00\"), got \"\"");
    CHECK_PARSE_ERROR(NULL, "MON-FRI", "9-18", NULL, 0,
                      "hours: expected \"HH:MM-HH:MM\" (e.g. \"09:00-18:00\"), got \"9-18\"");
    CHECK_PARSE_ERROR(
        NULL, "MON-FRI", "09:00-24:01", NULL, 0,
        "hours: expected \"HH:MM-HH:MM\" (e.g. \"09:00-18:00\"), got \"09:00-24:01\"");
    CHECK_PARSE_ERROR(
        NULL, "MON-FRI", "09:60-18:00", NULL, 0,
        "hours: expected \"HH:MM-HH:MM\" (e.g. \"09:00-18:00\"), got \"09:60-18:00\"");
    CHECK_PARSE_ERROR(
        NULL, "MON-FRI", "09:00-18:00x", NULL, 0,
        "hours: expected \"HH:MM-HH:MM\" (e.g. \"09:00-18:00\"), got \"09:00-18:00x\"");
    CHECK_PARSE_ERROR(NULL, "MON-FRI", "18:00-09:00", NULL, 0,
                      "hours: the window 18:00-09:00 must end after it starts on the same day");
    CHECK_PARSE_ERROR(NULL, "MON-FRI", "09:00-09:00", NULL, 0,
                      "hours: the window 09:00-09:00 must end after it starts on the same day");
    CHECK_PARSE_ERROR(NULL, "MON-FRI", "24:00-24:00", NULL, 0,
                      "hours: the window 24:00-24:00 must end after it starts on the same day");

    const char *bad[] = {"2026-10-01", "2026-02-29"};
    CHECK_PARSE_ERROR(NULL, "MON-FRI", "09:00-18:00", bad, 2,
                      "holidays: \"2026-02-29\" is not a date YYYY-MM-DD");
    const char *loose[] = {"2026-1-1"};
    CHECK_PARSE_ERROR(NULL, "MON-FRI", "09:00-18:00", loose, 1,
                      "holidays: \"2026-1-1\" is not a date YYYY-MM-DD");
    const char *missing[] = {NULL};
    CHECK_PARSE_ERROR(NULL, "MON-FRI", "09:00-18:00", missing, 1,
                      "holidays: \"\" is not a date YYYY-MM-DD");
    CHECK_PARSE_ERROR(NULL, "MON-FRI", "09:00-18:00", NULL, 1,
                      "holidays: \"\" is not a date YYYY-MM-DD");
    const char *many[KITH_BIZCAL_MAX_HOLIDAYS + 1];
    for (int i = 0; i <= KITH_BIZCAL_MAX_HOLIDAYS; i++)
        many[i] = "2027-01-01";
    CHECK_PARSE_ERROR(NULL, "MON-FRI", "09:00-18:00", many, KITH_BIZCAL_MAX_HOLIDAYS + 1,
                      "holidays: at most 64 dates, got 65");

    kith_bizcal c;
    char err[200] = "";
    CHECK_INT(
        kith_bizcal_parse(&c, "Mars/Olympus", "MON-FRI", "09:00-18:00", NULL, 0, err, sizeof err),
        KITH_EPARAMS);
    CHECK(strncmp(err, "tz: ", 4) == 0);
    CHECK_INT(kith_bizcal_parse(&c, "../etc/passwd", "MON-FRI", "09:00-18:00", NULL, 0, NULL, 0),
              KITH_EPARAMS);
    CHECK_INT(kith_bizcal_parse(NULL, NULL, "MON-FRI", "09:00-18:00", NULL, 0, err, sizeof err),
              KITH_EPARAMS);
}

/* Shanghai office hours, UTC+8: 09:00-18:00 local is 01:00Z-10:00Z. */
static void test_shanghai(void)
{
    kith_bizcal c = cal("Asia/Shanghai", "MON-FRI", "09:00-18:00", NULL, 0);
    int64_t fri17 = utc(2026, 1, 9, 9, 0); /* Friday 17:00 */

    /* One hour on Friday, one on Monday morning. */
    CHECK_TIME(kith_bizcal_add(&c, fri17, 2 * HOUR), utc(2026, 1, 12, 2, 0));
    /* Work that ends as the office closes is due at the close. */
    CHECK_TIME(kith_bizcal_add(&c, fri17, 1 * HOUR), utc(2026, 1, 9, 10, 0));
    CHECK_TIME(kith_bizcal_add(&c, fri17, 1 * HOUR + 1), utc(2026, 1, 12, 1, 0) + 1);
    CHECK_TIME(kith_bizcal_add(&c, fri17, 30 * MIN), utc(2026, 1, 9, 9, 30));
    /* Zero work is due at once, even on a Saturday. */
    CHECK_TIME(kith_bizcal_add(&c, utc(2026, 1, 10, 4, 0), 0), utc(2026, 1, 10, 4, 0));
    CHECK_TIME(kith_bizcal_add(&c, utc(2026, 1, 10, 4, 0), -5), utc(2026, 1, 10, 4, 0));
    /* From a Saturday the clock starts on Monday at 09:00. */
    CHECK_TIME(kith_bizcal_add(&c, utc(2026, 1, 10, 4, 0), 1), utc(2026, 1, 12, 1, 0) + 1);
    /* Before opening on Monday. */
    CHECK_TIME(kith_bizcal_add(&c, utc(2026, 1, 11, 23, 0), 4 * HOUR), utc(2026, 1, 12, 5, 0));
    /* 9 h is a whole day: Monday 09:00 -> Monday 18:00. */
    CHECK_TIME(kith_bizcal_add(&c, utc(2026, 1, 12, 1, 0), 9 * HOUR), utc(2026, 1, 12, 10, 0));
    /* "30d" of business time is 720 h = 80 days of 9 h = 16 weeks: from
     * Monday 2026-01-05 09:00 to the close on Friday 2026-04-24. */
    CHECK_TIME(kith_bizcal_add(&c, utc(2026, 1, 5, 1, 0), 30 * DAY), utc(2026, 4, 24, 10, 0));

    /* Elapsed: Friday 12:00 -> Monday 12:00 is 6 h + 3 h; the weekend is 0. */
    CHECK_INT(kith_bizcal_elapsed(&c, utc(2026, 1, 9, 4, 0), utc(2026, 1, 12, 4, 0)), 9 * HOUR);
    CHECK_INT(kith_bizcal_elapsed(&c, utc(2026, 1, 9, 10, 0), utc(2026, 1, 12, 1, 0)), 0);
    CHECK_INT(kith_bizcal_elapsed(&c, fri17, utc(2026, 1, 12, 2, 0)), 2 * HOUR);
    CHECK_INT(kith_bizcal_elapsed(&c, utc(2026, 1, 12, 2, 0), fri17), 0);
    CHECK_INT(kith_bizcal_elapsed(&c, fri17, fri17), 0);
    /* A whole week is 45 h. */
    CHECK_INT(kith_bizcal_elapsed(&c, utc(2026, 1, 4, 16, 0), utc(2026, 1, 11, 16, 0)), 45 * HOUR);
    CHECK_INT(kith_bizcal_elapsed(&c, utc(2026, 1, 9, 9, 59), utc(2026, 1, 9, 10, 1)), MIN);

    /* A holiday on Monday pushes Friday's deadline to Tuesday. */
    const char *mon[] = {"2026-01-12"};
    kith_bizcal h = cal("Asia/Shanghai", "MON-FRI", "09:00-18:00", mon, 1);
    CHECK_TIME(kith_bizcal_add(&h, fri17, 2 * HOUR), utc(2026, 1, 13, 2, 0));
    CHECK_INT(kith_bizcal_elapsed(&h, utc(2026, 1, 9, 4, 0), utc(2026, 1, 13, 4, 0)), 9 * HOUR);

    /* National Day week, 2026-10-01 (Thursday) to 10-07: Wednesday 16:00
     * + 4 h is 2 h that day and 2 h on Thursday the 8th. */
    const char *golden[] = {"2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"};
    kith_bizcal g = cal("Asia/Shanghai", "MON-FRI", "09:00-18:00", golden, 5);
    CHECK_TIME(kith_bizcal_add(&g, utc(2026, 9, 30, 8, 0), 4 * HOUR), utc(2026, 10, 8, 3, 0));
    CHECK_INT(kith_bizcal_elapsed(&g, utc(2026, 9, 30, 8, 0), utc(2026, 10, 8, 3, 0)), 4 * HOUR);
}

/* Europe/Berlin, the whole day every day: business time is all real time,
 * so the spring Sunday has 23 h and the autumn Sunday 25 h. */
static void test_berlin_whole_days(void)
{
    kith_bizcal c = cal("Europe/Berlin", "MON-SUN", "00:00-24:00", NULL, 0);
    int64_t sat = utc(2026, 3, 27, 23, 0); /* Saturday 00:00 CET */
    int64_t sun = utc(2026, 3, 28, 23, 0); /* Sunday 00:00 CET */
    int64_t mon = utc(2026, 3, 29, 22, 0); /* Monday 00:00 CEST */
    /* Saturday is a plain 24 h day: 24 h later it is Sunday 00:00. */
    CHECK_TIME(kith_bizcal_add(&c, sat, 24 * HOUR), sun);
    /* Sunday is 23 h long, so 48 h from Saturday 00:00 reach Monday 01:00. */
    CHECK_TIME(kith_bizcal_add(&c, sat, 48 * HOUR), mon + HOUR);
    CHECK_INT(kith_bizcal_elapsed(&c, sun, mon), 23 * HOUR);
    CHECK_TIME(kith_bizcal_add(&c, sun, 24 * HOUR), mon + HOUR);

    int64_t sun_a = utc(2026, 10, 24, 22, 0); /* Sunday 00:00 CEST */
    int64_t mon_a = utc(2026, 10, 25, 23, 0); /* Monday 00:00 CET */
    CHECK_INT(kith_bizcal_elapsed(&c, sun_a, mon_a), 25 * HOUR);
    /* 24 h from Sunday 00:00 end at Sunday 23:00 CET. */
    CHECK_TIME(kith_bizcal_add(&c, sun_a, 24 * HOUR), utc(2026, 10, 25, 22, 0));
    /* A whole year of a 24/7 calendar is just real time. */
    CHECK_INT(kith_bizcal_elapsed(&c, utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0)), 365 * DAY);

    /* Sundays only: the spring Sunday gives 23 h, so 24 h from the Saturday
     * before need the first hour of the next Sunday (05 April, CEST). */
    kith_bizcal s = cal("Europe/Berlin", "SUN", "00:00-24:00", NULL, 0);
    CHECK_TIME(kith_bizcal_add(&s, sat, 23 * HOUR), mon);
    CHECK_TIME(kith_bizcal_add(&s, sat, 24 * HOUR), utc(2026, 4, 4, 23, 0));
    CHECK_INT(kith_bizcal_elapsed(&s, sat, utc(2026, 4, 4, 23, 0)), 24 * HOUR);
    /* The autumn Sunday gives 25 h: 24 h from the Saturday end at 23:00 CET. */
    CHECK_TIME(kith_bizcal_add(&s, utc(2026, 10, 23, 22, 0), 24 * HOUR), utc(2026, 10, 25, 22, 0));
    CHECK_INT(kith_bizcal_elapsed(&s, utc(2026, 10, 20, 0, 0), utc(2026, 10, 28, 0, 0)), 25 * HOUR);

    /* An office window is untouched by a change at 02:00: 9 h both days. */
    kith_bizcal o = cal("Europe/Berlin", "MON-SUN", "09:00-18:00", NULL, 0);
    CHECK_INT(kith_bizcal_elapsed(&o, sun, mon), 9 * HOUR);
    CHECK_INT(kith_bizcal_elapsed(&o, sun_a, mon_a), 9 * HOUR);
    CHECK_TIME(kith_bizcal_add(&o, sun, 9 * HOUR), utc(2026, 3, 29, 16, 0));    /* 18:00 CEST */
    CHECK_TIME(kith_bizcal_add(&o, sun_a, 9 * HOUR), utc(2026, 10, 25, 17, 0)); /* 18:00 CET */
}

/* America/New_York, windows around 02:00 where the clock changes. */
static void test_new_york_night(void)
{
    kith_bizcal c = cal("America/New_York", "MON-SUN", "01:00-04:00", NULL, 0);
    int64_t sun = utc(2026, 3, 8, 5, 0); /* Sunday 00:00 EST */
    int64_t mon = utc(2026, 3, 9, 4, 0); /* Monday 00:00 EDT */
    /* 01:00-02:00 EST is 06:00Z-07:00Z, 03:00-04:00 EDT is 07:00Z-08:00Z:
     * 02:00-03:00 never happens, so the window holds 2 h. */
    CHECK_INT(kith_bizcal_elapsed(&c, sun, mon), 2 * HOUR);
    CHECK_TIME(kith_bizcal_add(&c, sun, 1 * HOUR), utc(2026, 3, 8, 7, 0));
    CHECK_TIME(kith_bizcal_add(&c, sun, 90 * MIN), utc(2026, 3, 8, 7, 30));
    CHECK_TIME(kith_bizcal_add(&c, sun, 2 * HOUR), utc(2026, 3, 8, 8, 0));
    CHECK_TIME(kith_bizcal_add(&c, sun, 2 * HOUR + MIN), utc(2026, 3, 9, 5, 1));
    /* Saturday's window is a plain 3 h. */
    CHECK_INT(kith_bizcal_elapsed(&c, sun - DAY, sun), 3 * HOUR);

    /* Autumn: 01:00-02:00 EDT (05:00Z-06:00Z), then 01:00-04:00 EST
     * (06:00Z-09:00Z): 4 h. */
    int64_t sun_a = utc(2026, 11, 1, 4, 0); /* Sunday 00:00 EDT */
    int64_t mon_a = utc(2026, 11, 2, 5, 0); /* Monday 00:00 EST */
    CHECK_INT(kith_bizcal_elapsed(&c, sun_a, mon_a), 4 * HOUR);
    CHECK_TIME(kith_bizcal_add(&c, sun_a, 4 * HOUR), utc(2026, 11, 1, 9, 0));
    CHECK_TIME(kith_bizcal_add(&c, sun_a, 1 * HOUR), utc(2026, 11, 1, 6, 0));

    /* 01:30-02:30: in spring only 01:30-02:00 EST happens (30 min); in
     * autumn 01:30-02:00 EDT (05:30Z-06:00Z) and 01:30-02:30 EST
     * (06:30Z-07:30Z), 90 min with a hole between. */
    kith_bizcal h = cal("America/New_York", "SUN", "01:30-02:30", NULL, 0);
    CHECK_INT(kith_bizcal_elapsed(&h, sun, mon), 30 * MIN);
    CHECK_INT(kith_bizcal_elapsed(&h, sun_a, mon_a), 90 * MIN);
    CHECK_TIME(kith_bizcal_add(&h, sun_a, 30 * MIN), utc(2026, 11, 1, 6, 0));
    CHECK_TIME(kith_bizcal_add(&h, sun_a, 45 * MIN), utc(2026, 11, 1, 6, 45));
    CHECK_INT(kith_bizcal_elapsed(&h, utc(2026, 11, 1, 5, 45), utc(2026, 11, 1, 6, 45)), 30 * MIN);
    /* A window wholly inside the gap holds nothing that day: the next
     * Sunday's 02:00-02:30 EDT comes first. */
    kith_bizcal g = cal("America/New_York", "SUN", "02:00-02:30", NULL, 0);
    CHECK_INT(kith_bizcal_elapsed(&g, sun, mon), 0);
    CHECK_TIME(kith_bizcal_add(&g, sun, 10 * MIN), utc(2026, 3, 15, 6, 10));
}

static void test_always_open(void)
{
    int64_t t = utc(2026, 1, 10, 4, 0);
    CHECK_TIME(kith_bizcal_add(NULL, t, 2 * HOUR), t + 2 * HOUR);
    CHECK_TIME(kith_bizcal_add(NULL, t, 0), t);
    CHECK_TIME(kith_bizcal_add(NULL, t, INT64_MAX), KITH_BIZCAL_NEVER);
    CHECK_INT(kith_bizcal_elapsed(NULL, t, t + 3 * DAY), 3 * DAY);
    CHECK_INT(kith_bizcal_elapsed(NULL, t, t - 1), 0);
    CHECK_INT(kith_bizcal_elapsed(NULL, INT64_MIN, INT64_MAX), 2 * KITH_BIZCAL_MAX_MS);
}

/* Huge work and hostile instants end quickly and never overflow. */
static void test_limits(void)
{
    kith_bizcal c = cal("Asia/Shanghai", "MON-FRI", "09:00-18:00", NULL, 0);
    int64_t t = utc(2026, 1, 5, 1, 0);
    CHECK_TIME(kith_bizcal_add(&c, t, INT64_MAX), KITH_BIZCAL_NEVER);
    CHECK_TIME(kith_bizcal_add(&c, t, 100000 * DAY), KITH_BIZCAL_NEVER);
    CHECK_TIME(kith_bizcal_add(&c, INT64_MAX, HOUR), KITH_BIZCAL_NEVER);
    CHECK_TIME(kith_bizcal_add(&c, INT64_MIN, HOUR), KITH_BIZCAL_NEVER);
    CHECK(kith_bizcal_add(&c, KITH_BIZCAL_MAX_MS, HOUR) > KITH_BIZCAL_MAX_MS);
    /* Ten years fit inside the horizon: 45 h a week. */
    int64_t ten = kith_bizcal_elapsed(&c, t, t + 3652 * DAY);
    CHECK(ten > 521 * 45 * HOUR && ten < 523 * 45 * HOUR);
    /* A span past the horizon counts only the horizon. */
    int64_t all = kith_bizcal_elapsed(&c, INT64_MIN, INT64_MAX);
    CHECK(all > 0 && all <= (int64_t)KITH_BIZCAL_HORIZON_DAYS * 9 * HOUR);
    /* 64 holidays in a row cannot make a calendar that never opens. */
    char dates[KITH_BIZCAL_MAX_HOLIDAYS][11];
    const char *mondays[KITH_BIZCAL_MAX_HOLIDAYS];
    for (int i = 0; i < KITH_BIZCAL_MAX_HOLIDAYS; i++) {
        int64_t days = kith_time_days_from_civil(2026, 1, 5) + 7 * i;
        char iso[KITH_TIME_BUFSZ];
        kith_time_format(days * DAY, iso); /* "YYYY-MM-DDT..." of that midnight */
        memcpy(dates[i], iso, 10);
        dates[i][10] = '\0';
        mondays[i] = dates[i];
    }
    kith_bizcal m = cal(NULL, "MON", "09:00-18:00", mondays, KITH_BIZCAL_MAX_HOLIDAYS);
    int64_t first = kith_time_days_from_civil(2026, 1, 5) + 7 * KITH_BIZCAL_MAX_HOLIDAYS;
    CHECK_TIME(kith_bizcal_add(&m, utc(2026, 1, 1, 0, 0), HOUR), first * DAY + 10 * HOUR);
}

/* ---- Properties over random instants ------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int64_t rng_range(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng() % (uint64_t)(hi - lo));
}

/* The definition, minute by minute: a real minute counts when the zone's
 * wall clock at its start reads a time inside the window on a business day.
 * Exact for whole minutes in zones whose offsets and transitions fall on
 * whole minutes, as all these do since the 1970s. */
static int64_t slow_elapsed(const kith_bizcal *c, int64_t from_min, int64_t to_min)
{
    int64_t sum = 0;
    for (int64_t m = from_min; m < to_min; m++) {
        int64_t local = m * 60 + kith_tz_offset(c->tz, m * 60);
        int64_t day = local / 86400 - (local % 86400 < 0);
        int64_t minute = (local - day * 86400) / 60;
        int weekday = (int)((day % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
        int open = (c->days >> weekday & 1) && minute >= c->start_min && minute < c->end_min;
        for (int i = 0; open && i < c->nholidays; i++)
            if (c->holidays[i] == day) open = 0;
        sum += open;
    }
    return sum * MIN;
}

static void check_properties(const kith_bizcal *c, const char *name)
{
    int64_t lo = utc(2025, 1, 1, 0, 0), hi = utc(2029, 1, 1, 0, 0);
    int failed = check_failed;
    for (int i = 0; i < 400; i++) {
        int64_t from = rng_range(lo, hi);
        int64_t w[4];
        for (int k = 0; k < 4; k++)
            w[k] = rng_range(0, k < 2 ? 12 * HOUR : 40 * DAY);
        w[2] = w[2] / MIN * MIN; /* also whole minutes, where edges coincide */
        for (int k = 0; k < 4; k++) {
            int64_t due = kith_bizcal_add(c, from, w[k]);
            if (due == KITH_BIZCAL_NEVER) {
                /* Only when the horizon holds too little business time. */
                CHECK(kith_bizcal_elapsed(c, from, due) < w[k]);
                continue;
            }
            CHECK(due >= from + (w[k] > 0));
            CHECK_INT(kith_bizcal_elapsed(c, from, due), w[k]);
            /* Earliest: one ms sooner is not enough. */
            if (w[k] > 0) CHECK_INT(kith_bizcal_elapsed(c, from, due - 1), w[k] - 1);
        }
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++)
                if (w[a] < w[b]) {
                    int64_t da = kith_bizcal_add(c, from, w[a]),
                            db = kith_bizcal_add(c, from, w[b]);
                    CHECK(da < db || (da == db && db == KITH_BIZCAL_NEVER));
                }
        /* Elapsed adds up over adjacent spans. */
        int64_t mid = from + rng_range(0, 10 * DAY), to = mid + rng_range(0, 10 * DAY);
        CHECK_INT(kith_bizcal_elapsed(c, from, mid) + kith_bizcal_elapsed(c, mid, to),
                  kith_bizcal_elapsed(c, from, to));
        if (check_failed > failed + 20) break;
    }
    /* Against the minute-by-minute definition, near the clock changes. */
    static const int64_t around[][3] = {{2026, 3, 8},   {2026, 3, 29}, {2026, 4, 5}, {2026, 10, 4},
                                        {2026, 10, 25}, {2026, 11, 1}, {2027, 4, 4}};
    for (size_t i = 0; i < sizeof around / sizeof around[0]; i++) {
        int64_t centre = utc((int)around[i][0], (int)around[i][1], (int)around[i][2], 0, 0) / MIN;
        for (int k = 0; k < 8; k++) {
            int64_t a = centre + rng_range(-3 * 1440, 1440), b = a + rng_range(0, 4 * 1440);
            int64_t want = slow_elapsed(c, a, b);
            int64_t got = kith_bizcal_elapsed(c, a * MIN, b * MIN);
            if (got != want)
                fprintf(stderr, "%s: elapsed over minutes %lld..%lld\n", name, (long long)a,
                        (long long)b);
            CHECK_INT(got, want);
        }
    }
    if (check_failed > failed) fprintf(stderr, "properties failed for %s\n", name);
}

static void test_properties(void)
{
    const char *hol[] = {"2026-03-30", "2026-10-26", "2027-01-01", "2026-12-25"};
    kith_bizcal cals[] = {
        cal("Asia/Shanghai", "MON-FRI", "09:00-18:00", hol, 4),
        cal("Europe/Berlin", "MON-SUN", "00:00-24:00", NULL, 0),
        cal("Europe/Berlin", "SAT-MON", "01:30-03:30", hol, 4),
        cal("America/New_York", "MON-SUN", "01:00-04:00", NULL, 0),
        cal("America/New_York", "FRI-TUE", "00:00-24:00", hol, 4),
        /* Lord Howe moves its clocks by 30 minutes at 02:00. */
        cal("Australia/Lord_Howe", "SUN,WED", "01:45-02:15", NULL, 0),
        cal(NULL, "TUE", "23:59-24:00", hol, 4),
    };
    const char *names[] = {
        "Shanghai",  "Berlin 24/7",    "Berlin night", "New York night", "New York long weekends",
        "Lord Howe", "UTC last minute"};
    for (size_t i = 0; i < sizeof cals / sizeof cals[0]; i++)
        check_properties(&cals[i], names[i]);
}

int main(void)
{
    test_parse();
    test_parse_errors();
    test_shanghai();
    test_berlin_whole_days();
    test_new_york_night();
    test_always_open();
    test_limits();
    test_properties();
    kith_tz_cache_clear();
    return check_done();
}
