/*
 * Business-hours calendars for SLA deadlines: "4h" of response time counts
 * only the hours a team works.  A calendar is a zone, a set of weekdays, one
 * daily window of wall-clock time and a short list of holidays, e.g.
 *   tz = "Asia/Shanghai", days = "MON-FRI", hours = "09:00-18:00",
 *   holidays = {"2026-10-01", "2026-10-02"}
 * Pure functions: parsing those strings into a kith_bizcal value, adding
 * business time to an instant and measuring the business time between two
 * instants.  Pausing the clock while a ticket waits is the caller's sum of
 * kith_bizcal_elapsed over the spans it ran; policies, deadlines in the store
 * and the timers that fire them belong to the ticket code and sched/.
 *
 * Business time is real elapsed time during which the zone's wall clock
 * reads a time inside the window on a business day (a listed weekday that is
 * not a holiday).  The window is wall-clock time, so on the days clocks
 * change it lasts longer or shorter only when the change falls inside it: a
 * 09:00-18:00 window is 9 h on every day in Europe, while a 00:00-24:00
 * window is 23 h on the spring day and 25 h on the autumn day, and a
 * 01:00-04:00 window in New York is 2 h on the spring day (02:00-03:00 never
 * happens) and 4 h on the autumn day (01:00-02:00 happens twice).
 *
 * Times are ms since the epoch (UTC), as everywhere in Kith.
 */
#ifndef KITH_UTIL_BIZCAL_H
#define KITH_UTIL_BIZCAL_H

#include <stddef.h>
#include <stdint.h>

#include "util/tz.h"

/* Most holidays one calendar may list. */
#define KITH_BIZCAL_MAX_HOLIDAYS 64

/* How far past its start one computation looks, in days (about 20 years).
 * It bounds the work of a call, not the answer's precision below it. */
#define KITH_BIZCAL_HORIZON_DAYS (20 * 366)

/* kith_bizcal_add's answer when the deadline lies beyond the horizon: a
 * deadline that is never due. */
#define KITH_BIZCAL_NEVER INT64_MAX

/* The largest |time| accepted, in ms: the end of year 9999. */
#define KITH_BIZCAL_MAX_MS 253402300800000LL

/* A parsed calendar: a plain value, copy it freely.  The zone is borrowed
 * from kith_tz_get's cache and stays valid until kith_tz_cache_clear. */
typedef struct kith_bizcal {
    const kith_tz *tz; /* NULL = UTC */
    uint8_t days;      /* bit i stands for weekday i, 0 = Sunday; never 0 */
    /* The window [start_min, end_min) in minutes after local midnight:
     * 0 <= start_min < end_min <= 1440. */
    int16_t start_min, end_min;
    uint8_t nholidays;
    /* Local dates as days since 1970-01-01, ascending and distinct. */
    int32_t holidays[KITH_BIZCAL_MAX_HOLIDAYS];
} kith_bizcal;

/* Parses a calendar into *c:
 *   tz        an IANA zone name for kith_tz_get; NULL or "" means UTC;
 *   days      a comma list of weekdays (SUN MON TUE WED THU FRI SAT, any
 *             case) and ranges of them: "MON-FRI", "MON,WED,FRI",
 *             "SAT-SUN"; a range may wrap round the week ("FRI-MON" is
 *             Friday to Monday);
 *   hours     "HH:MM-HH:MM", start before end, the end may be "24:00"
 *             ("00:00-24:00" is the whole day); windows past midnight
 *             ("22:00-06:00") are not supported;
 *   holidays  nholidays local dates "YYYY-MM-DD" (NULL when 0), at most
 *             KITH_BIZCAL_MAX_HOLIDAYS; duplicates count once.
 * Returns 0, or KITH_EPARAMS with a one-line reason in err (errlen bytes,
 * may be 0) naming the field, e.g. `days: unknown day "MOM"`; *c is written
 * only on success.  Loads the zone into the shared cache; no other effects. */
int kith_bizcal_parse(kith_bizcal *c, const char *tz, const char *days, const char *hours,
                      const char *const *holidays, size_t nholidays, char *err, size_t errlen);

/* Returns the earliest instant at which `work_ms` of business time has
 * passed since `from_ms`: inside a window that is from_ms + work_ms, and
 * work that runs out exactly as a window closes is due at the close, not at
 * the next opening.  work_ms <= 0 gives from_ms itself, even outside
 * business hours.  c == NULL is a 24/7 calendar: plain addition (saturating
 * at KITH_BIZCAL_NEVER).  Returns KITH_BIZCAL_NEVER when the deadline lies
 * more than KITH_BIZCAL_HORIZON_DAYS after from_ms or when |from_ms| passes
 * KITH_BIZCAL_MAX_MS.  For every answer d other than NEVER,
 * kith_bizcal_elapsed(c, from_ms, d) == work_ms.  No side effects. */
int64_t kith_bizcal_add(const kith_bizcal *c, int64_t from_ms, int64_t work_ms);

/* Returns the business time, in ms, in [from_ms, to_ms); 0 when to_ms <=
 * from_ms.  c == NULL is a 24/7 calendar: to_ms - from_ms.  Both times are
 * clamped to +-KITH_BIZCAL_MAX_MS, and a span longer than
 * KITH_BIZCAL_HORIZON_DAYS counts only its first KITH_BIZCAL_HORIZON_DAYS.
 * No side effects. */
int64_t kith_bizcal_elapsed(const kith_bizcal *c, int64_t from_ms, int64_t to_ms);

#endif
