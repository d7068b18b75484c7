/*
 * loyalty.balance / history / award / redeem, and the operations of
 * loyalty_ops.h they are built on.  The ledger arithmetic is the store's
 * (store/loyalty.h); this file checks the request, finds the customer, keeps
 * the tier in step with lifetime points and emits the events.
 */
#include "commands/commands.h"
#include "commands/loyalty_ops.h"
#include "store/customer.h"
#include "store/loyalty.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <string.h>

#define MAX_REASON 500

static int check_points(kith_ctx *ctx, int64_t points)
{
    if (points < 1 || points > KITH_LOYALTY_MAX_POINTS)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "points", "points must be between 1 and %d",
                             KITH_LOYALTY_MAX_POINTS);
    return 0;
}

static int check_reason(kith_ctx *ctx, const char *reason)
{
    size_t n = reason ? strlen(reason) : 0;
    if (n == 0 || strspn(reason, " \t\r\n") == n)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "reason", "reason must not be empty");
    if (n > MAX_REASON)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "reason", "reason is longer than %d bytes",
                             MAX_REASON);
    return 0;
}

static int get_customer(kith_ctx *ctx, int64_t customer_id, cJSON **customer)
{
    int rc = kith_store_customer_get(ctx->store, customer_id, customer);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "customer") : 0;
}

/* Emits {entry, customer, balance} on `channel`. */
static int emit_entry(kith_ctx *ctx, const char *channel, const cJSON *entry, const cJSON *customer,
                      int64_t customer_id, int64_t balance)
{
    cJSON *data = cJSON_CreateObject();
    if (!data || !cJSON_AddItemReferenceToObject(data, "entry", (cJSON *)entry) ||
        !cJSON_AddItemReferenceToObject(data, "customer", (cJSON *)customer) ||
        kith_json_add_int(data, "balance", balance)) {
        cJSON_Delete(data);
        return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    }
    int rc = kith_cmd_emit(ctx, channel, customer_id, data);
    cJSON_Delete(data);
    return rc;
}

/* Sets the tier the customer's lifetime points reach and emits
 * loyalty.tier_changed when it differs from the one on record.  With no
 * tiers configured, tiers are left alone: a missing crm.tiers must not wipe
 * them. */
int kith_loyalty_update_tier(kith_ctx *ctx, int64_t customer_id, const cJSON *customer)
{
    if (!ctx->env->tiers || ctx->env->ntiers == 0) return 0;
    kith_loyalty_account acct;
    int rc = kith_store_loyalty_account_get(ctx->store, customer_id, &acct);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "loyalty account");
    const char *tier = kith_loyalty_tier_for(ctx->env->tiers, ctx->env->ntiers, acct.lifetime);
    const char *old = acct.tier[0] ? acct.tier : NULL;
    /* A customer never stored with a tier was in the entry tier (min 0)
     * all along, as customer.get reports: staying there is no change. */
    const char *shown = old ? old : kith_loyalty_tier_for(ctx->env->tiers, ctx->env->ntiers, 0);
    if (tier && shown && strcmp(tier, shown) == 0) {
        if (!old && (rc = kith_store_loyalty_set_tier(ctx->store, customer_id, tier)) < 0)
            return kith_cmd_store_fail(ctx, rc, "tier");
        return 0;
    }
    if (!tier && !shown) return 0;
    old = shown;
    if ((rc = kith_store_loyalty_set_tier(ctx->store, customer_id, tier)) < 0)
        return kith_cmd_store_fail(ctx, rc, "tier");
    cJSON *data = cJSON_CreateObject();
    if (!data || !cJSON_AddItemReferenceToObject(data, "customer", (cJSON *)customer) ||
        kith_json_add_str(data, "tier", tier) || kith_json_add_str(data, "old_tier", old)) {
        cJSON_Delete(data);
        return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    }
    rc = kith_cmd_emit(ctx, "loyalty.tier_changed", customer_id, data);
    cJSON_Delete(data);
    return rc;
}

