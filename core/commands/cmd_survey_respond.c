/*
 * survey.respond and survey.responses.  A response is checked question by
 * question (survey_model.c), offered to the crm.before("survey.answered")
 * hooks (which may enrich it or veto it; what they leave is checked again),
 * written once, and in the same request: its invitation becomes answered,
 * the customer's stats take the scores (surveys_answered, last_survey_at,
 * last_nps, last_csat, last_ces), and the survey's rollups take every
 * number survey.results reads (survey_ops.h lists them).  Then
 * survey.answered {response, customer} goes out, its scores carrying
 * nps_class for the rules that open a ticket for a detractor.
 *
 * Refusals (-32009): survey_closed (the survey is not active; data.status),
 * already_answered (the invitation, or the customer without an open one,
 * has answered), invitation_expired, invitation_declined.
 */
#include "commands/commands.h"
#include "commands/survey_model.h"
#include "commands/survey_ops.h"
#include "script/script.h"
#include "store/customer.h"
#include "store/rollup.h"
#include "store/stats.h"
#include "store/survey.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_COMMENT 10000
#define MAX_CHANNEL 64

static int64_t num(const cJSON *o, const char *key)
{
    return (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* Who answers: the invitation (by token, or the customer's open one) and
 * the customer.  Sets *cid (0: nobody, for an anonymous survey) and *inv
 * (owned; NULL without an invitation). */
static int respondent(kith_ctx *ctx, const cJSON *params, const cJSON *sv, int64_t *cid,
                      cJSON **inv)
{
    const char *token = kith_json_get_str(params, "token");
    int has_cid = cJSON_GetObjectItemCaseSensitive(params, "customer_id") != NULL;
    int rc = 0;
    *cid = 0;
    *inv = NULL;
    if (token && has_cid)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "token", "give token or customer_id, not both");
    if (token) {
        rc = kith_store_invitation_by_token(ctx->store, token, inv);
        if (rc == KITH_ENOTFOUND)
            return kith_ctx_fail(ctx, rc, "token", "no invitation has this token");
        if (rc < 0) return kith_cmd_store_fail(ctx, rc, "invitation");
        if (strcmp(kith_json_get_str(*inv, "survey"), kith_json_get_str(sv, "name")) != 0)
            return kith_ctx_fail(ctx, KITH_EPARAMS, "token",
                                 "this token invites to survey %s, not %s",
                                 kith_json_get_str(*inv, "survey"), kith_json_get_str(sv, "name"));
        *cid = num(*inv, "customer_id");
    } else if (has_cid) {
        int64_t open_id;
        if ((rc = kith_cmd_id_arg(ctx, params, "customer_id", cid)) ||
            (rc = kith_cmd_customer_exists(ctx, *cid)))
            return rc;
        rc = kith_store_invitation_open(ctx->store, num(sv, "id"), *cid, &open_id);
        if (rc == 0) {
            rc = kith_store_invitation_get(ctx->store, open_id, 0, inv);
        } else if (rc == KITH_ENOTFOUND) {
            rc = kith_store_response_exists(ctx->store, num(sv, "id"), *cid);
            if (rc == 1)
                return kith_cmd_conflict(ctx, "already_answered", NULL,
                                         "customer %lld has answered survey %s", (long long)*cid,
                                         kith_json_get_str(sv, "name"));
        }
        if (rc < 0) return kith_cmd_store_fail(ctx, rc, "invitation");
        rc = 0;
    } else if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sv, "anonymous"))) {
        return kith_ctx_fail(ctx, KITH_EPARAMS, "customer_id",
                             "survey %s is not anonymous: give customer_id or token",
                             kith_json_get_str(sv, "name"));
    }
    if (!*inv) return 0;
    /* An invitation is answered once, while it is open and unexpired. */
    const char *status = kith_json_get_str(*inv, "status");
    int64_t id = num(*inv, "id");
    int64_t expires_at = 0;
    kith_time_parse_iso(kith_json_get_str(*inv, "expires_at"), &expires_at);
    if (strcmp(status, "answered") == 0)
        return kith_cmd_conflict(ctx, "already_answered", status,
                                 "invitation %lld has been answered", (long long)id);
    if (strcmp(status, "expired") == 0 ||
        ((strcmp(status, "sent") == 0 || strcmp(status, "pending") == 0) && expires_at <= ctx->now))
        return kith_cmd_conflict(ctx, "invitation_expired", status, "invitation %lld has expired",
                                 (long long)id);
    if (strcmp(status, "pending") != 0 && strcmp(status, "sent") != 0)
        return kith_cmd_conflict(ctx, "invitation_declined", status, "invitation %lld is %s",
                                 (long long)id, status);
    return 0;
}

