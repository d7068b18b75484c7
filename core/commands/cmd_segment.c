/*
 * segment.list / members / of / refresh and churn.get / list: reading what
 * the rules maintain.  Membership and scores are kept up to date by the
 * engine as events touch customers; refresh re-evaluates on demand.
 */
#include "commands/commands.h"
#include "script/script.h"
#include "store/customer.h"
#include "store/rules.h"
#include "util/error.h"
#include "util/json.h"

#include <string.h>

static int segment_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    cJSON *out = cJSON_CreateArray();
    int rc = kith_store_segment_list(ctx->store, out);
    if (rc < 0) {
        cJSON_Delete(out);
        return kith_cmd_store_fail(ctx, rc, "segments");
    }
    *result = out;
    return 0;
}

static int segment_members(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    const char *name = kith_json_get_str(params, "name");
    if (!kith_store_segment_exists(ctx->store, name))
        return kith_ctx_fail(ctx, KITH_ENOTFOUND, "name", "no segment named '%s'", name);
    kith_customer_filter f = {.segment = name};
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more;
    int rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (rc) return rc;
    cJSON *items = cJSON_CreateArray();
    rc = kith_store_customer_list(ctx->store, &f, limit, after, items, &more, &next);
    if (rc < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "segment members");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}

static int check_customer(kith_ctx *ctx, const cJSON *params, int64_t *id)
{
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", id);
    return rc ? rc : kith_cmd_customer_exists(ctx, *id);
}

static int segment_of(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    int rc = check_customer(ctx, params, &id);
    if (rc) return rc;
    cJSON *names = cJSON_CreateArray();
    if ((rc = kith_store_segment_of(ctx->store, id, names)) < 0) {
        cJSON_Delete(names);
        return kith_cmd_store_fail(ctx, rc, "segments");
    }
    *result = names;
    return 0;
}

static int segment_refresh(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    const char *name = kith_json_get_str(params, "name");
    if (name && !kith_store_segment_exists(ctx->store, name))
        return kith_ctx_fail(ctx, KITH_ENOTFOUND, "name", "no segment named '%s'", name);
    int64_t evaluated, entered, left;
    int rc = kith_script_refresh_all(ctx, name, &evaluated, &entered, &left);
    if (rc) return rc;
    cJSON *o = cJSON_CreateObject();
    kith_json_add_int(o, "evaluated", evaluated);
    kith_json_add_int(o, "entered", entered);
    kith_json_add_int(o, "left", left);
    *result = o;
    return 0;
}

static int churn_get(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    int rc = check_customer(ctx, params, &id);
    if (rc) return rc;
    cJSON *o = NULL;
    rc = kith_store_churn_get(ctx->store, id, &o, NULL);
    if (rc == KITH_ENOTFOUND) {
        /* Never scored (no churn rule yet, or not evaluated since). */
        o = cJSON_CreateObject();
        cJSON_AddNullToObject(o, "risk");
        cJSON_AddArrayToObject(o, "reasons");
        cJSON_AddNullToObject(o, "evaluated_at");
    } else if (rc < 0) {
        return kith_cmd_store_fail(ctx, rc, "churn score");
    }
    *result = o;
    return 0;
}

static int churn_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(params, "min_risk");
    double min_risk = cJSON_IsNumber(m) ? m->valuedouble : 0;
    if (min_risk < 0 || min_risk > 1)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "min_risk", "min_risk must be between 0 and 1");
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more;
    int rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (rc) return rc;
    cJSON *rows = cJSON_CreateArray();
    rc = kith_store_churn_list(ctx->store, min_risk, limit, after, rows, &more, &next);
    if (rc < 0) {
        cJSON_Delete(rows);
        return kith_cmd_store_fail(ctx, rc, "churn scores");
    }
    /* Each row carries its customer, as the contract's shape asks. */
    cJSON *items = cJSON_CreateArray();
    cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        cJSON *o = cJSON_CreateObject(), *c = NULL;
        int64_t cid = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(row, "customer_id"));
        if (kith_store_customer_get(ctx->store, cid, &c) == 0)
            cJSON_AddItemToObject(o, "customer", c);
        cJSON_AddItemToObject(o, "risk", cJSON_Duplicate(cJSON_GetObjectItem(row, "risk"), 1));
        cJSON_AddItemToObject(o, "reasons",
                              cJSON_Duplicate(cJSON_GetObjectItem(row, "reasons"), 1));
        cJSON_AddItemToObject(o, "evaluated_at",
                              cJSON_Duplicate(cJSON_GetObjectItem(row, "evaluated_at"), 1));
        cJSON_AddItemToArray(items, o);
    }
    cJSON_Delete(rows);
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}

static const kith_param no_params[] = {{NULL}};
static const kith_param members_params[] = {
    {"name", KITH_T_STRING, 1, "segment name"}, KITH_LIST_PARAMS, {NULL}};
static const kith_param customer_params[] = {{"customer_id", KITH_T_INT, 1, "customer id"}, {NULL}};
static const kith_param refresh_params[] = {
    {"name", KITH_T_STRING, 0, "one segment (default: all)"}, {NULL}};
static const kith_param churn_list_params[] = {
    {"min_risk", KITH_T_NUMBER, 0, "only scores at or above this (0..1)"},
    KITH_LIST_PARAMS,
    {NULL}};

const kith_command kith_cmd_segment[] = {
    {"segment.list", segment_list, no_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "The segments the rules define, with their sizes", "[{name, description, size}]"},
    {"segment.members", segment_members, members_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "The customers in a segment, in id order", "{items: [customer], next_cursor}"},
    {"segment.of", segment_of, customer_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "The segments a customer is in", "[name, ...]"},
    {"segment.refresh", segment_refresh, refresh_params, KITH_CMD_WRITE, KITH_ROLE_ADMIN,
     "Re-evaluate a segment (or all) for every customer now", "{evaluated, entered, left}"},
    {"churn.get", churn_get, customer_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "A customer's churn risk and its reasons", "{risk, reasons, evaluated_at}"},
    {"churn.list", churn_list, churn_list_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Customers by churn risk, highest first", "{items: [{customer, risk, reasons}], next_cursor}"},
    {NULL},
};
