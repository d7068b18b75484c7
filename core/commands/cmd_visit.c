/*
 * visit.plan / get / list / update / reschedule / cancel / checkin, and the
 * command table of the family (visit.report is cmd_visit_report.c,
 * visit.due cmd_visit_due.c).  Handlers read their params and build the
 * changed record; the state machine, stats, rollups and events are
 * visit_ops.c's, so every path changes a visit the same way.
 */
#include "commands/commands.h"
#include "commands/visit_ops.h"
#include "script/script.h"
#include "store/stats.h"
#include "store/visit.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <math.h>
#include <string.h>

static const char *const statuses[] = {"planned",   "in_progress", "done",
                                       "cancelled", "missed",      NULL};

/* The plan fields a client may set at planning and in visit.update. */
static const char *const plan_fields[] = {"purpose",      "agenda",    "goals",
                                          "participants", "contact",   "location",
                                          "duration_min", "ticket_id", NULL};

/* Reads a KITH_T_DUE param: an ISO time, or a duration counted from now. */
static int due_arg(kith_ctx *ctx, const cJSON *params, const char *name, int64_t *at)
{
    const char *s = kith_json_get_str(params, name);
    int64_t d;
    if (!s) return 0;
    if (kith_time_parse_iso(s, at) == 0) return 0;
    if (kith_time_parse_duration(s, &d) == 0) {
        *at = ctx->now + d;
        return 0;
    }
    return kith_ctx_fail(ctx, KITH_EPARAMS, name,
                         "%s must be an ISO 8601 time or a duration like \"3d\"", name);
}

static void set_item(cJSON *rec, const char *key, cJSON *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(rec, key);
    cJSON_AddItemToObject(rec, key, v);
}

static void set_time(cJSON *rec, const char *key, int64_t ms)
{
    cJSON_DeleteItemFromObjectCaseSensitive(rec, key);
    kith_json_add_time(rec, key, ms);
}

/* The visitor from `by` or its alias `owner`; NULL when neither is given. */
static int visitor_arg(kith_ctx *ctx, const cJSON *params, const char **who)
{
    const char *by = kith_json_get_str(params, "by"), *owner = kith_json_get_str(params, "owner");
    if (by && owner && strcmp(by, owner) != 0)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "by", "by and owner name the visitor twice");
    *who = by ? by : owner;
    return 0;
}

static int visit_plan(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t cid, at = 0;
    const char *who = NULL;
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", &cid);
    if (!rc) rc = due_arg(ctx, params, "at", &at);
    if (!rc) rc = visitor_arg(ctx, params, &who);
    if (rc) return rc;
    cJSON *rec = cJSON_CreateObject();
    if (!rec) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    kith_json_add_int(rec, "customer_id", cid);
    kith_json_add_str(rec, "owner", who ? who : ctx->session->name);
    for (int i = 0; plan_fields[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, plan_fields[i]);
        if (v) cJSON_AddItemToObject(rec, plan_fields[i], cJSON_Duplicate(v, 1));
    }
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(params, "attrs");
    cJSON_AddItemToObject(rec, "attrs", attrs ? cJSON_Duplicate(attrs, 1) : cJSON_CreateObject());
    kith_json_add_time(rec, "planned_at", at);
    kith_json_add_str(rec, "status", "planned");
    char by[KITH_ACTOR_MAX];
    rc = kith_visit_plan(ctx, &rec, kith_script_actor(ctx, by, sizeof(by)), result);
    cJSON_Delete(rec);
    return rc;
}

static int visit_get(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (rc) return rc;
    rc = kith_store_visit_get(ctx->store, id, result);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "visit") : 0;
}

