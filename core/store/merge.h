/*
 * Merging one customer into another (customer.merge): every row that hangs
 * off the loser moves to the survivor, the counters combine, the loser is
 * deleted and remembered as an alias of the survivor.  The caller runs it
 * inside the request, so the whole merge commits or rolls back as one.
 */
#ifndef KITH_STORE_MERGE_H
#define KITH_STORE_MERGE_H

#include "store/store.h"

#include <stdint.h>

/* Moves customer `from`'s history to `into` and deletes `from`:
 *   - every table with a foreign key to customers(id) has its rows moved,
 *     found from the schema, so a family added later follows without code;
 *     a row the survivor already has an equal of (a unique key: one
 *     invitation per survey, say) stays behind and goes with the loser;
 *   - the stats rows combine (kith_stats_combine), the loyalty accounts add
 *     up (points and lifetime; the caller recomputes the tier), the tag
 *     index, segment memberships, churn score and match keys are the
 *     loser's own and go with it (the caller re-evaluates the survivor);
 *   - the audit trail's rows follow the customer; duplicate pairs become
 *     "merged";
 *   - customer_aliases records from -> into (and re-points older aliases
 *     of `from`).
 * Returns 0 or a KITH_E* code. */
int kith_store_customer_merge(kith_store *s, int64_t into, int64_t from, int64_t now);
/* The customer `id` was merged into, following merges of merges: 0 and
 * *into, or KITH_ENOTFOUND when `id` was never merged. */
int kith_store_customer_alias(kith_store *s, int64_t id, int64_t *into);

#endif
