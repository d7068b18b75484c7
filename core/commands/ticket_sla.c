/*
 * See ticket_sla.h.  The arithmetic first, then the due source.
 */
#include "commands/ticket_sla.h"
#include "commands/commands.h"
#include "store/customer.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"

#include <string.h>

static const char *const deadline_names[KITH_SLA_NDEADLINES] = {"respond", "resolve"};

/* The start and the pause that apply to deadline d (note 1). */
static int64_t start_of(const kith_ticket_sla *sla, int d)
{
    return d == KITH_SLA_RESPOND ? sla->created_at : sla->started_at;
}

static int64_t paused_of(const kith_ticket_sla *sla, int d)
{
    return d == KITH_SLA_RESPOND ? 0 : sla->paused_ms;
}

void kith_ticket_sla_arm(kith_ticket_sla *sla, const kith_bizcal *cal)
{
    if (!sla->policy[0]) return;
    for (int d = 0; d < KITH_SLA_NDEADLINES; d++) {
        int64_t dur = sla->duration[d], start = start_of(sla, d);
        if (dur <= 0 || start == KITH_TIME_NONE) {
            sla->due[d] = sla->warn[d] = KITH_TIME_NONE;
            continue;
        }
        int64_t warn_work = (int64_t)(sla->warn_at * (double)dur + 0.5);
        if (!sla->breached[d]) sla->due[d] = kith_bizcal_add(cal, start, dur + paused_of(sla, d));
        if (!sla->warned[d])
            sla->warn[d] = kith_bizcal_add(cal, start, warn_work + paused_of(sla, d));
    }
}

/* 1 when deadline d still matters in `status` (note 4). */
static int applies(const kith_ticket_sla *sla, int d, const char *status)
{
    if (!sla->policy[0] || sla->duration[d] <= 0 || sla->due[d] == KITH_TIME_NONE) return 0;
    if (d == KITH_SLA_RESPOND)
        return sla->responded_at == KITH_TIME_NONE && strcmp(status, "new") == 0;
    return strcmp(status, "new") == 0 || strcmp(status, "open") == 0;
}

/* Calls back the unfired times that apply, warning before breach. */
static int64_t earliest(const kith_ticket_sla *sla, const char *status, int *which, int *breach)
{
    int64_t best = KITH_TIME_NONE;
    for (int d = 0; d < KITH_SLA_NDEADLINES; d++) {
        if (!applies(sla, d, status)) continue;
        /* A never-due deadline (beyond the calendar's horizon) waits in no
         * index. */
        if (!sla->warned[d] && !sla->breached[d] && sla->warn[d] != KITH_BIZCAL_NEVER &&
            (best == KITH_TIME_NONE || sla->warn[d] < best)) {
            best = sla->warn[d];
            *which = d;
            *breach = 0;
        }
        if (!sla->breached[d] && sla->due[d] != KITH_BIZCAL_NEVER &&
            (best == KITH_TIME_NONE || sla->due[d] < best)) {
            best = sla->due[d];
            *which = d;
            *breach = 1;
        }
    }
    return best;
}

int64_t kith_ticket_sla_next(const kith_ticket_sla *sla, const char *status)
{
    int which, breach;
    return earliest(sla, status, &which, &breach);
}

int kith_ticket_sla_due(const kith_ticket_sla *sla, const char *status, int64_t now, int *which,
                        int *breach)
{
    int64_t t = earliest(sla, status, which, breach);
    return t != KITH_TIME_NONE && t <= now;
}

void kith_ticket_sla_pause(kith_ticket_sla *sla, int64_t now)
{
    if (sla->paused_at == KITH_TIME_NONE) sla->paused_at = now;
}

void kith_ticket_sla_resume(kith_ticket_sla *sla, const kith_bizcal *cal, int64_t now)
{
    if (sla->paused_at == KITH_TIME_NONE) return;
    sla->paused_ms += kith_bizcal_elapsed(cal, sla->paused_at, now);
    sla->paused_at = KITH_TIME_NONE;
    kith_ticket_sla_arm(sla, cal);
}

