/*
 * Visits: a planned meeting with a customer, its check-in and its report.
 * Records go in and come out in their wire shape:
 *
 *   {id, customer_id, owner, participants, contact, purpose, agenda, goals,
 *    location, planned_at, duration_min, status, started_at, ended_at, geo,
 *    summary, customer_feedback, outcome, agreements, next_visit_id,
 *    interaction_id, ticket_id, cancel_reason, reschedule_reason,
 *    reschedules, created_by, attrs, created_at, updated_at, remind_at,
 *    reminded_at, miss_at, missed_at}
 *
 * Which transitions are allowed, checking fields and emitting events are
 * the caller's (commands/visit_ops.h); this file only reads and writes.
 *
 * DESIGN NOTES: a visit's two due times
 *   1. A visit is planned with remind_at (planned_at - lead) and miss_at
 *      (planned_at + grace), the rules' values at that moment.  Each has a
 *      fired mark (reminded_at, missed_at), NULL until it fires.
 *   2. The partial indexes visits_remind and visits_miss hold exactly the
 *      planned visits whose mark is still NULL, so the scheduler's next and
 *      due lookups never scan visits that are done, cancelled or fired.
 *   3. A mark goes from NULL to the firing time once, with a conditional
 *      UPDATE (WHERE status = 'planned' AND mark IS NULL) in the request
 *      that emits the event: exactly once across a crash.  Marking a miss
 *      also moves the visit to 'missed'.
 *   4. Rescheduling re-arms both (kith_visit_arm): new times, marks NULL.
 *      A reminder whose time has already passed when armed is marked fired
 *      at once, so planning a visit for the next hour sends no "upcoming".
 *   5. Every change is a conditional UPDATE on the status the caller saw
 *      (kith_store_visit_put), so a transition happens at most once.
 */
#ifndef KITH_STORE_VISIT_H
#define KITH_STORE_VISIT_H

#include "store/store.h"
#include "util/cursor.h"

#include <cJSON.h>
#include <stdint.h>

/* The due times of note 1, for insert and re-arming. */
typedef struct kith_visit_arm {
    int64_t remind_at, miss_at;
    int64_t now; /* a remind_at at or before now is marked fired (note 4) */
} kith_visit_arm;

/* Inserts a planned visit from `rec` (wire shape: customer_id, owner,
 * purpose, planned_at required; the other plan fields optional), created
 * by `created_by` at `now`, armed by `arm`.  Returns 0 and the visit in
 * *out (owned), or a KITH_E* code.  The caller has checked the fields. */
int kith_store_visit_insert(kith_store *s, const cJSON *rec, const char *created_by, int64_t now,
                            const kith_visit_arm *arm, cJSON **out);
/* Loads visit `id` into *out (owned).  Returns 0 or KITH_ENOTFOUND. */
int kith_store_visit_get(kith_store *s, int64_t id, cJSON **out);
/* Writes every changeable field of `rec` (wire shape) to visit `id` if its
 * status is still `expect_status` (note 5), re-arming it when `arm` is not
 * NULL; updated_at becomes `now`.  Returns 0 and the visit as it now stands
 * in *out (owned), KITH_ENOTFOUND, or KITH_ECONFLICT when the status moved
 * (nothing changes then). */
int kith_store_visit_put(kith_store *s, int64_t id, const char *expect_status, const cJSON *rec,
                         int64_t now, const kith_visit_arm *arm, cJSON **out);

typedef struct kith_visit_filter {
    const char *owner, *status; /* NULL: no condition */
    int64_t customer_id;        /* 0: no condition */
    int64_t from, to;           /* planned_at in [from, to); INT64_MIN/MAX: open */
} kith_visit_filter;

/* Appends to `items` up to `limit` visits matching `f` by planned_at then
 * id ascending (a calendar), after `after` (NULL: the first page); *more and
 * *next say whether and where the next page starts.  Returns 0 or a code. */
int kith_store_visit_list(kith_store *s, const kith_visit_filter *f, int limit,
                          const kith_cursor *after, cJSON *items, int *more, kith_cursor *next);

/* Which due time of a visit (note 1). */
enum kith_visit_due_kind { KITH_VISIT_REMIND, KITH_VISIT_MISS };

/* The earliest unfired due time of `kind` over planned visits in *at.
 * Returns 0, or KITH_ENOTFOUND when none waits. */
int kith_store_visit_next_due(kith_store *s, int kind, int64_t *at);
/* Up to `limit` ids (into ids[]) of planned visits whose `kind` time is at
 * or before `now` and unfired, oldest first; *n says how many.  Reads only.
 * Returns 0 or a code. */
int kith_store_visit_due(kith_store *s, int kind, int64_t now, int limit, int64_t *ids, int *n);
/* Marks visit `id`'s `kind` time fired at `now` (note 3); a miss also sets
 * status 'missed'.  Returns 0, or KITH_ENOTFOUND when no planned, unfired
 * visit has that id (handled already, or moved on): do not fire it. */
int kith_store_visit_mark_fired(kith_store *s, int kind, int64_t id, int64_t now);

/* The earliest planned_at of customer `customer_id`'s planned visits in
 * *at.  Returns 0, or KITH_ENOTFOUND when nothing is planned. */
int kith_store_visit_next_planned(kith_store *s, int64_t customer_id, int64_t *at);
/* Up to `limit` ids (ascending, > after_id) of customers with no planned or
 * in-progress visit, only `owner`'s when not NULL: the candidates of
 * visit.due.  Uses visits_customer per customer, so its cost is the
 * customers scanned.  Sets *n.  Returns 0 or a code. */
int kith_store_visit_unplanned_customers(kith_store *s, int64_t after_id, const char *owner,
                                         int limit, int64_t *ids, int *n);

#endif
