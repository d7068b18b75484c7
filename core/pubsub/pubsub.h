/*
 * Pub/sub: what a connection subscribed to, and the encoding of events as
 * notifications.  The event log in the store is the source of truth; this
 * module only decides who wants an event and encodes it once for all of
 * them.  Delivery (which connection, when) is the server's.
 *
 * DESIGN NOTES
 *   1. A subscription holds patterns (exact names or globs with `*`) and
 *      `delivered`: every matching event with seq <= delivered has been
 *      written to the connection, and none after it.  Replay and live
 *      delivery both advance it, so the seam between them cannot lose or
 *      repeat an event.
 *   2. A subscription is *live* when delivered equals the server's published
 *      seq: the publisher appends new events to it directly.  Otherwise it
 *      is *replaying*: the server reads its backlog from the store in chunks
 *      until it catches up.
 *   3. An event matches a pattern on its type; reminder.due also matches on
 *      reminder.due.<owner> (the task's owner) and visit.upcoming on
 *      visit.upcoming.<owner> (the visitor), so owners can subscribe to
 *      their own reminders.
 */
#ifndef KITH_PUBSUB_PUBSUB_H
#define KITH_PUBSUB_PUBSUB_H

#include "util/buf.h"

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define KITH_SUB_MAX_PATTERNS 64

typedef struct kith_sub {
    char *patterns[KITH_SUB_MAX_PATTERNS];
    int npatterns;
    int64_t delivered; /* note 1 */
} kith_sub;

/* Returns a new, empty subscription (delivered = 0), or NULL. */
kith_sub *kith_sub_new(void);
void kith_sub_free(kith_sub *s);
/* Adds a pattern (ignored if present).  Returns 0, KITH_EPARAMS for a bad
 * pattern, or KITH_ECONFLICT when the subscription is full. */
int kith_sub_add(kith_sub *s, const char *pattern);
/* Removes a pattern; returns 1 when it was there. */
int kith_sub_remove(kith_sub *s, const char *pattern);
/* Removes every pattern. */
void kith_sub_clear(kith_sub *s);
/* The patterns as a JSON array (owned by the caller). */
cJSON *kith_sub_patterns(const kith_sub *s);
/* 1 when an event of `type` (with `owner` for reminders, may be NULL)
 * matches any pattern (note 3). */
int kith_sub_matches(const kith_sub *s, const char *type, const char *owner);
/* 1 when `name` matches glob `pattern` (`*` matches any run of characters). */
int kith_glob_match(const char *pattern, const char *name);

/* Encodes one event as a notification line:
 * {"jsonrpc":"2.0","method":"event","params":{"channel","seq","at","data"}}\n
 * where `data_json` is the event's stored data text.  Appends to out. */
int kith_pubsub_encode(kith_buf *out, const char *type, int64_t seq, int64_t at,
                       const char *data_json, size_t data_len);
/* The owner of a reminder.due event's task or a visit.upcoming event's
 * visit, from its data text (copied into owner; "" when none or another
 * event). */
void kith_pubsub_owner(const char *type, const char *data_json, char *owner, size_t len);

#endif
