/*
 * What the campaign family's files share (cmd_campaign.c: the record and
 * its states; campaign_members.c: the launch's slices, tracking and
 * attribution; cmd_campaign_results.c: the measured uplift), and what
 * order.create and the due sources call into.
 *
 * DESIGN NOTES: the control group
 *   1. Which group a customer falls in is a pure function of the campaign's
 *      seed and the customer's id (kith_campaign_in_control):
 *         h = splitmix64(seed XOR customer_id)       (64-bit, wrapping)
 *         u = (h >> 11) / 2^53                        (uniform in [0, 1))
 *         control  iff  u < control_pct
 *      where splitmix64(x) is Vigna's finaliser: x += 0x9E3779B97F4A7C15;
 *      x = (x ^ x>>30) * 0xBF58476D1CE4E5B9; x = (x ^ x>>27) *
 *      0x94D049BB133111EB; x ^ x>>31.  Anyone can recompute the split from
 *      campaign.get's seed and control_pct (tests/integration/
 *      test_campaigns.py does, in Python).
 *   2. Exclusions (no marketing consent on the campaign's channel, a
 *      crm.before("campaign.member_added") veto) are decided the same way
 *      for both groups, after the draw, so the groups stay comparable:
 *      results count settled members only, excluded ones aside.
 *   3. Only treated members are touched: campaign.member_added is emitted
 *      for each treated member settled, never for a control member.
 */
#ifndef KITH_COMMANDS_CAMPAIGN_OPS_H
#define KITH_COMMANDS_CAMPAIGN_OPS_H

#include "request/request.h"

#include <cJSON.h>
#include <stdint.h>

/* Pending members settled per slice of a launch: fewer than the due loop's
 * batch, so each slice hands the loop back to clients (due.h note 3). */
#define KITH_CAMPAIGN_SLICE 64

/* 1 when customer `customer_id` is in the control group of a campaign with
 * `seed` and `control_pct` (note 1). */
int kith_campaign_in_control(int64_t seed, int64_t customer_id, double control_pct);

/* Loads the campaign named by params' `id` (or `name`) into *rec (owned)
 * and its id into *id.  Returns 0 or a failure in ctx (-32004). */
int kith_campaign_load(kith_ctx *ctx, const cJSON *params, int64_t *id, cJSON **rec);

/* The due source of launches: settles up to `limit` - 1 (at most
 * KITH_CAMPAIGN_SLICE) pending members of one campaign in the caller's
 * request — consent, the before hook, the member's status and, for a
 * treated member, campaign.member_added — and sets *fired.  Returns 0 or a
 * failure in ctx. */
int kith_campaign_fire_members(kith_ctx *ctx, int limit, int *fired);
/* The launch time of the campaign with pending members first in line: 0
 * with *at, or KITH_ENOTFOUND. */
int kith_campaign_next_members(kith_store *s, int64_t *at);

/* Checks order.create's optional `campaign_id` before the order is
 * written: absent (*campaign_id 0), or a running campaign (active or
 * completed).  Returns 0 or a failure in ctx. */
int kith_campaign_order_arg(kith_ctx *ctx, const cJSON *params, int64_t *campaign_id);
/* Attributes order `order` (`cents` at `at`) of customer `customer_id`
 * inside the order's request: to campaign `campaign_id` alone when the
 * order named one (and the customer is a member), else to every campaign
 * in which the customer is a member whose window holds `at`.  A member's
 * first attributed order emits campaign.converted.  Returns 0 or a failure
 * in ctx. */
int kith_campaign_attribute(kith_ctx *ctx, int64_t customer_id, const cJSON *order, int64_t cents,
                            int64_t at, int64_t campaign_id);

#endif
