/*
 * Campaigns (DOMAIN.md 2.15): a campaign record, and its audience frozen at
 * launch with each member in the treated or the control group.  Records go
 * in and come out in their wire shape:
 *
 *   campaign {id, name, kind, channel, status, segment, control_pct, seed,
 *             attribution_window, attribution_window_ms, launched_at,
 *             ends_at, finished_at, budget, cost, owner, description,
 *             attrs, created_by, created_at, updated_at}
 *   member   {campaign_id, campaign, channel, customer_id, group, status, reason,
 *             added_at, until_at, sent_at, responded_at, converted_at,
 *             order_id, orders, revenue}
 *
 * SQL only: which group a member is in, the state machine, consent, hooks
 * and events are the caller's (commands/campaign_ops.h).
 *
 * DESIGN NOTES
 *   1. A campaign's status moves only by kith_store_campaign_move, a
 *      conditional UPDATE from the status the caller checked: a second
 *      launch racing the first finds the status moved and changes nothing.
 *   2. Members are written once, at launch, as `pending`; a member leaves
 *      `pending` exactly once (kith_store_campaign_member_settle, also
 *      conditional), in the request that emits its event, so across a
 *      kill -9 each member is settled and announced exactly once.
 *   3. until_at = added_at + the campaign's attribution window is stored
 *      on the member, so the order path finds a customer's open
 *      memberships with one range probe of campaign_members_customer.
 *   4. Conversion and revenue are kept on the member in the order's own
 *      transaction; results are one aggregate over the campaign's members.
 */
#ifndef KITH_STORE_CAMPAIGN_H
#define KITH_STORE_CAMPAIGN_H

#include "store/store.h"
#include "util/cursor.h"

#include <cJSON.h>
#include <stdint.h>

/* The fields a new campaign is written with; strings may be NULL where the
 * column allows it. */
typedef struct kith_campaign_new {
    const char *name, *kind, *channel, *segment, *owner, *description, *by;
    const cJSON *attrs;
    double control_pct;
    int64_t seed, window_ms, ends_at; /* ends_at: KITH_TIME_NONE when unset */
    int64_t budget_cents, cost_cents; /* -1 when unset */
    int64_t now;
} kith_campaign_new;

/* Inserts a draft campaign.  Returns 0 with the new id in *id,
 * KITH_ECONFLICT when the name is taken, or another KITH_E* code. */
int kith_store_campaign_insert(kith_store *s, const kith_campaign_new *c, int64_t *id);
/* Loads campaign `id` (wire shape, owned) into *out.  Returns 0 or
 * KITH_ENOTFOUND. */
int kith_store_campaign_get(kith_store *s, int64_t id, cJSON **out);
/* The id of the campaign named `name`: 0 and *id, or KITH_ENOTFOUND. */
int kith_store_campaign_find(kith_store *s, const char *name, int64_t *id);
/* Writes the changeable fields of campaign `id` from `rec` (its wire
 * shape as the caller left it: kind, channel, segment, control_pct, seed,
 * attribution_window_ms, ends_at, budget, cost, owner, description, attrs)
 * with updated_at = now.  Returns 0 or KITH_ENOTFOUND. */
int kith_store_campaign_update(kith_store *s, int64_t id, const cJSON *rec, int64_t now);
/* Moves campaign `id` from status `from` to `to` at `now` (note 1): to
 * "active" sets launched_at, to "completed"/"cancelled" sets finished_at.
 * Returns 0, or KITH_ENOTFOUND when the status is no longer `from`. */
int kith_store_campaign_move(kith_store *s, int64_t id, const char *from, const char *to,
                             int64_t now);
/* Appends to `items` up to `limit` campaigns (status NULL: any), newest
 * first by id, after `after`; *more and *next as kith_row_page. */
int kith_store_campaign_list(kith_store *s, const char *status, int limit, const kith_cursor *after,
                             cJSON *items, int *more, kith_cursor *next);

/* The members of segment `segment` at this instant, ascending: an array of
 * *n ids in *ids (owned; free with free()).  Returns 0 or a KITH_E* code. */
int kith_store_campaign_segment_ids(kith_store *s, const char *segment, int64_t **ids, size_t *n);
/* Adds customer `customer_id` to campaign `campaign_id` as a pending
 * member of group `grp` ("treated"/"control"), added at `at`, its window
 * ending at `until`.  Returns 0 or a KITH_E* code. */
