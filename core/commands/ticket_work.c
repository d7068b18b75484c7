/*
 * The one path every ticket write takes (ticket_ops.h note 2): load the
 * ticket and its customer, and finish a change — save while the status is
 * unchanged, history, counters, rollups, the event, the re-read after the
 * after hooks.  The commands that change tickets are cmd_ticket.c and
 * ticket_flow.c.
 */
#include "commands/commands.h"
#include "commands/ticket_ops.h"
#include "commands/ticket_sla.h"
#include "script/script.h"
#include "store/customer.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

/* Absent and null are the same value (a record back from Lua drops its
 * nulls). */
static int same(const cJSON *a, const cJSON *b)
{
    if ((!a || cJSON_IsNull(a)) && (!b || cJSON_IsNull(b))) return 1;
    return a && b && cJSON_Compare(a, b, 1);
}

int kith_ticket_active(const char *status)
{
    return status && (strcmp(status, "new") == 0 || strcmp(status, "open") == 0 ||
                      strcmp(status, "waiting") == 0);
}

const kith_bizcal *kith_ticket_calendar(kith_ctx *ctx, const kith_ticket_sla *sla,
                                        kith_sla_policy *buf)
{
    if (!sla->policy[0] || !kith_script_sla_find(ctx->env->script, sla->policy, buf)) return NULL;
    return buf->has_calendar ? &buf->calendar : NULL;
}

void kith_ticket_work_release(kith_ticket_work *w)
{
    cJSON_Delete(w->old);
    cJSON_Delete(w->rec);
    cJSON_Delete(w->customer);
    memset(w, 0, sizeof(*w));
}

int kith_ticket_load(kith_ctx *ctx, int64_t id, const char *verb, kith_ticket_work *w)
{
    memset(w, 0, sizeof(*w));
    w->id = id;
    int rc = kith_store_ticket_get(ctx->store, id, &w->old, &w->old_sla);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "ticket");
    w->sla = w->old_sla;
    w->customer_id =
        (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(w->old, "customer_id"));
    snprintf(w->old_status, sizeof(w->old_status), "%s", kith_json_get_str(w->old, "status"));
    if (verb) {
        const char *to = kith_ticket_transition(verb, w->old_status);
        if (!to) return kith_cmd_invalid_transition(ctx, "ticket", id, w->old_status, verb);
    }
    if (!(w->rec = cJSON_Duplicate(w->old, 1)))
        return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    if (verb)
        cJSON_ReplaceItemInObjectCaseSensitive(
            w->rec, "status", cJSON_CreateString(kith_ticket_transition(verb, w->old_status)));
    if ((rc = kith_store_customer_get(ctx->store, w->customer_id, &w->customer)) < 0)
        return kith_cmd_store_fail(ctx, rc, "customer");
    return 0;
}

/* Moves the customer's counters by what changed between `old` (NULL at
 * creation) and `rec`. */
static int update_stats(kith_ctx *ctx, int64_t cid, const cJSON *old, const cJSON *rec)
{
    const char *os = old ? kith_json_get_str(old, "status") : NULL;
    const char *ns = kith_json_get_str(rec, "status");
    const char *ok = old ? kith_json_get_str(old, "kind") : NULL;
    const char *nk = kith_json_get_str(rec, "kind");
    int oc = ok && strcmp(ok, "complaint") == 0, nc = nk && strcmp(nk, "complaint") == 0;
    int64_t d_open = kith_ticket_active(ns) - (old ? kith_ticket_active(os) : 0);
    int64_t d_compl = (kith_ticket_active(ns) && nc) - (old && kith_ticket_active(os) && oc);
    if (old && !d_open && !d_compl) return 0;
    kith_customer_stats st;
    int rc = kith_store_stats_get(ctx->store, cid, &st);
    if (!rc) {
        if (!old) st.tickets++;
        st.open_tickets += d_open;
        st.open_complaints += d_compl;
        rc = kith_store_stats_put(ctx->store, cid, &st);
    }
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "customer stats") : 0;
}

int kith_ticket_emit(kith_ctx *ctx, const char *event, const cJSON *ticket, const cJSON *customer,
                     const cJSON *extra)
{
    cJSON *data = cJSON_CreateObject();
    if (!data) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    cJSON_AddItemReferenceToObject(data, "ticket", (cJSON *)ticket);
    cJSON_AddItemReferenceToObject(data, "customer", (cJSON *)customer);
    const cJSON *x;
    cJSON_ArrayForEach(x, extra) cJSON_AddItemReferenceToObject(data, x->string, (cJSON *)x);
    int64_t cid =
        (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ticket, "customer_id"));
    int rc = kith_cmd_emit(ctx, event, cid, data);
    cJSON_Delete(data);
    return rc;
}

/* The reply: the ticket as the after hooks left it. */
static int reread(kith_ctx *ctx, int64_t id, cJSON **t)
{
    cJSON *now = NULL;
    int rc = kith_store_ticket_get(ctx->store, id, &now, NULL);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "ticket");
    cJSON_Delete(*t);
    *t = now;
    return 0;
}

int kith_ticket_finish(kith_ctx *ctx, kith_ticket_work *w, const char *verb, const char *note,
                       const char *event, const cJSON *extra, cJSON **result)
{
    char by[KITH_ACTOR_MAX];
    const char *status = kith_json_get_str(w->rec, "status");
    w->sla.next_at = kith_ticket_sla_next(&w->sla, status);
    int rc = kith_store_ticket_save(ctx->store, w->id, w->old_status, w->rec, &w->sla, ctx->now);
    if (rc == KITH_ECONFLICT)
        return kith_cmd_invalid_transition(ctx, "ticket", w->id, w->old_status,
                                           verb ? verb : "change");
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "ticket");
    if (verb && (rc = kith_store_ticket_note(
                     ctx->store, w->id, "transition", verb, w->old ? w->old_status : NULL, status,
                     note, 1, kith_script_actor(ctx, by, sizeof(by)), ctx->now, NULL)) < 0)
        return kith_cmd_store_fail(ctx, rc, "ticket history");
    if ((rc = update_stats(ctx, w->customer_id, w->old, w->rec))) return rc;
    if (verb && (rc = kith_ticket_rollups(ctx, verb, w->old, &w->old_sla, &w->sla, w->rec)))
        return rc;
    cJSON *t = NULL;
    if ((rc = reread(ctx, w->id, &t))) return rc;
    if (event) rc = kith_ticket_emit(ctx, event, t, w->customer, extra);
    /* Owner or team changed: routing rules listen for this one. */
    const char *const routing[] = {"owner", "team"};
    for (int i = 0; !rc && event && i < 2; i++)
        if (!same(cJSON_GetObjectItemCaseSensitive(w->old, routing[i]),
                  cJSON_GetObjectItemCaseSensitive(w->rec, routing[i]))) {
            rc = kith_ticket_emit(ctx, "ticket.assigned", t, w->customer, NULL);
            break;
        }
    if (!rc && event) rc = reread(ctx, w->id, &t);
    if (rc) {
        cJSON_Delete(t);
        return rc;
    }
    *result = t;
    return 0;
}
