/*
 * deal.*: the sales pipeline (README "Deals and the forecast").  Stages and
 * their probabilities come from the rules (crm.pipeline, script/pipeline.h);
 * the whole state machine is the `transitions` table below:
 *
 *   open --move--> open (another stage; the stage's `require` fields must
 *                        be set; crm.before("deal.moved") may veto)
 *   open --win---> won  (with create_order, the order is created in the
 *                        same request, so loyalty, lifecycle, segments and
 *                        churn follow, or none of it happens)
 *   open --lose--> lost (reason required)
 *   won|lost --reopen--> open (at a stage)
 *
 * Every change is activity: it re-arms the deal's rot_at (the pipeline's
 * rot_after from now), the due time of deal.rotting (deal_due.c).  A move
 * takes the new stage's probability and the forecast category that goes
 * with it (deal_model.c); deal.update may set either explicitly.
 */
#include "commands/customer_ops.h"
#include "commands/deal_ops.h"
#include "script/pipeline.h"
#include "script/script.h"
#include "store/customer.h"
#include "store/deal.h"
#include "store/rollup.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <math.h>
#include <string.h>

static const struct {
    const char *verb;
    const char *from[2];
    const char *to;
} transitions[] = {
    {"move", {"open"}, "open"}, {"update", {"open"}, "open"},        {"win", {"open"}, "won"},
    {"lose", {"open"}, "lost"}, {"reopen", {"won", "lost"}, "open"},
};

static int transition(kith_ctx *ctx, const cJSON *deal, const char *verb)
{
    const char *status = kith_json_get_str(deal, "status");
    for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++) {
        if (strcmp(transitions[i].verb, verb) != 0) continue;
        for (int k = 0; k < 2 && transitions[i].from[k]; k++)
            if (status && strcmp(status, transitions[i].from[k]) == 0) return 0;
    }
    return kith_cmd_invalid_transition(ctx, "deal", kith_deal_id(deal), status ? status : "?",
                                       verb);
}

/* The fields a record may carry from a client (create and update). */
static const char *const editable[] = {
    "name",        "amount",    "currency",    "expected_close",    "owner", "team", "source",
    "competitors", "next_step", "probability", "forecast_category", "attrs", NULL};

static int copy_fields(kith_ctx *ctx, const cJSON *params, cJSON *rec)
{
    for (size_t i = 0; editable[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, editable[i]);
        if (!v) continue;
        cJSON_DeleteItemFromObjectCaseSensitive(rec, editable[i]);
        cJSON_AddItemToObject(rec, editable[i], cJSON_Duplicate(v, 1));
    }
    return kith_deal_check(ctx, rec);
}

static int load_pipeline(kith_ctx *ctx, const char *name, kith_pipeline *p)
{
    if (kith_script_pipeline(ctx->env ? ctx->env->script : NULL, name, p)) return 0;
    return kith_ctx_fail(ctx, KITH_EPARAMS, "pipeline",
                         name ? "no pipeline named '%s' in the rules (pipeline.list)"
                              : "no pipeline is defined: add crm.pipeline{...} to the rules%s",
                         name ? name : "");
}

/* The start every change of a stored deal shares: the deal params.id
 * names (*old, owned), the transition `verb` checked, and its pipeline
 * when p is not NULL.  Returns 0 or a failure in ctx (*old then NULL). */
static int begin_change(kith_ctx *ctx, const cJSON *params, const char *verb, cJSON **old,
                        kith_pipeline *p)
{
    int rc = kith_deal_load(ctx, params, old);
    if (!rc) rc = transition(ctx, *old, verb);
    if (!rc && p) rc = load_pipeline(ctx, kith_json_get_str(*old, "pipeline"), p);
    if (rc) {
        cJSON_Delete(*old);
        *old = NULL;
    }
    return rc;
}

