/*
 * The rules' stored state outside the ledger and tasks: segment membership
 * (with each segment's size kept in step), churn scores, and small
 * server-wide values (meta).  Records come out in their wire shape.
 */
#ifndef KITH_STORE_RULES_H
#define KITH_STORE_RULES_H

#include "store/store.h"
#include "util/cursor.h"

#include <cJSON.h>
#include <stdint.h>

/* Creates or updates segment `name`; a changed `hash` (the definition's
 * source) is reported in *changed (may be NULL). */
int kith_store_segment_define(kith_store *s, const char *name, const char *description,
                              const char *hash, int *changed);
/* Deletes every segment (and its members) whose name is not in `keep`
 * (an array of strings). */
int kith_store_segment_prune(kith_store *s, const cJSON *keep);
/* Appends the names of the segments customer `id` is in to `names`. */
int kith_store_segment_of(kith_store *s, int64_t id, cJSON *names);
/* 1 when customer `id` is in `segment`, else 0; negative on error. */
int kith_store_segment_has(kith_store *s, const char *segment, int64_t id);
/* Adds or removes a member, keeping segments.size in step. */
int kith_store_segment_add(kith_store *s, const char *segment, int64_t id, int64_t since);
int kith_store_segment_remove(kith_store *s, const char *segment, int64_t id);
/* Appends {name, description, size} of every segment to `out`. */
int kith_store_segment_list(kith_store *s, cJSON *out);
/* 1 when the segment exists, else 0. */
int kith_store_segment_exists(kith_store *s, const char *name);
/* Marks a full refresh of `segment` done at `at`. */
int kith_store_segment_refreshed(kith_store *s, const char *segment, int64_t at);

/* Churn: the stored score of customer `id` ({risk, reasons, evaluated_at,
 * warned}); KITH_ENOTFOUND before the first evaluation. */
int kith_store_churn_get(kith_store *s, int64_t id, cJSON **out, int *warned);
/* Writes the score. */
int kith_store_churn_put(kith_store *s, int64_t id, double risk, const cJSON *reasons, int64_t at,
                         int warned);
/* A page of {customer_id, risk, reasons, evaluated_at} with risk >= min_risk,
 * highest risk first. */
int kith_store_churn_list(kith_store *s, double min_risk, int limit, const kith_cursor *after,
                          cJSON *items, int *more, kith_cursor *next);

/* The ids of up to `limit` customers after `after_id`, in id order. */
int kith_store_customer_ids(kith_store *s, int64_t after_id, int limit, int64_t *ids, int *n);

/* Server-wide integers kept across restarts (cursors of background work). */
int kith_store_meta_get(kith_store *s, const char *key, int64_t *value, int64_t fallback);
int kith_store_meta_set(kith_store *s, const char *key, int64_t value);

#endif
