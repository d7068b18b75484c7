/*
 * The loyalty operations whole: validation, the customer lookup, the ledger
 * write, the tier recomputed from lifetime points with the configured tiers
 * (ctx->env->tiers), and the events.  The loyalty.* commands and the rules'
 * crm.loyalty.* both call these, so the two cannot drift apart.
 *
 * Each function follows the handler shape (validate, look up, change, emit)
 * and must run inside the caller's request (kith_store_request_begin) when it
 * writes: on failure it returns a negative KITH_E* code with ctx->err
 * describing it, and the caller rolls the request back, so nothing of it
 * stays.  Events, in this order:
 *
 *   loyalty.awarded / loyalty.redeemed   {entry, customer, balance}
 *   loyalty.tier_changed                 {customer, tier, old_tier}
 *   loyalty.expired                      {entry, customer, balance}
 *
 * where balance is the spendable points after the change.
 */
#ifndef KITH_COMMANDS_LOYALTY_OPS_H
#define KITH_COMMANDS_LOYALTY_OPS_H

#include "request/request.h"

#include <cJSON.h>
#include <stdint.h>

#define KITH_LOYALTY_MAX_POINTS 1000000000 /* per award or redemption */

/* Awards `points` (1..KITH_LOYALTY_MAX_POINTS) to customer `customer_id`
 * for `reason` (a non-blank string) at ctx->now, expiring at `expires_at`
 * (after ctx->now; KITH_TIME_NONE for never), then recomputes the tier.
 * Returns 0 and the ledger entry in *entry (owned; cJSON_Delete it), or
 * KITH_EPARAMS (err->param names "points", "reason" or "expires_in"),
 * KITH_ENOTFOUND for an unknown customer, or another code. */
int kith_loyalty_award(kith_ctx *ctx, int64_t customer_id, int64_t points, const char *reason,
                       int64_t expires_at, cJSON **entry);
/* Redeems `points` from customer `customer_id`'s balance for `reason`,
 * spending the points that expire soonest first.  Returns 0 and the entry in
 * *entry (owned), or KITH_ECONFLICT when the balance is too small: then
 * err->param is "points", the message starts with "insufficient_points" and
 * err->data is {"reason": "insufficient_points", "balance": N} (owned by the
 * err, as dispatch.h says).  Other failures as for kith_loyalty_award. */
int kith_loyalty_redeem(kith_ctx *ctx, int64_t customer_id, int64_t points, const char *reason,
                        cJSON **entry);
/* The balance of customer `customer_id` at ctx->now: {points, lifetime, tier,
 * expiring: [{points, at}]}.  Reads only.  Returns 0 with *out (owned), or
 * KITH_ENOTFOUND for an unknown customer. */
int kith_loyalty_balance(kith_ctx *ctx, int64_t customer_id, cJSON **out);
/* Sets the customer's stored tier from its lifetime points under the running
 * rules' tiers, emitting loyalty.tier_changed {customer, tier, old_tier}
 * when it moves (`customer` borrowed for the event).  Returns 0 or a
 * failure in ctx. */
int kith_loyalty_update_tier(kith_ctx *ctx, int64_t customer_id, const cJSON *customer);
/* One slice of the expiry job: expires up to `limit` awards that lapsed by
 * ctx->now and emits loyalty.expired for each.  Sets *expired to how many;
 * fewer than `limit` means nothing is left to do for now.  Returns 0 or a
 * failure in ctx. */
int kith_loyalty_expire(kith_ctx *ctx, int limit, int *expired);

#endif