int kith_loyalty_award(kith_ctx *ctx, int64_t customer_id, int64_t points, const char *reason,
                       int64_t expires_at, cJSON **entry)
{
    *entry = NULL;
    int rc = check_points(ctx, points);
    if (!rc) rc = check_reason(ctx, reason);
    if (!rc && expires_at != KITH_TIME_NONE && expires_at <= ctx->now)
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "expires_in", "points must expire in the future");
    if (rc) return rc;
    cJSON *customer = NULL, *e = NULL;
    int64_t balance = 0;
    if ((rc = get_customer(ctx, customer_id, &customer))) return rc;
    rc = kith_store_loyalty_award(ctx->store, customer_id, points, reason, ctx->now, expires_at,
                                  &balance, &e);
    if (rc < 0) rc = kith_cmd_store_fail(ctx, rc, "award");
    if (!rc) rc = emit_entry(ctx, "loyalty.awarded", e, customer, customer_id, balance);
    if (!rc) rc = kith_loyalty_update_tier(ctx, customer_id, customer);
    cJSON_Delete(customer);
    if (rc) {
        cJSON_Delete(e);
        return rc;
    }
    *entry = e;
    return 0;
}

static int insufficient(kith_ctx *ctx, int64_t balance, int64_t asked)
{
    kith_ctx_fail(ctx, KITH_ECONFLICT, "points", "insufficient_points: balance is %lld, asked %lld",
                  (long long)balance, (long long)asked);
    cJSON *data = cJSON_CreateObject();
    if (data && (kith_json_add_str(data, "reason", "insufficient_points") ||
                 kith_json_add_int(data, "balance", balance))) {
        cJSON_Delete(data);
        data = NULL;
    }
    /* Without the extra data the error still carries its code and message. */
    cJSON_Delete(ctx->err->data);
    ctx->err->data = data;
    return KITH_ECONFLICT;
}

int kith_loyalty_redeem(kith_ctx *ctx, int64_t customer_id, int64_t points, const char *reason,
                        cJSON **entry)
{
    *entry = NULL;
    int rc = check_points(ctx, points);
    if (!rc) rc = check_reason(ctx, reason);
    if (rc) return rc;
    cJSON *customer = NULL, *e = NULL;
    int64_t balance = 0;
    if ((rc = get_customer(ctx, customer_id, &customer))) return rc;
    rc = kith_store_loyalty_redeem(ctx->store, customer_id, points, reason, ctx->now, &balance, &e);
    if (rc == KITH_ECONFLICT)
        rc = insufficient(ctx, balance, points);
    else if (rc < 0)
        rc = kith_cmd_store_fail(ctx, rc, "redemption");
    if (!rc) rc = emit_entry(ctx, "loyalty.redeemed", e, customer, customer_id, balance);
    if (!rc) rc = kith_loyalty_update_tier(ctx, customer_id, customer);
    cJSON_Delete(customer);
    if (rc) {
        cJSON_Delete(e);
        return rc;
    }
    *entry = e;
    return 0;
}

int kith_loyalty_balance(kith_ctx *ctx, int64_t customer_id, cJSON **out)
{
    cJSON *customer = NULL;
    *out = NULL;
    int rc = get_customer(ctx, customer_id, &customer);
    if (rc) return rc;
    cJSON_Delete(customer);
    if ((rc = kith_store_loyalty_balance(ctx->store, customer_id, ctx->now, out)) < 0)
        return kith_cmd_store_fail(ctx, rc, "balance");
    /* A customer who never earned a point is still in the entry tier (a
     * tier with min 0), though no change has stored it yet. */
    if (cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(*out, "tier"))) {
        const cJSON *lt = cJSON_GetObjectItemCaseSensitive(*out, "lifetime");
        const char *tier = kith_loyalty_tier_for(ctx->env->tiers, ctx->env->ntiers,
                                                 (int64_t)cJSON_GetNumberValue(lt));
        if (tier) cJSON_ReplaceItemInObjectCaseSensitive(*out, "tier", cJSON_CreateString(tier));
    }
    return 0;
}

