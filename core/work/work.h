/*
 * Work no client asked for, without a loop: what runs after each commit
 * (crm.on handlers, then a slice of background rules work), what runs when
 * something falls due (reminders, a slice of each due schedule) and the
 * upkeep (loyalty expiry, the handlers' cursor, event retention).  Each
 * piece runs in requests of its own (request.h), acting as the work's
 * session, and is committed by the owner's commit function; a failure is
 * logged and retried on a later call, never surfaced to a client.
 *
 * The owner decides when: the server (server/background.c) from its libuv
 * timers and idle handle, `kithd test-scripts` (testrun/) from its
 * simulated clock.  Both run these same functions, so a rule test exercises
 * the code the server runs.  Nothing here knows about libuv.
 */
#ifndef KITH_WORK_WORK_H
#define KITH_WORK_WORK_H

#include "request/request.h"
#include "store/store.h"

#include <stdint.h>

/* Points expired per upkeep call. */
#define KITH_WORK_EXPIRE_BATCH 1000

typedef struct kith_work {
    kith_store *store;
    const kith_env *env;
    kith_session *who; /* who the work acts as (the server: admin "system") */
    /* Commits what one piece of work wrote; `what` names it for the log. */
    void (*commit)(void *ud, const char *what);
    void *ud;
    int64_t keep_events;     /* event retention: at least this many newest events */
    int64_t keep_days;       /* ... and every event younger than this */
    int64_t keep_audit_days; /* audit rows younger than this are kept */
} kith_work;

/* After a commit: crm.on handlers for up to 256 committed events, then up
 * to `budget_us` of background rules work (segment refreshes, the daily
 * churn sweep), each committed.  Returns 1 when more of either is queued. */
int kith_work_after_commit(const kith_work *w, int64_t budget_us);
/* Time-driven work due at the env's time: every due source's records that
 * fell due (commands/due.h: in batches, each marked fired in the same
 * transaction as its event, so a crash never loses or repeats one), then
 * one slice of every due schedule.  Returns 1 when a schedule wants another slice. */
int kith_work_due(const kith_work *w);
/* Upkeep: up to KITH_WORK_EXPIRE_BATCH loyalty points past their expiry,
 * the crm.on cursor saved, and the event log trimmed past its retention
 * (never events the handlers have not seen); committed once.  Returns 1
 * when more points are due to expire. */
int kith_work_upkeep(const kith_work *w);

#endif
