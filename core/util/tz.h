/*
 * Time zones for wall-clock schedules, read straight from the system's
 * zoneinfo (TZif files under $TZDIR, default /usr/share/zoneinfo).
 *
 * A zone is loaded once into an immutable kith_tz: the transition table of
 * the TZif file (its 64-bit section when the file has one) and the POSIX TZ
 * rule from its footer, which governs every instant after the last listed
 * transition.  Nothing here touches the TZ environment variable, tzset() or
 * localtime(), so a zone is a plain value that any thread may read.
 *
 * This module answers two questions only: which UTC offset is in effect at an
 * instant, and which instants carry a given local wall-clock time.  Calendar
 * fields, cron matching and formatting belong to cron.c and timefmt.c.
 * Times are whole seconds since the Unix epoch: "UTC seconds" count real
 * instants, "local seconds" are the wall-clock reading (UTC seconds plus the
 * offset) expressed on the same scale.
 */
#ifndef KITH_UTIL_TZ_H
#define KITH_UTIL_TZ_H

#include <stddef.h>
#include <stdint.h>

typedef struct kith_tz kith_tz;

/* Longest zone name accepted; IANA names are far shorter. */
#define KITH_TZ_NAME_MAX 128

/* Loads the zone `name`, an IANA name such as "Europe/Paris" or "UTC", from
 * $TZDIR (default /usr/share/zoneinfo).  Names must be relative, made of
 * [A-Za-z0-9_+/-] and free of "..": they come from users and must never
 * reach outside the zoneinfo folder.  "UTC" works even without tzdata.
 * Returns an owned zone (free with kith_tz_free), or NULL with a one-line
 * reason in err (errlen bytes, may be 0) when the name is invalid, unknown,
 * unreadable or not a TZif file.  Reads the file; no other side effects. */
kith_tz *kith_tz_load(const char *name, char *err, size_t errlen);

/* Builds a zone from a POSIX TZ rule alone, e.g. "CET-1CEST,M3.5.0,M10.5.0/3"
 * (the same grammar as a TZif footer: Jn, n and Mm.w.d dates, optional /time
 * of up to +-167 hours).  Returns an owned zone named after `spec` (free with
 * kith_tz_free), or NULL with a reason in err. */
kith_tz *kith_tz_from_posix(const char *spec, char *err, size_t errlen);

/* Frees a zone from kith_tz_load or kith_tz_from_posix; NULL is a no-op.
 * Never pass a zone from kith_tz_get. */
void kith_tz_free(kith_tz *tz);

/* Returns the cached zone `name`, loading it on first use.  The zone is
 * shared and stays valid until kith_tz_cache_clear; callers must not free it.
 * NULL with a reason in err when the zone cannot be loaded (failures are not
 * cached, so a later tzdata install is picked up).  Thread-safe. */
const kith_tz *kith_tz_get(const char *name, char *err, size_t errlen);

/* Frees every cached zone.  Only for shutdown and tests: no pointer returned
 * by kith_tz_get may be used afterwards. */
void kith_tz_cache_clear(void);

/* Returns the zone's name as given to kith_tz_load (borrowed; "UTC" for
 * NULL). */
const char *kith_tz_name(const kith_tz *tz);

/* Returns the offset, in seconds east of UTC, in effect at `utc_seconds`.
 * NULL means UTC (always 0). */
int kith_tz_offset(const kith_tz *tz, int64_t utc_seconds);

/* Finds the first instant strictly after `utc_seconds` at which the zone's
 * offset changes (changes of abbreviation or of the DST flag alone are
 * skipped).  Returns 1 and sets *at, or 0 when the offset never changes
 * again (or not within a few years of the rule's range). */
int kith_tz_next_transition(const kith_tz *tz, int64_t utc_seconds, int64_t *at);

/* Maps the wall-clock reading `local_seconds` back to UTC.  Returns:
 *   1  one instant, in out[0];
 *   2  the reading happens twice (the repeated hour when clocks go back):
 *      out[0] < out[1], the first and second occurrence;
 *   0  the reading never happens (the gap when clocks go forward); out[0]
 *      is then the transition instant, the first instant after the gap,
 *      which is where a wall-clock schedule due in the gap should run.
 * NULL means UTC (always 1). */
int kith_tz_local_to_utc(const kith_tz *tz, int64_t local_seconds, int64_t out[2]);

#endif