/* Checks what a response record holds (params, or what the hooks left). */
static int check_record(kith_ctx *ctx, const cJSON *questions, const cJSON *rec)
{
    kith_survey_fault f;
    int rc = kith_cmd_check_text(ctx, rec, "comment", MAX_COMMENT, 0);
    if (!rc) rc = kith_cmd_check_text(ctx, rec, "channel", MAX_CHANNEL, 1);
    if (!rc &&
        kith_survey_check_answers(questions, cJSON_GetObjectItemCaseSensitive(rec, "answers"), &f))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, f.param, "%s", f.message);
    return rc;
}

/* One observation of metric survey.<name>.<what>, under dim channel and
 * any extra dims. */
static int observe(kith_ctx *ctx, const char *survey, const char *what, int64_t at,
                   const char *channel, int has_x, double x, int has_y, double y,
                   const kith_rollup_dim *extra)
{
    char metric[200];
    kith_survey_metric(metric, sizeof(metric), survey, what);
    kith_rollup_obs o = {
        .metric = metric, .at = at, .n = 1, .has_x = has_x, .x = x, .has_y = has_y, .y = y};
    kith_rollup_dim dims[2] = {{"channel", channel}, {NULL, NULL}};
    size_t nd = 1;
    if (extra) dims[nd++] = *extra;
    return kith_rollup_record(ctx->store, &o, dims, nd);
}

/* The distribution key of an answer: "4", "true", an option. */
static void value_key(const cJSON *a, char *buf, size_t len)
{
    if (cJSON_IsBool(a))
        snprintf(buf, len, "%s", cJSON_IsTrue(a) ? "true" : "false");
    else if (cJSON_IsNumber(a))
        snprintf(buf, len, "%.15g", a->valuedouble);
    else
        snprintf(buf, len, "%s", cJSON_IsString(a) ? a->valuestring : "");
}

static int observe_question(kith_ctx *ctx, const char *survey, const cJSON *q, const cJSON *a,
                            int64_t at, const char *channel)
{
    const char *key = kith_json_get_str(q, "key"), *type = kith_json_get_str(q, "type");
    char what[80], val[256];
    double x = 0;
    int has_x = kith_survey_value(q, a, &x);
    snprintf(what, sizeof(what), "q.%s", key);
    int rc = observe(ctx, survey, what, at, channel, has_x, x, 0, 0, NULL);
    if (rc || strcmp(type, "text") == 0 || strcmp(type, "number") == 0) return rc;
    snprintf(what, sizeof(what), "v.%s", key);
    const cJSON *v;
    if (cJSON_IsArray(a)) {
        cJSON_ArrayForEach(v, a)
        {
            value_key(v, val, sizeof(val));
            kith_rollup_dim d = {"value", val};
            if ((rc = observe(ctx, survey, what, at, NULL, 0, 0, 0, 0, &d))) return rc;
        }
        return 0;
    }
    value_key(a, val, sizeof(val));
    kith_rollup_dim d = {"value", val};
    return observe(ctx, survey, what, at, NULL, 0, 0, 0, 0, &d);
}

/* Every rollup of one response (survey_ops.h). */
static int record_rollups(kith_ctx *ctx, const cJSON *sv, const cJSON *resp, int answered_invite)
{
    const char *survey = kith_json_get_str(sv, "name");
    const char *channel = kith_json_get_str(resp, "channel");
    const cJSON *questions = cJSON_GetObjectItemCaseSensitive(sv, "questions");
    const cJSON *answers = cJSON_GetObjectItemCaseSensitive(resp, "answers");
    const cJSON *scores = cJSON_GetObjectItemCaseSensitive(resp, "scores");
    int64_t at = 0;
    kith_time_parse_iso(kith_json_get_str(resp, "at"), &at);
    int rc = observe(ctx, survey, "responses", at, channel, 0, 0, 0, 0, NULL);
    if (!rc && answered_invite)
        rc = observe(ctx, survey, "answered", at, channel, 0, 0, 0, 0, NULL);
    const cJSON *q;
    cJSON_ArrayForEach(q, questions)
    {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(answers, kith_json_get_str(q, "key"));
        if (!rc && a && !cJSON_IsNull(a)) rc = observe_question(ctx, survey, q, a, at, channel);
    }
    const cJSON *nps = cJSON_GetObjectItemCaseSensitive(scores, "nps");
    if (!rc && cJSON_IsNumber(nps)) {
        double s = nps->valuedouble >= 9 ? 100 : nps->valuedouble >= 7 ? 0 : -100;
        rc = observe(ctx, survey, "nps", at, channel, 1, s, 0, 0, NULL);
    }
    const cJSON *csat = cJSON_GetObjectItemCaseSensitive(scores, "csat");
    double lo = 1, hi = 5;
    const cJSON *overall = kith_survey_overall(questions);
    if (!rc && cJSON_IsNumber(csat) && overall && kith_survey_scale(overall, &lo, &hi))
        rc = observe(ctx, survey, "csat", at, channel, 1, csat->valuedouble >= hi - 1 ? 1 : 0, 0, 0,
                     NULL);
    const cJSON *ces = cJSON_GetObjectItemCaseSensitive(scores, "ces");
    if (!rc && cJSON_IsNumber(ces))
        rc = observe(ctx, survey, "ces", at, channel, 1, ces->valuedouble, 0, 0, NULL);
    const cJSON *ov = cJSON_GetObjectItemCaseSensitive(scores, "overall"), *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(scores, "dimensions"))
    {
        char what[80];
        snprintf(what, sizeof(what), "driver.%s", d->string);
        if (!rc && cJSON_IsNumber(ov) && cJSON_IsNumber(d))
            rc = observe(ctx, survey, what, at, channel, 1, d->valuedouble, 1, ov->valuedouble,
                         NULL);
    }
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "survey rollups") : 0;
}