int kith_store_campaign_member_add(kith_store *s, int64_t campaign_id, int64_t customer_id,
                                   const char *grp, int64_t at, int64_t until);
/* Up to `max` pending members of the active or completed campaign launched
 * first among those with any: its id in *campaign_id, the customers' ids
 * into customer_ids, *n how many.  Returns 0, KITH_ENOTFOUND when no member
 * is pending, or another KITH_E* code. */
int kith_store_campaign_pending(kith_store *s, int max, int64_t *campaign_id, int64_t *customer_ids,
                                int *n);
/* The launch time of the campaign whose pending members come next: 0 and
 * *at, or KITH_ENOTFOUND when no member waits. */
int kith_store_campaign_pending_next(kith_store *s, int64_t *at);
/* Settles a pending member (note 2) to `status` ("targeted" or "excluded",
 * with `reason`; a member that converted meanwhile becomes "converted"
 * instead of "targeted").  Returns 0, or KITH_ENOTFOUND when it was not
 * pending. */
int kith_store_campaign_member_settle(kith_store *s, int64_t campaign_id, int64_t customer_id,
                                      const char *status, const char *reason);
/* Excludes every pending member of campaign `id` with reason `reason`;
 * *n how many.  Returns 0 or a KITH_E* code. */
int kith_store_campaign_drop_pending(kith_store *s, int64_t id, const char *reason, int64_t *n);
/* Loads one member (wire shape, owned).  Returns 0 or KITH_ENOTFOUND. */
int kith_store_campaign_member_get(kith_store *s, int64_t campaign_id, int64_t customer_id,
                                   cJSON **out);
/* Appends to `items` up to `limit` members of campaign `id` (grp, status:
 * NULL for any) by customer id, after `after`. */
int kith_store_campaign_members(kith_store *s, int64_t id, const char *grp, const char *status,
                                int limit, const kith_cursor *after, cJSON *items, int *more,
                                kith_cursor *next);
/* Records a gateway's event for a settled member: "sent" or "responded"
 * (sets its time once, and moves the status forward: targeted -> sent ->
 * responded; never back from converted).  Returns 0, or KITH_ENOTFOUND
 * when the member is pending, excluded or absent. */
int kith_store_campaign_member_mark(kith_store *s, int64_t campaign_id, int64_t customer_id,
                                    const char *event, int64_t at);

/* Up to `max` campaigns in which customer `customer_id` is a member not
 * excluded, whose window holds `at` (added_at <= at <= until_at) and
 * which is not cancelled, into ids; *n how many.  One range probe (note
 * 3).  Returns 0 or a KITH_E* code. */
int kith_store_campaign_open_for(kith_store *s, int64_t customer_id, int64_t at, int max,
                                 int64_t *ids, int *n);
/* Counts order `order_id` (`cents` at `at`) for member (campaign_id,
 * customer_id): orders + 1, revenue + cents, and on its first order
 * converted_at/order_id (order_id 0: none) and, once settled, status
 * "converted".  *first says
 * whether this was its first conversion.  Returns 0, or KITH_ENOTFOUND when
 * it is not a member or was excluded. */
int kith_store_campaign_convert(kith_store *s, int64_t campaign_id, int64_t customer_id,
                                int64_t order_id, int64_t cents, int64_t at, int *first);

/* One group's figures for campaign.results. */
typedef struct kith_campaign_group {
    int64_t members, converted, responded, orders, revenue_cents;
} kith_campaign_group;
typedef struct kith_campaign_tally {
    kith_campaign_group treated, control; /* settled members, excluded ones aside */
    int64_t excluded, pending;
    int64_t excluded_treated, excluded_control;
    int64_t drawn_treated, drawn_control; /* every member by group, whatever its status */
} kith_campaign_tally;
/* Counts campaign `id`'s members in one aggregate.  Returns 0 or a KITH_E*
 * code. */
int kith_store_campaign_tally(kith_store *s, int64_t id, kith_campaign_tally *t);
/* Appends {reason: n} for campaign `id`'s excluded members to `out`. */
int kith_store_campaign_exclusions(kith_store *s, int64_t id, cJSON *out);

#endif