static int visit_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    kith_visit_filter f = {.owner = kith_json_get_str(params, "owner"),
                           .status = kith_json_get_str(params, "status"),
                           .from = INT64_MIN,
                           .to = INT64_MAX};
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more;
    int rc = kith_cmd_check_enum(ctx, params, "status", statuses, 0);
    if (!rc && cJSON_GetObjectItemCaseSensitive(params, "customer_id"))
        rc = kith_cmd_id_arg(ctx, params, "customer_id", &f.customer_id);
    if (!rc) rc = due_arg(ctx, params, "from", &f.from);
    if (!rc) rc = due_arg(ctx, params, "to", &f.to);
    if (!rc) rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (rc) return rc;
    cJSON *items = cJSON_CreateArray();
    if (!items) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    if ((rc = kith_store_visit_list(ctx->store, &f, limit, after, items, &more, &next)) < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "visits");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}

/* Loads visit `id` and checks `verb` may happen to it; *rec is a copy to
 * change.  Returns 0 or a failure in ctx (nothing loaded then). */
static int begin_change(kith_ctx *ctx, int64_t id, const char *verb, cJSON **old, cJSON **customer,
                        cJSON **rec, const char **to)
{
    int rc = kith_visit_load(ctx, id, old, customer);
    if (!rc) rc = kith_visit_transition(ctx, *old, verb, to);
    if (!rc && !(*rec = cJSON_Duplicate(*old, 1)))
        rc = kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    if (rc) {
        cJSON_Delete(*old);
        cJSON_Delete(*customer);
        *old = *customer = NULL;
        return rc;
    }
    set_item(*rec, "status", cJSON_CreateString(*to));
    return 0;
}

static int end_change(int rc, cJSON *old, cJSON *customer, cJSON *rec)
{
    cJSON_Delete(old);
    cJSON_Delete(customer);
    cJSON_Delete(rec);
    return rc;
}

/* Merges attrs like customer.update: a key set to null is removed. */
static void merge_attrs(cJSON *rec, const cJSON *patch)
{
    cJSON *attrs = cJSON_GetObjectItemCaseSensitive(rec, "attrs");
    if (!cJSON_IsObject(attrs)) {
        set_item(rec, "attrs", cJSON_CreateObject());
        attrs = cJSON_GetObjectItemCaseSensitive(rec, "attrs");
    }
    const cJSON *kv;
    cJSON_ArrayForEach(kv, patch)
    {
        cJSON_DeleteItemFromObjectCaseSensitive(attrs, kv->string);
        if (!cJSON_IsNull(kv)) cJSON_AddItemToObject(attrs, kv->string, cJSON_Duplicate(kv, 1));
    }
}

static int visit_update(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    const char *who = NULL, *to;
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(params, "attrs");
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (!rc) rc = visitor_arg(ctx, params, &who);
    if (!rc && cJSON_GetObjectItemCaseSensitive(params, "status"))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "status",
                           "status changes through checkin, report, cancel and reschedule");
    if (!rc && (cJSON_GetObjectItemCaseSensitive(params, "at") ||
                cJSON_GetObjectItemCaseSensitive(params, "planned_at")))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "at", "a visit moves with visit.reschedule");
    if (rc) return rc;
    cJSON *old, *customer, *rec;
    if ((rc = begin_change(ctx, id, "update", &old, &customer, &rec, &to))) return rc;
    if (who) set_item(rec, "owner", cJSON_CreateString(who));
    for (int i = 0; plan_fields[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, plan_fields[i]);
        if (v) set_item(rec, plan_fields[i], cJSON_Duplicate(v, 1));
    }
    if (cJSON_IsObject(attrs)) merge_attrs(rec, attrs);
    rc = kith_visit_check_plan(ctx, rec, "at");
    if (!rc)
        rc = kith_visit_save(ctx, old, rec, customer, NULL, "visit.updated", 1, KITH_TIME_NONE,
                             result);
    return end_change(rc, old, customer, rec);
}

static int visit_reschedule(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id, at = 0;
    const char *to;
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (!rc) rc = due_arg(ctx, params, "at", &at);
    if (!rc) rc = kith_cmd_check_text(ctx, params, "reason", 2000, 1);
    if (rc) return rc;
    cJSON *old, *customer, *rec;
    if ((rc = begin_change(ctx, id, "reschedule", &old, &customer, &rec, &to))) return rc;
    const char *reason = kith_json_get_str(params, "reason");
    set_time(rec, "planned_at", at);
    set_item(rec, "reschedules",
             cJSON_CreateNumber(cJSON_GetNumberValue(cJSON_GetObjectItem(old, "reschedules")) + 1));
    set_item(rec, "reschedule_reason", reason ? cJSON_CreateString(reason) : cJSON_CreateNull());
    kith_visit_arm arm = kith_visit_arm_for(ctx, at);
    rc = kith_visit_save(ctx, old, rec, customer, &arm, "visit.rescheduled", 1, KITH_TIME_NONE,
                         result);
    return end_change(rc, old, customer, rec);
}

