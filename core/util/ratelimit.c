/*
 * See ratelimit.h.  A linear table: it is searched only on `auth`, which a
 * client calls once per connection, and a few hundred entries compare in
 * well under a microsecond.
 */
#include "util/ratelimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char key[KITH_RATELIMIT_KEY_MAX];
    int failures;         /* in the current window */
    int64_t last_failure; /* ms; 0 = slot unused */
    int64_t locked_until; /* ms */
};

struct kith_ratelimit {
    struct entry *slots;
    size_t nslots;
    int free_failures;
    int64_t window_ms, base_ms, max_ms;
};

kith_ratelimit *kith_ratelimit_new(size_t slots, int free_failures, int64_t window_ms,
                                   int64_t base_ms, int64_t max_ms)
{
    kith_ratelimit *rl = calloc(1, sizeof(*rl));
    if (!rl) return NULL;
    rl->slots = calloc(slots ? slots : 1, sizeof(*rl->slots));
    if (!rl->slots) {
        free(rl);
        return NULL;
    }
    rl->nslots = slots ? slots : 1;
    rl->free_failures = free_failures;
    rl->window_ms = window_ms;
    rl->base_ms = base_ms;
    rl->max_ms = max_ms;
    return rl;
}

void kith_ratelimit_free(kith_ratelimit *rl)
{
    if (!rl) return;
    free(rl->slots);
    free(rl);
}

/* The entry of `key`, forgetting a window that has passed with no failure
 * and no lock-out still running; NULL when the key has none. */
static struct entry *find(kith_ratelimit *rl, const char *key, int64_t now)
{
    for (size_t i = 0; i < rl->nslots; i++) {
        struct entry *e = &rl->slots[i];
        if (!e->last_failure || strncmp(e->key, key, sizeof(e->key)) != 0) continue;
        if (now - e->last_failure >= rl->window_ms && now >= e->locked_until) {
            memset(e, 0, sizeof(*e));
            return NULL;
        }
        return e;
    }
    return NULL;
}

int64_t kith_ratelimit_wait(kith_ratelimit *rl, const char *key, int64_t now)
{
    struct entry *e = find(rl, key, now);
    return e && e->locked_until > now ? e->locked_until - now : 0;
}

int kith_ratelimit_failures(kith_ratelimit *rl, const char *key, int64_t now)
{
    struct entry *e = find(rl, key, now);
    return e ? e->failures : 0;
}

int64_t kith_ratelimit_fail(kith_ratelimit *rl, const char *key, int64_t now)
{
    struct entry *e = find(rl, key, now);
    if (!e) {
        /* A free slot, else the one idle longest. */
        e = &rl->slots[0];
        for (size_t i = 0; i < rl->nslots && e->last_failure; i++)
            if (!rl->slots[i].last_failure || rl->slots[i].last_failure < e->last_failure)
                e = &rl->slots[i];
        memset(e, 0, sizeof(*e));
        snprintf(e->key, sizeof(e->key), "%s", key);
    }
    e->failures++;
    e->last_failure = now ? now : 1;
    if (e->failures <= rl->free_failures) return 0;
    int64_t penalty = rl->base_ms;
    for (int i = rl->free_failures + 1; i < e->failures && penalty < rl->max_ms; i++)
        penalty *= 2;
    if (penalty > rl->max_ms) penalty = rl->max_ms;
    e->locked_until = now + penalty;
    return penalty;
}
