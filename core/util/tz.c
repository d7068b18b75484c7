/*
 * See tz.h.  A TZif file (RFC 8536) is read whole and parsed from memory; of
 * a version 2+ file only the 64-bit section and the footer are used, the
 * 32-bit section being a lossy copy kept for old readers.  After the last
 * listed transition the footer's POSIX TZ rule takes over; Debian's "fat"
 * files list transitions up to 2037, slim ones stop at the last rule change,
 * and both are handled the same way.
 *
 * Leap-second ("right/") zones are refused: their clock is not UTC, and a
 * scheduler has no use for them.  Every instant passed to the rule is
 * clamped to about 35,000 years either side of 1970 so that the calendar arithmetic cannot
 * overflow on hostile input.
 */
#include "util/tz.h"
#include "util/timefmt.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DAY  86400
#define HOUR 3600
/* No real offset reaches 26 hours; anything beyond marks a corrupt file. */
#define MAX_OFFSET (26 * HOUR)
/* local_to_utc looks this far either side: wider than any offset. */
#define WINDOW (MAX_OFFSET + HOUR)
/* Rule evaluation clamps instants to +-2^40 s. */
#define SPAN          ((int64_t)1 << 40)
#define MAX_FILE      (1 << 20)
#define DEFAULT_TZDIR "/usr/share/zoneinfo"

/* One end of daylight time in a POSIX rule: a day of the year and a local
 * time of day.  Kinds: 'J' Julian day 1..365 that never counts Feb 29, 'D'
 * zero-based day 0..365 that does, 'M' weekday `wday` of week `week` (5 =
 * last) of `month`. */
struct rule_date {
    char kind;
    int day, month, week, wday;
    int32_t time; /* seconds after local midnight, -167h..167h */
};

struct posix_rule {
    int32_t std_off, dst_off; /* seconds east of UTC */
    int has_dst;
    struct rule_date start, end; /* start in standard time, end in daylight time */
};

struct kith_tz {
    char name[KITH_TZ_NAME_MAX + 1];
    int32_t initial_off; /* before the first transition: time type 0 */
    size_t ntrans;
    int64_t *trans_at;  /* ascending UTC seconds */
    int32_t *trans_off; /* offset from trans_at[i] on */
    int has_rule;       /* the footer rule governs after the last transition */
    struct posix_rule rule;
    kith_tz *cache_next;
};

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

static int64_t clamp(int64_t t)
{
    return t < -SPAN ? -SPAN : t > SPAN ? SPAN : t;
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The proleptic Gregorian year holding day `days` since the epoch. */
static int64_t year_of_day(int64_t days)
{
    int64_t y = 1970 + floor_div(days * 400, 146097);
    while (kith_time_days_from_civil(y, 1, 1) > days)
        y--;
    while (kith_time_days_from_civil(y + 1, 1, 1) <= days)
        y++;
    return y;
}

/* ---- POSIX TZ rules ------------------------------------------------------------------------ */

/* An abbreviation: three or more letters, or <...> holding letters, digits
 * and signs (as in "<+0330>"). */
static int parse_abbr(const char **p)
{
    const char *s = *p;
    size_t n = 0;
    if (*s == '<') {
        for (s++; isalnum((unsigned char)*s) || *s == '+' || *s == '-'; s++)
            n++;
        if (*s++ != '>') return -1;
    } else {
        for (; isalpha((unsigned char)*s); s++)
            n++;
    }
    if (n < 3) return -1;
    *p = s;
    return 0;
}

/* A decimal number in [lo, hi]. */
static int parse_num(const char **p, int lo, int hi, int *out)
{
    const char *s = *p;
    int v = 0;
    if (!isdigit((unsigned char)*s)) return -1;
    for (; isdigit((unsigned char)*s); s++) {
        v = v * 10 + (*s - '0');
        if (v > hi) return -1;
    }
    if (v < lo) return -1;
    *out = v;
    *p = s;
    return 0;
}

/* [+-]hh[:mm[:ss]] with hh <= max_hours, into signed seconds. */
static int parse_hms(const char **p, int max_hours, int32_t *out)
{
    const char *s = *p;
    int sign = 1;
    if (*s == '+' || *s == '-') sign = *s++ == '-' ? -1 : 1;
    int h;
    if (parse_num(&s, 0, max_hours, &h) < 0) return -1;
    int part[2] = {0, 0};
    for (int i = 0; i < 2 && *s == ':'; i++) {
        if (!isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2])) return -1;
        part[i] = (s[1] - '0') * 10 + (s[2] - '0');
        if (part[i] > 59) return -1;
        s += 3;
    }
    *out = sign * (h * HOUR + part[0] * 60 + part[1]);
    *p = s;
    return 0;
}

