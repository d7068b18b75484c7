/*
 * The sales reports (report.h): revenue, loyalty points and the owners'
 * scorecard, all from rollups kept by the writes (store/rollup.h).
 */
#include "commands/kpi.h"
#include "commands/report.h"
#include "store/goal.h"
#include "store/rollup.h"
#include "store/snapshot.h"
#include "util/error.h"
#include "util/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Interval starts from `from` to `to`, one per interval. */
static int64_t next_start(const char *interval, int64_t start)
{
    int64_t s = start, day = start;
    while (s == start)
        kith_rollup_interval_start(interval, ++day, &s);
    return s;
}

int kith_report_revenue(kith_ctx *ctx, const kith_report_args *a, cJSON *out)
{
    static const char *const cols[] = {"period", "group", "orders", "revenue", "aov", NULL};
    static const char *const plain[] = {"period", "orders", "revenue", "aov", NULL};
    kith_report_sums s;
    int rc = kith_report_sum(ctx, a, "revenue", a->group_by ? a->group_by : "", a->interval, &s);
    if (rc) return rc;
    cJSON *rows = kith_report_table(out, a->group_by ? cols : plain);
    int64_t first, last;
    kith_rollup_interval_start(a->interval, kith_rollup_day(a->from), &first);
    kith_rollup_interval_start(a->interval, kith_rollup_day(a->to - 1), &last);
    for (int64_t p = first; p <= last; p = next_start(a->interval, p)) {
        char label[16];
        kith_report_label(a->interval, p, label, sizeof(label));
        /* Every group with orders in the range, each interval (zeros kept:
         * a chart needs them). */
        size_t groups = a->group_by ? s.n : 1;
        for (size_t i = 0; i < groups; i++) {
            const char *key = a->group_by ? s.cells[i].key : "";
            int seen = 0;
            for (size_t j = 0; a->group_by && j < i; j++)
                seen |= strcmp(s.cells[j].key, key) == 0;
            if (seen) continue;
            const kith_report_cell *c = kith_report_cell_of(&s, key, p);
            double n = c ? (double)c->n : 0, sum = c ? c->sx : 0;
            cJSON *row = kith_report_row(rows);
            cJSON_AddItemToArray(row, cJSON_CreateString(label));
            if (a->group_by) cJSON_AddItemToArray(row, cJSON_CreateString(key));
            kith_report_num(row, n, 0);
            kith_report_num(row, sum, 2);
            kith_report_num(row, n ? sum / n : NAN, 2);
        }
    }
    kith_report_sums_free(&s);
    return 0;
}

int kith_report_loyalty(kith_ctx *ctx, const kith_report_args *a, cJSON *out)
{
    static const char *const cols[] = {"period", "awarded", "redeemed", "expired", "net", NULL};
    kith_report_sums s;
    int rc = kith_report_sum(ctx, a, "points", "kind", a->interval, &s);
    if (rc) return rc;
    cJSON *rows = kith_report_table(out, cols);
    int64_t first, last;
    kith_rollup_interval_start(a->interval, kith_rollup_day(a->from), &first);
    kith_rollup_interval_start(a->interval, kith_rollup_day(a->to - 1), &last);
    for (int64_t p = first; p <= last; p = next_start(a->interval, p)) {
        const kith_report_cell *aw = kith_report_cell_of(&s, "award", p);
        const kith_report_cell *re = kith_report_cell_of(&s, "redeem", p);
        const kith_report_cell *ex = kith_report_cell_of(&s, "expire", p);
        double awarded = aw ? aw->sx : 0, redeemed = re ? -re->sx : 0, expired = ex ? -ex->sx : 0;
        char label[16];
        kith_report_label(a->interval, p, label, sizeof(label));
        cJSON *row = kith_report_row(rows);
        cJSON_AddItemToArray(row, cJSON_CreateString(label));
        kith_report_num(row, awarded, 0);
        kith_report_num(row, redeemed, 0);
        kith_report_num(row, expired, 0);
        kith_report_num(row, awarded - redeemed - expired, 0);
    }
    kith_report_sums_free(&s);
    cJSON *tiers = NULL;
    int64_t outstanding = 0;
    if ((rc = kith_store_count_by_tier(ctx->store, &tiers, &outstanding)) < 0)
        return kith_cmd_store_fail(ctx, rc, "tiers");
    cJSON *snap = cJSON_AddObjectToObject(out, "snapshot");
    cJSON_AddItemToObject(snap, "members_by_tier", tiers);
    kith_json_add_int(snap, "points_outstanding", outstanding);
    return 0;
}

