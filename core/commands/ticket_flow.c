/*
 * The ticket state machine (ticket_ops.h notes 1-3): accept, wait, resume,
 * resolve, notify, close, reopen and reject, each checked against the one
 * transition table below before anything changes; comments and history;
 * sla.list; and the links interaction.log makes to tickets.
 */
#include "commands/commands.h"
#include "commands/interaction_ops.h"
#include "commands/ticket_ops.h"
#include "commands/ticket_sla.h"
#include "script/sla.h"
#include "script/script.h"
#include "store/customer.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <string.h>

#define MAX_TEXT 10000
#define MAX_NAME 64

/* The transition table: the statuses a verb leaves from, and where to. */
static const struct {
    const char *verb;
    const char *from[4];
    const char *to;
} transitions[] = {
    {"accept", {"new"}, "open"},
    {"wait", {"open"}, "waiting"},
    {"resume", {"waiting"}, "open"},
    {"resolve", {"new", "open", "waiting"}, "resolved"},
    {"close", {"resolved"}, "closed"},
    {"reopen", {"resolved", "closed"}, "open"},
    {"reject", {"new", "open"}, "rejected"},
};

const char *kith_ticket_transition(const char *verb, const char *status)
{
    for (size_t i = 0; verb && status && i < sizeof(transitions) / sizeof(transitions[0]); i++) {
        if (strcmp(transitions[i].verb, verb) != 0) continue;
        for (int k = 0; k < 4 && transitions[i].from[k]; k++)
            if (strcmp(transitions[i].from[k], status) == 0) return transitions[i].to;
    }
    return NULL;
}

static int text_arg(kith_ctx *ctx, const cJSON *params, const char *name, size_t max, int required)
{
    const char *s = kith_json_get_str(params, name);
    if (!s && required) return kith_ctx_fail(ctx, KITH_EPARAMS, name, "%s is required", name);
    return kith_cmd_check_text(ctx, params, name, max, 1);
}

static void set_str(cJSON *rec, const char *key, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(rec, key);
    kith_json_add_str(rec, key, v);
}

/* Sets rec[key] to `v` (owned), whether or not the key was there. */
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

/* Runs `verb` on ticket params.id: loads and checks the transition, lets
 * `change` alter the record and clock, and finishes (ticket_ops.h note
 * 2) with `event` and the history note `note_param`'s value. */
static int transition(kith_ctx *ctx, const cJSON *params, const char *verb, const char *event,
                      const char *note_param,
                      int (*change)(kith_ctx *, const cJSON *, kith_ticket_work *), cJSON **result)
{
    int64_t id;
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (rc) return rc;
    kith_ticket_work w;
    rc = kith_ticket_load(ctx, id, verb, &w);
    if (!rc && change) rc = change(ctx, params, &w);
    if (!rc)
        rc = kith_ticket_finish(ctx, &w, verb,
                                note_param ? kith_json_get_str(params, note_param) : NULL, event,
                                NULL, result);
    kith_ticket_work_release(&w);
    return rc;
}

/* The first response (ticket_sla.h note 1): the first accept, or a
 * resolve straight from new. */
static void first_response(kith_ctx *ctx, kith_ticket_work *w)
{
    if (w->sla.responded_at == KITH_TIME_NONE) w->sla.responded_at = ctx->now;
}

static int change_accept(kith_ctx *ctx, const cJSON *params, kith_ticket_work *w)
{
    int rc = text_arg(ctx, params, "owner", MAX_NAME, 0);
    if (!rc) rc = text_arg(ctx, params, "team", MAX_NAME, 0);
    if (!rc) rc = text_arg(ctx, params, "note", MAX_TEXT, 0);
    if (rc) return rc;
    const char *owner = kith_json_get_str(params, "owner");
    const char *team = kith_json_get_str(params, "team");
    if (owner) set_str(w->rec, "owner", owner);
    if (team) set_str(w->rec, "team", team);
    if (!kith_json_get_str(w->rec, "accepted_at")) set_time(w->rec, "accepted_at", ctx->now);
    first_response(ctx, w);
    return 0;
}

static int change_wait(kith_ctx *ctx, const cJSON *params, kith_ticket_work *w)
{
    int rc = text_arg(ctx, params, "reason", MAX_TEXT, 0);
    if (!rc) kith_ticket_sla_pause(&w->sla, ctx->now);
    return rc;
}

