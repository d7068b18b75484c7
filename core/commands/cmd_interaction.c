/*
 * interaction.log / list: a customer's contacts with the business.  Logging
 * one updates the customer's stats (interactions, complaints) in the same
 * request and emits interaction.logged.
 */
#include "commands/commands.h"
#include "store/activity.h"
#include "store/customer.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"

#include <string.h>

static const char *const types[] = {"call",      "email", "visit", "meeting", "note",
                                    "complaint", "sms",   "chat",  "social",  NULL};

static int check_type(kith_ctx *ctx, const char *type)
{
    for (int i = 0; types[i]; i++)
        if (strcmp(type, types[i]) == 0) return 0;
    return kith_ctx_fail(ctx, KITH_EPARAMS, "type",
                         "type must be one of call, email, visit, meeting, note, complaint, "
                         "sms, chat, social");
}

static int interaction_log(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t cid, at = ctx->now;
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", &cid);
    if (!rc) rc = check_type(ctx, kith_json_get_str(params, "type"));
    if (!rc) rc = kith_cmd_check_text(ctx, params, "summary", 10000, 1);
    if (!rc) rc = kith_cmd_check_text(ctx, params, "by", 64, 1);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "at", &at);
    if (rc) return rc;
    cJSON *customer = NULL;
    if ((rc = kith_store_customer_get(ctx->store, cid, &customer)) < 0)
        return kith_cmd_store_fail(ctx, rc, "customer");
    /* `by` defaults to whoever is calling. */
    cJSON *rec = cJSON_Duplicate(params, 1);
    if (!kith_json_get_str(rec, "by")) {
        cJSON_DeleteItemFromObjectCaseSensitive(rec, "by");
        cJSON_AddStringToObject(rec, "by", ctx->session->name);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "at");
    kith_json_add_time(rec, "at", at);
    cJSON *context = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(context, "customer", customer);
    rc = kith_cmd_before(ctx, "interaction.logged", "interaction", &rec, context);
    cJSON_Delete(context);
    /* Check again what the hooks may have changed. */
    const char *type = kith_json_get_str(rec, "type");
    if (!rc)
        rc = type ? check_type(ctx, type)
                  : kith_ctx_fail(ctx, KITH_ESCRIPT, "type",
                                  "a rule removed the interaction's type");
    if (!rc && !kith_json_get_str(rec, "summary"))
        rc =
            kith_ctx_fail(ctx, KITH_ESCRIPT, "summary", "a rule removed the interaction's summary");
    if (!rc) rc = kith_cmd_time_arg(ctx, rec, "at", &at);
    int complaint = !rc && strcmp(type, "complaint") == 0;
    cJSON *in = NULL;
    if (!rc) rc = kith_store_interaction_insert(ctx->store, rec, at, ctx->now, &in);
    cJSON_Delete(rec);
    kith_customer_stats st;
    if (!rc) rc = kith_store_stats_get(ctx->store, cid, &st);
    if (!rc) {
        kith_stats_add_interaction(&st, complaint, at);
        rc = kith_store_stats_put(ctx->store, cid, &st);
    }
    if (rc < 0 && !ctx->err->code) rc = kith_cmd_store_fail(ctx, rc, "interaction");
    if (!rc) rc = kith_cmd_emit_record(ctx, "interaction.logged", cid, "interaction", in, customer);
    cJSON_Delete(customer);
    if (rc) {
        cJSON_Delete(in);
        return rc;
    }
    *result = in;
    return 0;
}

static int interaction_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t cid;
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more;
    const char *type = kith_json_get_str(params, "type");
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", &cid);
    if (!rc && type) rc = check_type(ctx, type);
    if (!rc) rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (rc) return rc;
    if ((rc = kith_cmd_customer_exists(ctx, cid))) return rc;
    cJSON *items = cJSON_CreateArray();
    rc = kith_store_interaction_list(ctx->store, cid, type, limit, after, items, &more, &next);
    if (rc < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "interactions");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}

static const kith_param log_params[] = {
    {"customer_id", KITH_T_INT, 1, "customer id"},
    {"type", KITH_T_STRING, 1, "call, email, visit, meeting, note, complaint, sms, chat or social"},
    {"summary", KITH_T_STRING, 1, "what happened"},
    {"at", KITH_T_TIME, 0, "when it happened (default now)"},
    {"by", KITH_T_STRING, 0, "who handled it (default the caller)"},
    {"attrs", KITH_T_OBJECT, 0, "custom attributes"},
    {NULL},
};
static const kith_param list_params[] = {
    {"customer_id", KITH_T_INT, 1, "customer id"},
    {"type", KITH_T_STRING, 0, "only this type"},
    KITH_LIST_PARAMS,
    {NULL},
};

const kith_command kith_cmd_interaction[] = {
    {"interaction.log", interaction_log, log_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Log a call, e-mail, visit, complaint or other contact with a customer", "the interaction"},
    {"interaction.list", interaction_list, list_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "A customer's interactions, newest first", "{items: [interaction], next_cursor}"},
    {NULL},
};
