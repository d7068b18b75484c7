/*
 * Unit test for store/reccache: hits and misses, the time window an entry
 * is good for, drops by id, the byte budget, and the triggers that drop a
 * customer's entry whenever a row it is rendered from changes.
 */
#include "check.h"
#include "store/reccache.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int cached(kith_reccache *c, int64_t id, int64_t now)
{
    kith_record_hit hit;
    return kith_reccache_get(c, id, now, &hit);
}

static void test_hit_miss_and_time(void)
{
    kith_reccache *c = kith_reccache_new(1 << 20);
    CHECK(!cached(c, 1, 100));
    kith_reccache_put(c, 1, 100, 500, 42, "gold", "{\"id\":1", 7);
    kith_record_hit hit;
    CHECK(kith_reccache_get(c, 1, 100, &hit));
    CHECK_INT(hit.len, 7);
    CHECK_STR(hit.json, "{\"id\":1");
    CHECK_STR(hit.tier, "gold");
    CHECK_INT(hit.lifetime, 42);
    CHECK(cached(c, 1, 499));
    CHECK(!cached(c, 1, 500)); /* an award lapses at 500 */
    CHECK(!cached(c, 1, 99));  /* before it was rendered */
    CHECK(!cached(c, 2, 100));
    /* Ids sharing a slot do not answer for each other. */
    CHECK(!cached(c, 1 + 4096, 100));
    kith_reccache_drop(c, 1);
    CHECK(!cached(c, 1, 100));
    kith_reccache_counters n;
    kith_reccache_get_counters(c, &n);
    CHECK_INT(n.entries, 0);
    CHECK_INT(n.bytes, 0);
    CHECK_INT(n.hits, 2);
    kith_reccache_free(c);
}

static void test_budget(void)
{
    char text[300];
    memset(text, 'x', sizeof(text));
    kith_reccache *c = kith_reccache_new(64 * 1024);
    for (int64_t id = 1; id <= 2000; id++)
        kith_reccache_put(c, id, 0, INT64_MAX, 0, "", text, sizeof(text));
    kith_reccache_counters n;
    kith_reccache_get_counters(c, &n);
    CHECK(n.bytes <= 64 * 1024);
    CHECK(n.entries > 100);
    CHECK(cached(c, 2000, 0)); /* the newest is kept */
    kith_reccache_clear(c);
    kith_reccache_get_counters(c, &n);
    CHECK_INT(n.entries, 0);
    CHECK(!cached(c, 2000, 0));
    kith_reccache_free(c);

    kith_reccache *off = kith_reccache_new(0);
    kith_reccache_put(off, 1, 0, INT64_MAX, 0, "", "{", 1);
    CHECK(!cached(off, 1, 0));
    kith_reccache_free(off);
}

static void exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, err);
        CHECK(0);
    }
    sqlite3_free(err);
}

static void test_triggers(void)
{
    sqlite3 *db;
    CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
    exec(db,
         "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);"
         "CREATE TABLE customer_stats (customer_id INTEGER PRIMARY KEY, orders INT);"
         "CREATE TABLE loyalty_accounts (customer_id INTEGER PRIMARY KEY, points INT);"
         "CREATE TABLE loyalty_ledger (id INTEGER PRIMARY KEY, customer_id INT, points INT);"
         "CREATE TABLE segment_members (segment TEXT, customer_id INT,"
         "  PRIMARY KEY (segment, customer_id)) WITHOUT ROWID;"
         "CREATE TABLE churn_scores (customer_id INTEGER PRIMARY KEY, risk REAL, evaluated_at INT);"
         "CREATE TABLE identities (source TEXT, key TEXT, customer_id INT,"
         "  PRIMARY KEY (source, key)) WITHOUT ROWID;"
         "INSERT INTO customers VALUES (1, 'a'), (2, 'b');");
    kith_reccache *c = kith_reccache_new(1 << 20);
    CHECK(kith_reccache_attach(c, db) == 0);
    static const char *const writes[] = {
        "UPDATE customers SET name = 'z' WHERE id = 1",
        "INSERT INTO customer_stats VALUES (1, 1)",
        "UPDATE customer_stats SET orders = 2 WHERE customer_id = 1",
        "INSERT INTO loyalty_accounts VALUES (1, 5)",
        "INSERT INTO loyalty_ledger (customer_id, points) VALUES (1, 5)",
        "UPDATE loyalty_ledger SET points = 4 WHERE customer_id = 1",
        "INSERT INTO segment_members VALUES ('vip', 1)",
        "DELETE FROM segment_members WHERE customer_id = 1",
        "INSERT INTO churn_scores VALUES (1, 0.5, 0)",
        "UPDATE churn_scores SET risk = 0.7 WHERE customer_id = 1",
        "INSERT INTO identities VALUES ('pos', 'c1', 1)",
        "DELETE FROM identities WHERE customer_id = 1",
        "DELETE FROM customers WHERE id = 1",
    };
    /* A new evaluation time alone is not shown by any record. */
    kith_reccache_put(c, 1, 0, INT64_MAX, 0, "", "{", 1);
    exec(db, "INSERT INTO churn_scores VALUES (1, 0.5, 0);"
             "UPDATE churn_scores SET evaluated_at = 5 WHERE customer_id = 1");
    kith_reccache_put(c, 1, 0, INT64_MAX, 0, "", "{", 1);
    exec(db, "UPDATE churn_scores SET evaluated_at = 6 WHERE customer_id = 1");
    CHECK(cached(c, 1, 0));
    exec(db, "DELETE FROM churn_scores");
    for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
        kith_reccache_put(c, 1, 0, INT64_MAX, 0, "", "{", 1);
        kith_reccache_put(c, 2, 0, INT64_MAX, 0, "", "{", 1);
        exec(db, writes[i]);
        if (cached(c, 1, 0)) fprintf(stderr, "still cached after: %s\n", writes[i]);
        CHECK(!cached(c, 1, 0));
        CHECK(cached(c, 2, 0)); /* another customer's entry stays */
    }
    sqlite3_close(db);
    kith_reccache_free(c);
}

int main(void)
{
    test_hit_miss_and_time();
    test_budget();
    test_triggers();
    return check_done();
}
