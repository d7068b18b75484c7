/*
 * kith_histogram: see histogram.h.
 *
 * Bucket layout.  A value v < 128 goes to bucket v.  Otherwise let h be the
 * index of v's highest set bit (7 <= h <= 25) and shift = h - 7: the bucket is
 * (shift + 1) * 128 + ((v >> shift) - 128), i.e. group shift + 1, holding
 * 2^shift consecutive values.  Group 1 (128..255) still has width 1, so the
 * layout is contiguous and the index grows with the value.
 */
#include "util/histogram.h"

#include <math.h>
#include <string.h>

static unsigned bucket_of(uint64_t v)
{
    if (v < KITH_HISTOGRAM_SUB_COUNT) return (unsigned)v;
    unsigned high = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = high - KITH_HISTOGRAM_SUB_BITS;
    return ((shift + 1) << KITH_HISTOGRAM_SUB_BITS) + (unsigned)(v >> shift) -
           KITH_HISTOGRAM_SUB_COUNT;
}

/* The largest value that maps to bucket `b`. */
static uint64_t bucket_top(unsigned b)
{
    unsigned group = b >> KITH_HISTOGRAM_SUB_BITS;
    if (group <= 1) return b;
    unsigned shift = group - 1;
    uint64_t low = (uint64_t)(KITH_HISTOGRAM_SUB_COUNT + (b & (KITH_HISTOGRAM_SUB_COUNT - 1)))
                   << shift;
    return low + ((uint64_t)1 << shift) - 1;
}

void kith_histogram_init(kith_histogram *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

void kith_histogram_reset(kith_histogram *h)
{
    kith_histogram_init(h);
}

static uint64_t add_saturating(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void kith_histogram_record_n(kith_histogram *h, uint64_t value, uint64_t count)
{
    if (count == 0) return;
    if (value < h->min) h->min = value;
    if (value > h->max) h->max = value;
    /* A multiplication overflow only makes the mean meaningless, and only
     * after ~10^13 values of a minute each; saturate rather than wrap. */
    uint64_t add = (value != 0 && count > UINT64_MAX / value) ? UINT64_MAX : value * count;
    h->sum = add_saturating(h->sum, add);
    h->total += count;
    if (value > KITH_HISTOGRAM_MAX_VALUE) {
        h->clamped += count;
        value = KITH_HISTOGRAM_MAX_VALUE;
    }
    h->counts[bucket_of(value)] += count;
}

void kith_histogram_record(kith_histogram *h, uint64_t value)
{
    kith_histogram_record_n(h, value, 1);
}

void kith_histogram_merge(kith_histogram *dst, const kith_histogram *src)
{
    if (src->total == 0) return;
    for (unsigned i = 0; i < KITH_HISTOGRAM_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    dst->total += src->total;
    dst->clamped += src->clamped;
    dst->sum = add_saturating(dst->sum, src->sum);
    if (src->min < dst->min) dst->min = src->min;
    if (src->max > dst->max) dst->max = src->max;
}

uint64_t kith_histogram_percentile(const kith_histogram *h, double p)
{
    if (h->total == 0) return 0;
    if (p >= 100.0) return h->max;
    if (p < 0.0) p = 0.0;
    /* Nearest rank: ceil(p% of total), at least 1.  The small relative
     * epsilon keeps 99.9% of 10000 at rank 9990 although the product comes
     * out as 9990.000000000002 in binary floating point. */
    double exact = p / 100.0 * (double)h->total;
    uint64_t rank = (uint64_t)ceil(exact - exact * 1e-12);
    if (rank < 1) rank = 1;
    if (rank > h->total) rank = h->total;

    uint64_t seen = 0;
    for (unsigned i = 0; i < KITH_HISTOGRAM_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t v = bucket_top(i);
            if (v > h->max) v = h->max;
            if (v < h->min) v = h->min;
            return v;
        }
    }
    return h->max; /* not reached: the counts add up to total */
}

double kith_histogram_mean(const kith_histogram *h)
{
    return h->total ? (double)h->sum / (double)h->total : 0.0;
}