static int deal_create(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t cid;
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", &cid);
    if (!rc) rc = kith_cmd_customer_exists(ctx, cid);
    kith_pipeline p;
    if (!rc) rc = load_pipeline(ctx, kith_json_get_str(params, "pipeline"), &p);
    if (rc) return rc;
    const char *stage_name = kith_json_get_str(params, "stage");
    const kith_stage_def *stage = stage_name ? kith_pipeline_stage(&p, stage_name) : &p.stages[0];
    if (!stage)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "stage", "pipeline %s has no stage '%s'", p.name,
                             stage_name);
    cJSON *rec = cJSON_CreateObject();
    kith_json_add_int(rec, "customer_id", cid);
    cJSON_AddStringToObject(rec, "pipeline", p.name);
    cJSON_AddStringToObject(rec, "status", "open");
    rc = copy_fields(ctx, params, rec);
    if (!rc)
        rc =
            kith_deal_enter_stage(ctx, rec, &p, stage, !cJSON_HasObjectItem(params, "probability"));
    if (!rc) {
        kith_json_add_time(rec, "created_at", ctx->now);
        kith_deal_touch(ctx, rec, &p);
        rc = kith_deal_save(ctx, 0, rec, NULL, stage->name, "created", "deal.created", NULL, NULL,
                            result);
    }
    cJSON_Delete(rec);
    return rc;
}

static int deal_update(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    cJSON *old = NULL, *rec = NULL;
    kith_pipeline p;
    int rc = begin_change(ctx, params, "update", &old, &p);
    if (!rc) {
        rec = cJSON_Duplicate(old, 1);
        rc = copy_fields(ctx, params, rec);
    }
    /* A stage's requirements hold while the deal is in it. */
    if (!rc)
        rc = kith_deal_require(ctx, rec, kith_pipeline_stage(&p, kith_json_get_str(rec, "stage")));
    if (!rc) {
        if (cJSON_HasObjectItem(params, "probability") &&
            !cJSON_HasObjectItem(params, "forecast_category"))
            kith_deal_set_category(rec);
        kith_deal_touch(ctx, rec, &p);
        rc = kith_deal_save(ctx, kith_deal_id(old), rec, old, NULL, NULL, "deal.updated", NULL,
                            NULL, result);
    }
    cJSON_Delete(old);
    cJSON_Delete(rec);
    return rc;
}

static int deal_move(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    cJSON *old = NULL, *rec = NULL;
    kith_pipeline p;
    int rc = begin_change(ctx, params, "move", &old, &p);
    if (rc) return rc;
    const char *to = kith_json_get_str(params, "stage");
    const kith_stage_def *stage = kith_pipeline_stage(&p, to);
    const char *from = kith_json_get_str(old, "stage");
    if (!stage)
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "stage", "pipeline %s has no stage '%s'", p.name, to);
    else if (strcmp(from, to) == 0)
        rc = kith_cmd_conflict(ctx, "same_stage", "open", "deal %lld is in %s already",
                               (long long)kith_deal_id(old), to);
    if (!rc) {
        rec = cJSON_Duplicate(old, 1);
        rc = kith_deal_enter_stage(ctx, rec, &p, stage, 1);
    }
    if (!rc) {
        kith_deal_touch(ctx, rec, &p);
        rc = kith_deal_save(ctx, kith_deal_id(old), rec, old, stage->name, "moved", "deal.moved",
                            kith_json_get_str(params, "note"), NULL, result);
    }
    cJSON_Delete(old);
    cJSON_Delete(rec);
    return rc;
}

/* Counts a close in the deal.won / deal.lost rollups (n = -1 takes one
 * back, for a reopen), under the owner, on the day it closed. */
static int count_close(kith_ctx *ctx, const cJSON *deal, int64_t n)
{
    const char *status = kith_json_get_str(deal, "status");
    int64_t at = ctx->now;
    const char *closed = kith_json_get_str(deal, "closed_at");
    if (closed) kith_time_parse_iso(closed, &at);
    double amount = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(deal, "amount"));
    kith_rollup_obs o = {.metric = strcmp(status, "won") == 0 ? "deal.won" : "deal.lost",
                         .at = at,
                         .n = n,
                         .has_x = 1,
                         .x = amount}; /* Σx gains n × x: -1 takes the amount back */
    kith_rollup_dim dim = {"owner", kith_json_get_str(deal, "owner")};
    int rc = kith_rollup_record(ctx->store, &o, &dim, 1);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "deal rollup") : 0;
}

