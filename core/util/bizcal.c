/*
 * See bizcal.h.  Both computations walk the calendar's business segments,
 * the real-time intervals of business time, in increasing order and stop as
 * soon as they have their answer; a walk costs one step per local day and
 * one zone lookup per change of offset, so 30 days of business time is a
 * few dozen steps and the horizon of 20 years about 7,300.
 *
 * DESIGN NOTES: walking business time across offset changes
 *
 *  1. Real time is cut into periods of constant UTC offset at the instants
 *     kith_tz_next_transition reports.  Inside a period the wall clock is
 *     the instant plus that offset, a strictly increasing function, so the
 *     business time in the period is each business day's window shifted by
 *     the offset and clipped to the period.  No case analysis of gaps and
 *     overlaps is needed: a spring-forward gap inside a window is the part
 *     of the window that falls between two periods' wall-clock ranges and
 *     belongs to neither (02:00-03:00 in New York), and an autumn repeat is
 *     a wall-clock range that two periods share and so counts twice.
 *  2. Segments come out in increasing real time and never overlap: each
 *     starts at or after the end of the one before (the walk's cursor), and
 *     each lies inside one period.  Consecutive segments may touch (a
 *     00:00-24:00 window on consecutive days, or a window a transition cuts
 *     in two); the sums do not care.
 *  3. Every segment is non-empty, and every call to walk_next either returns
 *     one or moves the cursor to the end of a period or to the limit, so
 *     every walk ends.  The limit is the start plus the horizon; parsing
 *     guarantees a business weekday, and 64 holidays cannot blank out more
 *     than 64 weeks, so short work is found long before it.
 *  4. Offsets and transitions are whole seconds and windows whole minutes,
 *     so an instant in ms lies in the period of the second holding it.
 */
#include "util/bizcal.h"
#include "util/error.h"
#include "util/timefmt.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MINUTE_MS ((int64_t)60 * 1000)
#define DAY_MS    ((int64_t)86400 * 1000)

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t clamp_ms(int64_t t)
{
    if (t < -KITH_BIZCAL_MAX_MS) return -KITH_BIZCAL_MAX_MS;
    return t > KITH_BIZCAL_MAX_MS ? KITH_BIZCAL_MAX_MS : t;
}

/* ---- Parsing ------------------------------------------------------------------------------- */

static const char *const day_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

static const char *skip_blanks(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* Reads a weekday name at *p.  Returns its number (0 = Sunday) or -1 with
 * err set. */
static int parse_day(const char **p, char *err, size_t errlen)
{
    const char *s = skip_blanks(*p), *w = s;
    while (isalpha((unsigned char)*s))
        s++;
    if (s == w) {
        if (*w && *w != ',')
            seterr(err, errlen, "days: unexpected '%c'", *w);
        else
            seterr(err, errlen, "days: missing day name");
        return -1;
    }
    for (int i = 0; i < 7; i++) {
        if (s - w == 3 && strncasecmp(w, day_names[i], 3) == 0) {
            *p = skip_blanks(s);
            return i;
        }
    }
    seterr(err, errlen, "days: unknown day \"%.*s\" (expected MON, TUE, WED, THU, FRI, SAT or SUN)",
           (int)(s - w > 16 ? 16 : s - w), w);
    return -1;
}

/* Parses a comma list of days and ranges into a weekday mask. */
static int parse_days(const char *s, uint8_t *mask, char *err, size_t errlen)
{
    if (!s || !*skip_blanks(s)) {
        seterr(err, errlen, "days: no days given (e.g. \"MON-FRI\")");
        return -1;
    }
    *mask = 0;
    for (;;) {
        int lo = parse_day(&s, err, errlen), hi;
        if (lo < 0) return -1;
        hi = lo;
        if (*s == '-') {
            s++;
            if ((hi = parse_day(&s, err, errlen)) < 0) return -1;
        }
        /* A range runs forwards through the week and may wrap past Saturday:
         * FRI-MON is Friday, Saturday, Sunday, Monday. */
        for (int d = lo;; d = (d + 1) % 7) {
            *mask |= (uint8_t)(1u << d);
            if (d == hi) break;
        }
        if (*s == '\0') return 0;
        if (*s != ',') {
            seterr(err, errlen, "days: unexpected '%c'", *s);
            return -1;
        }
        s++;
    }
}

/* Reads "H:MM" or "HH:MM" at *p into minutes after midnight; 24:00 is
 * allowed, the caller decides where. */
static int parse_clock(const char **p, int *out)
{
    const char *s = skip_blanks(*p);
    int h = 0, n = 0;
    for (; isdigit((unsigned char)*s) && n < 2; s++, n++)
        h = h * 10 + (*s - '0');
    if (n == 0 || *s != ':' || !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]))
        return -1;
    int m = (s[1] - '0') * 10 + (s[2] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
    *out = h * 60 + m;
    *p = skip_blanks(s + 3);
    return 0;
}

