/*
 * The audit row and the stage history of a write (history.h).
 *
 * What is recorded for an event: the record is the member of its data
 * named like the event's family (data.order for order.created), else the
 * first other object member with an id (data.entry for loyalty.awarded,
 * data.task for reminder.due); an event about no record (segment.entered,
 * churn.warning, loyalty.tier_changed: derived, not made by anyone) leaves
 * none.  A create keeps the new record, a delete the old one, an event
 * with `changes` its diff, and a transition that carries no diff
 * (ticket.accepted) the status it moved between: the old one is the last
 * status the trail holds for that record, found on the record's index.
 */
#include "commands/history.h"

#include "commands/commands.h"
#include "script/script.h"
#include "store/history.h"
#include "util/error.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

static const char *pending_reason;

const char *kith_history_set_reason(const char *reason)
{
    const char *old = pending_reason;
    pending_reason = reason;
    return old;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* The event's record and its kind (see the file comment), or NULL. */
static const cJSON *record_of(const char *type, const cJSON *data, char *kind, size_t len)
{
    const char *dot = strchr(type, '.');
    size_t n = dot ? (size_t)(dot - type) : strlen(type);
    snprintf(kind, len, "%.*s", (int)n, type);
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(data, kind);
    if (cJSON_IsObject(r)) return r;
    for (const cJSON *m = data ? data->child : NULL; m; m = m->next) {
        if (!cJSON_IsObject(m) || !m->string || strcmp(m->string, "customer") == 0 ||
            strcmp(m->string, "changes") == 0 || strcmp(m->string, "old") == 0 ||
            !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(m, "id")))
            continue;
        if (strcmp(m->string, "entry") != 0) snprintf(kind, len, "%s", m->string);
        return m;
    }
    return NULL;
}

static int is_create(const char *type)
{
    static const char *const verbs[] = {".created", ".logged",   ".planned", ".answered",
                                        ".awarded", ".redeemed", ".expired", ".invited"};
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (ends_with(type, verbs[i])) return 1;
    return 0;
}

/* {status: {old, new}} for a transition without a diff, or {} when the
 * status did not move (a comment, an assignment). */
static cJSON *status_move(kith_ctx *ctx, const char *kind, int64_t id, const cJSON *rec)
{
    cJSON *out = cJSON_CreateObject();
    const char *now = kith_json_get_str(rec, "status");
    if (!out || !now) return out;
    char before[64] = "";
    kith_store_audit_last_status(ctx->store, kind, id, before, sizeof(before));
    if (strcmp(before, now) == 0) return out;
    cJSON *ch = cJSON_AddObjectToObject(out, "status");
    if (!ch ||
        !(before[0] ? cJSON_AddStringToObject(ch, "old", before)
                    : cJSON_AddNullToObject(ch, "old")) ||
        !cJSON_AddStringToObject(ch, "new", now)) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

static int audit(kith_ctx *ctx, const char *type, int64_t customer_id, const cJSON *data)
{
    char kind[64];
    const cJSON *rec = record_of(type, data, kind, sizeof(kind));
    const cJSON *idv = cJSON_GetObjectItemCaseSensitive(rec, "id");
    if (!rec || !cJSON_IsNumber(idv)) return 0;
    char by[KITH_ACTOR_MAX];
    kith_audit_row row = {
        .at = ctx->now,
        .by = kith_script_actor(ctx, by, sizeof(by)),
        .method = ctx->cmd ? ctx->cmd->name : type,
        .type = type,
        .kind = kind,
        .record_id = (int64_t)idv->valuedouble,
        .customer_id = customer_id,
    };
    const cJSON *changes = cJSON_GetObjectItemCaseSensitive(data, "changes");
    cJSON *move = NULL;
    if (cJSON_IsObject(changes)) {
        row.op = KITH_AUDIT_CHANGE;
        row.changes = changes;
    } else if (ends_with(type, ".deleted")) {
        row.op = KITH_AUDIT_DELETE;
        row.changes = rec;
    } else if (is_create(type)) {
        row.op = KITH_AUDIT_CREATE;
        row.changes = rec;
    } else {
        row.op = KITH_AUDIT_CHANGE;
        row.changes = move = status_move(ctx, kind, row.record_id, rec);
        if (!move) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    }
    int rc = kith_store_audit_append(ctx->store, &row);
    cJSON_Delete(move);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "audit") : 0;
}

/* customer.created/updated with a new stage: the history row and the
 * event, {customer, from, to, reason, by}. */
static int stage(kith_ctx *ctx, const char *type, int64_t customer_id, const cJSON *data)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(data, "customer");
    const char *from = NULL, *to = NULL;
    if (strcmp(type, "customer.created") == 0) {
        to = kith_json_get_str(c, "stage");
    } else if (strcmp(type, "customer.updated") == 0) {
        const cJSON *ch = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(data, "changes"), "stage");
        if (!ch) return 0;
        from = kith_json_get_str(ch, "old");
        to = kith_json_get_str(ch, "new");
    }
    if (!to) return 0;
    const char *reason = pending_reason;
    pending_reason = NULL; /* one change per reason */
    if (!reason && !from) reason = "created";
    char by[KITH_ACTOR_MAX];
    const char *who = kith_script_actor(ctx, by, sizeof(by));
    int rc = kith_store_stage_append(ctx->store, customer_id, ctx->now, from, to, reason, who);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "stage history");
    /* A new customer's first stage is history, not a change: its event is
     * customer.created. */
    if (!from) return 0;
    cJSON *ev = cJSON_CreateObject();
    if (!ev || !cJSON_AddItemReferenceToObject(ev, "customer", (cJSON *)c) ||
        !(from ? cJSON_AddStringToObject(ev, "from", from) : cJSON_AddNullToObject(ev, "from")) ||
        !cJSON_AddStringToObject(ev, "to", to) ||
        !(reason ? cJSON_AddStringToObject(ev, "reason", reason)
                 : cJSON_AddNullToObject(ev, "reason"))) {
        cJSON_Delete(ev);
        return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    }
    /* Straight to the event log and hooks: the change itself is already in
     * the audit row of the update that made it. */
    rc = kith_script_emit(ctx, "customer.stage_changed", customer_id, ev);
    cJSON_Delete(ev);
    return rc;
}

int kith_history_note(kith_ctx *ctx, const char *type, int64_t customer_id, const cJSON *data)
{
    int rc = audit(ctx, type, customer_id, data);
    if (!rc && strncmp(type, "customer.", 9) == 0) rc = stage(ctx, type, customer_id, data);
    return rc;
}
