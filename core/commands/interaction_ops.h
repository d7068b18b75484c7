/*
 * Logging an interaction, shared by interaction.log and the writes that log
 * one as part of their own request (visit.report, ticket.create,
 * ticket.notify).  Runs inside the
 * caller's request in the handler shape; on failure ctx->err describes it
 * and the caller rolls back.
 */
#ifndef KITH_COMMANDS_INTERACTION_OPS_H
#define KITH_COMMANDS_INTERACTION_OPS_H

#include "request/request.h"

#include <cJSON.h>

/* The interaction types, NULL-terminated: what `type` may be. */
extern const char *const kith_interaction_types[];

/* Logs an interaction from `params` (borrowed; interaction.log's params:
 * customer_id, type, summary, at?, by? (default the caller's session),
 * attrs?, touchpoint?, topic?, sentiment?, direction?, ticket_id?,
 * visit_id?): checks them, runs the before hooks of interaction.logged,
 * checks the links, keeps the stats and emits interaction.logged.  With
 * `mark_notified`, an outbound contact with a ticket_id also marks that
 * ticket notified (a client's interaction.log); ticket.notify passes 0 as
 * it marks the ticket itself.  Returns 0 with the interaction in *result
 * (owned), or a failure in ctx. */
int kith_interaction_log(kith_ctx *ctx, const cJSON *params, int mark_notified, cJSON **result);

#endif
