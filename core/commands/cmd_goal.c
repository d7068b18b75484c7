/*
 * goal.set / goal.list / goal.delete: targets per period for a KPI
 * (commands/kpi.h), for the business or one owner.  A goal recurs: each
 * month (quarter, year) from its start is a period, and goal.list shows the
 * period holding now (or `at`) with what has been reached so far, the
 * straight-line projection to the period's end, and a status:
 *   at_least goals: achieved once actual >= target; missed when the period
 *     ended short; otherwise on_track when the projection reaches the
 *     target, at_risk when not;
 *   at_most goals: missed once actual > target; achieved when the period
 *     ended within it; otherwise at_risk when the projection exceeds it.
 * kith_goal_watch announces a move to at_risk, achieved or missed once per
 * period as goal.at_risk / goal.achieved / goal.missed (a goal back on track
 * that slips again is announced again), and settles a period that ended.
 */
#include "commands/kpi.h"
#include "store/cohort.h"
#include "store/goal.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const periods[] = {"month", "quarter", "year", NULL};
static const char *const directions[] = {"at_least", "at_most", NULL};

static int months_in(const char *period)
{
    return strcmp(period, "year") == 0 ? 12 : strcmp(period, "quarter") == 0 ? 3 : 1;
}

/* The period of `period` holding `at`: calendar months, quarters
 * (January, April, ...) and years, UTC. */
void kith_goal_period(const char *period, int64_t at, int64_t *from, int64_t *to)
{
    int64_t m = kith_month_of(at), len = months_in(period);
    m -= m % len;
    *from = kith_month_start(m);
    *to = kith_month_start(m + len);
}

static int goal_set(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int rc = kith_cmd_check_enum(ctx, params, "metric", kith_kpi_names, 1);
    if (!rc) rc = kith_cmd_check_enum(ctx, params, "period", periods, 1);
    if (!rc) rc = kith_cmd_check_enum(ctx, params, "direction", directions, 0);
    if (rc) return rc;
    const char *name = kith_json_get_str(params, "name");
    if (!name[0] || strlen(name) > 100)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "name", "name must be 1 to 100 characters");
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(params, "target");
    if (target->valuedouble < 0)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "target", "target must not be negative");
    const char *owner = kith_json_get_str(params, "owner");
    const char *metric = kith_json_get_str(params, "metric");
    if (owner && !kith_kpi_by_owner(metric))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "owner", "%s is not counted per owner", metric);
    cJSON *g = cJSON_Duplicate(params, 1);
    if (!kith_json_get_str(g, "direction")) cJSON_AddStringToObject(g, "direction", "at_least");
    int64_t start;
    if (cJSON_GetObjectItemCaseSensitive(params, "start")) {
        if ((rc = kith_cmd_time_arg(ctx, params, "start", &start))) {
            cJSON_Delete(g);
            return rc;
        }
        cJSON_AddNumberToObject(g, "start_ms", (double)start);
    }
    rc = kith_store_goal_put(ctx->store, g, ctx->now);
    cJSON_Delete(g);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "goal");
    cJSON *list = NULL;
    if ((rc = kith_store_goal_list(ctx->store, owner, NULL, &list)) < 0)
        return kith_cmd_store_fail(ctx, rc, "goal");
    const cJSON *it;
    cJSON_ArrayForEach(it, list) if (strcmp(kith_json_get_str(it, "name"), name) == 0) break;
    *result = cJSON_Duplicate(it, 1);
    cJSON_Delete(list);
    return 0;
}

/* Adds the period [from, to) as seen at `at`: actual, progress, projected
 * and status. */
static int evaluate_period(kith_ctx *ctx, cJSON *g, int64_t from, int64_t to, int64_t at)
{
    int64_t start = KITH_TIME_NONE;
    const char *s = kith_json_get_str(g, "start");
    if (s) kith_time_parse_iso(s, &start);
    double actual;
    int64_t upto = at < to ? at + 1 : to;
    int rc = kith_kpi_actual(ctx, kith_json_get_str(g, "metric"), kith_json_get_str(g, "owner"),
                             from, upto, &actual);
    if (rc) return rc;
    double target = cJSON_GetObjectItemCaseSensitive(g, "target")->valuedouble;
    int at_most = strcmp(kith_json_get_str(g, "direction"), "at_most") == 0;
    double elapsed = (double)(upto - from) / (double)(to - from);
    double projected = elapsed > 0 ? actual / elapsed : 0;
    int over = at >= to;
    const char *status;
    if (start != KITH_TIME_NONE && to <= start)
        status = "not_started";
    else if (!at_most)
        status = actual >= target      ? "achieved"
                 : over                ? "missed"
                 : projected >= target ? "on_track"
                                       : "at_risk";
    else
        status = actual > target      ? "missed"
                 : over               ? "achieved"
                 : projected > target ? "at_risk"
                                      : "on_track";
    static const char *const keys[] = {"period_start", "period_end", "actual",
                                       "progress",     "projected",  "status"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        cJSON_DeleteItemFromObjectCaseSensitive(g, keys[i]);
    kith_json_add_time(g, "period_start", from);
    kith_json_add_time(g, "period_end", to);
    cJSON_AddNumberToObject(g, "actual", round(actual * 100) / 100);
    cJSON_AddNumberToObject(g, "progress", target > 0 ? round(actual / target * 10000) / 10000 : 0);
    cJSON_AddNumberToObject(g, "projected", round(projected * 100) / 100);
    cJSON_AddStringToObject(g, "status", status);
    return 0;
}

/* The same for the period holding `at`. */
static int evaluate(kith_ctx *ctx, cJSON *g, int64_t at)
{
    int64_t from, to;
    kith_goal_period(kith_json_get_str(g, "period"), at, &from, &to);
    return evaluate_period(ctx, g, from, to, at);
}

/* Emits goal.<status> about g (as evaluated) and records it announced. */
static int announce(kith_ctx *ctx, cJSON *g, const char *status, int64_t period)
{
    char type[32];
    snprintf(type, sizeof(type), "goal.%s", status);
    int rc = kith_store_goal_announced(ctx->store, kith_json_get_str(g, "name"), status, period);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "goal");
    cJSON *data = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(data, "goal", g);
    rc = kith_cmd_emit(ctx, type, 0, data);
    cJSON_Delete(data);
    return rc;
}

