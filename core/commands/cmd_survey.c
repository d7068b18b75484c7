/*
 * survey.create / update / delete / get / list / activate / close, and the
 * family's command table.  A definition is checked by survey_model.c; the
 * state machine draft -> active -> closed -> active lives in the store's
 * conditional updates (store/survey.h note 1) and is refused here, before
 * anything changes, with -32009 invalid_transition.  Invitations, responses
 * and results are in the neighbouring cmd_survey_*.c files.
 */
#include "commands/commands.h"
#include "commands/survey_model.h"
#include "commands/survey_ops.h"
#include "script/script.h"
#include "store/survey.h"
#include "util/error.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

#define MAX_TITLE       200
#define MAX_ATTRS_BYTES 16384
#define MAX_QUIET_DAYS  3650

static const char *const kinds[] = {"nps", "csat", "ces", "custom", NULL};
static const char *const statuses[] = {"draft", "active", "closed", NULL};

static int one_of(const char *s, const char *const *list)
{
    for (int i = 0; s && list[i]; i++)
        if (strcmp(s, list[i]) == 0) return 1;
    return 0;
}

void kith_survey_metric(char *buf, size_t len, const char *name, const char *what)
{
    snprintf(buf, len, "survey.%s.%s", name, what);
}

int kith_survey_load(kith_ctx *ctx, const char *name, cJSON **survey)
{
    int rc = kith_store_survey_get(ctx->store, name, survey);
    if (rc == KITH_ENOTFOUND) return kith_ctx_fail(ctx, rc, "name", "survey '%s' not found", name);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "survey") : 0;
}

static int64_t id_of(const cJSON *rec)
{
    return (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rec, "id"));
}

/* A kind's survey needs a question of the kind's type, so its headline
 * number (NPS, CSAT, CES) exists. */
static int kind_has_question(const char *kind, const cJSON *questions)
{
    const char *need = strcmp(kind, "nps") == 0    ? "nps"
                       : strcmp(kind, "csat") == 0 ? "rating"
                       : strcmp(kind, "ces") == 0  ? "ces"
                                                   : NULL;
    const cJSON *q;
    if (!need) return 1;
    cJSON_ArrayForEach(q, questions)
    {
        const char *t = kith_json_get_str(q, "type");
        if (t && strcmp(t, need) == 0) return 1;
    }
    return 0;
}

/* Checks a whole definition (after defaults and merges). */
static int check_def(kith_ctx *ctx, const cJSON *def)
{
    const char *kind = kith_json_get_str(def, "kind");
    const char *title = kith_json_get_str(def, "title");
    const cJSON *quiet = cJSON_GetObjectItemCaseSensitive(def, "quiet_days");
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(def, "attrs");
    const cJSON *questions = cJSON_GetObjectItemCaseSensitive(def, "questions");
    if (!kith_survey_slug_ok(kith_json_get_str(def, "name")))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "name",
                             "name must be a slug of 1-64 of a-z 0-9 _ -");
    if (!title || !title[0] || strlen(title) > MAX_TITLE)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "title", "title must be 1-%d bytes", MAX_TITLE);
    int rc = kith_cmd_check_enum(ctx, def, "kind", kinds, 1);
    if (rc) return rc;
    if (quiet && (!cJSON_IsNumber(quiet) || !kith_json_is_int(quiet->valuedouble) ||
                  quiet->valuedouble < 0 || quiet->valuedouble > MAX_QUIET_DAYS))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "quiet_days",
                             "quiet_days must be a whole number of days from 0 to %d",
                             MAX_QUIET_DAYS);
    if (attrs && !cJSON_IsObject(attrs))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "attrs", "attrs must be an object");
    char *text = attrs ? cJSON_PrintUnformatted(attrs) : NULL;
    size_t n = text ? strlen(text) : 0;
    cJSON_free(text);
    if (n > MAX_ATTRS_BYTES)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "attrs", "attrs must be at most %d bytes of JSON",
                             MAX_ATTRS_BYTES);
    kith_survey_fault f;
    if (kith_survey_check_questions(questions, &f))
        return kith_ctx_fail(ctx, KITH_EPARAMS, f.param, "%s", f.message);
    if (!kind_has_question(kind, questions))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "questions",
                             "a %s survey needs a question of type %s", kind,
                             strcmp(kind, "csat") == 0 ? "rating" : kind);
    return 0;
}

