/*
 * See kpi.h.
 */
#include "commands/kpi.h"
#include "store/cohort.h"
#include "store/rollup.h"
#include "util/error.h"

#include <string.h>

struct kpi {
    const char *name;
    const char *rollup; /* NULL: new customers, from the cohort cells */
    const char *dim;    /* the dimension an owner (or a kind) is under */
    const char *key;    /* a fixed key of dim (points' kind), or NULL: the owner */
    int sum;            /* Σx rather than the count */
};

static const struct kpi kpis[] = {
    {"revenue", "revenue", "owner", NULL, 1},
    {"orders", "revenue", "owner", NULL, 0},
    {"visits_completed", "visit.completed", "owner", NULL, 0},
    {"tickets_resolved", "ticket.resolved", "owner", NULL, 0},
    {"deals_won", "deal.won", "owner", NULL, 0},
    {"deals_won_amount", "deal.won", "owner", NULL, 1},
    {"new_customers", NULL, NULL, NULL, 0},
    {"points_awarded", "points", "kind", "award", 1},
    {NULL},
};

const char *const kith_kpi_names[] = {"revenue",          "orders",         "visits_completed",
                                      "tickets_resolved", "deals_won",      "deals_won_amount",
                                      "new_customers",    "points_awarded", NULL};

static const struct kpi *find(const char *name)
{
    for (const struct kpi *k = kpis; k->name; k++)
        if (strcmp(k->name, name) == 0) return k;
    return NULL;
}

int kith_kpi_by_owner(const char *metric)
{
    const struct kpi *k = find(metric);
    return k && k->dim && strcmp(k->dim, "owner") == 0;
}

struct acc {
    const char *key; /* NULL: the total row */
    int sum;
    double v;
};

static void add(void *ud, const kith_rollup_row *r)
{
    struct acc *a = ud;
    if (r->bucket != -1) return;
    if (a->key && (!r->key || strcmp(r->key, a->key) != 0)) return;
    a->v += a->sum ? r->sx : (double)r->n;
}

static void add_new(void *ud, int64_t cohort, int64_t month, int64_t n)
{
    if (cohort == month) *(double *)ud += (double)n;
}

int kith_kpi_actual(kith_ctx *ctx, const char *metric, const char *owner, int64_t from, int64_t to,
                    double *out)
{
    const struct kpi *k = find(metric);
    *out = 0;
    if (!k) return kith_ctx_fail(ctx, KITH_EPARAMS, "metric", "unknown metric %s", metric);
    if (to <= from) return 0;
    int rc;
    if (!k->rollup) {
        rc = kith_cohort_scan(ctx->store, kith_month_of(from), kith_month_of(to - 1), add_new, out);
    } else {
        const char *key = k->key ? k->key : owner;
        struct acc a = {key, k->sum, 0};
        rc = kith_rollup_scan(ctx->store, k->rollup, key ? k->dim : "", kith_rollup_day(from),
                              kith_rollup_day(to - 1), add, &a);
        *out = a.v;
    }
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "rollup") : 0;
}