static int is(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

int kith_goal_watch(kith_ctx *ctx)
{
    cJSON *list = NULL, *g;
    int rc = kith_store_goal_list(ctx->store, NULL, NULL, &list);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "goals");
    cJSON_ArrayForEach(g, list)
    {
        cJSON *ann = cJSON_DetachItemFromObjectCaseSensitive(g, "announced");
        const char *said = kith_json_get_str(ann, "status");
        int64_t said_for =
            (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ann, "period"));
        int64_t from, to;
        kith_goal_period(kith_json_get_str(g, "period"), ctx->now, &from, &to);
        /* A period that ended since: settled as achieved or missed. */
        if (!rc && ann && said_for < from && !is(said, "achieved") && !is(said, "missed")) {
            int64_t old_from, old_to;
            kith_goal_period(kith_json_get_str(g, "period"), said_for, &old_from, &old_to);
            if (!(rc = evaluate_period(ctx, g, old_from, old_to, old_to))) {
                const char *final = kith_json_get_str(g, "status");
                if (is(final, "achieved") || is(final, "missed"))
                    rc = announce(ctx, g, final, old_from);
            }
        }
        if (!rc) rc = evaluate_period(ctx, g, from, to, ctx->now);
        const char *now = kith_json_get_str(g, "status");
        int fresh = !ann || said_for != from || !is(said, now);
        if (!rc && fresh && (is(now, "at_risk") || is(now, "achieved") || is(now, "missed")))
            rc = announce(ctx, g, now, from);
        else if (!rc && fresh) /* on track again: a later slip is news */
            rc = kith_store_goal_announced(ctx->store, kith_json_get_str(g, "name"), now, from) < 0
                     ? kith_cmd_store_fail(ctx, KITH_EIO, "goal")
                     : 0;
        cJSON_Delete(ann);
        if (rc) break;
    }
    cJSON_Delete(list);
    return rc;
}

static int goal_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t at = ctx->now;
    int rc = kith_cmd_check_enum(ctx, params, "period", periods, 0);
    if (!rc && cJSON_GetObjectItemCaseSensitive(params, "at"))
        rc = kith_cmd_time_arg(ctx, params, "at", &at);
    if (rc) return rc;
    cJSON *list = NULL;
    rc = kith_store_goal_list(ctx->store, kith_json_get_str(params, "owner"),
                              kith_json_get_str(params, "period"), &list);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "goals");
    cJSON *g;
    cJSON_ArrayForEach(g, list)
    {
        cJSON_DeleteItemFromObjectCaseSensitive(g, "announced");
        if ((rc = evaluate(ctx, g, at))) break;
    }
    if (rc) {
        cJSON_Delete(list);
        return rc;
    }
    *result = list;
    return 0;
}

static int goal_delete(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    const char *name = kith_json_get_str(params, "name");
    int rc = kith_store_goal_delete(ctx->store, name);
    if (rc == KITH_ENOTFOUND) return kith_ctx_fail(ctx, rc, "name", "no goal named '%s'", name);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "goal");
    *result = cJSON_CreateObject();
    cJSON_AddStringToObject(*result, "deleted", name);
    return 0;
}

static const kith_param set_params[] = {
    {"name", KITH_T_STRING, 1, "the goal's name (setting it again replaces it)"},
    {"metric", KITH_T_STRING, 1,
     "revenue, orders, visits_completed, tickets_resolved, deals_won, deals_won_amount, "
     "new_customers or points_awarded"},
    {"target", KITH_T_NUMBER, 1, "the target per period"},
    {"period", KITH_T_STRING, 1, "month, quarter or year (calendar, UTC)"},
    {"direction", KITH_T_STRING, 0, "at_least (default) or at_most"},
    {"owner", KITH_T_STRING, 0, "one owner's goal (metrics counted per owner)"},
    {"start", KITH_T_TIME, 0, "periods ending before this are not_started"},
    {NULL},
};

static const kith_param list_params[] = {
    {"owner", KITH_T_STRING, 0, "only this owner's goals"},
    {"period", KITH_T_STRING, 0, "only month, quarter or year goals"},
    {"at", KITH_T_TIME, 0, "evaluate the period holding this time (default now)"},
    {NULL},
};

static const kith_param delete_params[] = {
    {"name", KITH_T_STRING, 1, "the goal"},
    {NULL},
};

const kith_command kith_cmd_goal[] = {
    {"goal.set", goal_set, set_params, KITH_CMD_WRITE | KITH_CMD_ADMIN, KITH_ROLE_ADMIN,
     "Set a target for a KPI per month, quarter or year, for everyone or one owner", "the goal"},
    {"goal.list", goal_list, list_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Goals with the current period's actual, progress, projection and status",
     "[{name, metric, target, period, period_start, period_end, actual, progress, projected, "
     "status}]"},
    {"goal.delete", goal_delete, delete_params, KITH_CMD_WRITE | KITH_CMD_ADMIN, KITH_ROLE_ADMIN,
     "Delete a goal", "{deleted}"},
    {NULL},
};