static int emit_survey(kith_ctx *ctx, const char *type, const cJSON *survey)
{
    return kith_cmd_emit_record(ctx, type, 0, "survey", survey, NULL);
}

static int survey_create(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int rc = check_def(ctx, params);
    if (rc) return rc;
    char by[KITH_ACTOR_MAX];
    cJSON *sv = NULL;
    rc = kith_store_survey_insert(ctx->store, params, kith_script_actor(ctx, by, sizeof(by)),
                                  ctx->now, &sv);
    if (rc == KITH_ECONFLICT)
        return kith_ctx_fail(ctx, rc, "name", "a survey named '%s' exists already",
                             kith_json_get_str(params, "name"));
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "survey");
    if ((rc = emit_survey(ctx, "survey.created", sv))) {
        cJSON_Delete(sv);
        return rc;
    }
    *result = sv;
    return 0;
}

/* The survey named in params, refused unless it is a draft (for `verb`). */
static int load_draft(kith_ctx *ctx, const cJSON *params, const char *verb, cJSON **sv)
{
    int rc = kith_survey_load(ctx, kith_json_get_str(params, "name"), sv);
    if (rc) return rc;
    const char *status = kith_json_get_str(*sv, "status");
    if (status && strcmp(status, "draft") == 0) return 0;
    rc = kith_cmd_invalid_transition(ctx, "survey", id_of(*sv), status ? status : "?", verb);
    cJSON_Delete(*sv);
    *sv = NULL;
    return rc;
}

/* Applies update params to the stored definition: fields replace, attrs
 * merge (a null value removes its key). */
static void apply_update(cJSON *def, const cJSON *params)
{
    static const char *const fields[] = {"title",     "kind",       "questions",
                                         "anonymous", "quiet_days", NULL};
    for (int i = 0; fields[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, fields[i]);
        if (v) cJSON_ReplaceItemInObjectCaseSensitive(def, fields[i], cJSON_Duplicate(v, 1));
    }
    const cJSON *a, *attrs = cJSON_GetObjectItemCaseSensitive(params, "attrs");
    cJSON *mine = cJSON_GetObjectItemCaseSensitive(def, "attrs");
    cJSON_ArrayForEach(a, attrs)
    {
        cJSON_DeleteItemFromObjectCaseSensitive(mine, a->string);
        if (!cJSON_IsNull(a)) cJSON_AddItemToObject(mine, a->string, cJSON_Duplicate(a, 1));
    }
}

static int survey_update(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    cJSON *sv = NULL, *out = NULL;
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(params, "attrs");
    if (attrs && !cJSON_IsObject(attrs))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "attrs", "attrs must be an object");
    int rc = load_draft(ctx, params, "change", &sv);
    if (rc) return rc;
    apply_update(sv, params);
    rc = check_def(ctx, sv);
    if (!rc) {
        rc = kith_store_survey_update(ctx->store, id_of(sv), sv, ctx->now, &out);
        if (rc < 0) rc = kith_cmd_store_fail(ctx, rc, "survey");
    }
    cJSON_Delete(sv);
    if (!rc) rc = emit_survey(ctx, "survey.updated", out);
    if (rc) {
        cJSON_Delete(out);
        return rc;
    }
    *result = out;
    return 0;
}

static int survey_delete(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    cJSON *sv = NULL;
    int rc = load_draft(ctx, params, "be deleted", &sv);
    if (rc) return rc;
    rc = kith_store_survey_delete(ctx->store, id_of(sv));
    if (rc < 0) rc = kith_cmd_store_fail(ctx, rc, "survey");
    if (!rc) rc = emit_survey(ctx, "survey.deleted", sv);
    if (rc) {
        cJSON_Delete(sv);
        return rc;
    }
    *result = sv;
    return 0;
}

static int survey_get(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    return kith_survey_load(ctx, kith_json_get_str(params, "name"), result);
}

static int survey_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    const char *status = kith_json_get_str(params, "status");
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more;
    int rc = kith_cmd_check_enum(ctx, params, "status", statuses, 0);
    if (!rc) rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (rc) return rc;
    cJSON *items = cJSON_CreateArray();
    if (!items) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    if ((rc = kith_store_survey_list(ctx->store, status, limit, after, items, &more, &next)) < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "surveys");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}

