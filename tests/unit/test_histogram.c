/*
 * Unit test for util/histogram: records known distributions and checks that
 * the percentiles kith-bench reports (p50, p90, p99, p99.9, max) fall within
 * 1% of the exact nearest-rank values computed from the sorted input, and
 * that merge and reset behave as documented.
 */
#include "util/histogram.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int failures;

/* Percentiles in tenths of a percent, so the exact rank is integer math. */
static const unsigned permilles[] = {500, 900, 990, 999, 1000};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The nearest-rank percentile of sorted values: the value at rank
 * ceil(permille * n / 1000). */
static uint64_t exact_percentile(const uint64_t *sorted, size_t n, unsigned permille)
{
    size_t rank = ((size_t)permille * n + 999) / 1000;
    if (rank < 1) rank = 1;
    return sorted[rank - 1];
}

static void check_close(const char *what, unsigned permille, uint64_t expected, uint64_t actual)
{
    double err = expected ? ((double)actual - (double)expected) / (double)expected : 0.0;
    if (err < 0) err = -err;
    if (err > 0.01 || (expected == 0 && actual != 0)) {
        printf("FAIL %s p%.1f: expected %" PRIu64 ", got %" PRIu64 " (%.3f%% off)\n", what,
               permille / 10.0, expected, actual, err * 100.0);
        failures++;
    }
}

static void check_eq(const char *what, uint64_t expected, uint64_t actual)
{
    if (expected != actual) {
        printf("FAIL %s: expected %" PRIu64 ", got %" PRIu64 "\n", what, expected, actual);
        failures++;
    }
}

/* Records `values` (which it sorts) and checks every reported percentile. */
static void check_distribution(const char *what, uint64_t *values, size_t n)
{
    kith_histogram h;
    kith_histogram_init(&h);
    for (size_t i = 0; i < n; i++)
        kith_histogram_record(&h, values[i]);
    qsort(values, n, sizeof(*values), cmp_u64);

    check_eq(what, n, h.total);
    for (size_t i = 0; i < sizeof(permilles) / sizeof(permilles[0]); i++) {
        uint64_t expected = exact_percentile(values, n, permilles[i]);
        uint64_t actual = kith_histogram_percentile(&h, permilles[i] / 10.0);
        check_close(what, permilles[i], expected, actual);
    }
    check_eq("exact max", values[n - 1], h.max);
    check_eq("exact min", values[0], h.min);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t next_random(void)
{
    /* xorshift64*: deterministic, so a failure reproduces. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

static void test_uniform(void)
{
    size_t n = 10000;
    uint64_t *v = malloc(n * sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = i + 1; /* 1 .. 10000 us */
    check_distribution("uniform 1..10000", v, n);
    free(v);
}

static void test_bimodal(void)
{
    /* 95% fast replies around 50..250 us, 5% slow ones around 20..80 ms:
     * the tail percentiles land in the second mode. */
    size_t n = 100000;
    uint64_t *v = malloc(n * sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = (i % 20 == 0) ? 20000 + next_random() % 60000 : 50 + next_random() % 200;
    check_distribution("bimodal", v, n);
    free(v);
}

static void test_wide_range(void)
{
    /* Log-uniform from 1 us to 60 s exercises every bucket group. */
    size_t n = 50000;
    uint64_t *v = malloc(n * sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        unsigned bits = 1 + (unsigned)(next_random() % 26);
        uint64_t x = (next_random() & ((UINT64_C(1) << bits) - 1)) | 1;
        v[i] = x > 60000000 ? 60000000 : x;
    }
    check_distribution("log-uniform 1us..60s", v, n);
    free(v);
}

static void test_merge_and_reset(void)
{
    kith_histogram a, b, all;
    kith_histogram_init(&a);
    kith_histogram_init(&b);
    kith_histogram_init(&all);
    for (uint64_t i = 1; i <= 5000; i++) {
        kith_histogram_record(&a, i);
        kith_histogram_record(&all, i);
    }
    for (uint64_t i = 5001; i <= 10000; i++) {
        kith_histogram_record(&b, i);
        kith_histogram_record(&all, i);
    }
    kith_histogram_merge(&a, &b);
    check_eq("merged total", 10000, a.total);
    check_eq("merged min", 1, a.min);
    check_eq("merged max", 10000, a.max);
    for (size_t i = 0; i < sizeof(permilles) / sizeof(permilles[0]); i++)
        check_eq("merged percentile", kith_histogram_percentile(&all, permilles[i] / 10.0),
                 kith_histogram_percentile(&a, permilles[i] / 10.0));
    if (kith_histogram_mean(&a) != 5000.5) {
        printf("FAIL merged mean: expected 5000.5, got %f\n", kith_histogram_mean(&a));
        failures++;
    }

    kith_histogram_reset(&a);
    check_eq("reset total", 0, a.total);
    check_eq("empty percentile", 0, kith_histogram_percentile(&a, 50));
    kith_histogram_record(&a, 7);
    check_eq("single value p50", 7, kith_histogram_percentile(&a, 50));
    check_eq("single value p0", 7, kith_histogram_percentile(&a, 0));
}

static void test_clamping(void)
{
    kith_histogram h;
    kith_histogram_init(&h);
    kith_histogram_record(&h, 0);
    kith_histogram_record(&h, UINT64_C(1) << 40);
    check_eq("clamped count", 1, h.clamped);
    check_eq("exact max above range", UINT64_C(1) << 40, h.max);
    check_eq("p50 of {0, huge}", 0, kith_histogram_percentile(&h, 50));
    check_eq("p100 of {0, huge}", UINT64_C(1) << 40, kith_histogram_percentile(&h, 100));
}

int main(void)
{
    test_uniform();
    test_bimodal();
    test_wide_range();
    test_merge_and_reset();
    test_clamping();
    if (failures) {
        printf("test_histogram: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_histogram: ok\n");
    return 0;
}
