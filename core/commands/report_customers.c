/*
 * The customer reports (report.h): customers per month, the cohort
 * retention matrix and the lifecycle funnel.  The first two read the cohort
 * cells the orders keep (store/cohort.h): at most months x months small
 * rows whatever the number of customers.
 */
#include "commands/report.h"
#include "store/cohort.h"
#include "store/history.h"
#include "store/rollup.h"
#include "store/snapshot.h"
#include "util/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MONTHS 122 /* ten years and a bit: report_run caps the span */

/* Cells by (cohort - first, month - first) over months [first, last]. */
struct grid {
    int64_t first, last;
    int64_t *cells; /* (last - first + 1)^2, [cohort][month] */
    int64_t retained[MAX_MONTHS];
};

static size_t width(const struct grid *g)
{
    return (size_t)(g->last - g->first + 1);
}

static void put_cell(void *ud, int64_t cohort, int64_t month, int64_t n)
{
    struct grid *g = ud;
    g->cells[(size_t)(cohort - g->first) * width(g) + (size_t)(month - g->first)] = n;
}

static void put_retained(void *ud, int64_t month, int64_t unused, int64_t n)
{
    (void)unused;
    struct grid *g = ud;
    g->retained[month - g->first] = n;
}

/* Reads the grid for [a->from, a->to), one month before `from` too (the
 * retention of the first month needs its predecessor). */
static int read_grid(kith_ctx *ctx, const kith_report_args *a, int with_prev, struct grid *g)
{
    g->first = kith_month_of(a->from) - with_prev;
    g->last = kith_month_of(a->to - 1);
    if (width(g) > MAX_MONTHS) return kith_ctx_fail(ctx, KITH_EPARAMS, "to", "too many months");
    g->cells = calloc(width(g) * width(g), sizeof(int64_t));
    if (!g->cells) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    memset(g->retained, 0, sizeof(g->retained));
    int rc = kith_cohort_scan(ctx->store, g->first, g->last, put_cell, g);
    if (!rc) rc = kith_cohort_retained(ctx->store, g->first, g->last, put_retained, g);
    if (rc) {
        free(g->cells);
        return kith_cmd_store_fail(ctx, rc, "cohorts");
    }
    return 0;
}

/* Customers active in month index m: the column's sum.  Cohorts before the
 * grid's first month are not in it, so the column comes from every cohort
 * up to m that the grid holds plus the older ones read separately. */
static int64_t active_in(const struct grid *g, const int64_t *older, size_t m)
{
    int64_t n = older[m];
    for (size_t c = 0; c <= m; c++)
        n += g->cells[c * width(g) + m];
    return n;
}

struct older {
    int64_t first;
    int64_t *sum;
};

static void add_older(void *ud, int64_t cohort, int64_t month, int64_t n)
{
    struct older *o = ud;
    if (cohort < o->first && month >= o->first) o->sum[month - o->first] += n;
}

int kith_report_customers(kith_ctx *ctx, const kith_report_args *a, cJSON *out)
{
    static const char *const cols[] = {"period",     "new",
                                       "active",     "returning",
                                       "retained",   "retention_rate",
                                       "churn_rate", "repeat_purchase_rate",
                                       "orders",     "purchase_frequency",
                                       NULL};
    struct grid g;
    int rc = read_grid(ctx, a, 1, &g);
    if (rc) return rc;
    /* Customers of older cohorts, per month of the grid: one more scan of
     * the cells from the first cohort on record. */
    int64_t older[MAX_MONTHS] = {0};
    struct older o = {g.first, older};
    rc = kith_cohort_scan(ctx->store, 0, g.last, add_older, &o);
    kith_report_sums orders;
    if (!rc)
        rc = kith_report_sum(ctx, a, "revenue", "", "month", &orders);
    else
        rc = kith_cmd_store_fail(ctx, rc, "cohorts");
    if (rc) {
        free(g.cells);
        return rc;
    }
    cJSON *rows = kith_report_table(out, cols);
    for (size_t m = 1; m < width(&g); m++) {
        int64_t active = active_in(&g, older, m), prev = active_in(&g, older, m - 1);
        int64_t fresh = g.cells[m * width(&g) + m], returning = active - fresh;
        int64_t retained = g.retained[m];
        char label[16];
        kith_report_month_label(g.first + (int64_t)m, label, sizeof(label));
        int64_t start_day = kith_rollup_day(kith_month_start(g.first + (int64_t)m));
        const kith_report_cell *oc = kith_report_cell_of(&orders, "", start_day);
        int64_t n_orders = oc ? oc->n : 0;
        cJSON *row = kith_report_row(rows);
        cJSON_AddItemToArray(row, cJSON_CreateString(label));
        kith_report_num(row, (double)fresh, 0);
        kith_report_num(row, (double)active, 0);
        kith_report_num(row, (double)returning, 0);
        kith_report_num(row, (double)retained, 0);
        double rate = prev ? (double)retained / (double)prev : NAN;
        kith_report_num(row, rate, 4);
        kith_report_num(row, 1 - rate, 4);
        kith_report_num(row, active ? (double)returning / (double)active : NAN, 4);
        kith_report_num(row, (double)n_orders, 0);
        kith_report_num(row, active ? (double)n_orders / (double)active : NAN, 4);
    }
    kith_report_sums_free(&orders);
    free(g.cells);
    return 0;
}

