/*
 * Task operations shared by the task.* commands, the rules' crm.remind and
 * the scheduler: each checks its input, finds the customer, changes the
 * store and emits its event, in the handler shape, and must run inside the
 * caller's request.  On failure it returns a negative KITH_E* code with
 * ctx->err describing it; the caller rolls the request back, so nothing of
 * it stays.  Events carry {task, customer} (customer only when the task has
 * one): task.created and reminder.due here, task.completed, task.cancelled
 * and task.snoozed in the commands.
 */
#ifndef KITH_COMMANDS_TASK_OPS_H
#define KITH_COMMANDS_TASK_OPS_H

#include "request/request.h"

#include <cJSON.h>
#include <stdint.h>

/* Creates an open task from `fields` (borrowed): note (a non-blank string,
 * required), due_at (ms since the epoch, a number, required), customer_id
 * (a positive number; absent or null for none) and owner (a string; absent
 * or null for none), created by `created_by` at ctx->now; emits task.created.
 * Returns 0 and the task in *task (owned; cJSON_Delete it), KITH_EPARAMS
 * with err->param naming "note", "due", "customer_id" or "owner", or
 * KITH_ENOTFOUND when the customer does not exist. */
int kith_task_create(kith_ctx *ctx, const cJSON *fields, const char *created_by, cJSON **task);
/* Fires up to `limit` reminders that are due at ctx->now: marks each task
 * fired and emits reminder.due {task, customer} in the same request, so a
 * reminder fires exactly once when the request commits.  Sets *fired to how
 * many; fewer than `limit` means none is left.  Returns 0 or a failure in
 * ctx. */
int kith_task_fire_due(kith_ctx *ctx, int limit, int *fired);

#endif