static int parse_date(const char **p, struct rule_date *d)
{
    const char *s = *p;
    memset(d, 0, sizeof *d);
    if (*s == 'J') {
        s++;
        d->kind = 'J';
        if (parse_num(&s, 1, 365, &d->day) < 0) return -1;
    } else if (*s == 'M') {
        s++;
        d->kind = 'M';
        if (parse_num(&s, 1, 12, &d->month) < 0 || *s++ != '.' ||
            parse_num(&s, 1, 5, &d->week) < 0 || *s++ != '.' || parse_num(&s, 0, 6, &d->wday) < 0)
            return -1;
    } else {
        d->kind = 'D';
        if (parse_num(&s, 0, 365, &d->day) < 0) return -1;
    }
    d->time = 2 * HOUR;
    /* RFC 8536 extends POSIX here: hours up to 167 and a sign, so a rule can
     * say "the Saturday before the last Sunday, at 24:00" (e.g. "M3.5.0/-2"). */
    if (*s == '/') {
        s++;
        if (parse_hms(&s, 167, &d->time) < 0) return -1;
    }
    *p = s;
    return 0;
}

static int parse_rule(const char *spec, struct posix_rule *r)
{
    const char *s = spec;
    int32_t west;
    memset(r, 0, sizeof *r);
    /* POSIX counts offsets west of Greenwich; the rest of Kith counts east. */
    if (parse_abbr(&s) < 0 || parse_hms(&s, 24, &west) < 0) return -1;
    r->std_off = -west;
    r->dst_off = r->std_off;
    if (*s == '\0') return 0;
    if (parse_abbr(&s) < 0) return -1;
    r->has_dst = 1;
    r->dst_off = r->std_off + HOUR;
    if (*s != ',' && *s != '\0') {
        if (parse_hms(&s, 24, &west) < 0) return -1;
        r->dst_off = -west;
    }
    if (*s == '\0') {
        /* POSIX leaves the dates to the implementation; tzcode uses the
         * current US rule, and so do we. */
        s = ",M3.2.0,M11.1.0";
    }
    if (*s++ != ',' || parse_date(&s, &r->start) < 0 || *s++ != ',' || parse_date(&s, &r->end) < 0)
        return -1;
    return *s == '\0' ? 0 : -1;
}

/* Day (since the epoch) on which `d` falls in year `y`. */
static int64_t rule_day(const struct rule_date *d, int64_t y)
{
    int64_t jan1 = kith_time_days_from_civil(y, 1, 1);
    if (d->kind == 'J') return jan1 + d->day - 1 + (is_leap(y) && d->day >= 60);
    if (d->kind == 'D') return jan1 + d->day;
    int64_t first = kith_time_days_from_civil(y, (unsigned)d->month, 1);
    int64_t next = d->month == 12 ? kith_time_days_from_civil(y + 1, 1, 1)
                                  : kith_time_days_from_civil(y, (unsigned)d->month + 1, 1);
    int64_t wd = first + 4 - floor_div(first + 4, 7) * 7; /* 1970-01-01 was a Thursday */
    int64_t day = first + (d->wday - wd + 7) % 7 + 7 * (d->week - 1);
    while (day >= next)
        day -= 7; /* week 5 means the last such weekday */
    return day;
}

struct edge {
    int64_t at;
    int to_dst;
};

/* The rule's transitions in years y0 .. y0+years-1, ascending.  When an end
 * and a start coincide (daylight time all year, "J365/25" style), the end
 * sorts first so that the start wins at that instant. */
