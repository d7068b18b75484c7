/*
 * ticket.create / get / update / list: checking a ticket's fields, picking
 * its SLA policy, and handing the change to the one path every ticket write
 * takes (ticket_work.c).  The state machine's verbs, comments and history
 * are in ticket_flow.c; the SLA clock's arithmetic and due source in
 * ticket_sla.c.
 *
 * A complaint ticket created by hand also logs one complaint interaction
 * (unless it came from one: interaction_id), so stats.complaints and the
 * rules written against complaints keep counting every complaint once.
 */
#include "commands/commands.h"
#include "commands/interaction_ops.h"
#include "commands/ticket_ops.h"
#include "commands/ticket_sla.h"
#include "script/script.h"
#include "store/customer.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <string.h>

#define MAX_SUBJECT     500
#define MAX_TEXT        10000
#define MAX_NAME        64
#define MAX_ATTRS_BYTES 65536

static const char *const kinds[] = {"complaint", "request",    "inquiry", "return",
                                    "repair",    "suggestion", NULL};
static const char *const priorities[] = {"low", "normal", "high", "urgent", NULL};
static const char *const channels[] = {"call", "email", "visit",  "meeting", "note",  "complaint",
                                       "sms",  "chat",  "social", "web",     "store", NULL};
static const char *const statuses[] = {"new",    "open",     "waiting", "resolved",
                                       "closed", "rejected", "active",  NULL};

/* Fields ticket.update may change, in wire order. */
static const char *const writable[] = {
    "kind",     "subject", "description", "channel",      "category",  "priority", "touchpoint",
    "order_id", "owner",   "team",        "compensation", "parent_id", "attrs",    NULL};

static int check_str(kith_ctx *ctx, const cJSON *rec, const char *name, size_t max, int required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, name);
    if ((!v || cJSON_IsNull(v)) && !required) return 0;
    size_t n = cJSON_IsString(v) ? strlen(v->valuestring) : 0;
    if (!cJSON_IsString(v) || n == 0 || strspn(v->valuestring, " \t\r\n") == n)
        return kith_ctx_fail(ctx, KITH_EPARAMS, name, "%s must be a non-empty string", name);
    if (n > max)
        return kith_ctx_fail(ctx, KITH_EPARAMS, name, "%s is longer than %zu bytes", name, max);
    return 0;
}

static int check_id(kith_ctx *ctx, const cJSON *rec, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, name);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || !kith_json_is_int(v->valuedouble))
        return kith_ctx_fail(ctx, KITH_EPARAMS, name, "%s must be a positive integer id", name);
    return 0;
}

static int check_object(kith_ctx *ctx, const cJSON *rec, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, name);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsObject(v))
        return kith_ctx_fail(ctx, KITH_EPARAMS, name, "%s must be an object", name);
    char *text = cJSON_PrintUnformatted(v);
    size_t n = text ? strlen(text) : 0;
    cJSON_free(text);
    if (n > MAX_ATTRS_BYTES)
        return kith_ctx_fail(ctx, KITH_EPARAMS, name, "%s is larger than %d bytes", name,
                             MAX_ATTRS_BYTES);
    return 0;
}

/* A touchpoint: a short lowercase name, as on interactions. */
static int check_slug(kith_ctx *ctx, const cJSON *rec, const char *name)
{
    const char *v = kith_json_get_str(rec, name);
    if (!v) return check_str(ctx, rec, name, MAX_NAME, 0);
    size_t n = strlen(v);
    int ok = n > 0 && n <= MAX_NAME;
    for (size_t i = 0; ok && i < n; i++)
        ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '_' ||
             v[i] == '-';
    return ok ? 0
              : kith_ctx_fail(ctx, KITH_EPARAMS, name,
                              "%s must be a lowercase name of 1-64 letters, digits, _ or -", name);
}

/* The writable fields of a record, from params or as before hooks left
 * them. */
static int check_record(kith_ctx *ctx, const cJSON *rec)
{
    int rc = kith_cmd_check_enum(ctx, rec, "kind", kinds, 1);
    if (!rc) rc = check_str(ctx, rec, "subject", MAX_SUBJECT, 1);
    if (!rc) rc = check_str(ctx, rec, "description", MAX_TEXT, 0);
    if (!rc) rc = kith_cmd_check_enum(ctx, rec, "channel", channels, 0);
    if (!rc) rc = check_str(ctx, rec, "category", MAX_NAME, 0);
    if (!rc) rc = kith_cmd_check_enum(ctx, rec, "priority", priorities, 1);
    if (!rc) rc = check_slug(ctx, rec, "touchpoint");
    if (!rc) rc = check_id(ctx, rec, "order_id");
    if (!rc) rc = check_str(ctx, rec, "owner", MAX_NAME, 0);
    if (!rc) rc = check_str(ctx, rec, "team", MAX_NAME, 0);
    if (!rc) rc = check_object(ctx, rec, "compensation");
    if (!rc) rc = check_id(ctx, rec, "parent_id");
    if (!rc) rc = check_object(ctx, rec, "attrs");
    return rc;
}

