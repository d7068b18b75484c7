/*
 * order.create / list.  Amounts are exact to the cent: the JSON number is
 * converted to integer cents once, here, and refused if it has a third
 * decimal.  Creating an order updates the customer's stats and the
 * order.created rollup (store/rollup.h) in the same request, emits
 * order.created, and attributes the order to the campaigns whose window
 * holds it (or to the one its campaign_id names; campaign_members.c).
 */
#include "commands/campaign_ops.h"
#include "commands/commands.h"
#include "commands/customer_ops.h"
#include "store/activity.h"
#include "store/cohort.h"
#include "store/customer.h"
#include "store/loyalty.h"
#include "store/rules.h"
#include "store/rollup.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"

#include <ctype.h>
#include <string.h>

static int check_currency(kith_ctx *ctx, const char *cur)
{
    if (!cur) return 0;
    if (strlen(cur) != 3 || !isupper((unsigned char)cur[0]) || !isupper((unsigned char)cur[1]) ||
        !isupper((unsigned char)cur[2]))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "currency",
                             "currency must be an ISO 4217 code like EUR or USD");
    return 0;
}

/* The day's revenue in the "revenue" rollup, in total and under the tier,
 * class, owner and segments the customer has when ordering (README
 * "Measuring"): deferred to the pass's commit like the order count
 * (rollup.h note 4), so the reads of her tier and segments are the cost. */
static int record_revenue(kith_ctx *ctx, int64_t cid, const cJSON *customer, int64_t cents,
                          int64_t at)
{
    double x = (double)cents / 100.0;
    kith_loyalty_account acct = {0};
    cJSON *segs = cJSON_CreateArray();
    int rc = segs ? 0 : KITH_ENOMEM;
    if (!rc && kith_store_loyalty_account_get(ctx->store, cid, &acct) < 0) acct.tier[0] = '\0';
    if (!rc) rc = kith_store_segment_of(ctx->store, cid, segs);
    if (rc > 0) rc = 0;
    const struct {
        const char *dim, *key;
    } groups[] = {{"", ""},
                  {"tier", acct.tier[0] ? acct.tier : NULL},
                  {"class", kith_json_get_str(customer, "class")},
                  {"owner", kith_json_get_str(customer, "owner")}};
    for (size_t i = 0; !rc && i < sizeof(groups) / sizeof(groups[0]); i++)
        if (groups[i].key)
            rc = kith_rollup_add(ctx->store, "revenue", groups[i].dim, groups[i].key, at, 1, x);
    const cJSON *seg;
    cJSON_ArrayForEach(seg, segs) if (!rc && cJSON_IsString(seg)) rc =
        kith_rollup_add(ctx->store, "revenue", "segment", seg->valuestring, at, 1, x);
    cJSON_Delete(segs);
    return rc;
}