static int rule_edges(const struct posix_rule *r, int64_t y0, int years, struct edge *e)
{
    int n = 0;
    for (int64_t y = y0; y < y0 + years; y++) {
        e[n++] = (struct edge){rule_day(&r->start, y) * DAY + r->start.time - r->std_off, 1};
        e[n++] = (struct edge){rule_day(&r->end, y) * DAY + r->end.time - r->dst_off, 0};
    }
    for (int i = 1; i < n; i++) {
        struct edge x = e[i];
        int j = i;
        for (; j > 0 && (e[j - 1].at > x.at || (e[j - 1].at == x.at && e[j - 1].to_dst > x.to_dst));
             j--)
            e[j] = e[j - 1];
        e[j] = x;
    }
    return n;
}

static int32_t rule_offset(const struct posix_rule *r, int64_t t)
{
    if (!r->has_dst) return r->std_off;
    t = clamp(t);
    struct edge e[6];
    int n = rule_edges(r, year_of_day(floor_div(t + r->std_off, DAY)) - 1, 3, e);
    int i = n - 1;
    while (i >= 0 && e[i].at > t)
        i--;
    /* Before the earliest edge the clock is in the state that edge leaves. */
    int dst = i >= 0 ? e[i].to_dst : !e[0].to_dst;
    return dst ? r->dst_off : r->std_off;
}

static int rule_next(const struct posix_rule *r, int64_t t, int64_t *at)
{
    if (!r->has_dst || t >= SPAN) return 0;
    t = clamp(t);
    struct edge e[8];
    int n = rule_edges(r, year_of_day(floor_div(t, DAY)) - 1, 4, e);
    for (int i = 0; i < n; i++) {
        if (e[i].at > t && rule_offset(r, e[i].at) != rule_offset(r, e[i].at - 1)) {
            *at = e[i].at;
            return 1;
        }
    }
    return 0; /* daylight time all year: the edges never change the offset */
}

/* ---- TZif ---------------------------------------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_header {
    size_t isut, isstd, leap, time, type, chars;
};

/* Reads a 44-byte header at buf; returns -1 unless it is one. */
static int read_header(const unsigned char *buf, size_t len, struct tzif_header *h)
{
    if (len < 44 || memcmp(buf, "TZif", 4) != 0) return -1;
    size_t *c[6] = {&h->isut, &h->isstd, &h->leap, &h->time, &h->type, &h->chars};
    for (int i = 0; i < 6; i++) {
        uint32_t v = be32(buf + 20 + 4 * i);
        if (v > (1u << 20)) return -1; /* keeps the size arithmetic below far from overflow */
        *c[i] = v;
    }
    return 0;
}

static size_t block_size(const struct tzif_header *h, size_t timesz)
{
    return h->time * timesz + h->time + h->type * 6 + h->chars + h->leap * (timesz + 4) + h->isstd +
           h->isut;
}

