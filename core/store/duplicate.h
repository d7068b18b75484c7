/*
 * Duplicate candidates: each customer's blocking keys under the running
 * crm.match rule, and the pairs of customers the rule scored at or above its
 * threshold (script/match.c decides; this file keeps).
 *
 * DESIGN NOTES
 *   1. A key is the key's name and its value, "email_norm=ann@x.cn", so
 *      two customers are candidates when they share one; match_keys is
 *      indexed by key, so finding them is one lookup per key.
 *   2. A pair is (a, b) with a < b.  Its status is open, dismissed or
 *      merged.  Re-evaluating a customer replaces its open pairs; dismissed
 *      and merged pairs are never reopened or rescored.
 */
#ifndef KITH_STORE_DUPLICATE_H
#define KITH_STORE_DUPLICATE_H

#include "store/store.h"
#include "util/cursor.h"

#include <cJSON.h>
#include <stdint.h>

/* Replaces customer `id`'s blocking keys with keys[0..n-1]. */
int kith_store_match_keys_set(kith_store *s, int64_t id, const char *const *keys, int n);
/* Up to `cap` other customers sharing a key with `id`, in ids[], *n of
 * them, lowest ids first. */
int kith_store_match_candidates(kith_store *s, int64_t id, int cap, int64_t *ids, int *n);
/* Deletes customer `id`'s open pairs (before scoring it again). */
int kith_store_dup_clear_open(kith_store *s, int64_t id);
/* Records the pair (x, y) (any order) as open with `score` and `reasons`
 * (a JSON array, borrowed), unless it is dismissed or merged. */
int kith_store_dup_put(kith_store *s, int64_t x, int64_t y, double score, const cJSON *reasons,
                       int64_t now);
/* Marks the pair (x, y) dismissed for good, creating it if need be. */
int kith_store_dup_dismiss(kith_store *s, int64_t x, int64_t y, int64_t now);
/* Marks every pair between `into` and `from` merged, and drops `from`'s
 * other pairs. */
int kith_store_dup_merged(kith_store *s, int64_t into, int64_t from, int64_t now);
/* Counts open pairs whose customers both exist. */
int kith_store_dup_count_open(kith_store *s, int64_t *n);

typedef struct kith_dup_filter {
    int64_t customer_id; /* 0: any */
    double min_score;
    const char *status; /* open, dismissed or merged */
} kith_dup_filter;

/* Appends to `items` up to `limit` pairs {a, b, score, reasons, status,
 * updated_at} matching `f`, by a then b, after `after` (NULL: from the
 * start).  Open and dismissed pairs are shown only while both customers
 * exist. */
int kith_store_dup_list(kith_store *s, const kith_dup_filter *f, int limit,
                        const kith_cursor *after, cJSON *items, int *more, kith_cursor *next);

#endif
