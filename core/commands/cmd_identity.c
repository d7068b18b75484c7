/*
 * identity.add / remove / list: the keys other systems know a customer by
 * ({source, key}: a shop's customer id, a POS card, a WeChat openid).  A key
 * belongs to one customer; customer.get {source, key} finds by it, and
 * customer.import and order.import match on it.
 */
#include "commands/commands.h"
#include "store/identity.h"
#include "util/error.h"
#include "util/json.h"

#include <string.h>

/* Reads customer_id, source and key, checking their sizes. */
static int identity_args(kith_ctx *ctx, const cJSON *params, int64_t *cid, const char **source,
                         const char **key)
{
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", cid);
    if (!rc) rc = kith_cmd_check_text(ctx, params, "source", 64, 1);
    if (!rc) rc = kith_cmd_check_text(ctx, params, "key", 256, 1);
    if (rc) return rc;
    *source = kith_json_get_str(params, "source");
    *key = kith_json_get_str(params, "key");
    return kith_cmd_customer_exists(ctx, *cid);
}

/* Emits identity.<verb> {identity: {source, key}} about customer `cid` and
 * returns the identity as the reply. */
static int emit_identity(kith_ctx *ctx, const char *type, int64_t cid, const char *source,
                         const char *key, cJSON **result)
{
    cJSON *ident = cJSON_CreateObject();
    kith_json_add_int(ident, "customer_id", cid);
    kith_json_add_str(ident, "source", source);
    kith_json_add_str(ident, "key", key);
    int rc = kith_cmd_emit_record(ctx, type, cid, "identity", ident, NULL);
    if (rc) {
        cJSON_Delete(ident);
        return rc;
    }
    *result = ident;
    return 0;
}

static int identity_add(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t cid, holder = 0;
    const char *source, *key;
    int rc = identity_args(ctx, params, &cid, &source, &key);
    if (rc) return rc;
    if (kith_store_identity_find(ctx->store, source, key, &holder) == 0) {
        if (holder != cid)
            return kith_cmd_conflict(ctx, "identity_taken", NULL,
                                     "%s:%s already identifies customer %lld", source, key,
                                     (long long)holder);
        *result = cJSON_CreateObject(); /* already theirs: nothing changes */
        kith_json_add_int(*result, "customer_id", cid);
        kith_json_add_str(*result, "source", source);
        kith_json_add_str(*result, "key", key);
        return 0;
    }
    rc = kith_store_identity_add(ctx->store, cid, source, key, ctx->now);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "identity");
    return emit_identity(ctx, "identity.added", cid, source, key, result);
}

static int identity_remove(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t cid;
    const char *source, *key;
    int rc = identity_args(ctx, params, &cid, &source, &key);
    if (rc) return rc;
    rc = kith_store_identity_remove(ctx->store, cid, source, key);
    if (rc == KITH_ENOTFOUND)
        return kith_ctx_fail(ctx, rc, "key", "customer %lld has no identity %s:%s", (long long)cid,
                             source, key);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "identity");
    return emit_identity(ctx, "identity.removed", cid, source, key, result);
}

static int identity_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t cid;
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", &cid);
    if (!rc) rc = kith_cmd_customer_exists(ctx, cid);
    if (rc) return rc;
    cJSON *items = cJSON_CreateArray();
    if ((rc = kith_store_identity_list(ctx->store, cid, items)) < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "identities");
    }
    *result = kith_cmd_page_result(items, 0, NULL);
    return 0;
}

static const kith_param ident_params[] = {
    {"customer_id", KITH_T_INT, 1, "customer id"},
    {"source", KITH_T_STRING, 1, "the system the key comes from (shopify, pos, wechat, ...)"},
    {"key", KITH_T_STRING, 1, "the customer's key in that system"},
    {NULL},
};
static const kith_param list_params[] = {{"customer_id", KITH_T_INT, 1, "customer id"}, {NULL}};

const kith_command kith_cmd_identity[] = {
    {"identity.add", identity_add, ident_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Give a customer an identity {source, key}; -32009 if it is another customer's",
     "{customer_id, source, key}"},
    {"identity.remove", identity_remove, ident_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Take an identity from a customer", "{customer_id, source, key}"},
    {"identity.list", identity_list, list_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "A customer's identities", "{items: [{source, key, created_at}], next_cursor: null}"},
    {NULL},
};