/* A record back from Lua has {} as an empty array: give the object fields
 * their shape again. */
static void normalize(cJSON *rec)
{
    static const char *const objects[] = {"attrs", "compensation"};
    for (int i = 0; i < 2; i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, objects[i]);
        if (cJSON_IsArray(v) && !v->child)
            cJSON_ReplaceItemInObjectCaseSensitive(rec, objects[i], cJSON_CreateObject());
    }
}

/* Gives the ticket the policy the rules pick for it now (at creation, and
 * when its kind or priority changes), and arms the clock. */
static int apply_policy(kith_ctx *ctx, kith_ticket_work *w)
{
    kith_sla_policy p;
    int found;
    int rc = kith_script_sla_pick(ctx, w->rec, w->customer, &p, &found);
    if (rc) return rc;
    if (!found) {
        /* Keep what already fired on record only while a policy applies. */
        kith_ticket_sla_clear(&w->sla);
        return 0;
    }
    snprintf(w->sla.policy, sizeof(w->sla.policy), "%s", p.name);
    w->sla.duration[KITH_SLA_RESPOND] = p.respond_ms;
    w->sla.duration[KITH_SLA_RESOLVE] = p.resolve_ms;
    w->sla.warn_at = p.warn_at;
    if (w->sla.created_at == KITH_TIME_NONE)
        kith_time_parse_iso(kith_json_get_str(w->rec, "created_at"), &w->sla.created_at);
    if (w->sla.started_at == KITH_TIME_NONE) w->sla.started_at = w->sla.created_at;
    kith_ticket_sla_arm(&w->sla, p.has_calendar ? &p.calendar : NULL);
    return 0;
}

/* ---- create ---- */

/* The complaint interaction a complaint ticket stands for (file comment). */
static int log_complaint(kith_ctx *ctx, kith_ticket_work *w)
{
    cJSON *p = cJSON_CreateObject(), *in = NULL;
    if (!p) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    kith_json_add_int(p, "customer_id", w->customer_id);
    cJSON_AddStringToObject(p, "type", "complaint");
    cJSON_AddStringToObject(p, "summary", kith_json_get_str(w->rec, "subject"));
    cJSON_AddStringToObject(p, "at", kith_json_get_str(w->rec, "created_at"));
    cJSON_AddStringToObject(p, "direction", "in");
    kith_json_add_int(p, "ticket_id", w->id);
    const char *tp = kith_json_get_str(w->rec, "touchpoint");
    if (tp) cJSON_AddStringToObject(p, "touchpoint", tp);
    int rc = kith_interaction_log(ctx, p, 0, &in);
    cJSON_Delete(p);
    if (rc) return rc;
    const cJSON *iid = cJSON_GetObjectItemCaseSensitive(in, "id");
    cJSON_DeleteItemFromObjectCaseSensitive(w->rec, "interaction_id");
    cJSON_AddItemToObject(w->rec, "interaction_id", cJSON_Duplicate(iid, 1));
    cJSON_Delete(in);
    return 0;
}

