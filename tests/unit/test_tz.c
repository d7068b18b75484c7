/*
 * Time zones: offsets either side of real DST transitions, local-to-UTC with
 * gaps and repeated hours, the POSIX footer rule beyond the TZif table, the
 * rule grammar (Jn, n, Mm.w.d, explicit and out-of-range /times), hand-made
 * TZif files in a private TZDIR, and names that must be refused.
 *
 * Expected instants were derived independently of this code: transitions
 * of real zones with python3's zoneinfo over the system tzdata, e.g.
 *   python3 -c "from zoneinfo import ZoneInfo; from datetime import *;
 *     print(datetime(2026,10,25,2,30,fold=1,tzinfo=ZoneInfo('Europe/Paris'))
 *     .astimezone(timezone.utc))"
 * and bisecting utcoffset() for the transition instants; bare POSIX rules
 * with glibc (TZ=<rule> and time.localtime in a separate python3 process),
 * because CPython's zoneinfo miscounts the zero-based "n" day form by one.
 */
#include "check.h"
#include "util/error.h"
#include "util/timefmt.h"
#include "util/tz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Seconds since the epoch of a civil date-time read as UTC (for instants)
 * or as a wall-clock reading (for local seconds). */
static int64_t civil(int y, int mo, int d, int h, int mi, int s)
{
    return kith_time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s;
}

/* Checks one transition: the offset a second before and at `at`, and that
 * kith_tz_next_transition finds it from a day earlier. */
static void check_transition(const kith_tz *tz, int64_t at, int before, int after)
{
    CHECK_INT(kith_tz_offset(tz, at - 1), before);
    CHECK_INT(kith_tz_offset(tz, at), after);
    int64_t found = 0;
    CHECK_INT(kith_tz_next_transition(tz, at - 86400, &found), 1);
    CHECK_INT(found, at);
}