/* ---- owner_scorecard ---- */

struct owners {
    char (*names)[96];
    size_t n, cap;
};

static int add_owner(struct owners *o, const char *name)
{
    if (!name[0]) return 0;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->names[i], name) == 0) return 0;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        char(*more)[96] = realloc(o->names, cap * sizeof(*more));
        if (!more) return KITH_ENOMEM;
        o->names = more;
        o->cap = cap;
    }
    snprintf(o->names[o->n++], 96, "%s", name);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The owner's revenue goal for the month/quarter/year holding `at`. */
static double revenue_target(const cJSON *goals, const char *owner)
{
    const cJSON *g;
    cJSON_ArrayForEach(g, goals)
    {
        const char *o = kith_json_get_str(g, "owner");
        if (o && strcmp(o, owner) == 0 && strcmp(kith_json_get_str(g, "metric"), "revenue") == 0)
            return cJSON_GetObjectItemCaseSensitive(g, "target")->valuedouble;
    }
    return NAN;
}

#define NMETRICS 6 /* the scorecard's rollups */

int kith_report_scorecard(kith_ctx *ctx, const kith_report_args *a, cJSON *out)
{
    static const char *const cols[] = {
        "owner",      "revenue",          "orders",           "deals_won",
        "won_amount", "visits_completed", "tickets_resolved", "sla_met_pct",
        "csat",       "revenue_target",   "attainment",       NULL};
    static const char *const metrics[NMETRICS] = {"revenue",         "visit.completed",
                                                  "ticket.resolved", "ticket.resolve_sla",
                                                  "ticket.csat",     "deal.won"};
    kith_report_sums s[NMETRICS];
    int rc = 0;
    size_t got = 0;
    for (; got < NMETRICS && !rc; got++)
        rc = kith_report_sum(ctx, a, metrics[got], "owner", "all", &s[got]);
    struct owners o = {0};
    cJSON *goals = NULL;
    if (!rc && kith_store_goal_list(ctx->store, NULL, NULL, &goals) < 0)
        rc = kith_ctx_fail(ctx, KITH_EIO, NULL, "cannot read the goals");
    for (size_t m = 0; !rc && m < NMETRICS; m++)
        for (size_t i = 0; !rc && i < s[m].n; i++)
            if (add_owner(&o, s[m].cells[i].key)) rc = kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "oom");
    if (!rc) {
        qsort(o.names, o.n, sizeof(*o.names), by_name);
        cJSON *rows = kith_report_table(out, cols);
        int64_t all;
        kith_rollup_interval_start("all", 0, &all);
        for (size_t i = 0; i < o.n; i++) {
            const char *name = o.names[i];
            const kith_report_cell *c[NMETRICS];
            for (size_t m = 0; m < NMETRICS; m++)
                c[m] = kith_report_cell_of(&s[m], name, all);
            double revenue = c[0] ? c[0]->sx : 0, target = revenue_target(goals, name);
            cJSON *row = kith_report_row(rows);
            cJSON_AddItemToArray(row, cJSON_CreateString(name));
            kith_report_num(row, revenue, 2);
            kith_report_num(row, c[0] ? (double)c[0]->n : 0, 0);
            kith_report_num(row, c[5] ? (double)c[5]->n : 0, 0);
            kith_report_num(row, c[5] ? c[5]->sx : 0, 2);
            kith_report_num(row, c[1] ? (double)c[1]->n : 0, 0);
            kith_report_num(row, c[2] ? (double)c[2]->n : 0, 0);
            kith_report_num(row, c[3] && c[3]->n ? 100 * c[3]->sx / (double)c[3]->n : NAN, 1);
            kith_report_num(row, c[4] && c[4]->n ? c[4]->sx / (double)c[4]->n : NAN, 2);
            kith_report_num(row, target, 2);
            kith_report_num(row, target > 0 ? revenue / target : NAN, 4);
        }
    }
    for (size_t m = 0; m < got; m++)
        kith_report_sums_free(&s[m]);
    free(o.names);
    cJSON_Delete(goals);
    return rc;
}
