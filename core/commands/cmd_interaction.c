/*
 * interaction.log / list: a customer's contacts with the business.  Logging
 * one updates the customer's stats (interactions, complaints) in the same
 * request and emits interaction.logged.
 */
#include "commands/commands.h"
#include "commands/interaction_ops.h"
#include "commands/ticket_ops.h"
#include "commands/visit_ops.h"
#include "store/activity.h"
#include "store/customer.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

const char *const kith_interaction_types[] = {"call",      "email", "visit", "meeting", "note",
                                              "complaint", "sms",   "chat",  "social",  NULL};

/* A touchpoint or topic: a short lowercase name like "after_sales". */
static int check_slug(kith_ctx *ctx, const cJSON *rec, const char *name)
{
    const char *v = kith_json_get_str(rec, name);
    if (!v) return 0;
    size_t n = strlen(v);
    int ok = n > 0 && n <= 64;
    for (size_t i = 0; ok && i < n; i++)
        ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '_' ||
             v[i] == '-';
    return ok ? 0
              : kith_ctx_fail(ctx, KITH_EPARAMS, name,
                              "%s must be a lowercase name of 1-64 letters, digits, _ or -", name);
}

/* The optional tags and links of an interaction (DOMAIN.md 2.3), checked
 * on the params and again on what the before hooks left. */
static int check_tags(kith_ctx *ctx, const cJSON *rec)
{
    int rc = check_slug(ctx, rec, "touchpoint");
    if (!rc) rc = check_slug(ctx, rec, "topic");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, "sentiment");
    if (!rc && v && !cJSON_IsNull(v) &&
        (!cJSON_IsNumber(v) || v->valuedouble < -1 || v->valuedouble > 1))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "sentiment",
                           "sentiment must be a number from -1 to 1");
    const char *dir = kith_json_get_str(rec, "direction");
    if (!rc && dir && strcmp(dir, "in") != 0 && strcmp(dir, "out") != 0)
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "direction", "direction must be in or out");
    static const char *const links[] = {"ticket_id", "visit_id"};
    for (int i = 0; !rc && i < 2; i++) {
        v = cJSON_GetObjectItemCaseSensitive(rec, links[i]);
        if (v && !cJSON_IsNull(v) &&
            (!cJSON_IsNumber(v) || v->valuedouble < 1 || !kith_json_is_int(v->valuedouble)))
            rc = kith_ctx_fail(ctx, KITH_EPARAMS, links[i], "%s must be a positive integer id",
                               links[i]);
    }
    return rc;
}

int kith_interaction_log(kith_ctx *ctx, const cJSON *params, int mark_notified, cJSON **result)
{
    int64_t cid, at = ctx->now;
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", &cid);
    if (!rc) rc = kith_cmd_check_enum(ctx, params, "type", kith_interaction_types, 1);
    if (!rc) rc = kith_cmd_check_text(ctx, params, "summary", 10000, 1);
    if (!rc) rc = kith_cmd_check_text(ctx, params, "by", 64, 1);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "at", &at);
    if (!rc) rc = check_tags(ctx, params);
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
        rc = type ? kith_cmd_check_enum(ctx, rec, "type", kith_interaction_types, 1)
                  : kith_ctx_fail(ctx, KITH_ESCRIPT, "type",
                                  "a rule removed the interaction's type");
    if (!rc && !kith_json_get_str(rec, "summary"))
        rc =
            kith_ctx_fail(ctx, KITH_ESCRIPT, "summary", "a rule removed the interaction's summary");
    if (!rc) rc = kith_cmd_time_arg(ctx, rec, "at", &at);
    if (!rc) rc = check_tags(ctx, rec);
    if (!rc) rc = kith_ticket_check_link(ctx, cid, rec);
    if (!rc) rc = kith_visit_check_link(ctx, rec, cid);
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
    if (!rc && mark_notified) rc = kith_ticket_contacted(ctx, in, customer);
    cJSON_Delete(customer);
    if (rc) {
        cJSON_Delete(in);
        return rc;
    }
    *result = in;
    return 0;
}

static int interaction_log(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    return kith_interaction_log(ctx, params, 1, result);
}

static int interaction_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t cid;
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more;
    const char *type = kith_json_get_str(params, "type");
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", &cid);
    if (!rc) rc = kith_cmd_check_enum(ctx, params, "type", kith_interaction_types, 0);
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

/* The text to find, with LIKE's wildcards escaped; NULL when q is absent. */
static char *like_text(const char *q)
{
    if (!q) return NULL;
    char *out = malloc(strlen(q) * 2 + 1), *o = out;
    if (!out) return NULL;
    for (; *q; q++) {
        if (*q == '%' || *q == '_' || *q == '\\') *o++ = '\\';
        *o++ = *q;
    }
    *o = '\0';
    return out;
}

static int interaction_search(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    kith_interaction_filter f = {.type = kith_json_get_str(params, "type"),
                                 .touchpoint = kith_json_get_str(params, "touchpoint"),
                                 .topic = kith_json_get_str(params, "topic"),
                                 .by = kith_json_get_str(params, "by"),
                                 .from = INT64_MIN,
                                 .to = INT64_MAX};
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more, rc = 0;
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(params, "max_sentiment");
    rc = kith_cmd_check_enum(ctx, params, "type", kith_interaction_types, 0);
    if (!rc) rc = kith_cmd_check_text(ctx, params, "q", 200, 1);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "from", &f.from);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "to", &f.to);
    if (!rc && ms) {
        f.has_max_sentiment = 1;
        f.max_sentiment = ms->valuedouble;
    }
    if (!rc) rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (rc) return rc;
    char *q = like_text(kith_json_get_str(params, "q"));
    f.q_like = q;
    cJSON *items = cJSON_CreateArray();
    if (!items || (kith_json_get_str(params, "q") && !q)) {
        free(q);
        cJSON_Delete(items);
        return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    }
    rc = kith_store_interaction_search(ctx->store, &f, limit, after, items, &more, &next);
    free(q);
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
    {"touchpoint", KITH_T_STRING, 0,
     "where in the journey: awareness, purchase, usage, after_sales or your own name"},
    {"topic", KITH_T_STRING, 0, "what it was about, a short name such as delivery or price"},
    {"sentiment", KITH_T_NUMBER, 0, "how the customer felt, -1 (negative) to 1 (positive)"},
    {"direction", KITH_T_STRING, 0, "in (the customer reached out) or out (we did)"},
    {"ticket_id", KITH_T_INT, 0, "the ticket this contact belongs to"},
    {"visit_id", KITH_T_INT, 0, "the visit this contact belongs to"},
    {NULL},
};
static const kith_param search_params[] = {
    {"q", KITH_T_STRING, 0, "text to find in the summary"},
    {"type", KITH_T_STRING, 0, "only this type"},
    {"touchpoint", KITH_T_STRING, 0, "only this touchpoint"},
    {"topic", KITH_T_STRING, 0, "only this topic"},
    {"max_sentiment", KITH_T_NUMBER, 0, "only sentiment at or below this"},
    {"by", KITH_T_STRING, 0, "only contacts handled by this person"},
    {"from", KITH_T_TIME, 0, "at or after this time"},
    {"to", KITH_T_TIME, 0, "before this time"},
    KITH_LIST_PARAMS,
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
    {"interaction.search", interaction_search, search_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Interactions across customers, newest first: the feedback database",
     "{items: [interaction], next_cursor}"},
    {NULL},
};