static int deal_win(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    cJSON *old = NULL, *rec = NULL, *order = NULL;
    int64_t at = ctx->now;
    int rc = begin_change(ctx, params, "win", &old, NULL);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "at", &at);
    if (!rc) {
        rec = cJSON_Duplicate(old, 1);
        const cJSON *amount = cJSON_GetObjectItemCaseSensitive(params, "amount");
        if (amount)
            cJSON_ReplaceItemInObjectCaseSensitive(rec, "amount", cJSON_Duplicate(amount, 1));
        rc = kith_deal_check(ctx, rec);
    }
    if (!rc && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params, "create_order"))) {
        /* The order goes through order.create's own path, inside this
         * request: its hooks, stats and rules run, and a failure undoes
         * the win with it. */
        cJSON *op = cJSON_CreateObject();
        kith_json_add_int(
            op, "customer_id",
            (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rec, "customer_id")));
        cJSON_AddItemToObject(op, "amount",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rec, "amount"), 1));
        const char *cur = kith_json_get_str(rec, "currency");
        if (cur) cJSON_AddStringToObject(op, "currency", cur);
        kith_json_add_time(op, "at", at);
        rc = kith_order_create_rec(ctx, op, 0, &order);
        cJSON_Delete(op);
        if (!rc)
            cJSON_ReplaceItemInObjectCaseSensitive(
                rec, "won_order_id",
                cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(order, "id"), 1));
    }
    if (!rc) {
        cJSON_ReplaceItemInObjectCaseSensitive(rec, "status", cJSON_CreateString("won"));
        cJSON_ReplaceItemInObjectCaseSensitive(rec, "probability", cJSON_CreateNumber(1));
        cJSON_ReplaceItemInObjectCaseSensitive(rec, "forecast_category",
                                               cJSON_CreateString("closed"));
        cJSON_DeleteItemFromObjectCaseSensitive(rec, "closed_at");
        kith_json_add_time(rec, "closed_at", at);
        kith_deal_touch(ctx, rec, NULL);
        rc = count_close(ctx, rec, 1);
    }
    if (!rc)
        rc = kith_deal_save(ctx, kith_deal_id(old), rec, old, NULL, "won", "deal.won", NULL, NULL,
                            result);
    cJSON_Delete(order);
    cJSON_Delete(old);
    cJSON_Delete(rec);
    return rc;
}

static int deal_lose(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    cJSON *old = NULL, *rec = NULL;
    int rc = kith_cmd_check_text(ctx, params, "reason", 500, 1);
    if (!rc) rc = kith_cmd_check_text(ctx, params, "lost_to", 200, 0);
    if (!rc) rc = begin_change(ctx, params, "lose", &old, NULL);
    if (!rc) {
        rec = cJSON_Duplicate(old, 1);
        cJSON_ReplaceItemInObjectCaseSensitive(rec, "status", cJSON_CreateString("lost"));
        cJSON_ReplaceItemInObjectCaseSensitive(rec, "probability", cJSON_CreateNumber(0));
        cJSON_ReplaceItemInObjectCaseSensitive(rec, "forecast_category",
                                               cJSON_CreateString("omitted"));
        cJSON_ReplaceItemInObjectCaseSensitive(
            rec, "lost_reason", cJSON_CreateString(kith_json_get_str(params, "reason")));
        const char *to = kith_json_get_str(params, "lost_to");
        cJSON_ReplaceItemInObjectCaseSensitive(rec, "lost_to",
                                               to ? cJSON_CreateString(to) : cJSON_CreateNull());
        cJSON_DeleteItemFromObjectCaseSensitive(rec, "closed_at");
        kith_json_add_time(rec, "closed_at", ctx->now);
        kith_deal_touch(ctx, rec, NULL);
        rc = count_close(ctx, rec, 1);
    }
    if (!rc)
        rc = kith_deal_save(ctx, kith_deal_id(old), rec, old, NULL, "lost", "deal.lost",
                            kith_json_get_str(params, "reason"), NULL, result);
    cJSON_Delete(old);
    cJSON_Delete(rec);
    return rc;
}