/* Moves the named survey to `to` from one of `from` (NULL-terminated). */
static int move(kith_ctx *ctx, const cJSON *params, const char *const *from, const char *to,
                const char *verb, const char *event, cJSON **result)
{
    cJSON *sv = NULL, *out = NULL;
    int rc = kith_survey_load(ctx, kith_json_get_str(params, "name"), &sv);
    if (rc) return rc;
    const char *status = kith_json_get_str(sv, "status");
    if (!one_of(status, from))
        rc = kith_cmd_invalid_transition(ctx, "survey", id_of(sv), status ? status : "?", verb);
    if (!rc) rc = kith_store_survey_move(ctx->store, id_of(sv), status, to, ctx->now, &out);
    if (rc == KITH_ECONFLICT && !ctx->err->code)
        rc = kith_cmd_invalid_transition(ctx, "survey", id_of(sv), status, verb);
    else if (rc < 0 && !ctx->err->code)
        rc = kith_cmd_store_fail(ctx, rc, "survey");
    cJSON_Delete(sv);
    if (!rc) rc = emit_survey(ctx, event, out);
    if (rc) {
        cJSON_Delete(out);
        return rc;
    }
    *result = out;
    return 0;
}

static int survey_activate(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    static const char *const from[] = {"draft", "closed", NULL};
    return move(ctx, params, from, "active", "activate", "survey.activated", result);
}

static int survey_close(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    static const char *const from[] = {"active", NULL};
    return move(ctx, params, from, "closed", "close", "survey.closed", result);
}

#define QUESTIONS_DOC                                                                              \
    "[{key, text, type (rating, nps, ces, choice, multi, text, number, yesno), required?, "        \
    "overall?, dimension?, options?, scale?, touchpoint?}]"
#define DEF_TAIL                                                                                   \
    {"anonymous", KITH_T_BOOL, 0, "responses keep no customer (default false)"},                   \
        {"quiet_days", KITH_T_INT, 0,                                                              \
         "no invitation within this many days of the customer's last one (default 30)"},           \
        {"attrs", KITH_T_OBJECT, 0, "custom attributes (merged on update; null removes)"},         \
    {                                                                                              \
        NULL                                                                                       \
    }

static const kith_param create_params[] = {
    {"name", KITH_T_STRING, 1, "unique slug naming the survey"},
    {"title", KITH_T_STRING, 1, "what respondents see as its title"},
    {"kind", KITH_T_STRING, 1, "nps, csat, ces or custom"},
    {"questions", KITH_T_ARRAY, 1, QUESTIONS_DOC},
    DEF_TAIL,
};
static const kith_param update_params[] = {
    {"name", KITH_T_STRING, 1, "the draft survey to change"},
    {"title", KITH_T_STRING, 0, "what respondents see as its title"},
    {"kind", KITH_T_STRING, 0, "nps, csat, ces or custom"},
    {"questions", KITH_T_ARRAY, 0, QUESTIONS_DOC},
    DEF_TAIL,
};
static const kith_param name_params[] = {
    {"name", KITH_T_STRING, 1, "the survey's name"},
    {NULL},
};
static const kith_param list_params[] = {
    {"status", KITH_T_STRING, 0, "only draft, active or closed surveys"},
    KITH_LIST_PARAMS,
    {NULL},
};
static const kith_param send_params[] = {
    {"survey", KITH_T_STRING, 1, "the active survey's name"},
    {"customer_id", KITH_T_INT, 0, "invite this customer"},
    {"customer_ids", KITH_T_ARRAY, 0, "invite these customers (at most 10000 ids)"},
    {"segment", KITH_T_STRING, 0, "invite every member of this segment"},
    {"send_at", KITH_T_DUE, 0,
     "when it goes out: an ISO time or a duration from now (default now)"},
    {"expires_in", KITH_T_STRING, 0, "how long after sending it may be answered (default 14d)"},
    {"channel", KITH_T_STRING, 0, "how it is delivered: email, sms, ..."},
    {"context", KITH_T_OBJECT, 0, "what it is about: {order_id, ticket_id, visit_id, ...}"},
    {NULL},
};
static const kith_param invitations_params[] = {
    {"survey", KITH_T_STRING, 0, "only this survey's invitations"},
    {"customer_id", KITH_T_INT, 0, "only this customer's invitations"},
    {"status", KITH_T_STRING, 0, "pending, sent, answered, declined, expired or suppressed"},
    KITH_LIST_PARAMS,
    {NULL},
};
static const kith_param decline_params[] = {
    {"token", KITH_T_STRING, 1, "the invitation's token"},
    {NULL},
};
static const kith_param respond_params[] = {
    {"survey", KITH_T_STRING, 1, "the survey's name"},
    {"answers", KITH_T_OBJECT, 1, "{question key: answer}"},
    {"customer_id", KITH_T_INT, 0, "who answered (or token)"},
    {"token", KITH_T_STRING, 0, "the invitation's token (or customer_id)"},
    {"comment", KITH_T_STRING, 0, "free text beside the answers"},
    {"channel", KITH_T_STRING, 0, "how it was answered: web, phone, ..."},
    {"at", KITH_T_TIME, 0, "when it was answered (default now)"},
    {"context", KITH_T_OBJECT, 0, "what it is about (default the invitation's context)"},
    {"attrs", KITH_T_OBJECT, 0, "custom attributes"},
    {NULL},
};
static const kith_param responses_params[] = {
    {"survey", KITH_T_STRING, 0, "only this survey's responses"},
    {"customer_id", KITH_T_INT, 0, "only this customer's responses"},
    {"from", KITH_T_TIME, 0, "answered at or after this time"},
    {"to", KITH_T_TIME, 0, "answered before this time"},
    KITH_LIST_PARAMS,
    {NULL},
};
static const kith_param results_params[] = {
    {"survey", KITH_T_STRING, 1, "the survey's name"},
    {"from", KITH_T_TIME, 0, "from this day (UTC, whole days)"},
    {"to", KITH_T_TIME, 0, "to this day, inclusive (UTC, whole days)"},
    {"interval", KITH_T_STRING, 0, "trend periods: day, week, month (default) or all"},
    {"group_by", KITH_T_STRING, 0, "also split the headline numbers by channel"},
    {NULL},
};