static kith_tz *parse_tzif(const char *name, const unsigned char *buf, size_t len, char *err,
                           size_t errlen)
{
    struct tzif_header h;
    if (read_header(buf, len, &h) < 0) {
        seterr(err, errlen, "\"%s\" is not a TZif time zone file", name);
        return NULL;
    }
    size_t timesz = 4, at = 44;
    char spec[256] = ""; /* the footer's POSIX rule; real ones are under 64 bytes */
    if (buf[4] >= '2') {
        /* Skip the 32-bit block; the 64-bit one follows with its own header. */
        at += block_size(&h, 4);
        if (at > len || read_header(buf + at, len - at, &h) < 0) goto corrupt;
        at += 44;
        timesz = 8;
        size_t end = at + block_size(&h, 8);
        if (end >= len || buf[end] != '\n') goto corrupt;
        const char *footer = (const char *)buf + end + 1;
        const char *nl = memchr(footer, '\n', len - end - 1);
        if (!nl || (size_t)(nl - footer) >= sizeof spec) goto corrupt;
        memcpy(spec, footer, (size_t)(nl - footer));
        spec[nl - footer] = '\0';
    }
    if (block_size(&h, timesz) > len - at || h.type == 0) goto corrupt;
    if (h.leap > 0) {
        seterr(err, errlen, "\"%s\" counts leap seconds; use the zone without \"right/\"", name);
        return NULL;
    }
    const unsigned char *times = buf + at, *idx = times + h.time * timesz;
    const unsigned char *types = idx + h.time;
    for (size_t i = 0; i < h.type; i++) {
        int32_t off = (int32_t)be32(types + 6 * i);
        if (off < -MAX_OFFSET || off > MAX_OFFSET) goto corrupt;
    }

    kith_tz *tz = calloc(1, sizeof *tz);
    if (!tz) goto nomem;
    snprintf(tz->name, sizeof tz->name, "%s", name);
    tz->initial_off = (int32_t)be32(types);
    tz->ntrans = h.time;
    if (h.time > 0) {
        tz->trans_at = malloc(h.time * (sizeof(int64_t) + sizeof(int32_t)));
        if (!tz->trans_at) {
            free(tz);
            goto nomem;
        }
        tz->trans_off = (int32_t *)(tz->trans_at + h.time);
    }
    for (size_t i = 0; i < h.time; i++) {
        const unsigned char *p = times + i * timesz;
        tz->trans_at[i] = timesz == 8 ? be64(p) : (int32_t)be32(p);
        if (idx[i] >= h.type || (i > 0 && tz->trans_at[i] <= tz->trans_at[i - 1])) {
            kith_tz_free(tz);
            goto corrupt;
        }
        tz->trans_off[i] = (int32_t)be32(types + 6 * idx[i]);
    }
    if (spec[0]) {
        if (parse_rule(spec, &tz->rule) < 0) {
            seterr(err, errlen, "\"%s\": unsupported TZ rule \"%s\"", name, spec);
            kith_tz_free(tz);
            return NULL;
        }
        tz->has_rule = 1;
    }
    return tz;

corrupt:
    seterr(err, errlen, "\"%s\": corrupt TZif file", name);
    return NULL;
nomem:
    seterr(err, errlen, "out of memory");
    return NULL;
}

/* ---- Loading ------------------------------------------------------------------------------- */

/* User-supplied names reach the file system, so only the IANA alphabet is
 * allowed, and never an absolute path or a step up. */
static int valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > KITH_TZ_NAME_MAX || name[0] == '/' || strstr(name, "..")) return 0;
    for (const char *s = name; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_+/-", *s)) return 0;
    return 1;
}

/* Reads a regular file of at most MAX_FILE bytes.  Returns 0, or an errno. */
static int read_file(const char *path, unsigned char **out, size_t *outlen)
{
    FILE *f = fopen(path, "rbe"); /* "e" (glibc): close-on-exec, so no child inherits it */
    if (!f) return errno;
    struct stat st;
    unsigned char *buf = NULL;
    int rc = fstat(fileno(f), &st) < 0 ? errno : 0;
    if (rc == 0 && (!S_ISREG(st.st_mode) || st.st_size > MAX_FILE)) rc = EINVAL;
    if (rc == 0 && !(buf = malloc((size_t)st.st_size + 1))) rc = ENOMEM;
    if (rc == 0 && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) rc = EIO;
    fclose(f);
    if (rc) {
        free(buf);
        buf = NULL;
    }
    *out = buf;
    *outlen = rc ? 0 : (size_t)st.st_size;
    return rc;
}

kith_tz *kith_tz_load(const char *name, char *err, size_t errlen)
{
    if (!name || !valid_name(name)) {
        seterr(err, errlen, "invalid time zone name (expected an IANA name like Europe/Paris)");
        return NULL;
    }
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir) dir = DEFAULT_TZDIR;
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
        seterr(err, errlen, "time zone path too long");
        return NULL;
    }
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len);
    if (rc == 0) {
        kith_tz *tz = parse_tzif(name, buf, len, err, errlen);
        free(buf);
        return tz;
    }
    if (strcmp(name, "UTC") == 0) {
        /* The one zone a server must have even on a system without tzdata. */
        kith_tz *utc = kith_tz_from_posix("UTC0", err, errlen);
        if (utc) snprintf(utc->name, sizeof utc->name, "UTC");
        return utc;
    }
    if (rc == ENOENT || rc == ENOTDIR || rc == EINVAL)
        seterr(err, errlen, "unknown time zone \"%s\"", name);
    else
        seterr(err, errlen, "cannot read time zone \"%s\": %s", name, strerror(rc));
    return NULL;
}

