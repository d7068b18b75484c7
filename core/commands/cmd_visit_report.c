/*
 * visit.report: the end of a visit, in one request (DOMAIN.md 2.9).  It
 *   1. turns each agreement into a follow-up task (kith_task_create, so
 *      the task's reminder fires when it is due),
 *   2. logs an interaction of type "visit", direction "out", linked by
 *      visit_id (kith_interaction_log: the customer's interaction stats and
 *      the interaction.logged rules see it like any other contact),
 *   3. plans the next visit when next_visit is given,
 *   4. completes the visit and counts it in visits_completed and
 *      last_visit_at, with the visit.completed rollup (x = 1 on time).
 * A failure anywhere rolls all of it back.
 */
#include "commands/commands.h"
#include "commands/interaction_ops.h"
#include "commands/task_ops.h"
#include "commands/visit_ops.h"
#include "script/script.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <string.h>

#define MAX_AGREEMENTS 50

static const char *const outcomes[] = {"achieved", "partial", "not_achieved", NULL};

/* Checks agreements[] and resolves each due into ms (dues[i]). */
static int check_agreements(kith_ctx *ctx, const cJSON *list, int64_t *dues)
{
    const cJSON *a;
    int i = 0;
    char param[64];
    if (!list) return 0;
    if (cJSON_GetArraySize(list) > MAX_AGREEMENTS)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "agreements", "at most %d agreements",
                             MAX_AGREEMENTS);
    cJSON_ArrayForEach(a, list)
    {
        const char *note = kith_json_get_str(a, "note"), *due = kith_json_get_str(a, "due");
        const cJSON *owner = cJSON_GetObjectItemCaseSensitive(a, "owner");
        int64_t d;
        if (!cJSON_IsObject(a)) {
            snprintf(param, sizeof(param), "agreements.%d", i);
            return kith_ctx_fail(ctx, KITH_EPARAMS, param, "%s must be {note, due, owner?}", param);
        }
        if (!note || !note[0] || strlen(note) > 10000) {
            snprintf(param, sizeof(param), "agreements.%d.note", i);
            return kith_ctx_fail(ctx, KITH_EPARAMS, param, "%s must be a non-empty string", param);
        }
        if (due && kith_time_parse_iso(due, &dues[i]) == 0) {
        } else if (due && kith_time_parse_duration(due, &d) == 0) {
            dues[i] = ctx->now + d;
        } else {
            snprintf(param, sizeof(param), "agreements.%d.due", i);
            return kith_ctx_fail(ctx, KITH_EPARAMS, param,
                                 "%s must be an ISO 8601 time or a duration like \"3d\"", param);
        }
        if (owner && !cJSON_IsNull(owner) &&
            (!cJSON_IsString(owner) || !owner->valuestring[0] || strlen(owner->valuestring) > 64)) {
            snprintf(param, sizeof(param), "agreements.%d.owner", i);
            return kith_ctx_fail(ctx, KITH_EPARAMS, param, "%s must be a name", param);
        }
        i++;
    }
    return 0;
}

/* Creates the tasks of the agreements; returns the agreements as the visit
 * keeps them, [{note, due, owner, task_id}], in *out (owned). */
static int make_tasks(kith_ctx *ctx, const cJSON *visit, const cJSON *list, const int64_t *dues,
                      const char *by, cJSON **out)
{
    cJSON *kept = cJSON_CreateArray();
    const cJSON *a;
    int i = 0, rc = kept ? 0 : kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    cJSON_ArrayForEach(a, list)
    {
        if (rc) break;
        const char *owner = kith_json_get_str(a, "owner");
        if (!owner) owner = kith_json_get_str(visit, "owner");
        cJSON *fields = cJSON_CreateObject(), *task = NULL;
        kith_json_add_str(fields, "note", kith_json_get_str(a, "note"));
        cJSON_AddNumberToObject(fields, "due_at", (double)dues[i]);
        cJSON_AddItemToObject(fields, "customer_id",
                              cJSON_Duplicate(cJSON_GetObjectItem(visit, "customer_id"), 1));
        kith_json_add_str(fields, "owner", owner);
        rc = kith_task_create(ctx, fields, by, &task);
        if (!rc) {
            cJSON *k = cJSON_CreateObject();
            kith_json_add_str(k, "note", kith_json_get_str(a, "note"));
            kith_json_add_time(k, "due", dues[i]);
            kith_json_add_str(k, "owner", owner);
            cJSON_AddItemToObject(k, "task_id",
                                  cJSON_Duplicate(cJSON_GetObjectItem(task, "id"), 1));
            cJSON_AddItemToArray(kept, k);
        }
        cJSON_Delete(fields);
        cJSON_Delete(task);
        i++;
    }
    if (rc) {
        cJSON_Delete(kept);
        return rc;
    }
    *out = kept;
    return 0;
}

/* Logs the visit interaction; sets *id to its id. */
static int log_interaction(kith_ctx *ctx, const cJSON *visit, const char *summary,
                           const char *outcome, int64_t ended_at, int64_t *id)
{
    char text[256];
    if (!summary) {
        snprintf(text, sizeof(text), "Visit (%s): %s", kith_json_get_str(visit, "purpose"),
                 outcome);
        summary = text;
    }
    cJSON *p = cJSON_CreateObject(), *in = NULL;
    cJSON_AddItemToObject(p, "customer_id",
                          cJSON_Duplicate(cJSON_GetObjectItem(visit, "customer_id"), 1));
    kith_json_add_str(p, "type", "visit");
    kith_json_add_str(p, "summary", summary);
    kith_json_add_time(p, "at", ended_at);
    kith_json_add_str(p, "by", kith_json_get_str(visit, "owner"));
    kith_json_add_str(p, "direction", "out");
    cJSON_AddItemToObject(p, "visit_id", cJSON_Duplicate(cJSON_GetObjectItem(visit, "id"), 1));
    int rc = kith_interaction_log(ctx, p, 1, &in);
    cJSON_Delete(p);
    if (!rc) *id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(in, "id"));
    cJSON_Delete(in);
    return rc;
}

