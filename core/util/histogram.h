/*
 * A fixed-size log-linear histogram of non-negative integer values, in the
 * manner of HdrHistogram: values below 128 get one bucket each, and every
 * power-of-two range above that is split into 128 equal buckets, so a bucket
 * is never wider than 1/128 (0.79%) of the values it holds.  The unit is the
 * caller's; kith-bench records microseconds, which makes the tracked range
 * 0 .. 2^26-1 (about 67 s) and covers 1 us .. 60 s with under 1% error.
 *
 * The counts live inside the struct (20 KiB), so recording never allocates
 * and a histogram can sit on the stack or in any owner.  The minimum, the
 * maximum and the sum are kept exactly besides the buckets.  Thread safety,
 * time sources and formatting are left to the caller.
 */
#ifndef KITH_UTIL_HISTOGRAM_H
#define KITH_UTIL_HISTOGRAM_H

#include <stdint.h>

#define KITH_HISTOGRAM_SUB_BITS  7
#define KITH_HISTOGRAM_SUB_COUNT (1u << KITH_HISTOGRAM_SUB_BITS)
/* The largest trackable value; larger ones are recorded as this value and
 * counted in `clamped`. */
#define KITH_HISTOGRAM_MAX_VALUE ((UINT64_C(1) << 26) - 1)
/* Groups: one exact group for 0..127, then one per power of two 2^7 .. 2^25. */
#define KITH_HISTOGRAM_BUCKETS (KITH_HISTOGRAM_SUB_COUNT * 20)

typedef struct kith_histogram {
    uint64_t total;   /* values recorded */
    uint64_t clamped; /* values above KITH_HISTOGRAM_MAX_VALUE */
    uint64_t min;     /* exact; UINT64_MAX while empty */
    uint64_t max;     /* exact (before clamping); 0 while empty */
    uint64_t sum;     /* exact sum, for the mean; saturates rather than wraps */
    uint64_t counts[KITH_HISTOGRAM_BUCKETS];
} kith_histogram;

/* Initialises an empty histogram.  It owns no memory, so there is no
 * matching release; kith_histogram_reset() empties it again. */
void kith_histogram_init(kith_histogram *h);

/* Empties the histogram; same as kith_histogram_init(). */
void kith_histogram_reset(kith_histogram *h);

/* Records one value.  Never allocates and never fails: a value above
 * KITH_HISTOGRAM_MAX_VALUE lands in the top bucket and is counted in
 * `clamped` (the exact max still reflects it). */
void kith_histogram_record(kith_histogram *h, uint64_t value);

/* Records `count` occurrences of `value` at once. */
void kith_histogram_record_n(kith_histogram *h, uint64_t value, uint64_t count);

/* Adds every value recorded in `src` to `dst`; `src` is unchanged. */
void kith_histogram_merge(kith_histogram *dst, const kith_histogram *src);

/* Returns the value at percentile `p` (0..100) by the nearest-rank rule:
 * the smallest recorded value v such that at least p% of the values are
 * <= v.  The answer is the upper edge of v's bucket, clamped to the exact
 * min and max, so it is never below the true value and at most 0.79% above
 * it.  p >= 100 gives the exact max; an empty histogram gives 0. */
uint64_t kith_histogram_percentile(const kith_histogram *h, double p);

/* Returns the exact mean of the recorded values, or 0 when empty. */
double kith_histogram_mean(const kith_histogram *h);

#endif
