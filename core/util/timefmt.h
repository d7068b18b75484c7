/*
 * Time as the contract has it: milliseconds since the Unix epoch inside, ISO
 * 8601 in UTC with milliseconds on the wire ("2026-11-23T14:31:57.250Z").
 * Input accepts ISO 8601 with an offset or Z, and relative durations ("90s",
 * "15m", "2h", "3d", "1w") where the caller allows them.
 */
#ifndef KITH_UTIL_TIMEFMT_H
#define KITH_UTIL_TIMEFMT_H

#include <stdint.h>

#define KITH_TIME_BUFSZ 48

/* Wall-clock time now, in ms since the epoch. */
int64_t kith_time_now_ms(void);
/* Writes `ms` as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (KITH_TIME_BUFSZ bytes). */
void kith_time_format(int64_t ms, char out[KITH_TIME_BUFSZ]);
/* Parses an ISO 8601 date-time with Z or an offset (a bare date means
 * midnight UTC).  Returns 0 or KITH_EPARAMS. */
int kith_time_parse_iso(const char *s, int64_t *ms);
/* Parses "<digits><unit>" with unit s, m, h, d or w into milliseconds.
 * Returns 0 or KITH_EPARAMS. */
int kith_time_parse_duration(const char *s, int64_t *ms);
/* Days since the epoch for a proleptic Gregorian date (exported for tests). */
int64_t kith_time_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
