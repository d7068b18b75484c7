/*
 * Due sources: every kind of record that falls due at a time of its own —
 * a task's reminder today; SLA deadlines, survey invitations and visits as
 * their families arrive — declared in one list, so the scheduler arms one
 * timer for the nearest of them and fires each in the same way.
 *
 * DESIGN NOTES
 *   1. A source keeps its due time in its own table under a partial index
 *      on due-and-not-fired, so `next` is one index lookup however many
 *      records wait, and the timer costs nothing until the nearest is due.
 *   2. `fire` marks each record fired with a conditional UPDATE in the same
 *      request as its event: the event commits exactly when the mark does,
 *      so across a kill -9 a due record fires exactly once.
 *   3. A source fires at most `limit` records per request, so a backlog (a
 *      server down over many deadlines) is worked off in bounded requests,
 *      each committed, oldest first.  A source may fire fewer than `limit`
 *      while more wait, to hand the loop back to clients (a campaign's
 *      audience): its due time is still past, so the timer comes back at
 *      once.
 *   4. Adding a source is one entry in kith_due_sources (due.c) plus its
 *      two functions; the scheduler, the server and `kithd test-scripts`
 *      pick it up from there.
 */
#ifndef KITH_COMMANDS_DUE_H
#define KITH_COMMANDS_DUE_H

#include "request/request.h"

#include <stdint.h>

typedef struct kith_due_source {
    const char *name; /* for the log: "reminders", "ticket SLAs", ... */
    /* The earliest due time not yet fired: 0 with *at, KITH_ENOTFOUND when
     * nothing waits, or another negative code. */
    int (*next)(kith_store *s, int64_t *at);
    /* Fires up to `limit` records due at ctx->now inside the caller's
     * request (note 2) and sets *fired to how many; fewer than `limit`
     * means none is left.  Returns 0 or a failure recorded in ctx. */
    int (*fire)(kith_ctx *ctx, int limit, int *fired);
} kith_due_source;

/* Every due source, {NULL}-terminated. */
extern const kith_due_source kith_due_sources[];

/* The earliest due time over every source: 0 with *at, or KITH_ENOTFOUND. */
int kith_due_next(kith_store *s, int64_t *at);

#endif