int kith_ticket_sla_met(const kith_ticket_sla *sla, int which, int64_t at)
{
    return !sla->breached[which] && sla->due[which] != KITH_TIME_NONE && at <= sla->due[which];
}

/* ---- the due source ---- */

#define DUE_IDS_MAX 64

/* Fires the earliest due warning or breach of ticket `id`.  Sets *fired
 * to 1 when one fired, 0 when nothing was due any more. */
static int fire_one(kith_ctx *ctx, int64_t id, int *fired)
{
    cJSON *t = NULL, *customer = NULL;
    kith_ticket_sla sla;
    int which, breach;
    *fired = 0;
    int rc = kith_store_ticket_get(ctx->store, id, &t, &sla);
    if (rc == KITH_ENOTFOUND) return 0;
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "ticket");
    const char *status = kith_json_get_str(t, "status");
    if (!kith_ticket_sla_due(&sla, status, ctx->now, &which, &breach)) {
        /* Listed but nothing due (the index lagged a change): repair it so
         * the timer does not spin on this ticket. */
        int64_t next = kith_ticket_sla_next(&sla, status);
        if (next != sla.next_at) {
            sla.next_at = next;
            rc = kith_store_ticket_save(ctx->store, id, status, t, &sla, ctx->now);
            if (rc < 0) rc = kith_cmd_store_fail(ctx, rc, "ticket");
        }
        cJSON_Delete(t);
        return rc;
    }
    int64_t due_at = breach ? sla.due[which] : sla.warn[which];
    if (breach)
        sla.breached[which] = 1;
    else
        sla.warned[which] = 1;
    int64_t next = kith_ticket_sla_next(&sla, status);
    int64_t cid = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "customer_id"));
    rc = kith_store_ticket_sla_mark(ctx->store, id, which, breach, next, ctx->now);
    if (rc == KITH_ENOTFOUND) {
        cJSON_Delete(t);
        return 0; /* fired meanwhile: never twice */
    }
    cJSON_Delete(t);
    t = NULL;
    if (!rc) rc = kith_store_ticket_get(ctx->store, id, &t, NULL);
    if (!rc && breach) {
        kith_customer_stats st;
        if (!(rc = kith_store_stats_get(ctx->store, cid, &st))) {
            st.sla_breaches++;
            rc = kith_store_stats_put(ctx->store, cid, &st);
        }
    }
    if (!rc) rc = kith_store_customer_get(ctx->store, cid, &customer);
    if (rc < 0) rc = kith_cmd_store_fail(ctx, rc, "ticket");
    cJSON *data = rc ? NULL : cJSON_CreateObject();
    if (!rc && !data) rc = kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    if (!rc) {
        cJSON_AddItemReferenceToObject(data, "ticket", t);
        cJSON_AddItemReferenceToObject(data, "customer", customer);
        kith_json_add_str(data, "deadline", deadline_names[which]);
        kith_json_add_time(data, "due_at", due_at);
        rc = kith_cmd_emit(ctx, breach ? "ticket.sla_breached" : "ticket.sla_warning", cid, data);
    }
    if (!rc) *fired = 1;
    cJSON_Delete(data);
    cJSON_Delete(customer);
    cJSON_Delete(t);
    return rc;
}

int kith_ticket_sla_fire(kith_ctx *ctx, int limit, int *fired)
{
    int64_t ids[DUE_IDS_MAX];
    int n, rc;
    *fired = 0;
    /* A ticket may have two things due at once (a server down over both
     * its warning and its breach): each is a firing of its own, in time
     * order, and the ticket stays listed until none is left.  Every pass
     * over a listing either fires or takes a ticket off the index, so the
     * loop ends. */
    do {
        if ((rc = kith_store_ticket_sla_due(ctx->store, ctx->now, DUE_IDS_MAX, ids, &n)) < 0)
            return kith_cmd_store_fail(ctx, rc, "due ticket SLAs");
        for (int i = 0; i < n && *fired < limit; i++) {
            int one = 1;
            while (one && *fired < limit) {
                if ((rc = fire_one(ctx, ids[i], &one))) return rc;
                *fired += one;
            }
        }
    } while (n == DUE_IDS_MAX && *fired < limit);
    return 0;
}