/* Plans the follow-up visit at `at`: same customer, visitor, purpose and
 * goals (what the next visit carries on with). */
static int plan_next(kith_ctx *ctx, const cJSON *visit, int64_t at, const char *by, int64_t *id)
{
    cJSON *rec = cJSON_CreateObject(), *next = NULL;
    static const char *const copied[] = {"customer_id", "owner",    "purpose",      "goals",
                                         "contact",     "location", "duration_min", NULL};
    for (int i = 0; copied[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(visit, copied[i]);
        if (v && !cJSON_IsNull(v)) cJSON_AddItemToObject(rec, copied[i], cJSON_Duplicate(v, 1));
    }
    kith_json_add_time(rec, "planned_at", at);
    kith_json_add_str(rec, "status", "planned");
    cJSON *attrs = cJSON_AddObjectToObject(rec, "attrs");
    cJSON_AddItemToObject(attrs, "follows_visit",
                          cJSON_Duplicate(cJSON_GetObjectItem(visit, "id"), 1));
    int rc = kith_visit_plan(ctx, &rec, by, &next);
    if (!rc) *id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(next, "id"));
    cJSON_Delete(rec);
    cJSON_Delete(next);
    return rc;
}

static void put(cJSON *rec, const char *key, cJSON *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(rec, key);
    cJSON_AddItemToObject(rec, key, v);
}

int kith_visit_report_cmd(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id, ended_at = ctx->now, next_at = 0, dues[MAX_AGREEMENTS];
    const char *outcome = kith_json_get_str(params, "outcome"), *to;
    const char *summary = kith_json_get_str(params, "summary");
    const char *feedback = kith_json_get_str(params, "feedback");
    const cJSON *agreements = cJSON_GetObjectItemCaseSensitive(params, "agreements");
    const char *next = kith_json_get_str(params, "next_visit");
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (!rc) rc = kith_cmd_check_enum(ctx, params, "outcome", outcomes, 1);
    if (!feedback) feedback = kith_json_get_str(params, "customer_feedback");
    if (!rc) rc = kith_cmd_check_text(ctx, params, "summary", 10000, 1);
    if (!rc) rc = kith_cmd_check_text(ctx, params, "feedback", 10000, 1);
    if (!rc) rc = kith_cmd_check_text(ctx, params, "customer_feedback", 10000, 1);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "ended_at", &ended_at);
    if (!rc) rc = check_agreements(ctx, agreements, dues);
    if (!rc && next) {
        int64_t d;
        if (kith_time_parse_iso(next, &next_at) == 0) {
        } else if (kith_time_parse_duration(next, &d) == 0) {
            next_at = ctx->now + d;
        } else {
            rc = kith_ctx_fail(ctx, KITH_EPARAMS, "next_visit",
                               "next_visit must be an ISO 8601 time or a duration like \"30d\"");
        }
    }
    if (rc) return rc;

    cJSON *old = NULL, *customer = NULL, *rec = NULL, *kept = NULL;
    char by[KITH_ACTOR_MAX];
    const char *actor = kith_script_actor(ctx, by, sizeof(by));
    int64_t interaction_id = 0, next_id = 0;
    rc = kith_visit_load(ctx, id, &old, &customer);
    if (!rc) rc = kith_visit_transition(ctx, old, "report", &to);
    if (!rc && agreements) rc = make_tasks(ctx, old, agreements, dues, actor, &kept);
    if (!rc) rc = log_interaction(ctx, old, summary, outcome, ended_at, &interaction_id);
    if (!rc && next) rc = plan_next(ctx, old, next_at, actor, &next_id);
    if (!rc) {
        rec = cJSON_Duplicate(old, 1);
        put(rec, "status", cJSON_CreateString(to));
        put(rec, "outcome", cJSON_CreateString(outcome));
        cJSON_DeleteItemFromObjectCaseSensitive(rec, "ended_at");
        kith_json_add_time(rec, "ended_at", ended_at);
        if (summary) put(rec, "summary", cJSON_CreateString(summary));
        if (feedback) put(rec, "customer_feedback", cJSON_CreateString(feedback));
        if (kept) put(rec, "agreements", kept);
        kept = NULL;
        put(rec, "interaction_id", cJSON_CreateNumber((double)interaction_id));
        if (next_id) put(rec, "next_visit_id", cJSON_CreateNumber((double)next_id));
        /* On time: ended within the grace after planned_at (miss_at). */
        const char *miss = kith_json_get_str(old, "miss_at");
        int64_t miss_at = 0;
        int on_time = miss && kith_time_parse_iso(miss, &miss_at) == 0 && ended_at <= miss_at;
        rc = kith_visit_rollup(ctx, "visit.completed", old, ended_at, 1, on_time);
    }
    if (!rc)
        rc = kith_visit_save(ctx, old, rec, customer, NULL, "visit.completed", 0, ended_at, result);
    cJSON_Delete(kept);
    cJSON_Delete(old);
    cJSON_Delete(customer);
    cJSON_Delete(rec);
    return rc;
}