static int ticket_create(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t cid, at = ctx->now;
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", &cid);
    if (!rc) rc = check_id(ctx, params, "interaction_id");
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "at", &at);
    if (rc) return rc;
    kith_ticket_work w;
    memset(&w, 0, sizeof(w));
    kith_ticket_sla_clear(&w.sla);
    w.customer_id = cid;
    if ((rc = kith_store_customer_get(ctx->store, cid, &w.customer)) < 0)
        return kith_cmd_store_fail(ctx, rc, "customer");
    char by[KITH_ACTOR_MAX];
    w.rec = cJSON_CreateObject();
    kith_json_add_int(w.rec, "customer_id", cid);
    for (int i = 0; writable[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, writable[i]);
        if (v) cJSON_AddItemToObject(w.rec, writable[i], cJSON_Duplicate(v, 1));
    }
    if (!kith_json_get_str(w.rec, "priority")) {
        cJSON_DeleteItemFromObjectCaseSensitive(w.rec, "priority");
        cJSON_AddStringToObject(w.rec, "priority", "normal");
    }
    const cJSON *iid = cJSON_GetObjectItemCaseSensitive(params, "interaction_id");
    if (iid) cJSON_AddItemToObject(w.rec, "interaction_id", cJSON_Duplicate(iid, 1));
    cJSON_AddStringToObject(w.rec, "status", "new");
    kith_json_add_int(w.rec, "reopened", 0);
    const char *actor = kith_script_actor(ctx, by, sizeof(by));
    kith_json_add_str(w.rec, "created_by", actor);
    kith_json_add_time(w.rec, "created_at", at);
    if ((rc = check_record(ctx, w.rec))) goto done;
    /* The before hooks may change the record or veto it; what they leave
     * is checked again, and what is not theirs to change is put back. */
    cJSON *context = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(context, "customer", w.customer);
    rc = kith_cmd_before(ctx, "ticket.created", "ticket", &w.rec, context);
    cJSON_Delete(context);
    normalize(w.rec);
    if (!rc) rc = check_record(ctx, w.rec);
    if (rc) goto done;
    static const char *const fixed[] = {"customer_id", "status", "reopened", "created_by",
                                        "created_at"};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        cJSON_DeleteItemFromObjectCaseSensitive(w.rec, fixed[i]);
    kith_json_add_int(w.rec, "customer_id", cid);
    cJSON_AddStringToObject(w.rec, "status", "new");
    kith_json_add_int(w.rec, "reopened", 0);
    kith_json_add_str(w.rec, "created_by", actor);
    kith_json_add_time(w.rec, "created_at", at);
    if ((rc = apply_policy(ctx, &w))) goto done;
    w.sla.next_at = kith_ticket_sla_next(&w.sla, "new");
    if ((rc = kith_store_ticket_insert(ctx->store, w.rec, &w.sla, &w.id)) < 0) {
        rc = kith_cmd_store_fail(ctx, rc, "ticket");
        goto done;
    }
    if (iid) {
        rc = kith_store_ticket_link_interaction(ctx->store, (int64_t)iid->valuedouble, cid, w.id);
        if (rc == KITH_ENOTFOUND)
            rc = kith_ctx_fail(ctx, KITH_EPARAMS, "interaction_id",
                               "interaction %lld is not one of customer %lld's",
                               (long long)iid->valuedouble, (long long)cid);
        else if (rc < 0)
            rc = kith_cmd_store_fail(ctx, rc, "interaction");
    } else if (strcmp(kith_json_get_str(w.rec, "kind"), "complaint") == 0) {
        rc = log_complaint(ctx, &w);
    }
    if (rc) goto done;
    /* From here the ticket is written: finish it like any other change,
     * as a transition from nothing to new. */
    snprintf(w.old_status, sizeof(w.old_status), "new");
    rc = kith_ticket_finish(ctx, &w, "create", NULL, "ticket.created", NULL, result);
done:
    kith_ticket_work_release(&w);
    return rc;
}

/* ---- get, update, list ---- */

static int ticket_get(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (rc) return rc;
    if ((rc = kith_store_ticket_get(ctx->store, id, result, NULL)) < 0)
        return kith_cmd_store_fail(ctx, rc, "ticket");
    return 0;
}

/* Absent and null are the same value (a record back from Lua drops its
 * nulls). */
static int same(const cJSON *a, const cJSON *b)
{
    if ((!a || cJSON_IsNull(a)) && (!b || cJSON_IsNull(b))) return 1;
    return a && b && cJSON_Compare(a, b, 1);
}

/* field -> {old, new} for every writable field that differs. */
static cJSON *diff(const cJSON *old, const cJSON *new)
{
    cJSON *changes = cJSON_CreateObject();
    for (int i = 0; changes && writable[i]; i++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(old, writable[i]);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(new, writable[i]);
        if (same(a, b)) continue;
        cJSON *ch = cJSON_AddObjectToObject(changes, writable[i]);
        cJSON_AddItemToObject(ch, "old", a ? cJSON_Duplicate(a, 1) : cJSON_CreateNull());
        cJSON_AddItemToObject(ch, "new", b ? cJSON_Duplicate(b, 1) : cJSON_CreateNull());
    }
    return changes;
}

