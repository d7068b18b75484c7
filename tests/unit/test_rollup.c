/*
 * Rollups: observations recorded into the total and each named group, read
 * back summed per day; moments of pairs (what a correlation needs); the
 * histogram's quantiles against exact ones; interval starts (Monday weeks,
 * calendar months) and the day of negative times; and that a request that
 * rolls back takes its observations with it; deferred counts
 * (kith_rollup_count) written at commit, dropped with the request — inner or
 * outer — that made them.
 */
#include "check.h"
#include "store/rollup.h"
#include "store/store.h"
#include "util/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct sums {
    int64_t n, rows, hist[KITH_ROLLUP_BUCKETS];
    double sx, sxx, sy, syy, sxy;
    const char *key; /* only rows of this key ("" total) */
} sums;

static void add(void *ud, const kith_rollup_row *r)
{
    sums *s = ud;
    if (strcmp(r->key, s->key) != 0) return;
    s->rows++;
    if (r->bucket >= 0) {
        s->hist[r->bucket] += r->n;
        return;
    }
    s->n += r->n;
    s->sx += r->sx;
    s->sxx += r->sxx;
    s->sy += r->sy;
    s->syy += r->syy;
    s->sxy += r->sxy;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    kith_store *st;
    CHECK_INT(kith_store_open(":memory:", KITH_SYNC_OFF, &st), 0);

    /* Days, and interval starts. */
    CHECK_INT(kith_rollup_day(0), 0);
    CHECK_INT(kith_rollup_day(-1), -1);
    CHECK_INT(kith_rollup_day(KITH_DAY_MS * 3 + 5), 3);
    int64_t start;
    /* 2026-12-04 is a Friday, day 20791; its Monday is 2026-11-30 (20787),
     * its month starts 2026-12-01 (20788). */
    CHECK_INT(kith_rollup_interval_start("week", 20791, &start), 0);
    CHECK_INT(start, 20787);
    CHECK_INT(kith_rollup_interval_start("month", 20791, &start), 0);
    CHECK_INT(start, 20788);
    CHECK_INT(kith_rollup_interval_start("month", 20788, &start), 0);
    CHECK_INT(start, 20788);
    CHECK_INT(kith_rollup_interval_start("month", 20787, &start), 0);
    CHECK_INT(start, 20758);                                          /* 2026-11-01 */
    CHECK_INT(kith_rollup_interval_start("month", 20513, &start), 0); /* 2026-03-01 */
    CHECK_INT(start, 20513);
    CHECK_INT(kith_rollup_interval_start("fortnight", 1, &start), KITH_EPARAMS);

    /* Pairs into the total and a group, on two days; one that rolls back. */
    CHECK_INT(kith_store_request_begin(st), 0);
    kith_rollup_dim dims[] = {{"kind", "complaint"}, {"team", NULL}};
    double xs[] = {1, 2, 3, 4}, ys[] = {2, 4, 5, 9};
    for (int i = 0; i < 4; i++) {
        kith_rollup_obs o = {.metric = "m",
                             .at = KITH_DAY_MS * (100 + i % 2),
                             .n = 1,
                             .has_x = 1,
                             .x = xs[i],
                             .has_y = 1,
                             .y = ys[i]};
        CHECK_INT(kith_rollup_record(st, &o, dims, 2), 0);
    }
    kith_store_request_end(st, 1);
    CHECK_INT(kith_store_request_begin(st), 0);
    kith_rollup_obs lost = {.metric = "m", .at = KITH_DAY_MS * 100, .n = 1, .has_x = 1, .x = 50};
    CHECK_INT(kith_rollup_record(st, &lost, dims, 1), 0);
    kith_store_request_end(st, 0);
    sums total = {.key = ""}, group = {.key = "complaint"};
    CHECK_INT(kith_rollup_scan(st, "m", "", 0, 1000, add, &total), 2);
    CHECK_INT(kith_rollup_scan(st, "m", NULL, 0, 1000, add, &group), 4);
    CHECK_INT(total.n, 4);
    CHECK_INT(group.n, 4);
    CHECK(total.sx == 10 && total.sxx == 30 && total.sy == 20 && total.syy == 126 &&
          total.sxy == 1 * 2 + 2 * 4 + 3 * 5 + 4 * 9);
    /* No group with a NULL key was written. */
    CHECK_INT(kith_rollup_scan(st, "m", "team", 0, 1000, add, &total), 0);
    /* A day range excludes. */
    sums day100 = {.key = ""};
    CHECK_INT(kith_rollup_scan(st, "m", "", 100, 100, add, &day100), 1);
    CHECK_INT(day100.n, 2);

    /* A negative count takes one back. */
    CHECK_INT(kith_store_request_begin(st), 0);
    kith_rollup_obs back = {.metric = "backlog", .at = 0, .n = 1};
    CHECK_INT(kith_rollup_record(st, &back, NULL, 0), 0);
    back.n = -1;
    CHECK_INT(kith_rollup_record(st, &back, NULL, 0), 0);
    back.n = 1;
    CHECK_INT(kith_rollup_record(st, &back, NULL, 0), 0);
    kith_store_request_end(st, 1);
    sums bl = {.key = ""};
    kith_rollup_scan(st, "backlog", "", 0, 0, add, &bl);
    CHECK_INT(bl.n, 1);

    /* Histogram quantiles within 10% of the exact ones on a skewed sample. */
    enum { N = 2000 };
    static double v[N];
    srand(7);
    CHECK_INT(kith_store_request_begin(st), 0);
    for (int i = 0; i < N; i++) {
        v[i] = floor(60.0 * exp((double)rand() / RAND_MAX * 8.0)); /* 1 min .. ~2 days */
        kith_rollup_obs o = {.metric = "t", .at = 0, .n = 1, .has_x = 1, .x = v[i], .hist = 1};
        CHECK_INT(kith_rollup_record(st, &o, NULL, 0), 0);
    }
    kith_store_request_end(st, 1);
    qsort(v, N, sizeof(v[0]), cmp_double);
    sums h = {.key = ""};
    kith_rollup_scan(st, "t", "", 0, 0, add, &h);
    CHECK_INT(h.n, N);
    double p50 = kith_rollup_quantile(h.hist, 0.5), p90 = kith_rollup_quantile(h.hist, 0.9);
    CHECK(fabs(p50 - v[N / 2]) <= 0.1 * v[N / 2]);
    CHECK(fabs(p90 - v[N * 9 / 10]) <= 0.1 * v[N * 9 / 10]);
    int64_t empty[KITH_ROLLUP_BUCKETS] = {0};
    CHECK(kith_rollup_quantile(empty, 0.5) < 0);
    /* Buckets are ordered and hold their values. */
    for (double x = 0; x < 1e7; x = x * 1.7 + 1) {
        int b = kith_rollup_bucket(x);
        CHECK(x >= kith_rollup_bucket_low(b) - 1e-9 && x < kith_rollup_bucket_low(b + 1));
    }

    /* Deferred counts: written at commit, summed per (metric, day). */
    kith_store_commit(st);
    CHECK_INT(kith_store_request_begin(st), 0);                   /* outer */
    CHECK_INT(kith_rollup_count(st, "c", 5 * KITH_DAY_MS, 1), 0); /* kept */
    CHECK_INT(kith_store_request_begin(st), 0);                   /* inner, rolled back */
    CHECK_INT(kith_rollup_count(st, "c", 5 * KITH_DAY_MS, 2), 0);
    CHECK_INT(kith_store_request_begin(st), 0); /* inner of the inner */
    CHECK_INT(kith_rollup_count(st, "c", 5 * KITH_DAY_MS, 16), 0);
    kith_store_request_end(st, 1);
    kith_store_request_end(st, 0);
    CHECK_INT(kith_store_request_begin(st), 0); /* inner, released */
    CHECK_INT(kith_rollup_count(st, "c", 6 * KITH_DAY_MS + 1, 4), 0);
    kith_store_request_end(st, 1);
    kith_store_request_end(st, 1);
    CHECK_INT(kith_store_request_begin(st), 0); /* a second request of the pass */
    CHECK_INT(kith_rollup_count(st, "c", 5 * KITH_DAY_MS + 7, 8), 0);
    kith_store_request_end(st, 1);
    sums c = {.key = ""};
    kith_rollup_scan(st, "c", "", 0, 10, add, &c);
    CHECK_INT(c.rows, 0); /* not before the commit */
    CHECK_INT(kith_store_commit(st), 0);
    kith_rollup_scan(st, "c", "", 5, 5, add, &c);
    CHECK_INT(c.n, 9);
    CHECK_INT(c.rows, 1);
    c = (sums){.key = ""};
    kith_rollup_scan(st, "c", "", 6, 6, add, &c);
    CHECK_INT(c.n, 4);
    /* An outer request that rolls back takes its released inner ones along. */
    CHECK_INT(kith_store_request_begin(st), 0);
    CHECK_INT(kith_store_request_begin(st), 0);
    CHECK_INT(kith_rollup_count(st, "c", 5 * KITH_DAY_MS, 32), 0);
    kith_store_request_end(st, 1);
    kith_store_request_end(st, 0);
    CHECK_INT(kith_store_commit(st), 0);
    c = (sums){.key = ""};
    kith_rollup_scan(st, "c", "", 0, 10, add, &c);
    CHECK_INT(c.n, 13);

    kith_store_close(st);
    return check_done();
}
