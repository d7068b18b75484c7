/*
 * See timefmt.h.  Calendar arithmetic is done by hand (days_from_civil) rather
 * than with timegm()/mktime(), so parsing never depends on the TZ variable.
 */
#include "util/timefmt.h"
#include "util/error.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t kith_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Howard Hinnant's civil-from-days algorithms, in 64-bit. */
int64_t kith_time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static char *put_digits(char *p, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

void kith_time_format(int64_t ms, char out[KITH_TIME_BUFSZ])
{
    /* Floor division by remainder, which cannot overflow at INT64_MIN (a
     * rule may hand any Lua integer to a time field). */
    int64_t secs = ms / 1000;
    int milli = (int)(ms % 1000);
    if (milli < 0) {
        milli += 1000;
        secs--;
    }
    int64_t days = secs / 86400;
    int sod = (int)(secs % 86400);
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        /* Outside four-digit years: rare enough for snprintf. */
        snprintf(out, KITH_TIME_BUFSZ, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
                 sod / 3600, sod / 60 % 60, sod % 60, milli);
        return;
    }
    /* By hand: times are formatted for every record and event, and
     * snprintf showed in profiles. */
    char *p = put_digits(out, (unsigned)y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, (unsigned)(sod / 3600), 2);
    *p++ = ':';
    p = put_digits(p, (unsigned)(sod / 60 % 60), 2);
    *p++ = ':';
    p = put_digits(p, (unsigned)(sod % 60), 2);
    *p++ = '.';
    p = put_digits(p, (unsigned)milli, 3);
    *p++ = 'Z';
    *p = '\0';
}

/* Reads exactly `n` digits; returns -1 when they are not all digits. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return v;
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : dm[m - 1];
}

int kith_time_parse_iso(const char *s, int64_t *ms)
{
    const char *p = s;
    int y = digits(&p, 4);
    if (y < 0 || *p++ != '-') return KITH_EPARAMS;
    int mo = digits(&p, 2);
    if (mo < 1 || mo > 12 || *p++ != '-') return KITH_EPARAMS;
    int d = digits(&p, 2);
    if (d < 1 || d > days_in_month(y, mo)) return KITH_EPARAMS;
    int h = 0, mi = 0, sec = 0, milli = 0, off = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        h = digits(&p, 2);
        if (h < 0 || h > 23 || *p++ != ':') return KITH_EPARAMS;
        mi = digits(&p, 2);
        if (mi < 0 || mi > 59) return KITH_EPARAMS;
        if (*p == ':') {
            p++;
            sec = digits(&p, 2);
            /* A leap second is folded into the next one. */
            if (sec < 0 || sec > 60) return KITH_EPARAMS;
            if (*p == '.' || *p == ',') {
                p++;
                int n = 0, scale = 100;
                while (isdigit((unsigned char)*p)) {
                    milli += (*p - '0') * scale;
                    scale /= 10;
                    p++;
                    n++;
                }
                if (n == 0) return KITH_EPARAMS;
            }
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1;
            int oh = digits(&p, 2);
            if (oh < 0 || oh > 23) return KITH_EPARAMS;
            if (*p == ':') p++;
            int om = digits(&p, 2);
            if (om < 0 || om > 59) return KITH_EPARAMS;
            off = sign * (oh * 60 + om);
        } else {
            /* A local time with no offset is ambiguous: the contract asks for
             * an offset, so we refuse rather than guess the zone. */
            return KITH_EPARAMS;
        }
    }
    if (*p != '\0') return KITH_EPARAMS;
    int64_t days = kith_time_days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - (int64_t)off * 60;
    *ms = secs * 1000 + milli;
    return 0;
}

int kith_time_parse_duration(const char *s, int64_t *ms)
{
    int64_t n = 0;
    const char *p = s;
    if (!isdigit((unsigned char)*p)) return KITH_EPARAMS;
    while (isdigit((unsigned char)*p)) {
        n = n * 10 + (*p++ - '0');
        if (n > 1000000000LL) return KITH_EPARAMS;
    }
    int64_t unit;
    switch (*p++) {
    case 's': unit = 1000; break;
    case 'm': unit = 60 * 1000; break;
    case 'h': unit = 3600 * 1000; break;
    case 'd': unit = 86400 * 1000; break;
    case 'w': unit = 7 * 86400 * 1000LL; break;
    default: return KITH_EPARAMS;
    }
    if (*p != '\0') return KITH_EPARAMS;
    *ms = n * unit;
    return 0;
}