static void test_utc_and_names(void)
{
    char err[160];
    kith_tz *utc = kith_tz_load("UTC", err, sizeof err);
    CHECK(utc != NULL);
    CHECK_STR(kith_tz_name(utc), "UTC");
    CHECK_INT(kith_tz_offset(utc, civil(2026, 7, 1, 12, 0, 0)), 0);
    int64_t out[2];
    CHECK_INT(kith_tz_local_to_utc(utc, civil(2026, 3, 29, 2, 30, 0), out), 1);
    CHECK_INT(out[0], civil(2026, 3, 29, 2, 30, 0));
    int64_t at;
    CHECK_INT(kith_tz_next_transition(utc, 0, &at), 0);
    kith_tz_free(utc);

    /* NULL stands for UTC everywhere. */
    CHECK_INT(kith_tz_offset(NULL, 123456789), 0);
    CHECK_INT(kith_tz_local_to_utc(NULL, 42, out), 1);
    CHECK_INT(out[0], 42);
    CHECK_STR(kith_tz_name(NULL), "UTC");

    err[0] = '\0';
    CHECK(kith_tz_load("Mars/Olympus_Mons", err, sizeof err) == NULL);
    CHECK_STR(err, "unknown time zone \"Mars/Olympus_Mons\"");
    CHECK(kith_tz_load("Europe", err, sizeof err) == NULL); /* a directory */
    static const char *const refused[] = {
        "../../etc/passwd", "/etc/localtime", "Europe/../../etc/passwd",
        "Europe/Paris;ls",  "Europe/Pa ris",  "",
        "zone.tab",         "Europe\\Paris",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        err[0] = '\0';
        CHECK(kith_tz_load(refused[i], err, sizeof err) == NULL);
        CHECK(strstr(err, "invalid time zone name") != NULL);
    }
    char longname[KITH_TZ_NAME_MAX + 2];
    memset(longname, 'A', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK(kith_tz_load(longname, err, sizeof err) == NULL);
    CHECK(kith_tz_load(NULL, NULL, 0) == NULL); /* no error buffer is fine */
}

static void test_paris(void)
{
    char err[160];
    kith_tz *tz = kith_tz_load("Europe/Paris", err, sizeof err);
    CHECK(tz != NULL);
    if (!tz) return;
    CHECK_STR(kith_tz_name(tz), "Europe/Paris");
    /* 2026-03-29 02:00 CET -> 03:00 CEST at 01:00Z; 2026-10-25 03:00 CEST
     * -> 02:00 CET at 01:00Z. */
    check_transition(tz, civil(2026, 3, 29, 1, 0, 0), 3600, 7200);
    check_transition(tz, civil(2026, 10, 25, 1, 0, 0), 7200, 3600);
    int64_t at;
    CHECK_INT(kith_tz_next_transition(tz, civil(2026, 3, 29, 1, 0, 0), &at), 1);
    CHECK_INT(at, civil(2026, 10, 25, 1, 0, 0));

    int64_t out[2];
    /* 02:30 on the spring day never happens: 0, and out[0] is 03:00 CEST. */
    CHECK_INT(kith_tz_local_to_utc(tz, civil(2026, 3, 29, 2, 30, 0), out), 0);
    CHECK_INT(out[0], civil(2026, 3, 29, 1, 0, 0));
    CHECK_INT(kith_tz_local_to_utc(tz, civil(2026, 3, 29, 2, 0, 0), out), 0);
    CHECK_INT(kith_tz_local_to_utc(tz, civil(2026, 3, 29, 1, 59, 59), out), 1);
    CHECK_INT(out[0], civil(2026, 3, 29, 0, 59, 59));
    CHECK_INT(kith_tz_local_to_utc(tz, civil(2026, 3, 29, 3, 0, 0), out), 1);
    CHECK_INT(out[0], civil(2026, 3, 29, 1, 0, 0));
    /* 02:30 on the autumn day happens twice: 00:30Z (CEST), 01:30Z (CET). */
    CHECK_INT(kith_tz_local_to_utc(tz, civil(2026, 10, 25, 2, 30, 0), out), 2);
    CHECK_INT(out[0], civil(2026, 10, 25, 0, 30, 0));
    CHECK_INT(out[1], civil(2026, 10, 25, 1, 30, 0));
    CHECK_INT(kith_tz_local_to_utc(tz, civil(2026, 10, 25, 2, 0, 0), out), 2);
    CHECK_INT(kith_tz_local_to_utc(tz, civil(2026, 10, 25, 3, 0, 0), out), 1);
    CHECK_INT(out[0], civil(2026, 10, 25, 2, 0, 0));
    CHECK_INT(kith_tz_local_to_utc(tz, civil(2026, 10, 25, 1, 59, 59), out), 1);
    CHECK_INT(out[0], civil(2026, 10, 24, 23, 59, 59));
    CHECK_INT(kith_tz_local_to_utc(tz, civil(2026, 7, 14, 12, 0, 0), out), 1);
    CHECK_INT(out[0], civil(2026, 7, 14, 10, 0, 0));

    /* Debian's files list transitions only up to 2037; 2100 comes from the
     * footer "CET-1CEST,M3.5.0,M10.5.0/3". */
    check_transition(tz, civil(2100, 3, 28, 1, 0, 0), 3600, 7200);
    check_transition(tz, civil(2100, 10, 31, 1, 0, 0), 7200, 3600);
    CHECK_INT(kith_tz_offset(tz, civil(2100, 1, 15, 0, 0, 0)), 3600);
    CHECK_INT(kith_tz_offset(tz, civil(2100, 7, 1, 0, 0, 0)), 7200);
    CHECK_INT(kith_tz_local_to_utc(tz, civil(2100, 3, 28, 2, 30, 0), out), 0);
    CHECK_INT(out[0], civil(2100, 3, 28, 1, 0, 0));
    CHECK_INT(kith_tz_local_to_utc(tz, civil(2100, 10, 31, 2, 30, 0), out), 2);
    CHECK_INT(out[1] - out[0], 3600);
    /* Before 1911 Paris kept local mean time, +00:09:21. */
    CHECK_INT(kith_tz_offset(tz, civil(1890, 1, 1, 0, 0, 0)), 561);
    /* Hostile instants neither crash nor overflow. */
    CHECK_INT(kith_tz_offset(tz, INT64_MAX), 3600);
    CHECK_INT(kith_tz_offset(tz, INT64_MIN), 561);
    CHECK(kith_tz_local_to_utc(tz, INT64_MAX, out) >= 0);
    CHECK(kith_tz_local_to_utc(tz, INT64_MIN, out) >= 0);
    CHECK_INT(kith_tz_next_transition(tz, INT64_MAX, &at), 0);
    kith_tz_free(tz);
}

static void test_new_york(void)
{
    kith_tz *tz = kith_tz_load("America/New_York", NULL, 0);
    CHECK(tz != NULL);
    if (!tz) return;
    /* 2026-03-08 02:00 EST -> 03:00 EDT at 07:00Z; 2026-11-01 02:00 EDT ->
     * 01:00 EST at 06:00Z. */
    check_transition(tz, civil(2026, 3, 8, 7, 0, 0), -18000, -14400);
    check_transition(tz, civil(2026, 11, 1, 6, 0, 0), -14400, -18000);
    int64_t out[2];
    CHECK_INT(kith_tz_local_to_utc(tz, civil(2026, 3, 8, 2, 30, 0), out), 0);
    CHECK_INT(out[0], civil(2026, 3, 8, 7, 0, 0));
    CHECK_INT(kith_tz_local_to_utc(tz, civil(2026, 11, 1, 1, 30, 0), out), 2);
    CHECK_INT(out[0], civil(2026, 11, 1, 5, 30, 0));
    CHECK_INT(out[1], civil(2026, 11, 1, 6, 30, 0));
    CHECK_INT(kith_tz_local_to_utc(tz, civil(2026, 11, 1, 2, 30, 0), out), 1);
    CHECK_INT(out[0], civil(2026, 11, 1, 7, 30, 0));
    /* 2100 from the footer "EST5EDT,M3.2.0,M11.1.0". */
    check_transition(tz, civil(2100, 3, 14, 7, 0, 0), -18000, -14400);
    check_transition(tz, civil(2100, 11, 7, 6, 0, 0), -14400, -18000);
    kith_tz_free(tz);
}

/* Zones whose footers exercise the rest of the grammar. */
static void test_other_zones(void)
{
    struct {
        const char *zone;
        int64_t at;
        int before, after;
    } cases[] = {
        /* Southern hemisphere: "AEST-10AEDT,M10.1.0,M4.1.0/3". */
        {"Australia/Sydney", civil(2026, 4, 4, 16, 0, 0), 39600, 36000},
        {"Australia/Sydney", civil(2100, 10, 2, 16, 0, 0), 36000, 39600},
        /* Half-hour DST: "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0". */
        {"Australia/Lord_Howe", civil(2100, 4, 3, 15, 0, 0), 39600, 37800},
        {"Australia/Lord_Howe", civil(2100, 10, 2, 15, 30, 0), 37800, 39600},
        /* Negative rule times: "<-02>2<-01>,M3.5.0/-1,M10.5.0/0". */
        {"America/Nuuk", civil(2100, 3, 28, 1, 0, 0), -7200, -3600},
        {"America/Nuuk", civil(2100, 10, 31, 1, 0, 0), -3600, -7200},
        /* 24:00 rule times: "<-04>4<-03>,M9.1.6/24,M4.1.6/24". */
        {"America/Santiago", civil(2100, 4, 4, 3, 0, 0), -10800, -14400},
        {"America/Santiago", civil(2100, 9, 5, 4, 0, 0), -14400, -10800},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[160];
        kith_tz *tz = kith_tz_load(cases[i].zone, err, sizeof err);
        CHECK(tz != NULL);
        if (!tz) continue;
        check_transition(tz, cases[i].at, cases[i].before, cases[i].after);
        kith_tz_free(tz);
    }
}

static void test_posix_rules(void)
{
    char err[160];
    struct {
        const char *spec;
        int64_t start, end; /* in 2028, a leap year */
        int std, dst;
    } cases[] = {
        {"CET-1CEST,M3.5.0,M10.5.0/3", civil(2028, 3, 26, 1, 0, 0), civil(2028, 10, 29, 1, 0, 0),
         3600, 7200},
        {"EST5EDT,M3.2.0,M11.1.0", civil(2028, 3, 12, 7, 0, 0), civil(2028, 11, 5, 6, 0, 0), -18000,
         -14400},
        /* No dates: the US rule.  No DST offset: one hour ahead. */
        {"EST5EDT", civil(2028, 3, 12, 7, 0, 0), civil(2028, 11, 5, 6, 0, 0), -18000, -14400},
        /* Jn never counts Feb 29: J60 is March 1 even in a leap year. */
        {"AAA3BBB,J60,J300", civil(2028, 3, 1, 5, 0, 0), civil(2028, 10, 27, 4, 0, 0), -10800,
         -7200},
        /* n counts it: day 59 is Feb 29 in 2028. */
        {"AAA3BBB,59,299", civil(2028, 2, 29, 5, 0, 0), civil(2028, 10, 26, 4, 0, 0), -10800,
         -7200},
        /* Explicit times: negative, past 24h, with seconds; DST offset given. */
        {"AAA3BBB,J60/-1:30,M11.1.0/26", civil(2028, 3, 1, 1, 30, 0), civil(2028, 11, 6, 4, 0, 0),
         -10800, -7200},
        {"<+0530>-5:30<+07>-7,M3.5.0/1:15:30,J330/0", civil(2028, 3, 25, 19, 45, 30),
         civil(2028, 11, 25, 17, 0, 0), 19800, 25200},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kith_tz *tz = kith_tz_from_posix(cases[i].spec, err, sizeof err);
        CHECK(tz != NULL);
        if (!tz) continue;
        check_transition(tz, cases[i].start, cases[i].std, cases[i].dst);
        check_transition(tz, cases[i].end, cases[i].dst, cases[i].std);
        kith_tz_free(tz);
    }
    /* The 2027 instances of the n form: day 59 is March 1 (glibc agrees). */
    kith_tz *tz = kith_tz_from_posix("AAA3BBB,59,299", NULL, 0);
    check_transition(tz, civil(2027, 3, 1, 5, 0, 0), -10800, -7200);
    kith_tz_free(tz);

    /* RFC 8536's spelling of daylight time all year round. */
    tz = kith_tz_from_posix("EST5EDT,0/0,J365/25", err, sizeof err);
    CHECK(tz != NULL);
    CHECK_INT(kith_tz_offset(tz, civil(2027, 1, 1, 0, 0, 0)), -14400);
    CHECK_INT(kith_tz_offset(tz, civil(2027, 1, 1, 4, 59, 59)), -14400);
    CHECK_INT(kith_tz_offset(tz, civil(2027, 7, 1, 0, 0, 0)), -14400);
    int64_t at;
    CHECK_INT(kith_tz_next_transition(tz, civil(2027, 6, 1, 0, 0, 0), &at), 0);
    kith_tz_free(tz);

    tz = kith_tz_from_posix("<+0330>-3:30", err, sizeof err);
    CHECK(tz != NULL);
    CHECK_INT(kith_tz_offset(tz, 0), 12600);
    kith_tz_free(tz);

    static const char *const bad[] = {
        "CET",
        "CET-1CEST,M13.1.0,M10.5.0",
        "CET-1CEST,M3.5.0",
        "XX1",
        "CET-25",
        "CET-1CEST,M3.5.0,M10.5.0/168",
        "CET-1CEST,M3.6.0,M10.5.0",
        "EST5EDT,J0,J365",
        "EST5EDT,366,1",
        "<AB>1",
        "CET-1CEST,M3.5.0,M10.5.0x",
        "CET-1:60",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        CHECK(kith_tz_from_posix(bad[i], err, sizeof err) == NULL);
        CHECK(strstr(err, "invalid POSIX TZ rule") != NULL);
    }
}

/* ---- Hand-made TZif files in a private TZDIR ---------------------------------------------- */

/* Writers for TZif pieces: each returns the position after what it wrote. */
static unsigned char *put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (24 - 8 * i));
    return p + 4;
}

