/*
 * A customer's activity: interactions and orders.  Both are append-only
 * histories listed newest first (by `at`, then id).  Records go in and come
 * out in their wire shape; the caller validates fields and keeps the stats
 * row (stats.h) in step within the same request.
 */
#ifndef KITH_STORE_ACTIVITY_H
#define KITH_STORE_ACTIVITY_H

#include "store/store.h"
#include "util/cursor.h"

#include <cJSON.h>
#include <stdint.h>

/* Inserts an interaction from `rec` (customer_id, type, summary, by, attrs,
 * and the optional touchpoint, topic, sentiment, direction, ticket_id,
 * visit_id)
 * happening at `at`.  Returns 0 and the new record in *out (owned). */
int kith_store_interaction_insert(kith_store *s, const cJSON *rec, int64_t at, int64_t now,
                                  cJSON **out);
/* Lists a customer's interactions, newest first, optionally of one type. */
int kith_store_interaction_list(kith_store *s, int64_t customer_id, const char *type, int limit,
                                const kith_cursor *after, cJSON *items, int *more,
                                kith_cursor *next);

/* interaction.search's filters; NULL / has_* = 0 means "any".  `q_like` is
 * the text to find in summaries with LIKE's % and _ already escaped by \. */
typedef struct kith_interaction_filter {
    const char *type, *touchpoint, *topic, *by, *q_like;
    int has_max_sentiment;
    double max_sentiment;
    int64_t from, to; /* at in [from, to) */
} kith_interaction_filter;
/* Interactions across customers, newest first (interaction.search). */
int kith_store_interaction_search(kith_store *s, const kith_interaction_filter *f, int limit,
                                  const kith_cursor *after, cJSON *items, int *more,
                                  kith_cursor *next);

/* Inserts an order (customer_id, currency, items, external_id from `rec`)
 * of `cents` at `at`.  Returns 0 and the record in *out (owned), or
 * KITH_ECONFLICT when external_id is taken. */
int kith_store_order_insert(kith_store *s, const cJSON *rec, int64_t cents, int64_t at, int64_t now,
                            cJSON **out);
/* The id of the order with `external_id`: 0, or KITH_ENOTFOUND. */
int kith_store_order_find(kith_store *s, const char *external_id, int64_t *id);
/* Every customer's orders in id order (exports), each with its customer's
 * `customer_external_id`. */
int kith_store_order_all(kith_store *s, int limit, const kith_cursor *after, cJSON *items,
                         int *more, kith_cursor *next);
/* Lists a customer's orders, newest first. */
int kith_store_order_list(kith_store *s, int64_t customer_id, int limit, const kith_cursor *after,
                          cJSON *items, int *more, kith_cursor *next);

#endif
