/*
 * The record cache.  See reccache.h for how it stays correct.
 */
#include "reccache.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIER_MAX 64

typedef struct entry {
    int64_t id;
    int64_t rendered_at, valid_until;
    int64_t lifetime;
    char tier[TIER_MAX];
    size_t len;
    char json[]; /* len bytes and a NUL */
} entry;

struct kith_reccache {
    entry **slots;
    size_t mask; /* slot count - 1 (a power of two) */
    size_t hand; /* the clock hand's next slot when evicting */
    size_t budget;
    kith_reccache_counters n;
};

/* Slots for about one record per 512 bytes of budget: a record with stats
 * and segments renders to a few hundred bytes. */
static size_t slot_count(size_t budget)
{
    size_t want = budget / 512, n = 1024;
    while (n < want && n < ((size_t)1 << 22))
        n <<= 1;
    return n;
}

kith_reccache *kith_reccache_new(size_t budget)
{
    kith_reccache *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    size_t n = budget ? slot_count(budget) : 1;
    c->slots = calloc(n, sizeof(*c->slots));
    if (!c->slots) {
        free(c);
        return NULL;
    }
    c->mask = n - 1;
    c->budget = budget;
    c->n.budget = budget;
    return c;
}

static size_t entry_bytes(const entry *e)
{
    return sizeof(*e) + e->len + 1;
}

static void free_slot(kith_reccache *c, size_t i)
{
    entry *e = c->slots[i];
    if (!e) return;
    c->n.entries--;
    c->n.bytes -= entry_bytes(e);
    free(e);
    c->slots[i] = NULL;
}

void kith_reccache_clear(kith_reccache *c)
{
    if (!c || !c->n.entries) return;
    for (size_t i = 0; i <= c->mask; i++)
        free_slot(c, i);
}

void kith_reccache_free(kith_reccache *c)
{
    if (!c) return;
    kith_reccache_clear(c);
    free(c->slots);
    free(c);
}

static size_t slot_of(const kith_reccache *c, int64_t id)
{
    return (size_t)id & c->mask;
}

void kith_reccache_drop(kith_reccache *c, int64_t id)
{
    size_t i = slot_of(c, id);
    if (c->slots[i] && c->slots[i]->id == id) free_slot(c, i);
}

int kith_reccache_get(kith_reccache *c, int64_t id, int64_t now, kith_record_hit *hit)
{
    entry *e = c->slots[slot_of(c, id)];
    if (!e || e->id != id || now < e->rendered_at || now >= e->valid_until) {
        c->n.misses++;
        return 0;
    }
    c->n.hits++;
    *hit =
        (kith_record_hit){.json = e->json, .len = e->len, .lifetime = e->lifetime, .tier = e->tier};
    return 1;
}

void kith_reccache_put(kith_reccache *c, int64_t id, int64_t now, int64_t valid_until,
                       int64_t lifetime, const char *tier, const char *json, size_t len)
{
    size_t need = sizeof(entry) + len + 1;
    if (!c->budget || need > c->budget / 8 || strlen(tier) >= TIER_MAX) return;
    size_t i = slot_of(c, id);
    free_slot(c, i);
    while (c->n.bytes + need > c->budget) {
        free_slot(c, c->hand);
        c->hand = (c->hand + 1) & c->mask;
    }
    entry *e = malloc(need);
    if (!e) return;
    *e = (entry){
        .id = id, .rendered_at = now, .valid_until = valid_until, .lifetime = lifetime, .len = len};
    snprintf(e->tier, sizeof(e->tier), "%s", tier);
    memcpy(e->json, json, len);
    e->json[len] = '\0';
    c->slots[i] = e;
    c->n.entries++;
    c->n.bytes += need;
}

void kith_reccache_get_counters(const kith_reccache *c, kith_reccache_counters *out)
{
    *out = c->n;
}

static void touch(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_INTEGER)
        kith_reccache_drop(sqlite3_user_data(cx), sqlite3_value_int64(argv[0]));
    sqlite3_result_null(cx);
}

/* Each table a rendered record reads, with its customer id column and, when
 * the record shows only some of its columns, the update that matters (the
 * churn sweep rewrites every score's evaluated_at, which no record shows). */
static const struct {
    const char *table, *id, *update;
} watched[] = {
    {"customers", "id", "UPDATE"},
    {"customer_stats", "customer_id", "UPDATE"},
    {"loyalty_accounts", "customer_id", "UPDATE"},
    {"loyalty_ledger", "customer_id", "UPDATE"},
    {"segment_members", "customer_id", "UPDATE"},
    {"churn_scores", "customer_id", "UPDATE OF risk"},
    {"identities", "customer_id", "UPDATE"},
};

int kith_reccache_attach(kith_reccache *c, sqlite3 *db)
{
    if (sqlite3_create_function(db, "kith_touch", 1, SQLITE_UTF8, c, touch, NULL, NULL) !=
        SQLITE_OK)
        return -1;
    static const char *const ops[][2] = {{"INSERT", "NEW"}, {"UPDATE", "OLD"}, {"DELETE", "OLD"}};
    for (size_t t = 0; t < sizeof(watched) / sizeof(watched[0]); t++) {
        for (size_t o = 0; o < 3; o++) {
            char sql[256];
            snprintf(sql, sizeof(sql),
                     "CREATE TEMP TRIGGER IF NOT EXISTS kith_touch_%s_%s AFTER %s ON main.%s "
                     "BEGIN SELECT kith_touch(%s.%s); END",
                     watched[t].table, ops[o][0], o == 1 ? watched[t].update : ops[o][0],
                     watched[t].table, ops[o][1], watched[t].id);
            if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) return -1;
        }
    }
    return 0;
}
