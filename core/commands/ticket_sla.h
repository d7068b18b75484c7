/*
 * A ticket's SLA clock (store/ticket.h kith_ticket_sla): the arithmetic, as
 * pure functions over the clock and a business calendar, so it can be
 * tested without a store; and the due source that fires warnings and
 * breaches (ticket_sla.c).
 *
 * DESIGN NOTES: the clock
 *   1. Two deadlines.  respond runs from creation to the first response
 *      (the first accept, or a resolve straight from new); resolve runs
 *      from creation, or from the last reopen, until resolved.  A deadline
 *      is `duration` of business time after its start, plus the business
 *      time the ticket spent waiting since that start (paused_ms):
 *        due  = bizcal_add(start, duration + paused_ms)
 *        warn = bizcal_add(start, warn_at * duration + paused_ms)
 *      Waiting needs an open ticket, which has been responded to, so only
 *      the resolve clock ever pauses.
 *   2. Waiting stops the clock (kith_ticket_sla_pause): nothing is due
 *      while waiting.  Resuming (kith_ticket_sla_resume) adds the business
 *      time waited to paused_ms and re-arms, which moves every unfired
 *      warning and deadline later by exactly that much business time.
 *   3. A warning or breach fires once (its flag); arming never moves one
 *      that fired, so a breach stays at the time it happened.
 *   4. next_at is the earliest unfired warning or deadline that still
 *      applies (kith_ticket_sla_next): respond until the first response,
 *      resolve while new or open; nothing while waiting, resolved, closed
 *      or rejected.  Every change to the clock or the status recomputes
 *      it before the ticket is saved.
 */
#ifndef KITH_COMMANDS_TICKET_SLA_H
#define KITH_COMMANDS_TICKET_SLA_H

#include "request/request.h"
#include "store/ticket.h"
#include "util/bizcal.h"

#include <stdint.h>

/* Computes the unfired deadlines and warnings from the clock's durations
 * and starts (note 1, 3) on calendar `cal` (NULL: 24/7).  No effects
 * beyond *sla. */
void kith_ticket_sla_arm(kith_ticket_sla *sla, const kith_bizcal *cal);
/* The earliest unfired time that applies in `status` (note 4), or
 * KITH_TIME_NONE. */
int64_t kith_ticket_sla_next(const kith_ticket_sla *sla, const char *status);
/* Which warning or breach is due at `now` in `status`: returns 1 with
 * *which (KITH_SLA_RESPOND/RESOLVE) and *breach (0 warning, 1 breach) for
 * the earliest, 0 when none is. */
int kith_ticket_sla_due(const kith_ticket_sla *sla, const char *status, int64_t now, int *which,
                        int *breach);
/* The clock stops at `now` (note 2). */
void kith_ticket_sla_pause(kith_ticket_sla *sla, int64_t now);
/* The clock runs again at `now`: paused_ms grows by the business time
 * since the pause, and the unfired times move (note 2). */
void kith_ticket_sla_resume(kith_ticket_sla *sla, const kith_bizcal *cal, int64_t now);
/* 1 when deadline `which` was met by `at` (not breached and at <= due);
 * 0 when not. */
int kith_ticket_sla_met(const kith_ticket_sla *sla, int which, int64_t at);

/* The due source "ticket SLAs" (commands/due.h): fires up to `limit`
 * warnings and breaches due at ctx->now, each marked fired in the request
 * that emits its ticket.sla_warning or ticket.sla_breached {ticket,
 * customer, deadline, due_at}; a breach also counts in the customer's
 * stats.sla_breaches.  Returns 0 or a failure in ctx. */
int kith_ticket_sla_fire(kith_ctx *ctx, int limit, int *fired);

#endif