kith_tz *kith_tz_from_posix(const char *spec, char *err, size_t errlen)
{
    struct posix_rule r;
    if (!spec || strlen(spec) > KITH_TZ_NAME_MAX || parse_rule(spec, &r) < 0) {
        seterr(err, errlen, "invalid POSIX TZ rule \"%.64s\"", spec ? spec : "");
        return NULL;
    }
    kith_tz *tz = calloc(1, sizeof *tz);
    if (!tz) {
        seterr(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(tz->name, sizeof tz->name, "%s", spec);
    tz->initial_off = r.std_off;
    tz->rule = r;
    tz->has_rule = 1;
    return tz;
}

void kith_tz_free(kith_tz *tz)
{
    if (!tz) return;
    free(tz->trans_at); /* trans_off shares this block */
    free(tz);
}

const char *kith_tz_name(const kith_tz *tz)
{
    return tz ? tz->name : "UTC";
}

/* ---- Queries ------------------------------------------------------------------------------- */

/* The number of listed transitions at or before t. */
static size_t count_until(const kith_tz *tz, int64_t t)
{
    size_t lo = 0, hi = tz->ntrans;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans_at[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int kith_tz_offset(const kith_tz *tz, int64_t t)
{
    if (!tz) return 0;
    size_t n = tz->ntrans;
    if (n == 0) return tz->has_rule ? rule_offset(&tz->rule, t) : tz->initial_off;
    if (t > tz->trans_at[n - 1] && tz->has_rule) return rule_offset(&tz->rule, t);
    size_t i = count_until(tz, t);
    return i == 0 ? tz->initial_off : tz->trans_off[i - 1];
}

int kith_tz_next_transition(const kith_tz *tz, int64_t t, int64_t *at)
{
    if (!tz) return 0;
    size_t n = tz->ntrans;
    int32_t prev = kith_tz_offset(tz, t);
    for (size_t i = count_until(tz, t); i < n; i++) {
        if (tz->trans_off[i] != prev) {
            *at = tz->trans_at[i];
            return 1;
        }
    }
    if (!tz->has_rule) return 0;
    return rule_next(&tz->rule, n > 0 && tz->trans_at[n - 1] > t ? tz->trans_at[n - 1] : t, at);
}

int kith_tz_local_to_utc(const kith_tz *tz, int64_t local, int64_t out[2])
{
    local = clamp(local);
    if (!tz) {
        out[0] = local;
        return 1;
    }
    /* Walk the periods of constant offset that overlap the window; in each,
     * the reading maps to local - offset, which counts only when it falls
     * inside that period. */
    int64_t from = local - WINDOW, to = local + WINDOW, gap_at = local;
    int32_t off = kith_tz_offset(tz, from);
    int n = 0;
    for (;;) {
        int64_t end;
        int more = kith_tz_next_transition(tz, from, &end) && end <= to;
        int64_t u = local - off;
        if (u >= from && (!more || u < end)) {
            if (n < 2)
                out[n++] = u;
            else
                out[1] = u; /* never seen in real zones: keep the first and last */
        }
        if (!more) break;
        int32_t next_off = kith_tz_offset(tz, end);
        if (next_off > off && local >= end + off && local < end + next_off) gap_at = end;
        from = end;
        off = next_off;
    }
    if (n == 0) out[0] = gap_at;
    return n;
}

/* ---- Cache --------------------------------------------------------------------------------- */

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static kith_tz *cache_head;

const kith_tz *kith_tz_get(const char *name, char *err, size_t errlen)
{
    pthread_mutex_lock(&cache_lock);
    kith_tz *tz = cache_head;
    while (tz && name && strcmp(tz->name, name) != 0)
        tz = tz->cache_next;
    if (!tz && (tz = kith_tz_load(name, err, errlen))) {
        tz->cache_next = cache_head;
        cache_head = tz;
    }
    pthread_mutex_unlock(&cache_lock);
    return tz;
}

void kith_tz_cache_clear(void)
{
    pthread_mutex_lock(&cache_lock);
    while (cache_head) {
        kith_tz *next = cache_head->cache_next;
        kith_tz_free(cache_head);
        cache_head = next;
    }
    pthread_mutex_unlock(&cache_lock);
}
