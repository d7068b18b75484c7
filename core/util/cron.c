/*
 * See cron.h.  Parsing turns each field into a bit mask; the search walks
 * wall-clock time a month, a day or an hour at a time and only steps by
 * minutes inside an hour that matches, so even an expression that can never
 * fire ("0 0 30 2 *") costs a few thousand steps before KITH_ENOTFOUND.
 *
 * DESIGN NOTES: daylight saving
 *
 * The search enumerates wall-clock "slots" (local minutes that match the
 * fields) in increasing order and maps each to UTC with kith_tz_local_to_utc,
 * which yields one instant, two (the repeated hour) or none (the gap).
 *
 *  1. A schedule is "wall-clock" when its hour field leaves out some hour
 *     ("30 2 * * *", @daily).  Each of its slots runs exactly once: at the
 *     slot's only instant, at the first of two, or, inside a gap, at the
 *     transition instant (the first instant after the gap).  Several gap slots
 *     ("0,15,30,45 2 * * *" has four) all land on that one instant and so run
 *     once.
 *  2. A schedule whose hour field covers all 24 hours is "elapsed-time": it
 *     runs at every real instant whose wall-clock reading matches.  Both
 *     passes of a repeated hour run ("0,30 * * * *" keeps its 30-minute
 *     rhythm through the autumn night) and gap slots, which no instant reads,
 *     add nothing: the rhythm continues on the other side of the jump.
 *  3. The first-occurrence function (slot -> earliest instant, or the
 *     transition for a gap slot) never decreases.  So the first slot that
 *     yields an instant after `after` holds the answer, unless that instant
 *     is a second occurrence: then a later slot of the same repeated hour may
 *     still have an earlier first occurrence, and the slots up to the end of
 *     that hour (slot + the overlap length) are examined too.
 *  4. The walk starts at after + the smallest offset in effect during the
 *     next 54 hours: no slot below that can map to an instant after `after`.
 */
#include "util/cron.h"
#include "util/error.h"
#include "util/timefmt.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MINUTE    60
#define HOUR      3600
#define DAY       86400
#define ALL_HOURS 0xffffffu

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

static int in_range(int64_t ms)
{
    return ms >= -KITH_CRON_MAX_MS && ms <= KITH_CRON_MAX_MS;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ---- Parsing ------------------------------------------------------------------------------- */

struct field {
    const char *name;
    int lo, hi;
    const char *const *names; /* names[i] is the value lo + i; NULL if none */
};

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL",
                                          "AUG", "SEP", "OCT", "NOV", "DEC", NULL};
static const char *const weekday_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL};

enum { F_MINUTE, F_HOUR, F_DOM, F_MONTH, F_DOW };

static const struct field fields[5] = {
    {"minute", 0, 59, NULL},
    {"hour", 0, 23, NULL},
    {"day-of-month", 1, 31, NULL},
    {"month", 1, 12, month_names},
    {"day-of-week", 0, 7, weekday_names},
};