/* Fields replace (null clears), attrs merge (a key set to null goes). */
static void apply_update(cJSON *rec, const cJSON *params)
{
    for (int i = 0; writable[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, writable[i]);
        if (!v) continue;
        if (strcmp(writable[i], "attrs") == 0) {
            cJSON *attrs = cJSON_GetObjectItemCaseSensitive(rec, "attrs");
            if (!cJSON_IsObject(attrs)) {
                cJSON_DeleteItemFromObjectCaseSensitive(rec, "attrs");
                attrs = cJSON_AddObjectToObject(rec, "attrs");
            }
            const cJSON *a;
            cJSON_ArrayForEach(a, v)
            {
                cJSON_DeleteItemFromObjectCaseSensitive(attrs, a->string);
                if (!cJSON_IsNull(a))
                    cJSON_AddItemToObject(attrs, a->string, cJSON_Duplicate(a, 1));
            }
            continue;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(rec, writable[i]);
        cJSON_AddItemToObject(rec, writable[i], cJSON_Duplicate(v, 1));
    }
}

static int ticket_update(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (rc) return rc;
    if (cJSON_GetObjectItemCaseSensitive(params, "status"))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "status",
                             "status changes only through the ticket's verbs (ticket.accept, "
                             "ticket.resolve, ...)");
    kith_ticket_work w;
    cJSON *changes = NULL;
    if ((rc = kith_ticket_load(ctx, id, NULL, &w))) goto done;
    apply_update(w.rec, params);
    if ((rc = check_record(ctx, w.rec))) goto done;
    cJSON *context = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(context, "customer", w.customer);
    cJSON_AddItemReferenceToObject(context, "old", w.old);
    cJSON_AddItemToObject(context, "changes", diff(w.old, w.rec));
    rc = kith_cmd_before(ctx, "ticket.updated", "ticket", &w.rec, context);
    cJSON_Delete(context);
    normalize(w.rec);
    if (!rc) rc = check_record(ctx, w.rec);
    if (rc) goto done;
    /* Only the writable fields are the hooks' to change. */
    cJSON *rec = cJSON_Duplicate(w.old, 1);
    for (int i = 0; writable[i]; i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(w.rec, writable[i]);
        cJSON_DeleteItemFromObjectCaseSensitive(rec, writable[i]);
        cJSON_AddItemToObject(rec, writable[i], v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
    }
    cJSON_Delete(w.rec);
    w.rec = rec;
    changes = diff(w.old, w.rec);
    if (!changes || !changes->child) {
        *result = w.old; /* nothing changed: nothing written, nothing emitted */
        w.old = NULL;
        goto done;
    }
    if ((cJSON_GetObjectItemCaseSensitive(changes, "kind") ||
         cJSON_GetObjectItemCaseSensitive(changes, "priority")) &&
        (rc = apply_policy(ctx, &w)))
        goto done;
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(extra, "changes", changes);
    rc = kith_ticket_finish(ctx, &w, NULL, NULL, "ticket.updated", extra, result);
    cJSON_Delete(extra);
done:
    cJSON_Delete(changes);
    kith_ticket_work_release(&w);
    return rc;
}

static int ticket_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    kith_ticket_filter f = {.status = kith_json_get_str(params, "status"),
                            .kind = kith_json_get_str(params, "kind"),
                            .owner = kith_json_get_str(params, "owner"),
                            .team = kith_json_get_str(params, "team"),
                            .category = kith_json_get_str(params, "category"),
                            .priority = kith_json_get_str(params, "priority"),
                            .breached = -1,
                            .opened_after = KITH_TIME_NONE,
                            .opened_before = KITH_TIME_NONE};
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more, rc = 0;
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(params, "breached");
    if (cJSON_IsBool(b)) f.breached = cJSON_IsTrue(b);
    if (cJSON_GetObjectItemCaseSensitive(params, "customer_id"))
        rc = kith_cmd_id_arg(ctx, params, "customer_id", &f.customer_id);
    if (!rc) rc = kith_cmd_check_enum(ctx, params, "status", statuses, 0);
    if (!rc) rc = kith_cmd_check_enum(ctx, params, "kind", kinds, 0);
    if (!rc) rc = kith_cmd_check_enum(ctx, params, "priority", priorities, 0);
    if (!rc && cJSON_GetObjectItemCaseSensitive(params, "opened_after")) {
        f.opened_after = 0;
        rc = kith_cmd_time_arg(ctx, params, "opened_after", &f.opened_after);
    }
    if (!rc && cJSON_GetObjectItemCaseSensitive(params, "opened_before")) {
        f.opened_before = 0;
        rc = kith_cmd_time_arg(ctx, params, "opened_before", &f.opened_before);
    }
    if (!rc) rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (rc) return rc;
    cJSON *items = cJSON_CreateArray();
    if (!items) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    if ((rc = kith_store_ticket_list(ctx->store, &f, limit, after, items, &more, &next)) < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "tickets");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}