static int visit_cancel(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    const char *to;
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (!rc) rc = kith_cmd_check_text(ctx, params, "reason", 2000, 1);
    if (rc) return rc;
    cJSON *old, *customer, *rec;
    if ((rc = begin_change(ctx, id, "cancel", &old, &customer, &rec, &to))) return rc;
    set_item(rec, "cancel_reason", cJSON_CreateString(kith_json_get_str(params, "reason")));
    rc = kith_visit_rollup(ctx, "visit.cancelled", old, ctx->now, 0, 0);
    if (!rc)
        rc = kith_visit_save(ctx, old, rec, customer, NULL, "visit.cancelled", 0, KITH_TIME_NONE,
                             result);
    return end_change(rc, old, customer, rec);
}

/* geo: {lat, lng} in degrees. */
static int check_geo(kith_ctx *ctx, const cJSON *geo)
{
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(geo, "lat");
    const cJSON *lng = cJSON_GetObjectItemCaseSensitive(geo, "lng");
    if (!geo) return 0;
    if (!cJSON_IsNumber(lat) || !cJSON_IsNumber(lng) || fabs(lat->valuedouble) > 90 ||
        fabs(lng->valuedouble) > 180 || cJSON_GetArraySize(geo) != 2)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "geo",
                             "geo must be {lat, lng}: lat -90..90, lng -180..180");
    return 0;
}

static int visit_checkin(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id, at = ctx->now;
    const char *to;
    const cJSON *geo = cJSON_GetObjectItemCaseSensitive(params, "geo");
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "at", &at);
    if (!rc) rc = check_geo(ctx, geo);
    if (rc) return rc;
    cJSON *old, *customer, *rec;
    if ((rc = begin_change(ctx, id, "checkin", &old, &customer, &rec, &to))) return rc;
    set_time(rec, "started_at", at);
    if (geo) set_item(rec, "geo", cJSON_Duplicate(geo, 1));
    rc = kith_visit_save(ctx, old, rec, customer, NULL, "visit.started", 0, KITH_TIME_NONE, result);
    return end_change(rc, old, customer, rec);
}

#define PLAN_FIELD_PARAMS                                                                          \
    {"purpose", KITH_T_STRING, 0, "why: relationship, sales, service, collection, ..."},           \
        {"agenda", KITH_T_STRING, 0, "what to talk about"},                                        \
        {"goals", KITH_T_STRINGS, 0, "what the visit should achieve (up to 20)"},                  \
        {"participants", KITH_T_STRINGS, 0, "who else goes (up to 20 names)"},                     \
        {"contact", KITH_T_STRING, 0, "whom to meet at the customer"},                             \
        {"location", KITH_T_STRING, 0, "where"},                                                   \
        {"duration_min", KITH_T_INT, 0, "planned length in minutes"},                              \
        {"ticket_id", KITH_T_INT, 0, "the ticket the visit follows up"},                           \
    {                                                                                              \
        "attrs", KITH_T_OBJECT, 0, "custom attributes (merged on update; null removes a key)"      \
    }