int kith_report_retention(kith_ctx *ctx, const kith_report_args *a, cJSON *out)
{
    struct grid g;
    int rc = read_grid(ctx, a, 0, &g);
    if (rc) return rc;
    size_t w = width(&g);
    cJSON *cols = cJSON_AddArrayToObject(out, "columns");
    cJSON_AddItemToArray(cols, cJSON_CreateString("cohort"));
    cJSON_AddItemToArray(cols, cJSON_CreateString("customers"));
    for (size_t k = 0; k < w; k++) {
        char name[32];
        snprintf(name, sizeof(name), "m%zu", k);
        cJSON_AddItemToArray(cols, cJSON_CreateString(name));
    }
    cJSON *rows = cJSON_AddArrayToObject(out, "rows");
    for (size_t c = 0; c < w; c++) {
        int64_t size = g.cells[c * w + c];
        if (!size) continue;
        char label[16];
        kith_report_month_label(g.first + (int64_t)c, label, sizeof(label));
        cJSON *row = kith_report_row(rows);
        cJSON_AddItemToArray(row, cJSON_CreateString(label));
        kith_report_num(row, (double)size, 0);
        for (size_t k = 0; k < w; k++) {
            if (c + k < w)
                kith_report_num(row, (double)g.cells[c * w + c + k] / (double)size, 4);
            else
                cJSON_AddItemToArray(row, cJSON_CreateNull());
        }
    }
    free(g.cells);
    return 0;
}

int kith_report_funnel(kith_ctx *ctx, const kith_report_args *a, cJSON *out)
{
    (void)a;
    static const char *const cols[] = {"stage",       "current",  "entered",
                                       "median_days", "p90_days", NULL};
    cJSON *now = NULL, *dur = NULL;
    int rc = kith_store_count_by_stage(ctx->store, &now);
    if (!rc) rc = kith_store_stage_durations(ctx->store, &dur);
    if (rc < 0) {
        cJSON_Delete(now);
        return kith_cmd_store_fail(ctx, rc, "stages");
    }
    cJSON *rows = kith_report_table(out, cols);
    /* Every stage seen now or in the history, most customers first. */
    const cJSON *it;
    cJSON_ArrayForEach(it, dur)
    {
        if (!cJSON_GetObjectItemCaseSensitive(now, it->string))
            cJSON_AddNumberToObject(now, it->string, 0);
    }
    cJSON_ArrayForEach(it, now)
    {
        if (!it->string[0]) continue;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(dur, it->string);
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(d, "n");
        const cJSON *cur = cJSON_GetObjectItemCaseSensitive(d, "current");
        const cJSON *med = cJSON_GetObjectItemCaseSensitive(d, "median_s");
        const cJSON *p90 = cJSON_GetObjectItemCaseSensitive(d, "p90_s");
        cJSON *row = kith_report_row(rows);
        cJSON_AddItemToArray(row, cJSON_CreateString(it->string));
        kith_report_num(row, it->valuedouble, 0);
        /* Entries: the finished stays and the ones still going. */
        kith_report_num(row,
                        (cJSON_IsNumber(n) ? n->valuedouble : 0) +
                            (cJSON_IsNumber(cur) ? cur->valuedouble : 0),
                        0);
        kith_report_num(row, cJSON_IsNumber(med) ? med->valuedouble / 86400 : NAN, 2);
        kith_report_num(row, cJSON_IsNumber(p90) ? p90->valuedouble / 86400 : NAN, 2);
    }
    cJSON_Delete(now);
    cJSON_Delete(dur);
    return 0;
}
