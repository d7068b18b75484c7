/*
 * The points ledger: one row per award, redemption or expiry, and one account
 * row per customer holding the running balance, the lifetime total and the
 * tier.  This file keeps the ledger and the account in step; deciding who
 * earns what, checking that the customer exists, recomputing tiers and
 * emitting events are the caller's (commands/loyalty_ops.h).  Entries come
 * out in their wire shape:
 *
 *   {id, customer_id, kind: "award"|"redeem"|"expire", points, reason, at,
 *    expires_at}
 *
 * where points is signed (awards positive, redemptions and expiries
 * negative) and expires_at is an ISO time for awards that expire, else null.
 *
 * DESIGN NOTES: the ledger
 *   1. An award's `remaining` starts at its points and only goes down: a
 *      redemption consumes it (kith_store_loyalty_redeem), the expiry job
 *      zeroes it (kith_store_loyalty_expire).  Other rows keep remaining 0.
 *   2. account.points == the sum of `remaining` over the customer's awards,
 *      at every commit; so the balance is never negative.  account.lifetime
 *      == the sum of all awarded points and never goes down.
 *   3. An award whose expires_at has passed but which the expiry job has not
 *      reached yet is already dead: the balance leaves it out and a
 *      redemption never consumes it.  The job only makes the ledger say so.
 *   4. A redemption consumes open awards soonest expiry first, awards without
 *      expiry last, older first among equals: the points a customer would
 *      lose first are spent first.
 *   5. An expiry entry is dated at the award's expires_at, when the points
 *      actually lapsed, not when the job got round to it.
 */
#ifndef KITH_STORE_LOYALTY_H
#define KITH_STORE_LOYALTY_H

#include "store/store.h"
#include "util/cursor.h"

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* One loyalty tier, as crm.tiers declares it: reached at `min` lifetime
 * points. */
typedef struct kith_tier {
    char name[64];
    int64_t min;
} kith_tier;

/* A customer's account row.  A customer who never earned points has an
 * all-zero account with no tier. */
typedef struct kith_loyalty_account {
    int64_t points;   /* current balance as booked (see note 3) */
    int64_t lifetime; /* every point ever awarded */
    char tier[64];    /* "" when the customer has no tier */
} kith_loyalty_account;

/* The name of the highest tier whose min <= lifetime (the tiers may come in
 * any order; among equal mins the later one wins), or NULL when none is
 * reached or n is 0.  The result points into `tiers`. */
const char *kith_loyalty_tier_for(const kith_tier *tiers, size_t n, int64_t lifetime);

/* Credits `points` (> 0) to customer `customer_id` at `at`, expiring at
 * `expires_at` (KITH_TIME_NONE for never): a ledger row of kind award and the
 * account (created if missing) raised by points in both balance and
 * lifetime.  Returns 0, the entry in *entry (owned; cJSON_Delete it) and the
 * balance after it in *balance (may be NULL); or a KITH_E* code.  The caller
 * has checked that the customer exists. */
int kith_store_loyalty_award(kith_store *s, int64_t customer_id, int64_t points, const char *reason,
                             int64_t at, int64_t expires_at, int64_t *balance, cJSON **entry);
/* Debits `points` (> 0) from customer `customer_id` at `at` (note 4) and
 * books a ledger row of kind redeem.  Returns 0 with *entry (owned) and the
 * balance after it in *balance; or KITH_ECONFLICT, writing nothing, when
 * points exceed the balance, which is then in *balance; or another KITH_E*
 * code. */
int kith_store_loyalty_redeem(kith_store *s, int64_t customer_id, int64_t points,
                              const char *reason, int64_t at, int64_t *balance, cJSON **entry);
/* Expires up to `limit` awards whose expires_at <= now and that have points
 * left, soonest first: for each, a ledger row of kind expire for what was
 * left, the award's remaining set to 0 and the account lowered.  Appends each
 * expiry entry to `entries` (an array, borrowed; may be NULL) and sets
 * *expired to how many it booked: fewer than `limit` means the job is done
 * for now.  Returns 0 or a KITH_E* code.  Meant to run in slices, each inside
 * its own request. */
int kith_store_loyalty_expire(kith_store *s, int64_t now, int limit, cJSON *entries, int *expired);

/* Loads customer `customer_id`'s account into *acct (zeros and no tier when
 * the customer never had one).  Returns 0 or a KITH_E* code. */
int kith_store_loyalty_account_get(kith_store *s, int64_t customer_id, kith_loyalty_account *acct);
/* Sets customer `customer_id`'s tier (NULL clears it), creating the account
 * if missing.  Returns 0 or a KITH_E* code. */
int kith_store_loyalty_set_tier(kith_store *s, int64_t customer_id, const char *tier);
/* The points customer `customer_id` can spend at `now`: the booked balance
 * less the awards that lapsed but are not yet expired (note 3).  Returns 0
 * or a KITH_E* code. */
int kith_store_loyalty_available(kith_store *s, int64_t customer_id, int64_t now, int64_t *points);
/* The balance at `now` in its wire shape: {points, lifetime, tier (or null),
 * expiring: [{points, at}]} with up to 10 open awards that will expire,
 * soonest first.  Returns 0 with *out (owned) or a KITH_E* code. */
int kith_store_loyalty_balance(kith_store *s, int64_t customer_id, int64_t now, cJSON **out);
/* Appends to `items` up to `limit` of customer `customer_id`'s ledger entries,
 * newest first (at, then id, descending), starting after `after` (NULL for
 * the first page); *more and *next say whether and where the next page
 * starts.  Returns 0 or a KITH_E* code. */
int kith_store_loyalty_history(kith_store *s, int64_t customer_id, int limit,
                               const kith_cursor *after, cJSON *items, int *more,
                               kith_cursor *next);

#endif