static int deal_reopen(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    cJSON *old = NULL, *rec = NULL;
    kith_pipeline p;
    int rc = begin_change(ctx, params, "reopen", &old, &p);
    const kith_stage_def *stage = NULL;
    if (!rc && !(stage = kith_pipeline_stage(&p, kith_json_get_str(params, "stage"))))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "stage", "pipeline %s has no stage '%s'", p.name,
                           kith_json_get_str(params, "stage"));
    /* The close no longer counts (its order, if any, stays: it happened). */
    if (!rc) rc = count_close(ctx, old, -1);
    if (!rc) {
        rec = cJSON_Duplicate(old, 1);
        cJSON_ReplaceItemInObjectCaseSensitive(rec, "status", cJSON_CreateString("open"));
        cJSON_ReplaceItemInObjectCaseSensitive(rec, "closed_at", cJSON_CreateNull());
        cJSON_ReplaceItemInObjectCaseSensitive(rec, "lost_reason", cJSON_CreateNull());
        cJSON_ReplaceItemInObjectCaseSensitive(rec, "lost_to", cJSON_CreateNull());
        rc = kith_deal_enter_stage(ctx, rec, &p, stage, 1);
    }
    if (!rc) {
        kith_deal_touch(ctx, rec, &p);
        rc = kith_deal_save(ctx, kith_deal_id(old), rec, old, stage->name, "reopened",
                            "deal.reopened", kith_json_get_str(params, "reason"), NULL, result);
    }
    cJSON_Delete(old);
    cJSON_Delete(rec);
    return rc;
}

static int deal_get(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    return kith_deal_load(ctx, params, result);
}

static int deal_history(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    cJSON *d = NULL;
    int rc = kith_deal_load(ctx, params, &d);
    if (rc) return rc;
    rc = kith_store_deal_history(ctx->store, kith_deal_id(d), result);
    cJSON_Delete(d);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "deal history") : 0;
}

static int deal_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    static const char *const statuses[] = {"open", "won", "lost", NULL};
    kith_deal_filter f = {.owner = kith_json_get_str(params, "owner"),
                          .team = kith_json_get_str(params, "team"),
                          .pipeline = kith_json_get_str(params, "pipeline"),
                          .stage = kith_json_get_str(params, "stage"),
                          .status = kith_json_get_str(params, "status")};
    int limit, more = 0;
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int rc = kith_cmd_check_enum(ctx, params, "status", statuses, 0);
    if (!rc && cJSON_HasObjectItem(params, "customer_id"))
        rc = kith_cmd_id_arg(ctx, params, "customer_id", &f.customer_id);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "closing_after", &f.closing_after);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "closing_before", &f.closing_before);
    if (!rc) rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (rc) return rc;
    cJSON *items = cJSON_CreateArray();
    rc = kith_store_deal_list(ctx->store, &f, limit, after, items, &more, &next);
    if (rc < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "deals");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}

static int pipeline_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    (void)params;
    *result = kith_script_pipeline_list(ctx->env ? ctx->env->script : NULL);
    return 0;
}

static const kith_param create_params[] = {
    {"customer_id", KITH_T_INT, 1, "the customer"},
    {"name", KITH_T_STRING, 1, "what is being sold"},
    {"amount", KITH_T_NUMBER, 1, "expected value, in currency units"},
    {"pipeline", KITH_T_STRING, 0, "the pipeline (default: \"default\" or the first defined)"},
    {"stage", KITH_T_STRING, 0, "the starting stage (default: the first)"},
    {"currency", KITH_T_STRING, 0, "ISO 4217 code"},
    {"expected_close", KITH_T_TIME, 0, "when it should close"},
    {"owner", KITH_T_STRING, 0, "the salesperson"},
    {"team", KITH_T_STRING, 0, "the team"},
    {"source", KITH_T_STRING, 0, "where it came from"},
    {"competitors", KITH_T_STRINGS, 0, "who else is bidding"},
    {"next_step", KITH_T_STRING, 0, "the agreed next step"},
    {"probability", KITH_T_NUMBER, 0, "0..1 (default: the stage's)"},
    {"forecast_category", KITH_T_STRING, 0, "pipeline, best_case, commit or omitted"},
    {"attrs", KITH_T_OBJECT, 0, "anything else"},
    {NULL},
};