static const kith_param plan_params[] = {
    {"customer_id", KITH_T_INT, 1, "the customer to visit"},
    {"at", KITH_T_DUE, 1, "when: an ISO 8601 time, or a duration from now like \"3d\""},
    {"by", KITH_T_STRING, 0, "the visitor (default the caller)"},
    {"owner", KITH_T_STRING, 0, "the visitor (same as by)"},
    PLAN_FIELD_PARAMS,
    {NULL},
};
static const kith_param id_params[] = {
    {"id", KITH_T_INT, 1, "visit id"},
    {NULL},
};
static const kith_param list_params[] = {
    {"owner", KITH_T_STRING, 0, "only this visitor's visits"},
    {"customer_id", KITH_T_INT, 0, "only visits to this customer"},
    {"status", KITH_T_STRING, 0, "planned, in_progress, done, cancelled or missed"},
    {"from", KITH_T_DUE, 0, "planned at or after this time (or duration from now)"},
    {"to", KITH_T_DUE, 0, "planned before this time (or duration from now)"},
    KITH_LIST_PARAMS,
    {NULL},
};
static const kith_param update_params[] = {
    {"id", KITH_T_INT, 1, "visit id"},
    {"by", KITH_T_STRING, 0, "a new visitor"},
    {"owner", KITH_T_STRING, 0, "a new visitor (same as by)"},
    PLAN_FIELD_PARAMS,
    {NULL},
};
static const kith_param reschedule_params[] = {
    {"id", KITH_T_INT, 1, "visit id"},
    {"at", KITH_T_DUE, 1, "the new time, or a duration from now"},
    {"reason", KITH_T_STRING, 0, "why it moves"},
    {NULL},
};
static const kith_param cancel_params[] = {
    {"id", KITH_T_INT, 1, "visit id"},
    {"reason", KITH_T_STRING, 1, "why it is called off"},
    {NULL},
};
static const kith_param checkin_params[] = {
    {"id", KITH_T_INT, 1, "visit id"},
    {"at", KITH_T_TIME, 0, "when the visit started (default now)"},
    {"geo", KITH_T_OBJECT, 0, "where the visitor checked in: {lat, lng}"},
    {NULL},
};
static const kith_param report_params[] = {
    {"id", KITH_T_INT, 1, "visit id"},
    {"outcome", KITH_T_STRING, 1, "achieved, partial or not_achieved"},
    {"summary", KITH_T_STRING, 0, "what happened (also the logged interaction's summary)"},
    {"feedback", KITH_T_STRING, 0, "what the customer said"},
    {"customer_feedback", KITH_T_STRING, 0, "what the customer said (same as feedback)"},
    {"agreements", KITH_T_ARRAY, 0,
     "[{note, due (time or duration), owner?}]: each becomes a follow-up task"},
    {"next_visit", KITH_T_DUE, 0, "plans the next visit then (a time or a duration from now)"},
    {"ended_at", KITH_T_TIME, 0, "when the visit ended (default now)"},
    {NULL},
};
static const kith_param due_params[] = {
    {"class", KITH_T_STRING, 0, "only customers of this cadence class"},
    {"owner", KITH_T_STRING, 0, "only this owner's customers"},
    KITH_LIST_PARAMS,
    {NULL},
};

const kith_command kith_cmd_visit[] = {
    {"visit.plan", visit_plan, plan_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Plan a visit to a customer; visit.upcoming fires a lead time before it", "the visit"},
    {"visit.get", visit_get, id_params, KITH_CMD_READ, KITH_ROLE_VIEWER, "One visit", "the visit"},
    {"visit.list", visit_list, list_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Visits by planned time, earliest first: a calendar", "{items: [visit], next_cursor}"},
    {"visit.update", visit_update, update_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Change a planned visit's plan (not its time: see visit.reschedule)", "the visit"},
    {"visit.reschedule", visit_reschedule, reschedule_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Move a planned or missed visit to a new time; its reminders fire again", "the visit"},
    {"visit.cancel", visit_cancel, cancel_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Call off a planned or missed visit", "the visit"},
    {"visit.checkin", visit_checkin, checkin_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "The visitor arrived: planned -> in_progress", "the visit"},
    {"visit.report", kith_visit_report_cmd, report_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Report a visit: logs the visit interaction, turns agreements into tasks, plans the next",
     "the visit, status done"},
    {"visit.due", kith_visit_due_cmd, due_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Customers overdue for a visit by the rules' cadence, with nothing planned",
     "{items: [{customer, class, last_visit_at, due_since, visit_every}], next_cursor}"},
    {NULL},
};
