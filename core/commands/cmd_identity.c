/*
 * identity.add / remove / list: the keys other systems know a customer by
 * (store/identity.h).  customer.get finds a customer by one of them
 * (cmd_customer.c) and shows them all in its `identities` field.
 */
#include "commands/commands.h"
#include "store/identity.h"
#include "util/error.h"
#include "util/json.h"

#define MAX_SOURCE 64
#define MAX_KEY    256

/* Reads customer_id, source and key, and checks the customer exists. */
static int identity_args(kith_ctx *ctx, const cJSON *params, int64_t *id, const char **source,
                         const char **key)
{
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", id);
    if (!rc) rc = kith_cmd_check_text(ctx, params, "source", MAX_SOURCE, 1);
    if (!rc) rc = kith_cmd_check_text(ctx, params, "key", MAX_KEY, 1);
    if (!rc) rc = kith_cmd_customer_exists(ctx, *id);
    *source = kith_json_get_str(params, "source");
    *key = kith_json_get_str(params, "key");
    return rc;
}

static cJSON *identity_record(int64_t id, const char *source, const char *key)
{
    cJSON *o = cJSON_CreateObject();
    kith_json_add_int(o, "customer_id", id);
    kith_json_add_str(o, "source", source);
    kith_json_add_str(o, "key", key);
    return o;
}

/* Emits `type` with {identity: {customer_id, source, key}} and hands the
 * identity back as the reply. */
static int emit_identity(kith_ctx *ctx, const char *type, int64_t id, const char *source,
                         const char *key, cJSON **result)
{
    cJSON *rec = identity_record(id, source, key);
    cJSON *data = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(data, "identity", rec);
    int rc = kith_cmd_emit(ctx, type, id, data);
    cJSON_Delete(data);
    if (rc) {
        cJSON_Delete(rec);
        return rc;
    }
    *result = rec;
    return 0;
}

static int identity_add(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    const char *source, *key;
    int rc = identity_args(ctx, params, &id, &source, &key);
    if (rc) return rc;
    int64_t owner = 0;
    rc = kith_store_identity_find(ctx->store, source, key, &owner);
    if (rc == 0 && owner == id) { /* already this customer's: nothing to do, no event */
        *result = identity_record(id, source, key);
        return 0;
    }
    if (rc == 0)
        return kith_cmd_conflict(ctx, "identity_taken", NULL, "%s key %s belongs to customer %lld",
                                 source, key, (long long)owner);
    if (rc != KITH_ENOTFOUND) return kith_cmd_store_fail(ctx, rc, "identity");
    rc = kith_store_identity_add(ctx->store, id, source, key, ctx->now);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "identity");
    return emit_identity(ctx, "identity.added", id, source, key, result);
}

static int identity_remove(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    const char *source, *key;
    int rc = identity_args(ctx, params, &id, &source, &key);
    if (rc) return rc;
    rc = kith_store_identity_remove(ctx->store, id, source, key);
    if (rc == KITH_ENOTFOUND)
        return kith_ctx_fail(ctx, rc, "key", "customer %lld has no %s key %s", (long long)id,
                             source, key);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "identity");
    return emit_identity(ctx, "identity.removed", id, source, key, result);
}

static int identity_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", &id);
    if (!rc) rc = kith_cmd_customer_exists(ctx, id);
    if (rc) return rc;
    cJSON *items = cJSON_CreateArray();
    rc = kith_store_identity_list(ctx->store, id, items);
    if (rc < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "identities");
    }
    *result = items;
    return 0;
}

static const kith_param key_params[] = {
    {"customer_id", KITH_T_INT, 1, "customer id"},
    {"source", KITH_T_STRING, 1, "the system the key comes from: wechat, shopify, pos, ..."},
    {"key", KITH_T_STRING, 1, "the customer's key in that system"},
    {NULL},
};
static const kith_param list_params[] = {{"customer_id", KITH_T_INT, 1, "customer id"}, {NULL}};

const kith_command kith_cmd_identity[] = {
    {"identity.add", identity_add, key_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Give a customer a key from another system; -32009 if it is another customer's",
     "{customer_id, source, key}"},
    {"identity.remove", identity_remove, key_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Take a key from a customer", "{customer_id, source, key}"},
    {"identity.list", identity_list, list_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "A customer's keys from other systems", "[{source, key, created_at}]"},
    {NULL},
};
