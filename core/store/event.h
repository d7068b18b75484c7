/*
 * The event log: every committed change appends one row with a server-wide
 * increasing `seq`, inside the same savepoint as the change (store.h, note
 * 5).  Later layers read it after commit: rules' crm.on handlers and
 * subscribers with replay.  This file only appends and reads.
 */
#ifndef KITH_STORE_EVENT_H
#define KITH_STORE_EVENT_H

#include "store/store.h"

#include <cJSON.h>
#include <stdint.h>

/* Appends an event of `type` about `customer_id` (0 for none) with `data`
 * (borrowed; stored as compact JSON) at time `at`.  Must be called inside a
 * request.  Returns 0 and the event's seq in *seq (may be NULL). */
int kith_store_event_append(kith_store *s, const char *type, int64_t customer_id, const cJSON *data,
                            int64_t at, int64_t *seq);
/* Appends to `out` up to `limit` events with seq > after, oldest first, each
 * as {seq, type, customer_id, at, data}.  Sets *last to the seq of the last
 * one appended (unchanged when none).  Returns 0 or a KITH_E* code. */
int kith_store_event_range(kith_store *s, int64_t after, int limit, cJSON *out, int64_t *last);
/* Calls fn for up to `limit` events with seq > after, oldest first, with the
 * stored data text (borrowed for the call).  Returns the number visited or a
 * negative KITH_E* code. */
typedef void (*kith_event_fn)(void *ud, int64_t seq, const char *type, int64_t customer_id,
                              int64_t at, const char *data, size_t len);
int kith_store_event_scan(kith_store *s, int64_t after, int limit, kith_event_fn fn, void *ud);
/* Like kith_store_event_scan, but `fn` decides from seq and type alone
 * (return 1) whether it wants the event, and only then is its data read:
 * event data is large, and most events are skipped. */
typedef int (*kith_event_filter)(void *ud, int64_t seq, const char *type);
int kith_store_event_scan_filtered(kith_store *s, int64_t after, int limit, kith_event_filter want,
                                   kith_event_fn fn, void *ud);
/* The seq of the oldest retained event (0 when the log is empty). */
int kith_store_event_first_seq(kith_store *s, int64_t *seq);
/* Deletes up to `limit` events with seq < before_seq and at < before_at.
 * Returns the number deleted or a negative code. */
int kith_store_event_trim(kith_store *s, int64_t before_seq, int64_t before_at, int limit);
/* The seq of the newest event (0 when the log is empty). */
int kith_store_event_last_seq(kith_store *s, int64_t *seq);

#endif
