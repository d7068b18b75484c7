/*
 * The record cache: customer.get's rendered records, kept between requests
 * so that the hottest read skips SQLite and JSON building altogether.
 *
 * DESIGN NOTES
 *   1. Correctness comes from invalidation at the source.  TEMP triggers on
 *      every table a rendered record reads (customers, customer_stats,
 *      loyalty_accounts, loyalty_ledger, segment_members, churn_scores,
 *      identities) call
 *      kith_touch(customer_id) for each row inserted, updated or deleted, on
 *      whatever path the write took: a command, a rule, a cascade, a sweep.
 *      The trigger fires inside the write, before it commits; dropping an
 *      entry early is always safe.
 *   2. A rolled-back change fires no trigger, and a record rendered inside
 *      a transaction may show writes that are then rolled back.  So every
 *      rollback (a failed request, a failed commit) empties the whole cache
 *      (kith_reccache_clear, called by store.c).  Rollbacks are rare.
 *   3. Time: a record's points leave out lapsed awards, so an entry is good
 *      only until the customer's next award lapses (`valid_until`), and only
 *      at or after the time it was rendered (rule tests move the clock).
 *   4. The tier is not in the cached text: it may come from the running
 *      rules' tier table, which a reload changes.  The caller adds it on each
 *      hit from the stored tier and lifetime points kept beside the text.
 *   5. Direct-mapped by id.  Customer ids are handed out in sequence, so up
 *      to the slot count they land in distinct slots; memory is bounded by a
 *      byte budget, with a clock hand evicting entries while over it.
 */
#ifndef KITH_STORE_RECCACHE_H
#define KITH_STORE_RECCACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct kith_reccache kith_reccache;
struct sqlite3;

/* What a hit hands back; borrowed until the next call on the cache. */
typedef struct kith_record_hit {
    const char *json; /* the record's JSON object without its closing '}' */
    size_t len;
    int64_t lifetime; /* lifetime loyalty points, for the tier */
    const char *tier; /* stored tier, "" when none is stored */
} kith_record_hit;

typedef struct kith_reccache_counters {
    uint64_t hits, misses, entries, bytes, budget;
} kith_reccache_counters;

/* A cache holding at most about `budget` bytes (0: caches nothing). */
kith_reccache *kith_reccache_new(size_t budget);
void kith_reccache_free(kith_reccache *c);
/* Installs kith_touch() and the TEMP triggers on `db`; 0 or -1. */
int kith_reccache_attach(kith_reccache *c, struct sqlite3 *db);

/* 1 and *hit filled when `id` is cached and still good at `now`, else 0. */
int kith_reccache_get(kith_reccache *c, int64_t id, int64_t now, kith_record_hit *hit);
/* Keeps a copy of a record rendered at `now`, good until `valid_until`
 * (INT64_MAX: no lapse ahead).  Fails silently: a cache may forget. */
void kith_reccache_put(kith_reccache *c, int64_t id, int64_t now, int64_t valid_until,
                       int64_t lifetime, const char *tier, const char *json, size_t len);
void kith_reccache_drop(kith_reccache *c, int64_t id);
void kith_reccache_clear(kith_reccache *c);
void kith_reccache_get_counters(const kith_reccache *c, kith_reccache_counters *out);

#endif
