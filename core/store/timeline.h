/*
 * A customer's timeline: everything that happened to them, newest first,
 * across the families (interactions, orders, tasks, tickets, visits, survey
 * responses, points ledger entries, stage changes).  SQL only.
 *
 * DESIGN NOTES
 *   1. One indexed query per kind, each on its table's (customer_id, at,
 *      id) index, walked backwards from the cursor and stopped after
 *      limit + 1 rows; the pages are merged in C.  A page costs at most
 *      kinds x (limit + 1) index steps, however long the history.
 *   2. The order is (at, kind, id) descending, kind by its number in
 *      kith_timeline_kinds; the cursor holds at as its key and id * 16 +
 *      kind as its id, so paging across kinds with equal times neither
 *      skips nor repeats a row.
 */
#ifndef KITH_STORE_TIMELINE_H
#define KITH_STORE_TIMELINE_H

#include "store/store.h"
#include "util/cursor.h"

#include <cJSON.h>
#include <stdint.h>

/* The kinds, in their order number; NULL-terminated. */
extern const char *const kith_timeline_kinds[];

typedef struct kith_timeline_query {
    int64_t customer_id;
    unsigned kinds;   /* bit i: kith_timeline_kinds[i] wanted */
    int64_t from, to; /* at >= from and at < to */
} kith_timeline_query;

/* Appends up to `limit` entries {kind, at, id, summary, record} to
 * `items`, newest first, after the cursor `after` (NULL: from the top). */
int kith_store_timeline(kith_store *s, const kith_timeline_query *q, int limit,
                        const kith_cursor *after, cJSON *items, int *more, kith_cursor *next);

#endif
