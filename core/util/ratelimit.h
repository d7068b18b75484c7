/*
 * A per-key failure limiter with bounded memory, for failed `auth` attempts
 * per client address.  A key may fail `free_failures` times within `window`
 * at no cost; each further failure locks it out for a penalty that doubles
 * from `base` up to `max`.  The limiter never sleeps: callers ask how long a
 * key must still wait and refuse at once.  Pure data and arithmetic on the
 * times given to it; it logs nothing and knows nothing of sockets.
 *
 * Memory is a fixed table of `slots` entries: when it is full, the entry
 * whose last failure is oldest is reused (an attacker with many addresses
 * can only push out the oldest, idle entries, not grow the table).
 */
#ifndef KITH_UTIL_RATELIMIT_H
#define KITH_UTIL_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define KITH_RATELIMIT_KEY_MAX 64

typedef struct kith_ratelimit kith_ratelimit;

/* Returns a new limiter (free with kith_ratelimit_free) or NULL. */
kith_ratelimit *kith_ratelimit_new(size_t slots, int free_failures, int64_t window_ms,
                                   int64_t base_ms, int64_t max_ms);
void kith_ratelimit_free(kith_ratelimit *rl);
/* Milliseconds `key` must still wait at `now` before it may try again (0:
 * it may try now).  Does not count as an attempt. */
int64_t kith_ratelimit_wait(kith_ratelimit *rl, const char *key, int64_t now);
/* Records a failure of `key` at `now`; returns the lock-out it now serves
 * in ms (0 while it is within its free failures). */
int64_t kith_ratelimit_fail(kith_ratelimit *rl, const char *key, int64_t now);
/* How many failures `key` has in its current window (for tests and logs). */
int kith_ratelimit_failures(kith_ratelimit *rl, const char *key, int64_t now);

#endif
