/*
 * The write paths of customer.create / update and order.create, shared with
 * the imports (cmd_import.c), so an imported record goes through the same
 * checks, before hooks, stats, rollups, events and after hooks as one
 * written by hand.
 */
#ifndef KITH_COMMANDS_CUSTOMER_OPS_H
#define KITH_COMMANDS_CUSTOMER_OPS_H

#include "dispatch/command.h"

#include <cJSON.h>
#include <stdint.h>

/* The event data (and the before hooks' context) carries import: true, so
 * rules can tell history being loaded from a customer acting now; the reply
 * is not re-read after the after hooks (an import returns ids only). */
#define KITH_WRITE_IMPORT 1

/* customer.create from `params`.  Returns 0 and the customer in *out
 * (owned), or a failure in ctx. */
int kith_customer_create_rec(kith_ctx *ctx, const cJSON *params, int flags, cJSON **out);
/* customer.update of customer `id` with the fields in `params`.  *changed
 * (when not NULL) tells whether anything changed (nothing changed: nothing
 * written, no event).  Returns 0 and the customer in *out, or a failure. */
int kith_customer_update_rec(kith_ctx *ctx, int64_t id, const cJSON *params, int flags, cJSON **out,
                             int *changed);
/* order.create from `params`.  Returns 0 and the order in *out, or a
 * failure in ctx. */
int kith_order_create_rec(kith_ctx *ctx, const cJSON *params, int flags, cJSON **out);

#endif