static const kith_param update_params[] = {
    {"id", KITH_T_INT, 1, "the deal"},
    {"name", KITH_T_STRING, 0, ""},
    {"amount", KITH_T_NUMBER, 0, ""},
    {"currency", KITH_T_STRING, 0, ""},
    {"expected_close", KITH_T_TIME, 0, ""},
    {"owner", KITH_T_STRING, 0, ""},
    {"team", KITH_T_STRING, 0, ""},
    {"source", KITH_T_STRING, 0, ""},
    {"competitors", KITH_T_STRINGS, 0, ""},
    {"next_step", KITH_T_STRING, 0, ""},
    {"probability", KITH_T_NUMBER, 0, "0..1"},
    {"forecast_category", KITH_T_STRING, 0, "pipeline, best_case, commit or omitted"},
    {"attrs", KITH_T_OBJECT, 0, ""},
    {NULL},
};

static const kith_param id_params[] = {{"id", KITH_T_INT, 1, "the deal"}, {NULL}};

static const kith_param move_params[] = {
    {"id", KITH_T_INT, 1, "the deal"},
    {"stage", KITH_T_STRING, 1, "the stage to move to"},
    {"note", KITH_T_STRING, 0, "kept in the history"},
    {NULL},
};

static const kith_param win_params[] = {
    {"id", KITH_T_INT, 1, "the deal"},
    {"amount", KITH_T_NUMBER, 0, "the final amount (default: the deal's)"},
    {"create_order", KITH_T_BOOL, 0, "also create the order, in the same transaction"},
    {"at", KITH_T_TIME, 0, "when it closed (default now)"},
    {NULL},
};

static const kith_param lose_params[] = {
    {"id", KITH_T_INT, 1, "the deal"},
    {"reason", KITH_T_STRING, 1, "why it was lost"},
    {"lost_to", KITH_T_STRING, 0, "the competitor who won it"},
    {NULL},
};

static const kith_param reopen_params[] = {
    {"id", KITH_T_INT, 1, "the deal"},
    {"stage", KITH_T_STRING, 1, "the stage it reopens at"},
    {"reason", KITH_T_STRING, 0, "kept in the history"},
    {NULL},
};

static const kith_param list_params[] = {
    {"customer_id", KITH_T_INT, 0, ""},
    {"owner", KITH_T_STRING, 0, ""},
    {"team", KITH_T_STRING, 0, ""},
    {"pipeline", KITH_T_STRING, 0, ""},
    {"stage", KITH_T_STRING, 0, ""},
    {"status", KITH_T_STRING, 0, "open, won or lost"},
    {"closing_after", KITH_T_TIME, 0, "expected_close at or after"},
    {"closing_before", KITH_T_TIME, 0, "expected_close before"},
    {"limit", KITH_T_INT, 0, "page size"},
    {"cursor", KITH_T_STRING, 0, "from the previous page"},
    {NULL},
};

static const kith_param no_params[] = {{NULL}};

const kith_command kith_cmd_deal[] = {
    {"pipeline.list", pipeline_list, no_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "The rules' sales pipelines with their stages and probabilities",
     "[{name, rot_after_s, stages: [{name, probability, label, require}]}]"},
    {"deal.create", deal_create, create_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Open a deal in a pipeline", "the deal, status open"},
    {"deal.get", deal_get, id_params, KITH_CMD_READ, KITH_ROLE_VIEWER, "One deal", "the deal"},
    {"deal.update", deal_update, update_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Change an open deal's fields (not its stage or status)", "the deal"},
    {"deal.list", deal_list, list_params, KITH_CMD_READ, KITH_ROLE_VIEWER, "Deals, filtered",
     "{items, next_cursor}"},
    {"deal.history", deal_history, id_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "A deal's stage and status changes, oldest first", "[{at, from, to, status, by, note}]"},
    {"deal.move", deal_move, move_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Move an open deal to another stage (its requirements and the rules' hooks permitting)",
     "the deal"},
    {"deal.win", deal_win, win_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Close a deal as won, optionally creating its order in the same transaction", "the deal"},
    {"deal.lose", deal_lose, lose_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Close a deal as lost, with the reason and the competitor", "the deal"},
    {"deal.reopen", deal_reopen, reopen_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Reopen a won or lost deal at a stage", "the deal"},
    {NULL},
};