static const kith_param create_params[] = {
    {"customer_id", KITH_T_INT, 1, "the customer it is about"},
    {"kind", KITH_T_STRING, 1, "complaint, request, inquiry, return, repair or suggestion"},
    {"subject", KITH_T_STRING, 1, "one line on what it is about"},
    {"description", KITH_T_STRING, 0, "the details"},
    {"priority", KITH_T_STRING, 0, "low, normal (default), high or urgent"},
    {"category", KITH_T_STRING, 0,
     "what kind of problem, e.g. delivery (required to resolve a "
     "complaint)"},
    {"channel", KITH_T_STRING, 0, "where it came in: an interaction type, web or store"},
    {"touchpoint", KITH_T_STRING, 0, "where in the journey: purchase, after_sales, ..."},
    {"owner", KITH_T_STRING, 0, "who works it"},
    {"team", KITH_T_STRING, 0, "which team works it"},
    {"order_id", KITH_T_INT, 0, "the order it concerns (returns, repairs)"},
    {"parent_id", KITH_T_INT, 0, "an earlier ticket this one follows"},
    {"interaction_id", KITH_T_INT, 0,
     "the complaint interaction it came from (then no second one is logged)"},
    {"compensation", KITH_T_OBJECT, 0, "what the customer gets: {points, amount, note}"},
    {"at", KITH_T_TIME, 0, "when it was opened (default now)"},
    {"attrs", KITH_T_OBJECT, 0, "custom attributes"},
    {NULL},
};
static const kith_param get_params[] = {
    {"id", KITH_T_INT, 1, "ticket id"},
    {NULL},
};
static const kith_param update_params[] = {
    {"id", KITH_T_INT, 1, "ticket id"},
    {"kind", KITH_T_STRING, 0, "a new kind (re-picks the SLA policy)"},
    {"subject", KITH_T_STRING, 0, "a new subject"},
    {"description", KITH_T_STRING, 0, "new details (null clears)"},
    {"priority", KITH_T_STRING, 0, "a new priority (re-picks the SLA policy)"},
    {"category", KITH_T_STRING, 0, "a new category (null clears)"},
    {"channel", KITH_T_STRING, 0, "a new channel (null clears)"},
    {"touchpoint", KITH_T_STRING, 0, "a new touchpoint (null clears)"},
    {"owner", KITH_T_STRING, 0, "a new owner (null clears; emits ticket.assigned)"},
    {"team", KITH_T_STRING, 0, "a new team (null clears; emits ticket.assigned)"},
    {"order_id", KITH_T_INT, 0, "the order it concerns (null clears)"},
    {"parent_id", KITH_T_INT, 0, "an earlier ticket this one follows (null clears)"},
    {"compensation", KITH_T_OBJECT, 0, "what the customer gets (null clears)"},
    {"attrs", KITH_T_OBJECT, 0, "attributes to merge (a null value removes one)"},
    {"status", KITH_T_ANY, 0, "never accepted: statuses change through the verbs"},
    {NULL},
};
static const kith_param list_params[] = {
    {"customer_id", KITH_T_INT, 0, "only this customer's tickets"},
    {"status", KITH_T_STRING, 0, "a status, or active (new, open and waiting)"},
    {"kind", KITH_T_STRING, 0, "only this kind"},
    {"owner", KITH_T_STRING, 0, "only this owner's"},
    {"team", KITH_T_STRING, 0, "only this team's"},
    {"category", KITH_T_STRING, 0, "only this category"},
    {"priority", KITH_T_STRING, 0, "only this priority"},
    {"breached", KITH_T_BOOL, 0, "true: only tickets that breached a deadline; false: only not"},
    {"opened_after", KITH_T_TIME, 0, "created at or after this time"},
    {"opened_before", KITH_T_TIME, 0, "created before this time"},
    KITH_LIST_PARAMS,
    {NULL},
};

const kith_command kith_cmd_ticket[] = {
    {"ticket.create", ticket_create, create_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Open a complaint or service ticket; its SLA policy comes from the rules (crm.sla)",
     "the ticket, status new"},
    {"ticket.get", ticket_get, get_params, KITH_CMD_READ, KITH_ROLE_VIEWER, "One ticket",
     "the ticket"},
    {"ticket.update", ticket_update, update_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Change a ticket's fields (never its status)", "the ticket"},
    {"ticket.list", ticket_list, list_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Tickets, newest first", "{items: [ticket], next_cursor}"},
    {NULL},
};
