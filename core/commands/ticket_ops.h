/*
 * Ticket operations shared by the ticket command files (cmd_ticket.c for
 * create/get/update/list, ticket_flow.c for the state machine, comments
 * and history, ticket_rollup.c for the metrics' observations) and by
 * interaction.log, which links contacts to tickets.
 *
 * DESIGN NOTES: a ticket's life (DOMAIN.md 2.1)
 *
 *   new --accept--> open <--resume-- waiting
 *    |               |  `----wait---->  |
 *    |            resolve            resolve
 *    |               v                  |
 *    +--resolve--> resolved <-----------'   (from new: first-contact resolution)
 *    |               |   |
 *    |            close  reopen --> open
 *    |               v
 *    `--reject--> rejected        closed
 *
 *   1. Every transition is one row of the table in ticket_flow.c, checked
 *      in one place (kith_ticket_transition) before anything changes; a
 *      refusal is -32009 invalid_transition with data.status.
 *   2. A write loads the ticket (kith_ticket_load), changes the record and
 *      its SLA clock in memory, and hands both to kith_ticket_finish, which
 *      saves them only while the status is still the one it loaded, writes
 *      the history entry, moves the customer's counters by the difference
 *      between before and after (tickets, open_tickets, open_complaints),
 *      records the rollups of the transition, emits the event and re-reads
 *      the ticket after the after hooks: one path for every verb.
 *   3. Closing needs the customer told the outcome: customer_notified_at at
 *      or after the last resolve (ticket.notify, or an outbound interaction
 *      logged with the ticket_id), unless an admin passes force.
 */
#ifndef KITH_COMMANDS_TICKET_OPS_H
#define KITH_COMMANDS_TICKET_OPS_H

#include "request/request.h"
#include "script/sla.h"
#include "store/ticket.h"

#include <cJSON.h>
#include <stdint.h>

/* The status `verb` moves a ticket in `status` to, or NULL when the table
 * does not allow it (note 1).  Pure. */
const char *kith_ticket_transition(const char *verb, const char *status);
/* 1 for the statuses in which a ticket is still being worked (new, open,
 * waiting): what open_tickets counts. */
int kith_ticket_active(const char *status);

/* For interaction.log, after its before hooks: when `interaction` (the
 * record about to be written) names a ticket_id, fails unless that ticket
 * exists (-32004) and belongs to `customer_id` (-32602, param ticket_id).
 * Returns 0 or the failure in ctx. */
int kith_ticket_check_link(kith_ctx *ctx, int64_t customer_id, const cJSON *interaction);
/* For interaction.log, once the interaction is written: an outbound one
 * (direction "out") with a ticket_id tells the customer, so the ticket is
 * marked notified (via the interaction's type) and ticket.notified emitted.
 * Returns 0 or a failure in ctx. */
int kith_ticket_contacted(kith_ctx *ctx, const cJSON *interaction, const cJSON *customer);

/* ---- for the ticket command files ---- */

/* A ticket being changed (note 2). */
typedef struct kith_ticket_work {
    int64_t id, customer_id;
    cJSON *old;              /* as loaded (owned); NULL while creating */
    cJSON *rec;              /* as it will be (owned) */
    kith_ticket_sla old_sla; /* as loaded */
    kith_ticket_sla sla;     /* as it will be */
    cJSON *customer;         /* the ticket's customer (owned) */
    char old_status[16];     /* "" while creating */
} kith_ticket_work;

/* Loads ticket `id` and its customer into *w.  With `verb`, also checks
 * the transition table and sets rec's status to the target.  Returns 0 or
 * a failure in ctx (-32004, -32009 invalid_transition); release *w either
 * way. */
int kith_ticket_load(kith_ctx *ctx, int64_t id, const char *verb, kith_ticket_work *w);
/* Note 2: saves w's record and clock, appends a history entry for `verb`
 * (NULL: none) with `note`, updates the counters and rollups, emits
 * `event` with {ticket, customer} plus the members of `extra` (borrowed,
 * may be NULL), and puts the ticket as the after hooks left it in *result
 * (owned).  Returns 0 or a failure in ctx. */
int kith_ticket_finish(kith_ctx *ctx, kith_ticket_work *w, const char *verb, const char *note,
                       const char *event, const cJSON *extra, cJSON **result);
void kith_ticket_work_release(kith_ticket_work *w);
/* The calendar of the ticket's policy in the running rules, copied into
 * *buf; NULL (24/7) when the ticket has no policy or the rules no longer
 * have it. */
const kith_bizcal *kith_ticket_calendar(kith_ctx *ctx, const kith_ticket_sla *sla,
                                        kith_sla_policy *buf);
/* Emits `event` about the ticket in w (as saved) with {ticket, customer}
 * and the members of `extra` (borrowed, may be NULL). */
int kith_ticket_emit(kith_ctx *ctx, const char *event, const cJSON *ticket, const cJSON *customer,
                     const cJSON *extra);

/* ticket_rollup.c: the observations of `verb` ("create", "accept",
 * "resolve", "reject", "reopen", "close") on a ticket that went from
 * `old`/`old_sla` (unused at creation) to `rec`/`sla`, at ctx->now (the
 * ticket's created_at for "create").  Returns 0 or a failure in ctx. */
int kith_ticket_rollups(kith_ctx *ctx, const char *verb, const cJSON *old,
                        const kith_ticket_sla *old_sla, const kith_ticket_sla *sla,
                        const cJSON *rec);

#endif
