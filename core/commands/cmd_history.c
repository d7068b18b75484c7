/*
 * History methods: audit.list (the trail every write leaves, history.h),
 * customer.stages (a customer's lifecycle stage history and the time spent
 * in each stage, or without an id how long customers stay in each stage)
 * and customer.set_stage (a stage change with its reason).
 */
#include "commands/commands.h"
#include "commands/history.h"
#include "store/customer.h"
#include "store/history.h"
#include "util/error.h"
#include "util/json.h"

#include <stdint.h>
#include <string.h>

static int audit_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    kith_audit_filter f = {.from = INT64_MIN, .to = INT64_MAX};
    int limit, rc = 0;
    kith_cursor cur, next = {0, 0};
    const kith_cursor *after;
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(params, "record");
    if (cJSON_GetObjectItemCaseSensitive(params, "customer_id"))
        rc = kith_cmd_id_arg(ctx, params, "customer_id", &f.customer_id);
    if (!rc && rec) {
        const cJSON *rid = cJSON_GetObjectItemCaseSensitive(rec, "id");
        f.kind = kith_json_get_str(rec, "kind");
        if (!f.kind || !cJSON_IsNumber(rid) || rid->valuedouble < 1)
            rc = kith_ctx_fail(ctx, KITH_EPARAMS, "record",
                               "record must be {kind, id}, as audit.list items name it");
        else
            f.record_id = (int64_t)rid->valuedouble;
    }
    if (!rc) rc = kith_cmd_check_text(ctx, params, "by", 200, 1);
    f.by = kith_json_get_str(params, "by");
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "from", &f.from);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "to", &f.to);
    if (!rc) rc = kith_cmd_page_args(ctx, params, &limit, &cur, &after);
    if (rc) return rc;
    cJSON *items = cJSON_CreateArray();
    int more = 0;
    rc = kith_store_audit_list(ctx->store, &f, limit, after, items, &more, &next);
    if (rc < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "audit");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return *result ? 0 : kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
}

static int customer_stages(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id = 0;
    int rc = 0;
    if (!cJSON_GetObjectItemCaseSensitive(params, "customer_id")) {
        /* Across customers: how long they stay in each stage. */
        cJSON *d = NULL;
        if ((rc = kith_store_stage_durations(ctx->store, &d)) < 0)
            return kith_cmd_store_fail(ctx, rc, "stage history");
        *result = cJSON_CreateObject();
        if (!*result) {
            cJSON_Delete(d);
            return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
        }
        cJSON_AddItemToObject(*result, "stage_durations", d);
        return 0;
    }
    if ((rc = kith_cmd_id_arg(ctx, params, "customer_id", &id))) return rc;
    cJSON *c = NULL, *history = NULL, *spent = NULL;
    if ((rc = kith_store_customer_get(ctx->store, id, &c)) < 0)
        return kith_cmd_store_fail(ctx, rc, "customer");
    if ((rc = kith_store_stage_list(ctx->store, id, ctx->now, &history, &spent)) < 0) {
        cJSON_Delete(c);
        return kith_cmd_store_fail(ctx, rc, "stage history");
    }
    cJSON *out = cJSON_CreateObject();
    if (out) {
        cJSON_AddNumberToObject(out, "customer_id", (double)id);
        cJSON_AddItemToObject(out, "stage", cJSON_DetachItemFromObjectCaseSensitive(c, "stage"));
        cJSON_AddItemToObject(out, "history", history);
        cJSON_AddItemToObject(out, "time_in_stage_s", spent);
    } else {
        cJSON_Delete(history);
        cJSON_Delete(spent);
    }
    cJSON_Delete(c);
    *result = out;
    return out ? 0 : kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
}

/* customer.update's handler, found in its table: set_stage is that update,
 * with its hooks, checks, event and audit row, plus a reason. */
static kith_handler update_handler(void)
{
    for (const kith_command *c = kith_cmd_customer; c->name; c++)
        if (strcmp(c->name, "customer.update") == 0) return c->handler;
    return NULL;
}

static int customer_set_stage(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (!rc && !kith_json_get_str(params, "stage"))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "stage", "stage is required");
    if (!rc) rc = kith_cmd_check_text(ctx, params, "reason", 500, 1);
    kith_handler update = update_handler();
    if (!rc && !update) rc = kith_ctx_fail(ctx, KITH_EINTERNAL, NULL, "customer.update is gone");
    if (rc) return rc;
    cJSON *p = cJSON_CreateObject();
    if (!p || !cJSON_AddNumberToObject(p, "id", (double)id) ||
        !cJSON_AddStringToObject(p, "stage", kith_json_get_str(params, "stage"))) {
        cJSON_Delete(p);
        return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    }
    const char *saved = kith_history_set_reason(kith_json_get_str(params, "reason"));
    rc = update(ctx, p, result);
    kith_history_set_reason(saved);
    cJSON_Delete(p);
    return rc;
}

static const kith_param audit_params[] = {
    {"customer_id", KITH_T_INT, 0, "changes about this customer and its records"},
    {"record", KITH_T_OBJECT, 0, "{kind, id}: changes to one record (kind as items name it)"},
    {"by", KITH_T_STRING, 0, "who: a token name, rule:<file>, job:<name> or system"},
    {"from", KITH_T_TIME, 0, "changes at or after this time"},
    {"to", KITH_T_TIME, 0, "changes before this time"},
    KITH_LIST_PARAMS,
    {NULL},
};
static const kith_param stages_params[] = {
    {"customer_id", KITH_T_INT, 0, "the customer; without it, time in stage across customers"},
    {NULL},
};
static const kith_param set_stage_params[] = {
    {"id", KITH_T_INT, 1, "the customer"},
    {"stage", KITH_T_STRING, 1, "the new lifecycle stage"},
    {"reason", KITH_T_STRING, 0, "why (kept in the stage history and the event)"},
    {NULL},
};

const kith_command kith_cmd_history[] = {
    {"audit.list", audit_list, audit_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "The audit trail: every change, who made it, through which method, field by field",
     "{items: [{at, by, method, type, record: {kind, id}, customer_id, changes}], next_cursor}"},
    {"customer.stages", customer_stages, stages_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "A customer's lifecycle stage history and time in each stage; without customer_id, how "
     "long customers stay in each stage",
     "{customer_id, stage, history: [{at, from, to, reason, by, left_at, duration_s}], "
     "time_in_stage_s} or {stage_durations: {stage: {n, current, mean_s, median_s, p90_s}}}"},
    {"customer.set_stage", customer_set_stage, set_stage_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Move a customer to a lifecycle stage, with a reason", "the customer"},
    {NULL},
};