/* The customer's stats take the response (stats.h). */
static int update_stats(kith_ctx *ctx, int64_t cid, const cJSON *resp)
{
    kith_customer_stats st;
    int64_t at = 0;
    kith_time_parse_iso(kith_json_get_str(resp, "at"), &at);
    int rc = kith_store_stats_get(ctx->store, cid, &st);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "customer stats");
    st.surveys_answered++;
    if (st.last_survey_at == KITH_TIME_NONE || at >= st.last_survey_at) {
        /* Only the latest answer sets the last scores (a backdated one does not). */
        const cJSON *scores = cJSON_GetObjectItemCaseSensitive(resp, "scores");
        const cJSON *v;
        st.last_survey_at = at;
        if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(scores, "nps")))
            st.last_nps = v->valuedouble;
        if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(scores, "csat")))
            st.last_csat = v->valuedouble;
        if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(scores, "ces")))
            st.last_ces = v->valuedouble;
    }
    rc = kith_store_stats_put(ctx->store, cid, &st);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "customer stats") : 0;
}

/* The record offered to the before hooks, from the params. */
static cJSON *draft_response(kith_ctx *ctx, const cJSON *params, const cJSON *sv, int64_t cid,
                             const cJSON *inv, int64_t at)
{
    cJSON *rec = cJSON_CreateObject();
    if (!rec) return NULL;
    static const char *const copied[] = {"answers", "comment", "channel", "context", "attrs", NULL};
    kith_json_add_str(rec, "survey", kith_json_get_str(sv, "name"));
    if (cid)
        kith_json_add_int(rec, "customer_id", cid);
    else
        cJSON_AddNullToObject(rec, "customer_id");
    if (inv)
        kith_json_add_int(rec, "invitation_id", num(inv, "id"));
    else
        cJSON_AddNullToObject(rec, "invitation_id");
    for (int i = 0; copied[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, copied[i]);
        if (v) cJSON_AddItemToObject(rec, copied[i], cJSON_Duplicate(v, 1));
    }
    /* The invitation's context (what the survey is about) unless given. */
    const cJSON *ictx = cJSON_GetObjectItemCaseSensitive(inv, "context");
    if (!cJSON_GetObjectItemCaseSensitive(rec, "context") && ictx)
        cJSON_AddItemToObject(rec, "context", cJSON_Duplicate(ictx, 1));
    if (!cJSON_GetObjectItemCaseSensitive(rec, "channel") && kith_json_get_str(inv, "channel"))
        kith_json_add_str(rec, "channel", kith_json_get_str(inv, "channel"));
    kith_json_add_time(rec, "at", at);
    char by[KITH_ACTOR_MAX];
    kith_json_add_str(rec, "by", kith_script_actor(ctx, by, sizeof(by)));
    return rec;
}