static int change_resume(kith_ctx *ctx, const cJSON *params, kith_ticket_work *w)
{
    int rc = text_arg(ctx, params, "reason", MAX_TEXT, 0);
    if (rc) return rc;
    kith_sla_policy p;
    kith_ticket_sla_resume(&w->sla, kith_ticket_calendar(ctx, &w->sla, &p), ctx->now);
    return 0;
}

static int change_resolve(kith_ctx *ctx, const cJSON *params, kith_ticket_work *w)
{
    int rc = text_arg(ctx, params, "resolution", MAX_TEXT, 1);
    if (!rc) rc = text_arg(ctx, params, "root_cause", MAX_TEXT, 0);
    if (!rc) rc = text_arg(ctx, params, "category", MAX_NAME, 0);
    const cJSON *comp = cJSON_GetObjectItemCaseSensitive(params, "compensation");
    if (rc) return rc;
    static const char *const fields[] = {"resolution", "root_cause", "category"};
    for (int i = 0; i < 3; i++) {
        const char *v = kith_json_get_str(params, fields[i]);
        if (v) set_str(w->rec, fields[i], v);
    }
    if (cJSON_IsObject(comp)) set_item(w->rec, "compensation", cJSON_Duplicate(comp, 1));
    /* Analysis before feedback: a complaint is resolved only with its root
     * cause and category on record (given now or earlier). */
    if (strcmp(kith_json_get_str(w->rec, "kind"), "complaint") == 0)
        for (int i = 1; i < 3; i++)
            if (!kith_json_get_str(w->rec, fields[i]))
                return kith_ctx_fail(ctx, KITH_EPARAMS, fields[i],
                                     "%s is required to resolve a complaint", fields[i]);
    /* A resolve from waiting ends the pause first, so whether the deadline
     * was met counts the waited time out. */
    kith_sla_policy p;
    kith_ticket_sla_resume(&w->sla, kith_ticket_calendar(ctx, &w->sla, &p), ctx->now);
    first_response(ctx, w);
    set_time(w->rec, "resolved_at", ctx->now);
    return 0;
}

static int change_close(kith_ctx *ctx, const cJSON *params, kith_ticket_work *w)
{
    const cJSON *sat = cJSON_GetObjectItemCaseSensitive(params, "satisfaction");
    int force = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params, "force"));
    int rc = text_arg(ctx, params, "customer_comment", MAX_TEXT, 0);
    if (rc) return rc;
    if (sat && (!cJSON_IsNumber(sat) || !kith_json_is_int(sat->valuedouble) ||
                sat->valuedouble < 1 || sat->valuedouble > 5))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "satisfaction",
                             "satisfaction must be a whole number from 1 to 5");
    if (force && ctx->session->role < KITH_ROLE_ADMIN)
        return kith_ctx_fail(ctx, KITH_EFORBIDDEN, "force",
                             "only an admin may close a ticket whose customer was not told");
    /* Feedback gates closing (ticket_ops.h note 3). */
    int64_t told = KITH_TIME_NONE, resolved = 0;
    const char *t = kith_json_get_str(w->rec, "customer_notified_at");
    if (t) kith_time_parse_iso(t, &told);
    kith_time_parse_iso(kith_json_get_str(w->rec, "resolved_at"), &resolved);
    if (!force && (told == KITH_TIME_NONE || told < resolved))
        return kith_cmd_conflict(ctx, "not_notified", w->old_status,
                                 "ticket %lld: tell the customer the outcome first "
                                 "(ticket.notify), or close with force as an admin",
                                 (long long)w->id);
    if (sat) set_item(w->rec, "satisfaction", cJSON_Duplicate(sat, 1));
    const char *cc = kith_json_get_str(params, "customer_comment");
    if (cc) set_str(w->rec, "customer_comment", cc);
    set_time(w->rec, "closed_at", ctx->now);
    return 0;
}

static int change_reopen(kith_ctx *ctx, const cJSON *params, kith_ticket_work *w)
{
    int rc = text_arg(ctx, params, "reason", MAX_TEXT, 1);
    if (rc) return rc;
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(w->rec, "reopened");
    set_item(w->rec, "reopened", cJSON_CreateNumber(cJSON_GetNumberValue(n) + 1));
    set_item(w->rec, "closed_at", cJSON_CreateNull());
    /* A fresh resolve deadline, with its own warning and breach. */
    w->sla.started_at = ctx->now;
    w->sla.paused_ms = 0;
    w->sla.paused_at = KITH_TIME_NONE;
    w->sla.warned[KITH_SLA_RESOLVE] = w->sla.breached[KITH_SLA_RESOLVE] = 0;
    kith_sla_policy p;
    kith_ticket_sla_arm(&w->sla, kith_ticket_calendar(ctx, &w->sla, &p));
    return 0;
}