static const struct {
    const char *name, *expr;
} macros[] = {
    {"@hourly", "0 * * * *"},   {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
    {"@weekly", "0 0 * * 0"},   {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
};

/* Reads a number or a name at *p (within [*p, end)).  Returns 0 or -1 with
 * err set. */
static int parse_value(const char **p, const char *end, const struct field *f, int *out, char *err,
                       size_t errlen)
{
    const char *s = *p;
    if (s < end && isdigit((unsigned char)*s)) {
        int v = 0;
        for (; s < end && isdigit((unsigned char)*s); s++)
            v = v > 1000 ? v : v * 10 + (*s - '0'); /* saturates; the check below reports it */
        if (v < f->lo || v > f->hi) {
            int len = (int)(s - *p);
            seterr(err, errlen, "%s: value %.*s is out of range %d-%d", f->name,
                   len > 16 ? 16 : len, *p, f->lo, f->hi);
            return -1;
        }
        *out = v;
        *p = s;
        return 0;
    }
    const char *w = s;
    while (s < end && isalpha((unsigned char)*s))
        s++;
    if (s == w) {
        if (w < end)
            seterr(err, errlen, "%s: unexpected '%c'", f->name, *w);
        else
            seterr(err, errlen, "%s: missing value", f->name);
        return -1;
    }
    for (int i = 0; f->names && f->names[i]; i++) {
        if (s - w == 3 && strncasecmp(w, f->names[i], 3) == 0) {
            *out = f->lo + i;
            *p = s;
            return 0;
        }
    }
    seterr(err, errlen, "%s: unknown name \"%.*s\"", f->name, (int)(s - w > 16 ? 16 : s - w), w);
    return -1;
}

/* Parses one list item in [s, end) into *bits. */
static int parse_item(const char *s, const char *end, const struct field *f, uint64_t *bits,
                      int *last, char *err, size_t errlen)
{
    if (s == end) {
        seterr(err, errlen, "%s: empty list item", f->name);
        return -1;
    }
    if (end - s == 1 && (*s == 'L' || *s == 'l')) {
        if (f != &fields[F_DOM]) {
            seterr(err, errlen, "%s: L is only allowed in day-of-month", f->name);
            return -1;
        }
        *last = 1;
        return 0;
    }
    int lo, hi, step = 1;
    if (*s == '*') {
        s++;
        /* Weekday 7 only aliases Sunday; a star stops at Saturday. */
        lo = f->lo;
        hi = f == &fields[F_DOW] ? 6 : f->hi;
    } else {
        if (parse_value(&s, end, f, &lo, err, errlen) < 0) return -1;
        hi = lo;
        if (s < end && *s == '-') {
            s++;
            if (parse_value(&s, end, f, &hi, err, errlen) < 0) return -1;
            if (hi < lo) {
                seterr(err, errlen, "%s: range %d-%d runs backwards", f->name, lo, hi);
                return -1;
            }
        } else if (s < end && *s == '/') {
            /* "a/n" runs from a to the end: Saturday for weekdays, unless a
             * is 7 (Sunday), which must not leave an empty range. */
            hi = f == &fields[F_DOW] && lo < 7 ? 6 : f->hi;
        }
    }
    if (s < end && *s == '/') {
        s++;
        if (s == end || !isdigit((unsigned char)*s)) {
            seterr(err, errlen, "%s: step needs a number", f->name);
            return -1;
        }
        step = 0;
        for (; s < end && isdigit((unsigned char)*s); s++)
            step = step * 10 + (*s - '0') > 1000 ? 1000 : step * 10 + (*s - '0');
        if (step < 1 || step > f->hi) {
            seterr(err, errlen, "%s: step %d is out of range 1-%d", f->name, step, f->hi);
            return -1;
        }
    }
    if (s < end) {
        seterr(err, errlen, "%s: unexpected '%c'", f->name, *s);
        return -1;
    }
    for (int v = lo; v <= hi; v += step)
        *bits |= (uint64_t)1 << (f == &fields[F_DOW] && v == 7 ? 0 : v);
    return 0;
}

static int parse_field(const char *s, const char *end, const struct field *f, uint64_t *bits,
                       int *last, char *err, size_t errlen)
{
    *bits = 0;
    for (;;) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *stop = comma ? comma : end;
        if (parse_item(s, stop, f, bits, last, err, errlen) < 0) return -1;
        if (!comma) return 0;
        s = comma + 1;
    }
}

int kith_cron_parse(const char *expr, kith_cron *out, char *err, size_t errlen)
{
    if (!expr || !out) {
        seterr(err, errlen, "missing cron expression");
        return KITH_EPARAMS;
    }
    while (isspace((unsigned char)*expr))
        expr++;
    if (*expr == '@') {
        size_t n = strcspn(expr, " \t\r\n");
        for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++) {
            if (n == strlen(macros[i].name) && strncasecmp(expr, macros[i].name, n) == 0) {
                const char *rest = expr + n;
                while (isspace((unsigned char)*rest))
                    rest++;
                if (*rest) {
                    seterr(err, errlen, "%s must stand alone", macros[i].name);
                    return KITH_EPARAMS;
                }
                return kith_cron_parse(macros[i].expr, out, err, errlen);
            }
        }
        seterr(err, errlen,
               "unknown macro \"%.*s\" (expected @hourly, @daily, @weekly, @monthly, @yearly or "
               "@annually)",
               (int)(n > 16 ? 16 : n), expr);
        return KITH_EPARAMS;
    }
    const char *start[6], *stop[6];
    int n = 0;
    for (const char *s = expr; *s && n < 6;) {
        start[n] = s;
        while (*s && !isspace((unsigned char)*s))
            s++;
        stop[n++] = s;
        while (isspace((unsigned char)*s))
            s++;
    }
    if (n != 5) {
        seterr(err, errlen,
               "expected 5 fields (minute hour day-of-month month day-of-week), got %s%d",
               n == 6 ? "more than " : "", n == 6 ? 5 : n);
        return KITH_EPARAMS;
    }
    uint64_t bits[5];
    int last = 0;
    for (int i = 0; i < 5; i++)
        if (parse_field(start[i], stop[i], &fields[i], &bits[i], &last, err, errlen) < 0)
            return KITH_EPARAMS;
    memset(out, 0, sizeof *out);
    out->minutes = bits[F_MINUTE];
    out->hours = (uint32_t)bits[F_HOUR];
    out->days = (uint32_t)bits[F_DOM];
    out->months = (uint16_t)bits[F_MONTH];
    out->weekdays = (uint8_t)bits[F_DOW];
    out->flags = (uint8_t)((last ? KITH_CRON_LAST_DAY : 0) |
                           (*start[F_DOM] == '*' ? KITH_CRON_DOM_STAR : 0) |
                           (*start[F_DOW] == '*' ? KITH_CRON_DOW_STAR : 0));
    return 0;
}

/* ---- Wall-clock search --------------------------------------------------------------------- */