const kith_command kith_cmd_survey[] = {
    {"survey.create", survey_create, create_params, KITH_CMD_WRITE, KITH_ROLE_ADMIN,
     "Define a survey (a draft until activated)", "the survey"},
    {"survey.update", survey_update, update_params, KITH_CMD_WRITE, KITH_ROLE_ADMIN,
     "Change a draft survey's definition", "the survey"},
    {"survey.delete", survey_delete, name_params, KITH_CMD_WRITE, KITH_ROLE_ADMIN,
     "Delete a draft survey", "the deleted survey"},
    {"survey.get", survey_get, name_params, KITH_CMD_READ, KITH_ROLE_VIEWER, "A survey by name",
     "the survey"},
    {"survey.list", survey_list, list_params, KITH_CMD_READ, KITH_ROLE_VIEWER, "Surveys by id",
     "{items: [survey], next_cursor}"},
    {"survey.activate", survey_activate, name_params, KITH_CMD_WRITE, KITH_ROLE_ADMIN,
     "Open a draft or closed survey for invitations and answers", "the survey"},
    {"survey.close", survey_close, name_params, KITH_CMD_WRITE, KITH_ROLE_ADMIN,
     "Stop an active survey taking answers", "the survey"},
    {"survey.send", kith_survey_cmd_send, send_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Invite a customer, a list of customers or a segment; the quiet period applies",
     "{invited, invitations: [{id, customer_id, token, status}], suppressed: [{customer_id, "
     "reason}]}"},
    {"survey.invitations", kith_survey_cmd_invitations, invitations_params, KITH_CMD_READ,
     KITH_ROLE_VIEWER, "Invitations, newest first", "{items: [invitation], next_cursor}"},
    {"survey.decline", kith_survey_cmd_decline, decline_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Record that an invited customer declined", "the invitation"},
    {"survey.respond", kith_survey_cmd_respond, respond_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Record a response (immutable), checked question by question", "the response"},
    {"survey.responses", kith_survey_cmd_responses, responses_params, KITH_CMD_READ,
     KITH_ROLE_VIEWER, "Responses, newest first", "{items: [response], next_cursor}"},
    {"survey.results", kith_survey_cmd_results, results_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "NPS, CSAT, CES, response rate, per-question numbers, drivers and trend, from rollups",
     "{n, response_rate, nps, csat_pct, ces_mean, questions, drivers, trend}"},
    {NULL},
};
