/*
 * deal.forecast and deal.rotting (README "Deals and the forecast").
 *
 * The forecast of a period (the month or quarter holding `start`) reads the
 * deals open with an expected close in it and those closed in it:
 *   pipeline   = sum of open amounts
 *   weighted   = sum of open amount x probability
 *   commit     = closed_won + open amounts in the commit category
 *   best_case  = commit + open amounts in the best_case category
 *   closed_won = amounts won in the period
 *   win_rate   = won / (won + lost) among deals closed in the period
 *   avg_cycle_days = mean days from creation to close of the deals won
 *   target     = the deals_won_amount goal of the period (goal.set; the
 *                owner's when `owner` is given), gap = target - closed_won
 * Rows per `by` group (owner, stage or pipeline) and the total.
 */
#include "commands/deal_ops.h"
#include "commands/kpi.h"
#include "store/deal.h"
#include "store/goal.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_GROUPS 200

struct fc {
    char group[96];
    double pipeline, weighted, commit_open, best_open, won_amount, cycle_days;
    int64_t won, lost, open;
};

struct fc_state {
    const char *by, *owner;
    struct fc total, groups[MAX_GROUPS];
    size_t n;
};

static double num(const cJSON *d, const char *k)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, k));
}

static int64_t time_of(const cJSON *d, const char *k)
{
    int64_t t = 0;
    const char *s = kith_json_get_str(d, k);
    if (s) kith_time_parse_iso(s, &t);
    return t;
}

static void account(struct fc *f, const cJSON *d)
{
    const char *status = kith_json_get_str(d, "status");
    const char *cat = kith_json_get_str(d, "forecast_category");
    double amount = num(d, "amount"), p = num(d, "probability");
    if (strcmp(status, "open") == 0) {
        f->open++;
        f->pipeline += amount;
        f->weighted += amount * (isnan(p) ? 0 : p);
        if (cat && strcmp(cat, "commit") == 0) f->commit_open += amount;
        if (cat && strcmp(cat, "best_case") == 0) f->best_open += amount;
    } else if (strcmp(status, "won") == 0) {
        f->won++;
        f->won_amount += amount;
        f->cycle_days += (double)(time_of(d, "closed_at") - time_of(d, "created_at")) / 86400000.0;
    } else {
        f->lost++;
    }
}

static void collect(void *ud, const cJSON *d)
{
    struct fc_state *s = ud;
    const char *owner = kith_json_get_str(d, "owner");
    if (s->owner && (!owner || strcmp(owner, s->owner) != 0)) return;
    account(&s->total, d);
    if (!s->by) return;
    const char *key = kith_json_get_str(d, s->by);
    if (!key) key = "";
    size_t i = 0;
    while (i < s->n && strcmp(s->groups[i].group, key) != 0)
        i++;
    if (i == s->n) {
        if (s->n == MAX_GROUPS) return;
        memset(&s->groups[i], 0, sizeof(s->groups[i]));
        snprintf(s->groups[i].group, sizeof(s->groups[i].group), "%s", key);
        s->n++;
    }
    account(&s->groups[i], d);
}

static void round_add(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, round(v * 100) / 100);
    else
        cJSON_AddNullToObject(o, k);
}

static void fill(cJSON *o, const struct fc *f, double target)
{
    double commit = f->won_amount + f->commit_open;
    round_add(o, "pipeline", f->pipeline);
    round_add(o, "weighted", f->weighted);
    round_add(o, "best_case", commit + f->best_open);
    round_add(o, "commit", commit);
    round_add(o, "closed_won", f->won_amount);
    kith_json_add_int(o, "open", f->open);
    kith_json_add_int(o, "won", f->won);
    kith_json_add_int(o, "lost", f->lost);
    round_add(o, "win_rate", f->won + f->lost ? (double)f->won / (double)(f->won + f->lost) : NAN);
    round_add(o, "avg_cycle_days", f->won ? f->cycle_days / (double)f->won : NAN);
    round_add(o, "target", target);
    round_add(o, "gap", target - f->won_amount);
}

/* The deals_won_amount goal for `period` (the owner's, or the business's
 * when owner is NULL); NAN when none. */
