/*
 * customer.duplicates / customer.not_duplicate: the pairs the crm.match rule
 * found (script/match.c, store/duplicate.h), and dismissing one for good;
 * data.quality, the report on how complete and clean the records are.
 */
#include "commands/commands.h"
#include "store/duplicate.h"
#include "store/quality.h"
#include "util/error.h"
#include "util/json.h"

#include <string.h>

static int duplicates(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    static const char *const statuses[] = {"open", "dismissed", "merged", NULL};
    kith_dup_filter f = {.status = "open"};
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more;
    int rc = 0;
    if (cJSON_GetObjectItemCaseSensitive(params, "customer_id")) {
        rc = kith_cmd_id_arg(ctx, params, "customer_id", &f.customer_id);
        if (!rc) rc = kith_cmd_customer_exists(ctx, f.customer_id);
    }
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(params, "min_score");
    if (!rc && min) {
        if (!cJSON_IsNumber(min) || min->valuedouble < 0 || min->valuedouble > 1)
            return kith_ctx_fail(ctx, KITH_EPARAMS, "min_score", "min_score must be in [0, 1]");
        f.min_score = min->valuedouble;
    }
    if (!rc) rc = kith_cmd_check_enum(ctx, params, "status", statuses, 0);
    if (!rc && kith_json_get_str(params, "status")) f.status = kith_json_get_str(params, "status");
    if (!rc) rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (rc) return rc;
    cJSON *items = cJSON_CreateArray();
    rc = kith_store_dup_list(ctx->store, &f, limit, after, items, &more, &next);
    if (rc < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "duplicates");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}

static int not_duplicate(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t a, b;
    int rc = kith_cmd_id_arg(ctx, params, "a", &a);
    if (!rc) rc = kith_cmd_id_arg(ctx, params, "b", &b);
    if (!rc && a == b) return kith_ctx_fail(ctx, KITH_EPARAMS, "b", "a and b must differ");
    if (!rc) rc = kith_cmd_customer_exists(ctx, a);
    if (!rc) rc = kith_cmd_customer_exists(ctx, b);
    if (rc) return rc;
    if ((rc = kith_store_dup_dismiss(ctx->store, a, b, ctx->now)) < 0)
        return kith_cmd_store_fail(ctx, rc, "duplicate pair");
    cJSON *o = cJSON_CreateObject();
    kith_json_add_int(o, "a", a < b ? a : b);
    kith_json_add_int(o, "b", a < b ? b : a);
    kith_json_add_str(o, "status", "dismissed");
    *result = o;
    return 0;
}

#define STALE_MS (365LL * 86400000LL)

static int data_quality(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    (void)params;
    int rc = kith_store_quality(ctx->store, ctx->now - STALE_MS, result);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "quality report") : 0;
}

static const kith_param no_params[] = {{NULL}};
static const kith_param duplicates_params[] = {
    {"customer_id", KITH_T_INT, 0, "only the pairs this customer is in"},
    {"min_score", KITH_T_NUMBER, 0, "only pairs scoring at least this (0..1)"},
    {"status", KITH_T_STRING, 0, "open (default), dismissed or merged"},
    KITH_LIST_PARAMS,
    {NULL},
};
static const kith_param pair_params[] = {
    {"a", KITH_T_INT, 1, "one customer"},
    {"b", KITH_T_INT, 1, "the other"},
    {NULL},
};

const kith_command kith_cmd_duplicate[] = {
    {"customer.duplicates", duplicates, duplicates_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Pairs of customers the duplicate rule (crm.match) found, by a then b",
     "{items: [{a, b, score, reasons, status, updated_at}], next_cursor}"},
    {"customer.not_duplicate", not_duplicate, pair_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Dismiss a pair for good: the rule will not propose it again", "{a, b, status}"},
    {"data.quality", data_quality, no_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "How complete and clean the customer records are (scans the customers)",
     "{customers, completeness: {field: pct}, invalid: {email, phone}, duplicates_open, stale, "
     "never_contacted}"},
    {NULL},
};
