/*
 * Rollups: per-day counters and moments kept inside the write's
 * transaction, so every metric (ticket.metrics, survey.results, visit
 * coverage, reports) reads O(days x groups) rows and never a history.
 *
 * A row is keyed (metric, dim, key, day, bucket).  `dim`/`key` name the
 * group ("kind"/"complaint", "team"/"support"); dim "" key "" is the total.
 * `day` counts UTC days since the epoch.  Bucket -1 holds the moments of the
 * observations — n, Σx, Σx², and for paired observations Σy, Σy², Σxy (what
 * a Pearson correlation needs) — and buckets >= 0 count the observations
 * falling in each log-scale bucket of x, for quantiles (p50, p90).
 *
 * DESIGN NOTES
 *   1. One UPSERT per (row, observation): the write that causes the
 *      observation pays for it in its own transaction and rolls it back
 *      with itself, so a rollup never disagrees with the records.
 *   2. Sums are doubles: exact for integers up to 2^53, which is what
 *      counts, seconds and ratings are.
 *   3. Buckets are 8 per power of two of (1 + x), so a quantile read from
 *      them is within about 9% of the exact one; kith_rollup_quantile
 *      interpolates inside the bucket.
 *   4. A count or a sum that every write of a hot path adds to
 *      (order.created, revenue) may be deferred instead (kith_rollup_count,
 *      kith_rollup_add): the adds are logged in
 *      memory with the depth of the request that made them, a request that
 *      rolls back drops its own (and its inner requests') adds, and
 *      kith_store_commit writes what is left with one UPSERT per (metric,
 *      day) inside the pass's transaction, just before COMMIT.  So the count
 *      still commits or rolls back with its writes, for one statement per
 *      pass instead of one per write.  Until then a scan does not see it.
 */
#ifndef KITH_STORE_ROLLUP_H
#define KITH_STORE_ROLLUP_H

#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

#define KITH_ROLLUP_BUCKETS 256 /* bucket indexes are 0 .. KITH_ROLLUP_BUCKETS - 1 */
#define KITH_DAY_MS         86400000LL

/* One group an observation also counts in; a NULL key skips the group. */
typedef struct kith_rollup_dim {
    const char *dim;
    const char *key;
} kith_rollup_dim;

/* One observation of `metric` at `at` (ms). */
typedef struct kith_rollup_obs {
    const char *metric;
    int64_t at;
    int64_t n; /* added to the count: 1, or -1 to take one back (backlogs) */
    int has_x; /* x is a value: added to Σx and Σx² */
    double x;  /* (negative values are allowed except with hist) */
    int has_y; /* a pair (x, y): Σy, Σy² and Σxy too; needs has_x */
    double y;  /*  */
    int hist;  /* also count x in its bucket (x >= 0) */
} kith_rollup_obs;

/* Records `o` in the total and in each group of `dims` (ndims may be 0).
 * Must run inside a request.  Returns 0 or a KITH_E* code. */
int kith_rollup_record(kith_store *s, const kith_rollup_obs *o, const kith_rollup_dim *dims,
                       size_t ndims);

/* Adds `n` to the total of `metric` (no groups, no value) on the day of
 * `at`, deferred to the pass's commit (note 4).  Must run inside a request;
 * `metric` is kept by address until the commit (a string literal).  Returns
 * 0 or KITH_ENOMEM. */
int kith_rollup_count(kith_store *s, const char *metric, int64_t at, int64_t n);
/* The same for n observations of value x in group (dim, key) ("", "" for
 * the total): n, Σx and Σx² are added at the commit.  `metric` and `dim`
 * are kept by address (string literals); `key` is copied.  No histogram.
 * Returns 0 or a KITH_E* code. */
int kith_rollup_add(kith_store *s, const char *metric, const char *dim, const char *key, int64_t at,
                    int64_t n, double x);

/* ---- for store.c only (note 4) ---- */
typedef struct kith_rollup_log kith_rollup_log;
/* The request at nesting `depth` (1: outermost) ended: released when ok
 * (its adds now belong to the enclosing request, or to the pass), rolled
 * back otherwise (its adds are dropped). */
void kith_rollup_log_end(kith_rollup_log *log, int depth, int ok);
/* Writes the logged adds (inside the pass's transaction, outside any
 * request) and empties the log.  Returns 0 or a KITH_E* code. */
int kith_rollup_log_flush(kith_store *s, kith_rollup_log *log);
/* Empties the log without writing it (the pass is rolled back). */
void kith_rollup_log_clear(kith_rollup_log *log);
void kith_rollup_log_free(kith_rollup_log *log);

/* One summed row as a reader sees it. */
typedef struct kith_rollup_row {
    const char *dim, *key; /* borrowed for the callback */
    int64_t day;
    int bucket; /* -1: the moments; >= 0: a histogram bucket (only n is set) */
    int64_t n;
    double sx, sxx, sy, syy, sxy;
} kith_rollup_row;

typedef void (*kith_rollup_fn)(void *ud, const kith_rollup_row *r);
/* Calls fn for every row of `metric` in group dimension `dim` ("" for the
 * total, NULL for every dimension) with day in [from_day, to_day], ordered
 * by dim, key, day, bucket.  Returns the number of rows or a KITH_E* code. */
int kith_rollup_scan(kith_store *s, const char *metric, const char *dim, int64_t from_day,
                     int64_t to_day, kith_rollup_fn fn, void *ud);

/* The day number of a time in ms (floor division: negative times work). */
int64_t kith_rollup_day(int64_t at_ms);
/* The first day of the interval holding `day`: "day" (itself), "week"
 * (the Monday), "month" (the 1st, UTC calendar) or NULL/"all" (INT64_MIN:
 * one interval).  Returns 0, or KITH_EPARAMS for an unknown interval. */
int kith_rollup_interval_start(const char *interval, int64_t day, int64_t *start);

/* The bucket of x >= 0, and the range [low, high) of values bucket b holds. */
int kith_rollup_bucket(double x);
double kith_rollup_bucket_low(int b);
/* The q-quantile (0 < q < 1) of the histogram counts[KITH_ROLLUP_BUCKETS],
 * interpolated inside its bucket; -1 when the histogram is empty. */
double kith_rollup_quantile(const int64_t *counts, double q);

#endif