static int days_in_month(int64_t y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return dm[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

/* Howard Hinnant's days-to-date conversion, the inverse of
 * kith_time_days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int day_matches(const kith_cron *c, int64_t y, int m, int d, int64_t days)
{
    int weekday = (int)(days + 4 - floor_div(days + 4, 7) * 7); /* 1970-01-01 was a Thursday */
    int dom = (c->days >> d & 1) || ((c->flags & KITH_CRON_LAST_DAY) && d == days_in_month(y, m));
    int dow = c->weekdays >> weekday & 1;
    if (c->flags & (KITH_CRON_DOM_STAR | KITH_CRON_DOW_STAR)) return dom && dow;
    return dom || dow;
}

/* The lowest set bit of `mask` at or above `from`, or -1. */
static int next_bit(uint64_t mask, int from)
{
    for (int i = from; i < 64; i++)
        if (mask >> i & 1) return i;
    return -1;
}

/* The first matching wall-clock minute strictly after `after` (local
 * seconds) and not beyond `limit`.  Returns 0 and sets *out, or -1. */
static int next_slot(const kith_cron *c, int64_t after, int64_t limit, int64_t *out)
{
    int64_t t = floor_div(after, MINUTE) * MINUTE + MINUTE;
    int64_t days = floor_div(t, DAY), y;
    int m, d, h = (int)(t - days * DAY) / HOUR, mi = (int)(t - days * DAY) % HOUR / MINUTE;
    civil_from_days(days, &y, &m, &d);
    while (days * DAY <= limit) {
        int next_day = 0;
        if (!(c->months >> m & 1)) {
            /* Jump to the first of the next month. */
            days += days_in_month(y, m) - d + 1;
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
            h = mi = 0;
            continue;
        }
        if (!day_matches(c, y, m, d, days)) {
            next_day = 1;
        } else {
            int nh = next_bit(c->hours, h);
            if (nh < 0) {
                next_day = 1;
            } else {
                if (nh != h) mi = 0;
                h = nh;
                int nm = next_bit(c->minutes, mi);
                if (nm >= 0) {
                    int64_t slot = days * DAY + h * HOUR + nm * MINUTE;
                    if (slot > limit) return -1;
                    *out = slot;
                    return 0;
                }
                mi = 0;
                if (++h == 24) next_day = 1;
            }
        }
        if (next_day) {
            days++;
            h = mi = 0;
            if (++d > days_in_month(y, m)) {
                d = 1;
                if (++m > 12) {
                    m = 1;
                    y++;
                }
            }
        }
    }
    return -1;
}

int kith_cron_next(const kith_cron *c, const kith_tz *tz, int64_t after_ms, int64_t *next_ms)
{
    if (!c || !next_ms || !in_range(after_ms)) return KITH_EPARAMS;
    int64_t after = floor_div(after_ms, 1000);
    int wall_clock = (c->hours & ALL_HOURS) != ALL_HOURS; /* note 1 vs note 2 */

    /* Note 4: the lowest slot worth looking at. */
    int32_t min_off = kith_tz_offset(tz, after);
    for (int64_t t = after, at; kith_tz_next_transition(tz, t, &at) && at <= after + 54 * HOUR;
         t = at) {
        int32_t off = kith_tz_offset(tz, at);
        if (off < min_off) min_off = off;
    }
    int64_t slot = after + min_off - 1;
    int64_t limit = after + kith_tz_offset(tz, after) + (int64_t)KITH_CRON_HORIZON_DAYS * DAY;

    int64_t best = 0, scan_until = 0;
    int found = 0;
    while (next_slot(c, slot, limit, &slot) == 0 && (!found || slot < scan_until)) {
        int64_t u[2];
        int n = kith_tz_local_to_utc(tz, slot, u);
        /* Which of the slot's instants run: see notes 1 and 2.  In a gap u[0]
         * is the transition instant. */
        int runs = n == 0 ? wall_clock : n == 2 && wall_clock ? 1 : n;
        for (int i = 0; i < runs; i++) {
            if (u[i] <= after) continue;
            if (!found) {
                found = 1;
                best = u[i];
                /* Note 3: only a second occurrence needs a look further. */
                scan_until = n == 2 && i == 1 ? slot + (u[1] - u[0]) : slot;
            } else if (u[i] < best) {
                best = u[i];
            }
            break;
        }
    }
    if (!found) return KITH_ENOTFOUND;
    *next_ms = best * 1000;
    return 0;
}

int kith_every_next(int64_t anchor_ms, int64_t period_ms, int64_t after_ms, int64_t *next_ms)
{
    if (!next_ms || period_ms <= 0 || !in_range(anchor_ms) || !in_range(after_ms))
        return KITH_EPARAMS;
    if (after_ms < anchor_ms) {
        *next_ms = anchor_ms;
        return 0;
    }
    /* Both times are in range, so the difference cannot overflow; the step to
     * the next multiple is at most one period. */
    int64_t ahead = period_ms - (after_ms - anchor_ms) % period_ms;
    if (ahead > KITH_CRON_MAX_MS) return KITH_EPARAMS;
    *next_ms = after_ms + ahead;
    return 0;
}