int kith_loyalty_expire(kith_ctx *ctx, int limit, int *expired)
{
    cJSON *entries = cJSON_CreateArray();
    *expired = 0;
    if (!entries) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    int rc = kith_store_loyalty_expire(ctx->store, ctx->now, limit, entries, expired);
    if (rc < 0) rc = kith_cmd_store_fail(ctx, rc, "expiry");
    const cJSON *e;
    cJSON_ArrayForEach(e, entries)
    {
        if (rc) break;
        int64_t cid =
            (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "customer_id"));
        cJSON *customer = NULL;
        int64_t balance = 0;
        rc = get_customer(ctx, cid, &customer);
        if (!rc && (rc = kith_store_loyalty_available(ctx->store, cid, ctx->now, &balance)) < 0)
            rc = kith_cmd_store_fail(ctx, rc, "balance");
        if (!rc) rc = emit_entry(ctx, "loyalty.expired", e, customer, cid, balance);
        cJSON_Delete(customer);
    }
    cJSON_Delete(entries);
    return rc;
}

/* ---- the commands ---- */

static int64_t int_param(const cJSON *params, const char *name)
{
    return (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(params, name));
}

static int loyalty_balance(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t cid;
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", &cid);
    return rc ? rc : kith_loyalty_balance(ctx, cid, result);
}

static int loyalty_history(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t cid;
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more;
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", &cid);
    if (!rc) rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    cJSON *customer = NULL;
    if (!rc) rc = get_customer(ctx, cid, &customer);
    if (rc) return rc;
    cJSON_Delete(customer);
    cJSON *items = cJSON_CreateArray();
    if (!items) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    rc = kith_store_loyalty_history(ctx->store, cid, limit, after, items, &more, &next);
    if (rc < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "ledger");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}

static int loyalty_award(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t cid, expires_at = KITH_TIME_NONE, ttl;
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", &cid);
    if (rc) return rc;
    const char *expires_in = kith_json_get_str(params, "expires_in");
    if (expires_in) {
        if (kith_time_parse_duration(expires_in, &ttl) < 0 || ttl <= 0)
            return kith_ctx_fail(ctx, KITH_EPARAMS, "expires_in",
                                 "expires_in must be a duration like \"365d\" or \"12w\"");
        expires_at = ctx->now + ttl;
    }
    return kith_loyalty_award(ctx, cid, int_param(params, "points"),
                              kith_json_get_str(params, "reason"), expires_at, result);
}

static int loyalty_redeem(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t cid;
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", &cid);
    if (rc) return rc;
    return kith_loyalty_redeem(ctx, cid, int_param(params, "points"),
                               kith_json_get_str(params, "reason"), result);
}

static const kith_param customer_params[] = {
    {"customer_id", KITH_T_INT, 1, "customer id"},
    {NULL},
};
static const kith_param history_params[] = {
    {"customer_id", KITH_T_INT, 1, "customer id"},
    KITH_LIST_PARAMS,
    {NULL},
};
static const kith_param award_params[] = {
    {"customer_id", KITH_T_INT, 1, "customer id"},
    {"points", KITH_T_INT, 1, "points to credit, 1..1000000000"},
    {"reason", KITH_T_STRING, 1, "why, as the customer's history shows it"},
    {"expires_in", KITH_T_STRING, 0, "lifetime of these points, like \"365d\" (default: never)"},
    {NULL},
};
static const kith_param redeem_params[] = {
    {"customer_id", KITH_T_INT, 1, "customer id"},
    {"points", KITH_T_INT, 1, "points to spend, at most the balance"},
    {"reason", KITH_T_STRING, 1, "what they were spent on"},
    {NULL},
};

const kith_command kith_cmd_loyalty[] = {
    {"loyalty.balance", loyalty_balance, customer_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "A customer's points, tier and the points about to expire",
     "{points, lifetime, tier, expiring: [{points, at}]}"},
    {"loyalty.history", loyalty_history, history_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "A customer's points ledger, newest first", "{items: [entry], next_cursor}"},
    {"loyalty.award", loyalty_award, award_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Credit points to a customer", "the ledger entry"},
    {"loyalty.redeem", loyalty_redeem, redeem_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Spend a customer's points, soonest-expiring first",
     "the ledger entry, or -32009 insufficient_points"},
    {NULL},
};
