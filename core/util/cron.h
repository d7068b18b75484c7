/*
 * Schedule arithmetic for the durable scheduler: five-field cron expressions
 * evaluated in a zone's wall-clock time, and fixed `every` periods.  Pure
 * functions: parsing a string into a kith_cron value, and finding the next
 * firing time after an instant.  Storing schedules, timers and running jobs
 * belong to sched/ and store/.
 *
 * Cron grammar: "minute hour day-of-month month day-of-week", fields
 * separated by blanks.  A field is a comma list of items; an item is `*`, a
 * number, a range `a-b`, or either followed by a step `/n`; `a/n` means
 * `a-<field max>/n`.  Months take JAN-DEC and weekdays SUN-SAT (any case,
 * also inside ranges such as MON-FRI); weekday 7 is Sunday like 0.  Ranges
 * must run upwards (FRI-MON is an error).  Extensions: `L` as an item of
 * day-of-month means the last day of the month ("0 9 L * *", "0 9 15,L * *"),
 * and the macros @hourly, @daily (@midnight), @weekly, @monthly, @yearly
 * (@annually).
 *
 * Day matching follows Vixie cron: when both day fields are restricted a day
 * matches if EITHER matches ("0 0 13 * FRI" is every 13th and every Friday);
 * when either begins with `*` (a plain `*`, or `*` with a step) both must
 * match.  `L` counts as a restriction.
 */
#ifndef KITH_UTIL_CRON_H
#define KITH_UTIL_CRON_H

#include <stddef.h>
#include <stdint.h>

#include "util/tz.h"

/* A parsed expression: a plain value, copy it freely.  Bit i of each mask
 * stands for the value i (days and months count from 1, weekdays from 0 =
 * Sunday). */
typedef struct kith_cron {
    uint64_t minutes;
    uint32_t hours;
    uint32_t days;
    uint16_t months;
    uint8_t weekdays;
    uint8_t flags; /* KITH_CRON_* */
} kith_cron;

#define KITH_CRON_LAST_DAY 0x01 /* `L` in day-of-month */
#define KITH_CRON_DOM_STAR 0x02 /* day-of-month begins with `*` */
#define KITH_CRON_DOW_STAR 0x04 /* day-of-week begins with `*` */

/* How far ahead kith_cron_next looks: enough for Feb 29 across a skipped
 * leap year (2096-02-29 to 2104-02-29). */
#define KITH_CRON_HORIZON_DAYS (9 * 366)

/* The largest |time| accepted, in ms: the end of year 9999.  Keeps every
 * intermediate sum far from overflow. */
#define KITH_CRON_MAX_MS 253402300800000LL

/* Parses `expr` into *out.  Returns 0, or KITH_EPARAMS with a message in err
 * (errlen bytes, may be 0) naming the field and the problem, e.g.
 * "minute: value 60 is out of range 0-59".  No allocation. */
int kith_cron_parse(const char *expr, kith_cron *out, char *err, size_t errlen);

/* Finds the first instant strictly after `after_ms` (UTC ms) at which `c`
 * fires, reading the fields in the wall-clock time of `tz` (borrowed; NULL =
 * UTC).  Daylight-saving rules (DESIGN NOTES in cron.c):
 *  - a schedule with a restricted hour field ("30 2 * * *") fires once per
 *    matching wall-clock slot: a slot that falls in a spring-forward gap runs
 *    at the first instant after the gap, and a slot in the repeated autumn
 *    hour runs at its first occurrence only;
 *  - a schedule whose hour field matches every hour ("0,30 * * * *",
 *    @hourly) follows elapsed time: it fires at every real instant whose
 *    wall-clock reading matches, so both passes of the repeated hour run and
 *    readings inside a gap, which no instant has, do not.
 * Returns 0 and sets *next_ms (a whole second, usually a whole minute), or
 * KITH_ENOTFOUND when nothing fires within KITH_CRON_HORIZON_DAYS (e.g.
 * "0 0 30 2 *"), or KITH_EPARAMS when |after_ms| passes KITH_CRON_MAX_MS. */
int kith_cron_next(const kith_cron *c, const kith_tz *tz, int64_t after_ms, int64_t *next_ms);

/* The `every` schedule: sets *next_ms to the first anchor_ms + k * period_ms
 * (k >= 0) strictly after after_ms, so the anchor itself is the first run.
 * Returns 0, or KITH_EPARAMS when period_ms <= 0, when |anchor_ms| or
 * |after_ms| passes KITH_CRON_MAX_MS, or when the answer would lie more than
 * KITH_CRON_MAX_MS after after_ms. */
int kith_every_next(int64_t anchor_ms, int64_t period_ms, int64_t after_ms, int64_t *next_ms);

#endif