int kith_order_create_rec(kith_ctx *ctx, const cJSON *params, int flags, cJSON **result)
{
    int64_t cid, cents, at = ctx->now;
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", &cid);
    if (rc) return rc;
    double amount = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(params, "amount"));
    if (kith_money_from_double(amount, &cents) < 0 || cents < 0)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "amount",
                             "amount must be a non-negative number with at most 2 decimals "
                             "and below 10^13");
    if ((rc = check_currency(ctx, kith_json_get_str(params, "currency")))) return rc;
    if ((rc = kith_cmd_check_text(ctx, params, "external_id", 128, 1))) return rc;
    if ((rc = kith_cmd_time_arg(ctx, params, "at", &at))) return rc;
    int64_t campaign_id;
    if ((rc = kith_campaign_order_arg(ctx, params, &campaign_id))) return rc;
    cJSON *customer = NULL;
    if ((rc = kith_store_customer_get(ctx->store, cid, &customer)) < 0)
        return kith_cmd_store_fail(ctx, rc, "customer");
    cJSON *rec = cJSON_Duplicate(params, 1);
    if (!kith_json_get_str(rec, "currency")) {
        cJSON_DeleteItemFromObjectCaseSensitive(rec, "currency");
        cJSON_AddStringToObject(rec, "currency", ctx->env->default_currency);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "at");
    kith_json_add_time(rec, "at", at);
    cJSON *context = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(context, "customer", customer);
    if (flags & KITH_WRITE_IMPORT) cJSON_AddBoolToObject(context, "import", 1);
    rc = kith_cmd_before(ctx, "order.created", "order", &rec, context);
    /* Check again what the hooks may have changed. */
    const cJSON *amt = cJSON_GetObjectItemCaseSensitive(rec, "amount");
    if (!rc &&
        (!cJSON_IsNumber(amt) || kith_money_from_double(amt->valuedouble, &cents) < 0 || cents < 0))
        rc = kith_ctx_fail(ctx, KITH_ESCRIPT, "amount", "a rule left the order's amount invalid");
    if (!rc && !kith_json_get_str(rec, "currency"))
        rc = kith_ctx_fail(ctx, KITH_ESCRIPT, "currency",
                           "a rule left the order's currency invalid");
    if (!rc) rc = check_currency(ctx, kith_json_get_str(rec, "currency"));
    if (!rc) rc = kith_cmd_time_arg(ctx, rec, "at", &at);
    cJSON *order = NULL;
    if (!rc) rc = kith_store_order_insert(ctx->store, rec, cents, at, ctx->now, &order);
    cJSON_Delete(rec);
    if (rc == KITH_ECONFLICT && !ctx->err->code)
        rc = kith_ctx_fail(ctx, rc, "external_id", "an order with external_id %s exists",
                           kith_json_get_str(params, "external_id"));
    if (!rc) rc = kith_store_stats_add_order(ctx->store, cid, cents, at);
    if (!rc) rc = kith_cohort_add_order(ctx->store, cid, at);
    if (!rc) rc = record_revenue(ctx, cid, customer, cents, at);
    /* The day's order count, for ticket.metrics' complaints per 100 orders:
     * on the order's own day, so orders recorded late count when placed.
     * Deferred to the pass's commit (rollup.h note 4): one statement per
     * pass, not per order. */
    if (!rc) rc = kith_rollup_count(ctx->store, "order.created", at, 1);
    if (rc < 0 && !ctx->err->code) rc = kith_cmd_store_fail(ctx, rc, "order");
    cJSON_Delete(context);
    if (!rc) {
        cJSON *data = cJSON_CreateObject();
        cJSON_AddItemReferenceToObject(data, "order", order);
        cJSON_AddItemReferenceToObject(data, "customer", customer);
        if (flags & KITH_WRITE_IMPORT) cJSON_AddBoolToObject(data, "import", 1);
        rc = kith_cmd_emit(ctx, "order.created", cid, data);
        cJSON_Delete(data);
    }
    /* After order.created, so campaign.converted follows the order it is about. */
    if (!rc) rc = kith_campaign_attribute(ctx, cid, order, cents, at, campaign_id);
    cJSON_Delete(customer);
    if (rc) {
        cJSON_Delete(order);
        return rc;
    }
    *result = order;
    return 0;
}

static int order_create(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    return kith_order_create_rec(ctx, params, 0, result);
}

static int order_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t cid;
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more;
    int all = ctx->cmd && strcmp(ctx->cmd->name, "order.search") == 0;
    int rc = all ? 0 : kith_cmd_id_arg(ctx, params, "customer_id", &cid);
    if (!rc) rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (rc) return rc;
    if (!all && (rc = kith_cmd_customer_exists(ctx, cid))) return rc;
    cJSON *items = cJSON_CreateArray();
    rc = all ? kith_store_order_all(ctx->store, limit, after, items, &more, &next)
             : kith_store_order_list(ctx->store, cid, limit, after, items, &more, &next);
    if (rc < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "orders");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}

static const kith_param create_params[] = {
    {"customer_id", KITH_T_INT, 1, "customer id"},
    {"amount", KITH_T_NUMBER, 1, "total in major units, exact to the cent (19.99)"},
    {"currency", KITH_T_STRING, 0, "ISO 4217 code (default from the config)"},
    {"items", KITH_T_ARRAY, 0, "line items, as your shop describes them"},
    {"at", KITH_T_TIME, 0, "when it was placed (default now)"},
    {"external_id", KITH_T_STRING, 0, "your system's order id; unique"},
    {"campaign_id", KITH_T_INT, 0, "the campaign it came from (explicit attribution)"},
    {NULL},
};
static const kith_param list_params[] = {
    {"customer_id", KITH_T_INT, 1, "customer id"},
    KITH_LIST_PARAMS,
    {NULL},
};
static const kith_param search_params[] = {KITH_LIST_PARAMS, {NULL}};

const kith_command kith_cmd_order[] = {
    {"order.create", order_create, create_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Record an order for a customer", "the order"},
    {"order.list", order_list, list_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "A customer's orders, newest first", "{items: [order], next_cursor}"},
    {"order.search", order_list, search_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Every customer's orders, oldest id first, each with customer_external_id (for exports)",
     "{items: [order], next_cursor}"},
    {NULL},
};