static int change_reject(kith_ctx *ctx, const cJSON *params, kith_ticket_work *w)
{
    static const char *const reasons[] = {"duplicate", "invalid", "spam", "other", NULL};
    const char *reason = kith_json_get_str(params, "reason");
    int rc = kith_cmd_check_enum(ctx, params, "reason", reasons, 1);
    if (rc) return rc;
    const cJSON *dup = cJSON_GetObjectItemCaseSensitive(params, "duplicate_of");
    if (dup && (int64_t)dup->valuedouble == w->id)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "duplicate_of", "a ticket cannot duplicate itself");
    if ((rc = text_arg(ctx, params, "note", MAX_TEXT, 0))) return rc;
    set_str(w->rec, "reject_reason", reason);
    if (dup) set_item(w->rec, "duplicate_of", cJSON_Duplicate(dup, 1));
    return 0;
}

static int ticket_accept(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    return transition(ctx, params, "accept", "ticket.accepted", "note", change_accept, result);
}

static int ticket_wait(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    return transition(ctx, params, "wait", "ticket.waiting", "reason", change_wait, result);
}

static int ticket_resume(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    return transition(ctx, params, "resume", "ticket.resumed", "reason", change_resume, result);
}

static int ticket_resolve(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    return transition(ctx, params, "resolve", "ticket.resolved", "resolution", change_resolve,
                      result);
}

static int ticket_close(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    return transition(ctx, params, "close", "ticket.closed", "customer_comment", change_close,
                      result);
}

static int ticket_reopen(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    return transition(ctx, params, "reopen", "ticket.reopened", "reason", change_reopen, result);
}

static int ticket_reject(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    return transition(ctx, params, "reject", "ticket.rejected", "note", change_reject, result);
}

/* ---- telling the customer ---- */

/* Marks w's ticket notified via `via` at `at`, with a history entry, and
 * emits ticket.notified with the interaction. */
static int mark_notified(kith_ctx *ctx, kith_ticket_work *w, const char *via, int64_t at,
                         const cJSON *interaction, cJSON **result)
{
    set_time(w->rec, "customer_notified_at", at);
    set_str(w->rec, "notified_via", via);
    cJSON *extra = cJSON_CreateObject();
    if (!extra) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    cJSON_AddItemReferenceToObject(extra, "interaction", (cJSON *)interaction);
    char by[KITH_ACTOR_MAX];
    int rc = kith_store_ticket_note(ctx->store, w->id, "notification", "notify", w->old_status,
                                    w->old_status, kith_json_get_str(interaction, "summary"), 0,
                                    kith_script_actor(ctx, by, sizeof(by)), ctx->now, NULL);
    if (rc < 0)
        rc = kith_cmd_store_fail(ctx, rc, "ticket history");
    else
        rc = kith_ticket_finish(ctx, w, NULL, NULL, "ticket.notified", extra, result);
    cJSON_Delete(extra);
    return rc;
}

static int ticket_notify(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (!rc) rc = text_arg(ctx, params, "channel", MAX_NAME, 1);
    if (!rc) rc = text_arg(ctx, params, "summary", MAX_TEXT, 0);
    if (rc) return rc;
    kith_ticket_work w;
    cJSON *p = NULL, *in = NULL;
    if ((rc = kith_ticket_load(ctx, id, NULL, &w))) goto done;
    const char *channel = kith_json_get_str(params, "channel");
    const char *type = "note";
    for (int i = 0; kith_interaction_types[i]; i++)
        if (strcmp(kith_interaction_types[i], channel) == 0) type = kith_interaction_types[i];
    char summary[600];
    const char *given = kith_json_get_str(params, "summary");
    if (!given) {
        const char *res = kith_json_get_str(w.rec, "resolution");
        snprintf(summary, sizeof(summary), "Told the customer about ticket %lld%s%.500s",
                 (long long)id, res ? ": " : "", res ? res : "");
    }
    p = cJSON_CreateObject();
    kith_json_add_int(p, "customer_id", w.customer_id);
    cJSON_AddStringToObject(p, "type", type);
    cJSON_AddStringToObject(p, "summary", given ? given : summary);
    cJSON_AddStringToObject(p, "direction", "out");
    kith_json_add_int(p, "ticket_id", id);
    if ((rc = kith_interaction_log(ctx, p, 0, &in))) goto done;
    /* The interaction's hooks may have changed the ticket: start again
     * from the ticket as it now stands. */
    kith_ticket_work_release(&w);
    if ((rc = kith_ticket_load(ctx, id, NULL, &w))) goto done;
    rc = mark_notified(ctx, &w, channel, ctx->now, in, result);
done:
    cJSON_Delete(p);
    cJSON_Delete(in);
    kith_ticket_work_release(&w);
    return rc;
}