static double forecast_target(kith_ctx *ctx, const char *period, const char *owner)
{
    cJSON *goals = NULL;
    double t = NAN;
    if (kith_store_goal_list(ctx->store, owner, period, &goals) < 0) return NAN;
    const cJSON *g;
    cJSON_ArrayForEach(g, goals)
    {
        const char *o = kith_json_get_str(g, "owner");
        if (strcmp(kith_json_get_str(g, "metric"), "deals_won_amount") != 0) continue;
        if ((owner == NULL) != (o == NULL)) continue;
        t = num(g, "target");
        break;
    }
    cJSON_Delete(goals);
    return t;
}

static int deal_forecast(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    static const char *const periods[] = {"month", "quarter", NULL};
    static const char *const bys[] = {"owner", "stage", "pipeline", NULL};
    int64_t start = ctx->now, from, to;
    int rc = kith_cmd_check_enum(ctx, params, "period", periods, 0);
    if (!rc) rc = kith_cmd_check_enum(ctx, params, "by", bys, 0);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "start", &start);
    if (rc) return rc;
    const char *period = kith_json_get_str(params, "period");
    if (!period) period = "quarter";
    kith_goal_period(period, start, &from, &to);
    static struct fc_state s; /* large; the loop thread's alone */
    memset(&s, 0, sizeof(s));
    s.by = kith_json_get_str(params, "by");
    s.owner = kith_json_get_str(params, "owner");
    if ((rc = kith_store_deal_period(ctx->store, from, to, collect, &s)) < 0)
        return kith_cmd_store_fail(ctx, rc, "deals");
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "period", period);
    kith_json_add_time(out, "start", from);
    kith_json_add_time(out, "end", to);
    if (s.owner) cJSON_AddStringToObject(out, "owner", s.owner);
    fill(out, &s.total, forecast_target(ctx, period, s.owner));
    if (s.by) {
        cJSON_AddStringToObject(out, "by", s.by);
        cJSON *groups = cJSON_AddArrayToObject(out, "groups");
        for (size_t i = 0; i < s.n; i++) {
            cJSON *g = cJSON_CreateObject();
            cJSON_AddStringToObject(g, "group", s.groups[i].group);
            int by_owner = strcmp(s.by, "owner") == 0 && s.groups[i].group[0];
            fill(g, &s.groups[i], by_owner ? forecast_target(ctx, period, s.groups[i].group) : NAN);
            cJSON_AddItemToArray(groups, g);
        }
    }
    *result = out;
    return 0;
}

/* ---- deal.rotting: a due source (due.h) ---- */

int kith_deal_next_rot(kith_store *s, int64_t *at)
{
    return kith_store_deal_next_rot(s, at);
}

int kith_deal_fire_rot(kith_ctx *ctx, int limit, int *fired)
{
    int64_t ids[64];
    int n = 0;
    *fired = 0;
    if (limit > 64) limit = 64;
    int rc = kith_store_deal_due_rot(ctx->store, ctx->now, limit, ids, &n);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "due deals");
    for (int i = 0; !rc && i < n; i++) {
        /* Marked in the request that emits (due.h note 2): exactly once. */
        if (kith_store_deal_mark_rotted(ctx->store, ids[i], ctx->now) == KITH_ENOTFOUND) continue;
        cJSON *d = NULL;
        if ((rc = kith_store_deal_get(ctx->store, ids[i], &d)) < 0) {
            rc = kith_cmd_store_fail(ctx, rc, "deal");
            break;
        }
        int64_t cid = (int64_t)num(d, "customer_id");
        cJSON *data = cJSON_CreateObject();
        cJSON_AddItemToObject(data, "deal", d);
        kith_json_add_time(data, "idle_since", time_of(d, "last_activity_at"));
        rc = kith_cmd_emit(ctx, "deal.rotting", cid, data);
        cJSON_Delete(data);
        ++*fired;
    }
    if (!rc && n == limit && *fired < limit) *fired = limit;
    return rc;
}

static const kith_param forecast_params[] = {
    {"period", KITH_T_STRING, 0, "month or quarter (default quarter)"},
    {"start", KITH_T_TIME, 0, "a time in the period (default now)"},
    {"by", KITH_T_STRING, 0, "owner, stage or pipeline: rows per group too"},
    {"owner", KITH_T_STRING, 0, "only this owner's deals (and goal)"},
    {NULL},
};

const kith_command kith_cmd_forecast[] = {
    {"deal.forecast", deal_forecast, forecast_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "The period's pipeline, weighted pipeline, best case, commit, closed won, target and gap",
     "{period, start, end, pipeline, weighted, best_case, commit, closed_won, won, lost, "
     "win_rate, avg_cycle_days, target, gap, groups?}"},
    {NULL},
};
