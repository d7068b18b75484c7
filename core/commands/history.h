/*
 * What every write leaves behind besides its event: the audit row and, for
 * a customer whose stage changed, the stage history row and the
 * customer.stage_changed event.  kith_cmd_emit calls these around the
 * event, so every family gets them from the one place it already goes
 * through, in the write's transaction (a failed request leaves none).
 */
#ifndef KITH_COMMANDS_HISTORY_H
#define KITH_COMMANDS_HISTORY_H

#include "request/request.h"

#include <cJSON.h>
#include <stdint.h>

/* Writes the audit row for event `type` (README "History": what counts as
 * a change, and its record) and, for customer.created/updated with a new
 * stage, the stage history row and customer.stage_changed.  Runs before
 * the event's after hooks, so a change a hook makes is recorded after the
 * one that caused it.  Returns 0 or a failure in ctx. */
int kith_history_note(kith_ctx *ctx, const char *type, int64_t customer_id, const cJSON *data);

/* The reason the next stage change in this request gives (customer.set_stage
 * and crm.stage set it around the update they make); returns the previous
 * one, to be put back with kith_history_set_reason when the update is done.
 * The server runs one request at a time on its loop, so one slot, saved and
 * restored around nested calls, is enough. */
const char *kith_history_set_reason(const char *reason);

#endif