int kith_ticket_check_link(kith_ctx *ctx, int64_t customer_id, const cJSON *interaction)
{
    const cJSON *tid = cJSON_GetObjectItemCaseSensitive(interaction, "ticket_id");
    if (!cJSON_IsNumber(tid)) return 0;
    int64_t owner;
    int rc = kith_store_ticket_customer(ctx->store, (int64_t)tid->valuedouble, &owner);
    if (rc == KITH_ENOTFOUND)
        return kith_ctx_fail(ctx, KITH_ENOTFOUND, "ticket_id", "ticket %lld not found",
                             (long long)tid->valuedouble);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "ticket");
    if (owner != customer_id)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "ticket_id",
                             "ticket %lld belongs to another customer",
                             (long long)tid->valuedouble);
    return 0;
}

int kith_ticket_contacted(kith_ctx *ctx, const cJSON *interaction, const cJSON *customer)
{
    (void)customer;
    const cJSON *tid = cJSON_GetObjectItemCaseSensitive(interaction, "ticket_id");
    const char *dir = kith_json_get_str(interaction, "direction");
    if (!cJSON_IsNumber(tid) || !dir || strcmp(dir, "out") != 0) return 0;
    int64_t at = ctx->now;
    kith_time_parse_iso(kith_json_get_str(interaction, "at"), &at);
    kith_ticket_work w;
    cJSON *t = NULL;
    int rc = kith_ticket_load(ctx, (int64_t)tid->valuedouble, NULL, &w);
    if (!rc)
        rc = mark_notified(ctx, &w, kith_json_get_str(interaction, "type"), at, interaction, &t);
    cJSON_Delete(t);
    kith_ticket_work_release(&w);
    return rc;
}

/* ---- comments, history, policies ---- */

static int ticket_comment(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (!rc) rc = text_arg(ctx, params, "body", MAX_TEXT, 1);
    if (rc) return rc;
    const cJSON *internal = cJSON_GetObjectItemCaseSensitive(params, "internal");
    kith_ticket_work w;
    cJSON *note = NULL, *t = NULL;
    char by[KITH_ACTOR_MAX];
    if ((rc = kith_ticket_load(ctx, id, NULL, &w))) goto done;
    rc = kith_store_ticket_note(ctx->store, id, "comment", NULL, NULL, NULL,
                                kith_json_get_str(params, "body"), !cJSON_IsFalse(internal),
                                kith_script_actor(ctx, by, sizeof(by)), ctx->now, &note);
    if (rc < 0) {
        rc = kith_cmd_store_fail(ctx, rc, "ticket comment");
        goto done;
    }
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(extra, "comment", note);
    rc = kith_ticket_finish(ctx, &w, NULL, NULL, "ticket.commented", extra, &t);
    cJSON_Delete(extra);
    if (!rc) {
        *result = note;
        note = NULL;
    }
done:
    cJSON_Delete(t);
    cJSON_Delete(note);
    kith_ticket_work_release(&w);
    return rc;
}

static int ticket_history(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more;
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (!rc) rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (rc) return rc;
    if ((rc = kith_store_ticket_get(ctx->store, id, NULL, NULL)) < 0)
        return kith_cmd_store_fail(ctx, rc, "ticket");
    cJSON *items = cJSON_CreateArray();
    if (!items) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    if ((rc = kith_store_ticket_history(ctx->store, id, limit, after, items, &more, &next)) < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "ticket history");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}

static int sla_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    (void)params;
    *result = kith_script_sla_list(ctx->env->script);
    return *result ? 0 : kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
}