/* Writes the checked record and everything that follows from it. */
static int write_response(kith_ctx *ctx, const cJSON *sv, const cJSON *rec, int64_t cid,
                          const cJSON *inv, int64_t at, cJSON **out)
{
    const cJSON *questions = cJSON_GetObjectItemCaseSensitive(sv, "questions");
    const cJSON *answers = cJSON_GetObjectItemCaseSensitive(rec, "answers");
    cJSON *scores = kith_survey_scores(questions, answers);
    if (!scores) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(rec, "attrs");
    const cJSON *context = cJSON_GetObjectItemCaseSensitive(rec, "context");
    kith_response_new n = {.survey_id = num(sv, "id"),
                           .customer_id = cid,
                           .invitation_id = inv ? num(inv, "id") : 0,
                           .answers = answers,
                           .scores = scores,
                           .context = cJSON_IsObject(context) ? context : NULL,
                           .attrs = cJSON_IsObject(attrs) ? attrs : NULL,
                           .comment = kith_json_get_str(rec, "comment"),
                           .channel = kith_json_get_str(rec, "channel"),
                           .by = kith_json_get_str(rec, "by"),
                           .at = at,
                           .now = ctx->now};
    if (!n.by) n.by = ctx->session->name;
    int rc = kith_store_response_insert(ctx->store, &n, out);
    cJSON_Delete(scores);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "response");
    if (inv) {
        rc = kith_store_invitation_move(ctx->store, n.invitation_id,
                                        kith_json_get_str(inv, "status"), "answered", ctx->now);
        if (rc == KITH_ENOTFOUND)
            return kith_cmd_conflict(ctx, "already_answered", NULL,
                                     "invitation %lld changed meanwhile",
                                     (long long)n.invitation_id);
        if (rc < 0) return kith_cmd_store_fail(ctx, rc, "invitation");
    }
    if (cid && (rc = update_stats(ctx, cid, *out))) return rc;
    return record_rollups(ctx, sv, *out, inv != NULL);
}

int kith_survey_cmd_respond(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t at = ctx->now, cid = 0;
    int rc = kith_cmd_time_arg(ctx, params, "at", &at);
    if (rc) return rc;
    cJSON *sv = NULL, *inv = NULL, *customer = NULL, *rec = NULL, *resp = NULL;
    if ((rc = kith_survey_load(ctx, kith_json_get_str(params, "survey"), &sv))) return rc;
    const char *status = kith_json_get_str(sv, "status");
    const cJSON *questions = cJSON_GetObjectItemCaseSensitive(sv, "questions");
    int anonymous = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sv, "anonymous"));
    if (strcmp(status, "active") != 0)
        rc = kith_cmd_conflict(ctx, "survey_closed", status,
                               "survey %s is %s; only an active survey takes answers",
                               kith_json_get_str(sv, "name"), status);
    if (!rc) rc = respondent(ctx, params, sv, &cid, &inv);
    if (!rc) rc = check_record(ctx, questions, params);
    if (!rc && cid && (rc = kith_store_customer_get(ctx->store, cid, &customer)) < 0)
        rc = kith_cmd_store_fail(ctx, rc, "customer");
    /* An anonymous survey keeps no customer on the response (the
     * invitation, if any, is still marked answered). */
    int64_t keep_cid = anonymous ? 0 : cid;
    if (!rc && !(rec = draft_response(ctx, params, sv, keep_cid, inv, at)))
        rc = kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    if (!rc) {
        cJSON *context = cJSON_CreateObject();
        if (customer && !anonymous) cJSON_AddItemReferenceToObject(context, "customer", customer);
        cJSON_AddItemReferenceToObject(context, "survey", sv);
        rc = kith_cmd_before(ctx, "survey.answered", "response", &rec, context);
        cJSON_Delete(context);
    }
    /* Check again what the hooks may have changed; who, which survey and
     * when stay as they were. */
    if (!rc) rc = check_record(ctx, questions, rec);
    if (!rc) rc = write_response(ctx, sv, rec, keep_cid, inv, at, &resp);
    if (!rc)
        rc = kith_cmd_emit_record(ctx, "survey.answered", keep_cid, "response", resp,
                                  anonymous ? NULL : customer);
    cJSON_Delete(sv);
    cJSON_Delete(inv);
    cJSON_Delete(customer);
    cJSON_Delete(rec);
    if (rc) {
        cJSON_Delete(resp);
        return rc;
    }
    *result = resp;
    return 0;
}

int kith_survey_cmd_responses(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    kith_response_filter f = {.from = INT64_MIN, .to = INT64_MAX};
    const char *survey = kith_json_get_str(params, "survey");
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more, rc = 0;
    if (cJSON_GetObjectItemCaseSensitive(params, "customer_id"))
        rc = kith_cmd_id_arg(ctx, params, "customer_id", &f.customer_id);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "from", &f.from);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "to", &f.to);
    if (!rc) rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (!rc && survey) {
        cJSON *sv = NULL;
        if (!(rc = kith_survey_load(ctx, survey, &sv))) f.survey_id = num(sv, "id");
        cJSON_Delete(sv);
    }
    if (rc) return rc;
    cJSON *items = cJSON_CreateArray();
    if (!items) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    if ((rc = kith_store_response_list(ctx->store, &f, limit, after, items, &more, &next)) < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "responses");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}
