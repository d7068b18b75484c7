/*
 * Deals (README "Deals and the forecast"): the sales pipeline's records and
 * their stage history.  A deal is handled as its JSON record (the wire
 * shape: amount in currency units, times ISO 8601); this file maps that
 * record to the deals table through one column list, so a field is added
 * in one place.
 *
 * A deal's rot_at is its due time for deal.rotting: the last activity plus
 * the pipeline's rot_after, written by the commands; rotted_at marks it
 * fired and is cleared whenever rot_at moves (new activity re-arms it).
 */
#ifndef KITH_STORE_DEAL_H
#define KITH_STORE_DEAL_H

#include "store/store.h"
#include "util/cursor.h"

#include <cJSON.h>
#include <stdint.h>

/* Inserts `rec` (every column member; absent is NULL); *id gets its id.
 * Returns 0 or a KITH_E* code. */
int kith_store_deal_insert(kith_store *s, const cJSON *rec, int64_t *id);
/* Writes every column of deal `id` from `rec`.  Returns 0, KITH_ENOTFOUND. */
int kith_store_deal_update(kith_store *s, int64_t id, const cJSON *rec);
/* *out = deal `id` (owned).  Returns 0 or KITH_ENOTFOUND. */
int kith_store_deal_get(kith_store *s, int64_t id, cJSON **out);

typedef struct kith_deal_filter {
    int64_t customer_id; /* 0: any */
    const char *owner, *team, *pipeline, *stage, *status;
    int64_t closing_after, closing_before; /* expected_close in [after, before); 0: open */
} kith_deal_filter;
/* Appends up to `limit` deals matching `f` to items, by id, after `after`
 * (NULL: from the start).  Returns 0 or a KITH_E* code. */
int kith_store_deal_list(kith_store *s, const kith_deal_filter *f, int limit,
                         const kith_cursor *after, cJSON *items, int *more, kith_cursor *next);

/* Calls fn for each deal open with expected_close in [from, to), or closed
 * in [from, to).  Returns 0 or a KITH_E* code. */
typedef void (*kith_deal_fn)(void *ud, const cJSON *deal);
int kith_store_deal_period(kith_store *s, int64_t from, int64_t to, kith_deal_fn fn, void *ud);

/* Stage history. */
int kith_store_deal_history_add(kith_store *s, int64_t deal_id, int64_t at, const char *from,
                                const char *to, const char *status, const char *by,
                                const char *note);
int kith_store_deal_history(kith_store *s, int64_t deal_id, cJSON **out);

/* deal.rotting's due source (commands/due.h). */
int kith_store_deal_next_rot(kith_store *s, int64_t *at);
int kith_store_deal_due_rot(kith_store *s, int64_t now, int limit, int64_t *ids, int *n);
/* Marks deal `id` rotted at `now` if it is still open, unrotted and due.
 * Returns 0 or KITH_ENOTFOUND. */
int kith_store_deal_mark_rotted(kith_store *s, int64_t id, int64_t now);

#endif