static unsigned char *put_bytes(unsigned char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

/* A local time type: offset, DST flag, index of its abbreviation. */
static unsigned char *put_type(unsigned char *p, int32_t utoff, int isdst, int abbr)
{
    p = put32(p, (uint32_t)utoff);
    p[0] = (unsigned char)isdst;
    p[1] = (unsigned char)abbr;
    return p + 2;
}

static unsigned char *put64(unsigned char *p, int64_t v)
{
    return put32(put32(p, (uint32_t)((uint64_t)v >> 32)), (uint32_t)v);
}

static unsigned char *header(unsigned char *p, char version, uint32_t leaps, uint32_t times,
                             uint32_t types, uint32_t chars)
{
    memcpy(p, "TZif", 4);
    p[4] = (unsigned char)version;
    memset(p + 5, 0, 15);
    p = put32(put32(p + 20, 0), 0);
    return put32(put32(put32(put32(p, leaps), times), types), chars);
}

static void write_file(const char *dir, const char *name, const unsigned char *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK_INT(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void test_tzif_files(void)
{
    char dir[] = "/tmp/kith-test-tz-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    unsigned char buf[512], *p;

    /* Version 1, no footer: +1h, then +2h from 1e9 to 1.1e9, then +1h for good. */
    p = header(buf, 0, 0, 2, 2, 8);
    p = put32(put32(p, 1000000000), 1100000000);
    p = put_bytes(p, "\1\0", 2); /* the type of each transition */
    p = put_type(put_type(p, 3600, 0, 0), 7200, 1, 4);
    p = put_bytes(p, "AAA\0BBB\0", 8);
    write_file(dir, "One", buf, (size_t)(p - buf));

    /* Version 2 whose 32-bit block says +1h and 64-bit block +2h: only the
     * latter counts. */
    p = header(buf, '2', 0, 0, 1, 4);
    p = put_bytes(put_type(p, 3600, 0, 0), "AAA\0", 4);
    p = header(p, '2', 0, 1, 1, 4);
    p = put_bytes(put64(p, -2000000000000LL), "\0", 1);
    p = put_bytes(put_type(p, 7200, 0, 0), "BBB\0", 4);
    p = put_bytes(p, "\n<+02>-2\n", 9);
    write_file(dir, "Two", buf, (size_t)(p - buf));
    write_file(dir, "Truncated", buf, (size_t)(p - buf) - 20);

    /* Version 3, no transitions, everything in the footer. */
    p = header(buf, '3', 0, 0, 1, 4);
    p = put_bytes(put_type(p, -10800, 0, 0), "AAA\0", 4);
    p = header(p, '3', 0, 0, 1, 4);
    p = put_bytes(put_type(p, -10800, 0, 0), "AAA\0", 4);
    p = put_bytes(p, "\nAAA3BBB,J60,J300\n", 18);
    write_file(dir, "Three", buf, (size_t)(p - buf));

    /* A leap-second table, as in the right/ zones. */
    p = header(buf, 0, 1, 0, 1, 4);
    p = put_bytes(put_type(p, 0, 0, 0), "UTC\0", 4);
    p = put32(put32(p, 78796800), 1);
    write_file(dir, "Leapy", buf, (size_t)(p - buf));
    write_file(dir, "Garbage", (const unsigned char *)"not a zone\n", 11);

    setenv("TZDIR", dir, 1);
    char err[160];
    kith_tz *tz = kith_tz_load("One", err, sizeof err);
    CHECK(tz != NULL);
    CHECK_INT(kith_tz_offset(tz, 999999999), 3600);
    CHECK_INT(kith_tz_offset(tz, 1000000000), 7200);
    CHECK_INT(kith_tz_offset(tz, 1099999999), 7200);
    CHECK_INT(kith_tz_offset(tz, 1100000000), 3600);
    CHECK_INT(kith_tz_offset(tz, 4000000000LL), 3600);
    int64_t out[2], at;
    CHECK_INT(kith_tz_local_to_utc(tz, 1000000000 + 3600 + 1800, out), 0);
    CHECK_INT(out[0], 1000000000);
    CHECK_INT(kith_tz_local_to_utc(tz, 1100000000 + 3600 + 1800, out), 2);
    CHECK_INT(out[0], 1100000000 - 1800);
    CHECK_INT(out[1], 1100000000 + 1800);
    CHECK_INT(kith_tz_next_transition(tz, 1100000000, &at), 0);
    kith_tz_free(tz);

    tz = kith_tz_load("Two", err, sizeof err);
    CHECK(tz != NULL);
    CHECK_INT(kith_tz_offset(tz, 0), 7200);
    CHECK_INT(kith_tz_offset(tz, civil(2300, 1, 1, 0, 0, 0)), 7200);
    kith_tz_free(tz);

    tz = kith_tz_load("Three", err, sizeof err);
    CHECK(tz != NULL);
    check_transition(tz, civil(2028, 3, 1, 5, 0, 0), -10800, -7200);
    check_transition(tz, civil(2028, 10, 27, 4, 0, 0), -7200, -10800);
    kith_tz_free(tz);

    CHECK(kith_tz_load("Truncated", err, sizeof err) == NULL);
    CHECK_STR(err, "\"Truncated\": corrupt TZif file");
    CHECK(kith_tz_load("Garbage", err, sizeof err) == NULL);
    CHECK_STR(err, "\"Garbage\" is not a TZif time zone file");
    CHECK(kith_tz_load("Leapy", err, sizeof err) == NULL);
    CHECK(strstr(err, "leap seconds") != NULL);
    /* "UTC" still works where tzdata is missing. */
    tz = kith_tz_load("UTC", err, sizeof err);
    CHECK(tz != NULL);
    CHECK_INT(kith_tz_offset(tz, 1000000000), 0);
    CHECK_STR(kith_tz_name(tz), "UTC");
    kith_tz_free(tz);
    unsetenv("TZDIR");

    static const char *const names[] = {"One", "Two", "Truncated", "Three", "Leapy", "Garbage"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        CHECK_INT(unlink(path), 0);
    }
    CHECK_INT(rmdir(dir), 0);
}

static void test_cache(void)
{
    char err[160];
    const kith_tz *a = kith_tz_get("Europe/Paris", err, sizeof err);
    const kith_tz *b = kith_tz_get("Europe/Paris", err, sizeof err);
    const kith_tz *c = kith_tz_get("America/New_York", err, sizeof err);
    CHECK(a != NULL && a == b);
    CHECK(c != NULL && c != a);
    CHECK(kith_tz_get("No/Such_Zone", err, sizeof err) == NULL);
    CHECK(kith_tz_get("../etc/passwd", err, sizeof err) == NULL);
    CHECK_INT(kith_tz_offset(a, civil(2026, 7, 1, 0, 0, 0)), 7200);
    kith_tz_cache_clear();
    a = kith_tz_get("Europe/Paris", err, sizeof err);
    CHECK(a != NULL);
    kith_tz_cache_clear();
}

int main(void)
{
    test_utc_and_names();
    test_paris();
    test_new_york();
    test_other_zones();
    test_posix_rules();
    test_tzif_files();
    test_cache();
    return check_done();
}
