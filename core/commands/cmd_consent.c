/*
 * consent.set / list / check: what each customer agreed to be contacted
 * for, per purpose and channel, with the source and time of each answer
 * (store/consent.h).  survey.send asks consent.check's question for every
 * invitation and suppresses it with the reason `no_consent`; campaigns and
 * an outbox will ask the same through kith_store_consent_allowed.
 */
#include "commands/commands.h"
#include "script/script.h"
#include "store/consent.h"
#include "util/error.h"
#include "util/json.h"

#include <string.h>

static const char *const purposes[] = {"marketing", "survey", "service", "profiling", NULL};
static const char *const channels[] = {"email", "sms", "phone", "wechat", "mail", "any", NULL};

static int read_key(kith_ctx *ctx, const cJSON *params, int64_t *cid)
{
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", cid);
    if (!rc) rc = kith_cmd_check_enum(ctx, params, "purpose", purposes, 1);
    if (!rc) rc = kith_cmd_check_enum(ctx, params, "channel", channels, 1);
    if (!rc) rc = kith_cmd_customer_exists(ctx, *cid);
    return rc;
}

static int consent_set(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t cid, at = ctx->now;
    int rc = read_key(ctx, params, &cid);
    const cJSON *granted = cJSON_GetObjectItemCaseSensitive(params, "granted");
    if (!rc && !cJSON_IsBool(granted))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "granted", "granted must be true or false");
    if (!rc) rc = kith_cmd_check_text(ctx, params, "source", 128, 1);
    if (!rc) rc = kith_cmd_check_text(ctx, params, "evidence", 2000, 1);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "at", &at);
    if (rc) return rc;
    char by[KITH_ACTOR_MAX];
    kith_consent_new n = {
        .customer_id = cid,
        .purpose = kith_json_get_str(params, "purpose"),
        .channel = kith_json_get_str(params, "channel"),
        .source = kith_json_get_str(params, "source"),
        .evidence = kith_json_get_str(params, "evidence"),
        .by = kith_script_actor(ctx, by, sizeof(by)),
        .granted = cJSON_IsTrue(granted),
        .at = at,
        .now = ctx->now,
    };
    cJSON *c = NULL;
    if ((rc = kith_store_consent_add(ctx->store, &n, &c)) < 0)
        return kith_cmd_store_fail(ctx, rc, "consent");
    if ((rc = kith_cmd_emit_record(ctx, "consent.changed", cid, "consent", c, NULL))) {
        cJSON_Delete(c);
        return rc;
    }
    *result = c;
    return 0;
}

static int consent_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t cid;
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", &cid);
    if (!rc) rc = kith_cmd_customer_exists(ctx, cid);
    if (rc) return rc;
    cJSON *out = cJSON_CreateObject();
    cJSON *current = cJSON_AddArrayToObject(out, "current");
    cJSON *history = cJSON_AddArrayToObject(out, "history");
    if ((rc = kith_store_consent_list(ctx->store, cid, current, history)) < 0) {
        cJSON_Delete(out);
        return kith_cmd_store_fail(ctx, rc, "consents");
    }
    *result = out;
    return 0;
}

static int consent_check(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t cid, at = 0;
    int rc = read_key(ctx, params, &cid), allowed = 0;
    const char *reason = NULL;
    if (rc) return rc;
    rc = kith_store_consent_allowed(ctx->store, cid, kith_json_get_str(params, "purpose"),
                                    kith_json_get_str(params, "channel"), &allowed, &reason, &at);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "consent");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "allowed", allowed);
    kith_json_add_str(o, "reason", reason);
    if (at)
        kith_json_add_time(o, "at", at);
    else
        cJSON_AddNullToObject(o, "at");
    *result = o;
    return 0;
}

#define CONSENT_KEY                                                                                \
    {"customer_id", KITH_T_INT, 1, "customer id"},                                                 \
        {"purpose", KITH_T_STRING, 1, "marketing, survey, service or profiling"},                  \
    {                                                                                              \
        "channel", KITH_T_STRING, 1, "email, sms, phone, wechat, mail or any"                      \
    }

static const kith_param set_params[] = {
    CONSENT_KEY,
    {"granted", KITH_T_BOOL, 1, "true: granted; false: denied or withdrawn"},
    {"source", KITH_T_STRING, 0, "where it was given (web form, call, paper, import)"},
    {"evidence", KITH_T_STRING, 0, "what proves it (a form id, a recording)"},
    {"at", KITH_T_TIME, 0, "when the customer said it (default now)"},
    {NULL},
};
static const kith_param check_params[] = {CONSENT_KEY, {NULL}};
static const kith_param list_params[] = {{"customer_id", KITH_T_INT, 1, "customer id"}, {NULL}};

const kith_command kith_cmd_consent[] = {
    {"consent.set", consent_set, set_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Record a customer's consent (or its withdrawal) for a purpose and channel",
     "the consent record"},
    {"consent.list", consent_list, list_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "A customer's consents: the current answer per purpose and channel, and the history",
     "{current, history}"},
    {"consent.check", consent_check, check_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "May this customer be contacted for this purpose on this channel?",
     "{allowed, reason (granted, no_consent, default), at}"},
    {NULL},
};