static const kith_param accept_params[] = {
    {"id", KITH_T_INT, 1, "ticket id"},
    {"owner", KITH_T_STRING, 0, "who takes it (default: unchanged)"},
    {"team", KITH_T_STRING, 0, "which team takes it"},
    {"note", KITH_T_STRING, 0, "a note for the history"},
    {NULL},
};
static const kith_param reason_params[] = {
    {"id", KITH_T_INT, 1, "ticket id"},
    {"reason", KITH_T_STRING, 0, "why, for the history"},
    {NULL},
};
static const kith_param reopen_params[] = {
    {"id", KITH_T_INT, 1, "ticket id"},
    {"reason", KITH_T_STRING, 1, "why it is not solved"},
    {NULL},
};
static const kith_param resolve_params[] = {
    {"id", KITH_T_INT, 1, "ticket id"},
    {"resolution", KITH_T_STRING, 1, "what was done"},
    {"root_cause", KITH_T_STRING, 0, "why it happened (required for a complaint)"},
    {"category", KITH_T_STRING, 0, "what kind of problem (required for a complaint)"},
    {"compensation", KITH_T_OBJECT, 0, "what the customer gets: {points, amount, note}"},
    {NULL},
};
static const kith_param notify_params[] = {
    {"id", KITH_T_INT, 1, "ticket id"},
    {"channel", KITH_T_STRING, 1, "how the customer was told: call, email, sms, ..., or web"},
    {"summary", KITH_T_STRING, 0, "what they were told (default: the resolution)"},
    {NULL},
};
static const kith_param close_params[] = {
    {"id", KITH_T_INT, 1, "ticket id"},
    {"satisfaction", KITH_T_INT, 0, "the customer's satisfaction, 1-5"},
    {"customer_comment", KITH_T_STRING, 0, "what the customer said"},
    {"force", KITH_T_BOOL, 0, "admins only: close although the customer was not told"},
    {NULL},
};
static const kith_param reject_params[] = {
    {"id", KITH_T_INT, 1, "ticket id"},
    {"reason", KITH_T_STRING, 1, "duplicate, invalid, spam or other"},
    {"duplicate_of", KITH_T_INT, 0, "the ticket it duplicates"},
    {"note", KITH_T_STRING, 0, "a note for the history"},
    {NULL},
};
static const kith_param comment_params[] = {
    {"id", KITH_T_INT, 1, "ticket id"},
    {"body", KITH_T_STRING, 1, "the comment"},
    {"internal", KITH_T_BOOL, 0, "staff only (default true)"},
    {NULL},
};
static const kith_param history_params[] = {
    {"id", KITH_T_INT, 1, "ticket id"},
    KITH_LIST_PARAMS,
    {NULL},
};
static const kith_param no_params[] = {{NULL}};

const kith_command kith_cmd_ticket_flow[] = {
    {"ticket.accept", ticket_accept, accept_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Take a new ticket: new -> open (the first response)", "the ticket"},
    {"ticket.wait", ticket_wait, reason_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Wait on the customer or a third party: open -> waiting (the SLA clock pauses)", "the ticket"},
    {"ticket.resume", ticket_resume, reason_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Work again: waiting -> open (deadlines move by the time waited)", "the ticket"},
    {"ticket.resolve", ticket_resolve, resolve_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Resolve: new/open/waiting -> resolved", "the ticket"},
    {"ticket.notify", ticket_notify, notify_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Record that the customer was told the outcome; logs the outbound interaction", "the ticket"},
    {"ticket.close", ticket_close, close_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Close a resolved ticket once the customer was told (-32009 not_notified before)",
     "the ticket"},
    {"ticket.reopen", ticket_reopen, reopen_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Reopen: resolved/closed -> open, with a fresh resolve deadline", "the ticket"},
    {"ticket.reject", ticket_reject, reject_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Reject: new/open -> rejected", "the ticket"},
    {"ticket.comment", ticket_comment, comment_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Add a comment to a ticket", "the comment"},
    {"ticket.history", ticket_history, history_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "A ticket's comments and transitions, newest first", "{items: [entry], next_cursor}"},
    {"sla.list", sla_list, no_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "The SLA policies the rules define (crm.sla)",
     "[{name, respond, resolve, warn_at, calendar, match, file, line}]"},
    {NULL},
};
