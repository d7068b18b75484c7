/*
 * Schema versions.  A version, once shipped, is never edited: a change to the
 * schema is a new entry at the end of `versions`.  Times are integer
 * milliseconds since the epoch (UTC); money is integer cents.
 */
#include "store/migrate.h"
#include "util/error.h"
#include "util/log.h"

#include <sqlite3.h>
#include <stdio.h>

static const char *const versions[] = {
    /* 1: customers, their activity, per-customer stats, the event log, tokens. */
    "CREATE TABLE customers ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  email TEXT, phone TEXT, company TEXT,"
    "  external_id TEXT UNIQUE,"
    "  owner TEXT,"
    "  stage TEXT NOT NULL DEFAULT 'prospect',"
    "  tags TEXT NOT NULL DEFAULT '[]',"
    "  attrs TEXT NOT NULL DEFAULT '{}',"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX customers_email ON customers(email);"
    "CREATE INDEX customers_owner ON customers(owner, id);"
    "CREATE INDEX customers_stage ON customers(stage, id);"
    /* The tag index: derived from customers.tags, kept in the same write. */
    "CREATE TABLE customer_tags ("
    "  tag TEXT NOT NULL,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (tag, customer_id)) WITHOUT ROWID;"
    "CREATE INDEX customer_tags_customer ON customer_tags(customer_id);"
    "CREATE TABLE customer_stats ("
    "  customer_id INTEGER PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,"
    "  orders INTEGER NOT NULL DEFAULT 0,"
    "  total_spent_cents INTEGER NOT NULL DEFAULT 0,"
    "  first_order_at INTEGER, last_order_at INTEGER,"
    "  interactions INTEGER NOT NULL DEFAULT 0,"
    "  complaints INTEGER NOT NULL DEFAULT 0,"
    "  last_interaction_at INTEGER);"
    "CREATE TABLE interactions ("
    "  id INTEGER PRIMARY KEY,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  type TEXT NOT NULL, summary TEXT NOT NULL,"
    "  at INTEGER NOT NULL, by TEXT,"
    "  attrs TEXT NOT NULL DEFAULT '{}',"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX interactions_customer ON interactions(customer_id, at, id);"
    "CREATE TABLE orders ("
    "  id INTEGER PRIMARY KEY,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  amount_cents INTEGER NOT NULL,"
    "  currency TEXT NOT NULL,"
    "  items TEXT NOT NULL DEFAULT '[]',"
    "  at INTEGER NOT NULL,"
    "  external_id TEXT UNIQUE,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX orders_customer ON orders(customer_id, at, id);"
    /* AUTOINCREMENT: seq must never be reused, even after the log is trimmed. */
    "CREATE TABLE events ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  type TEXT NOT NULL,"
    "  customer_id INTEGER,"
    "  data TEXT NOT NULL,"
    "  at INTEGER NOT NULL);"
    "CREATE TABLE tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL,"
    "  hash BLOB NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL);",
};

#define NVERSIONS ((int)(sizeof(versions) / sizeof(versions[0])))

int kith_migrate_latest(void)
{
    return NVERSIONS;
}

static int user_version(kith_store *s, int *v)
{
    kith_stmt *st = kith_store_stmt(s, "PRAGMA user_version");
    if (!st || sqlite3_step(st) != SQLITE_ROW) return kith_store_error(s, "user_version");
    *v = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return 0;
}

int kith_migrate(kith_store *s)
{
    int v = 0;
    int rc = user_version(s, &v);
    if (rc) return rc;
    if (v > NVERSIONS) {
        kith_error("store: database schema version %d is newer than this kithd (%d)", v,
                   NVERSIONS);
        return KITH_ECONFIG;
    }
    for (; v < NVERSIONS; v++) {
        char bump[64];
        snprintf(bump, sizeof(bump), "PRAGMA user_version=%d", v + 1);
        if ((rc = kith_store_exec(s, "BEGIN IMMEDIATE")) < 0) return rc;
        rc = kith_store_exec(s, versions[v]);
        if (!rc) rc = kith_store_exec(s, bump);
        if (!rc) rc = kith_store_exec(s, "COMMIT");
        if (rc) {
            kith_store_exec(s, "ROLLBACK");
            kith_error("store: migration to version %d failed", v + 1);
            return rc;
        }
        kith_info("store: schema migrated to version %d", v + 1);
    }
    return 0;
}