static int parse_hours(const char *s, int16_t *start, int16_t *end, char *err, size_t errlen)
{
    int a, b;
    const char *p = s;
    if (!s || parse_clock(&p, &a) < 0 || *p++ != '-' || parse_clock(&p, &b) < 0 || *p != '\0') {
        seterr(err, errlen, "hours: expected \"HH:MM-HH:MM\" (e.g. \"09:00-18:00\"), got \"%.32s\"",
               s ? s : "");
        return -1;
    }
    if (a == 24 * 60 || a >= b) {
        seterr(err, errlen,
               "hours: the window %02d:%02d-%02d:%02d must end after it starts on the same day",
               a / 60, a % 60, b / 60, b % 60);
        return -1;
    }
    *start = (int16_t)a;
    *end = (int16_t)b;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return dm[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

/* Parses "YYYY-MM-DD" into days since the epoch. */
static int parse_date(const char *s, int32_t *out)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i])) return -1;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return -1;
    *out = (int32_t)kith_time_days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

static int cmp_day(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int kith_bizcal_parse(kith_bizcal *c, const char *tz, const char *days, const char *hours,
                      const char *const *holidays, size_t nholidays, char *err, size_t errlen)
{
    kith_bizcal cal;
    memset(&cal, 0, sizeof cal);
    if (!c) {
        seterr(err, errlen, "missing calendar");
        return KITH_EPARAMS;
    }
    if (tz && *tz) {
        char why[160];
        if (!(cal.tz = kith_tz_get(tz, why, sizeof why))) {
            seterr(err, errlen, "tz: %s", why);
            return KITH_EPARAMS;
        }
    }
    if (parse_days(days, &cal.days, err, errlen) < 0) return KITH_EPARAMS;
    if (parse_hours(hours, &cal.start_min, &cal.end_min, err, errlen) < 0) return KITH_EPARAMS;
    if (nholidays > KITH_BIZCAL_MAX_HOLIDAYS) {
        seterr(err, errlen, "holidays: at most %d dates, got %zu", KITH_BIZCAL_MAX_HOLIDAYS,
               nholidays);
        return KITH_EPARAMS;
    }
    for (size_t i = 0; i < nholidays; i++) {
        if (parse_date(holidays ? holidays[i] : NULL, &cal.holidays[i]) < 0) {
            seterr(err, errlen, "holidays: \"%.32s\" is not a date YYYY-MM-DD",
                   holidays && holidays[i] ? holidays[i] : "");
            return KITH_EPARAMS;
        }
    }
    qsort(cal.holidays, nholidays, sizeof cal.holidays[0], cmp_day);
    for (size_t i = 0; i < nholidays; i++)
        if (cal.nholidays == 0 || cal.holidays[cal.nholidays - 1] != cal.holidays[i])
            cal.holidays[cal.nholidays++] = cal.holidays[i];
    *c = cal;
    return 0;
}

/* ---- Walking business time ----------------------------------------------------------------- */

static int is_business_day(const kith_bizcal *c, int64_t day)
{
    int weekday = (int)(day + 4 - floor_div(day + 4, 7) * 7); /* 1970-01-01 was a Thursday */
    if (!(c->days >> weekday & 1)) return 0;
    size_t lo = 0, hi = c->nholidays;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->holidays[mid] == day) return 0;
        if (c->holidays[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 1;
}

/* A walk over the business segments from `t` on (note 1). */
struct walk {
    const kith_bizcal *c;
    int64_t t;          /* real ms: business time before it is consumed */
    int64_t limit;      /* real ms: the walk gives up here */
    int64_t off;        /* ms east of UTC in effect at t */
    int64_t period_end; /* real ms at which the offset next changes */
};

static void walk_init(struct walk *w, const kith_bizcal *c, int64_t from, int64_t limit)
{
    w->c = c;
    w->t = from;
    w->limit = limit;
    w->off = 0;
    w->period_end = from; /* forces a lookup on the first step */
}

/* Finds the next business segment at or after the cursor and before the
 * limit.  Returns 1 with [*s, *e) set and the cursor moved to *e, or 0 when
 * none starts before the limit. */
static int walk_next(struct walk *w, int64_t *s, int64_t *e)
{
    const kith_bizcal *c = w->c;
    while (w->t < w->limit) {
        if (w->t >= w->period_end) {
            int64_t sec = floor_div(w->t, 1000), at;
            w->off = (int64_t)kith_tz_offset(c->tz, sec) * 1000;
            w->period_end = kith_tz_next_transition(c->tz, sec, &at) ? at * 1000 : INT64_MAX;
        }
        int64_t stop = w->period_end < w->limit ? w->period_end : w->limit;
        /* Wall-clock readings of [t, stop) are [local, local_stop). */
        int64_t local = w->t + w->off, local_stop = stop + w->off;
        for (int64_t day = floor_div(local, DAY_MS);; day++) {
            int64_t open = day * DAY_MS + c->start_min * MINUTE_MS;
            int64_t close = day * DAY_MS + c->end_min * MINUTE_MS;
            if (open >= local_stop) break;
            if (close <= local || !is_business_day(c, day)) continue;
            *s = (open > local ? open : local) - w->off;
            *e = (close < local_stop ? close : local_stop) - w->off;
            w->t = *e;
            return 1;
        }
        w->t = stop;
    }
    return 0;
}

static int64_t horizon_end(int64_t from)
{
    return from + (int64_t)KITH_BIZCAL_HORIZON_DAYS * DAY_MS;
}

int64_t kith_bizcal_add(const kith_bizcal *c, int64_t from_ms, int64_t work_ms)
{
    if (work_ms <= 0) return from_ms;
    if (!c) return from_ms > KITH_BIZCAL_NEVER - work_ms ? KITH_BIZCAL_NEVER : from_ms + work_ms;
    if (from_ms < -KITH_BIZCAL_MAX_MS || from_ms > KITH_BIZCAL_MAX_MS) return KITH_BIZCAL_NEVER;
    struct walk w;
    walk_init(&w, c, from_ms, horizon_end(from_ms));
    int64_t s, e, left = work_ms;
    while (walk_next(&w, &s, &e)) {
        /* `<=`: work that ends as a window closes is due at the close. */
        if (left <= e - s) return s + left;
        left -= e - s;
    }
    return KITH_BIZCAL_NEVER;
}

int64_t kith_bizcal_elapsed(const kith_bizcal *c, int64_t from_ms, int64_t to_ms)
{
    from_ms = clamp_ms(from_ms);
    to_ms = clamp_ms(to_ms);
    if (to_ms <= from_ms) return 0;
    if (!c) return to_ms - from_ms;
    if (to_ms > horizon_end(from_ms)) to_ms = horizon_end(from_ms);
    struct walk w;
    walk_init(&w, c, from_ms, to_ms);
    int64_t s, e, sum = 0;
    while (walk_next(&w, &s, &e))
        sum += e - s;
    return sum;
}
