/*
 * See merge.h.  The tables to move are read from the schema
 * (pragma_foreign_key_list), so the list of a customer's children lives in
 * one place: migrate.c.  Those the merge treats itself are named below.
 */
#include "store/merge.h"
#include "store/customer.h"
#include "store/duplicate.h"
#include "store/cohort.h"
#include "store/stats.h"
#include "util/error.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* Children the merge does not simply move: combined, or the loser's own
 * derived state that the survivor re-derives. */
static const char *const special[] = {"customer_stats",
                                      "loyalty_accounts",
                                      "customer_tags",
                                      "segment_members",
                                      "churn_scores",
                                      "match_keys",
                                      NULL};

static int is_special(const char *table)
{
    for (int i = 0; special[i]; i++)
        if (strcmp(special[i], table) == 0) return 1;
    return 0;
}

static int exec_ids(kith_store *s, const char *sql, int64_t a, int64_t b, const char *what)
{
    sqlite3_stmt *st = kith_store_stmt_text(s, sql);
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : kith_store_error(s, what);
}

/* Moves the rows of every child table from `from` to `into`. */
static int move_children(kith_store *s, int64_t into, int64_t from)
{
    sqlite3_stmt *list = kith_store_stmt(
        s, "SELECT m.name, p.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) p "
           "WHERE m.type = 'table' AND p.\"table\" = 'customers' ORDER BY m.name");
    if (!list) return KITH_EIO;
    char tables[64][64], cols[64][64];
    int n = 0, rc;
    while ((rc = sqlite3_step(list)) == SQLITE_ROW && n < 64) {
        const char *t = (const char *)sqlite3_column_text(list, 0);
        const char *c = (const char *)sqlite3_column_text(list, 1);
        if (!t || !c || is_special(t)) continue;
        snprintf(tables[n], sizeof(tables[n]), "%s", t);
        snprintf(cols[n], sizeof(cols[n]), "%s", c);
        n++;
    }
    sqlite3_reset(list);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return kith_store_error(s, "list child tables");
    for (int i = 0; i < n; i++) {
        char sql[320];
        /* Names come from the schema, not from a user. */
        snprintf(sql, sizeof(sql),
                 "UPDATE OR IGNORE \"%.63s\" SET \"%.63s\" = ?1 WHERE \"%.63s\" = ?2", tables[i],
                 cols[i], cols[i]);
        if ((rc = exec_ids(s, sql, into, from, "move child rows")) < 0) return rc;
    }
    /* The audit trail names customers without a foreign key (it outlives
     * them); the merged customer's trail is the survivor's now. */
    return exec_ids(s, "UPDATE audit SET customer_id = ?1 WHERE customer_id = ?2", into, from,
                    "move audit rows");
}

static int combine_stats(kith_store *s, int64_t into, int64_t from)
{
    kith_customer_stats a, b;
    int rc = kith_store_stats_get(s, into, &a);
    if (!rc) rc = kith_store_stats_get(s, from, &b);
    if (rc) return rc;
    kith_stats_combine(&a, &b);
    return kith_store_stats_put(s, into, &a);
}

static int combine_points(kith_store *s, int64_t into, int64_t from)
{
    int rc = exec_ids(s,
                      "INSERT OR IGNORE INTO loyalty_accounts(customer_id) SELECT ?1 WHERE EXISTS "
                      "(SELECT 1 FROM loyalty_accounts WHERE customer_id = ?2)",
                      into, from, "open account");
    if (!rc)
        rc = exec_ids(s,
                      "UPDATE loyalty_accounts SET points = points + coalesce((SELECT points FROM "
                      "loyalty_accounts WHERE customer_id = ?2), 0), lifetime = lifetime + "
                      "coalesce((SELECT lifetime FROM loyalty_accounts WHERE customer_id = ?2), 0) "
                      "WHERE customer_id = ?1",
                      into, from, "add points");
    return rc;
}

int kith_store_customer_merge(kith_store *s, int64_t into, int64_t from, int64_t now)
{
    int rc = combine_stats(s, into, from);
    if (!rc) rc = combine_points(s, into, from);
    if (!rc) rc = kith_cohort_forget(s, from);
    if (!rc) rc = move_children(s, into, from);
    if (!rc) rc = kith_store_stats_recount_days(s, into);
    if (!rc) rc = kith_cohort_recount(s, into);
    if (!rc) rc = kith_store_dup_merged(s, into, from, now);
    if (!rc)
        rc = exec_ids(s, "UPDATE customer_aliases SET new_id = ?1 WHERE new_id = ?2", into, from,
                      "re-point aliases");
    if (!rc) {
        sqlite3_stmt *st = kith_store_stmt(
            s, "INSERT OR REPLACE INTO customer_aliases(old_id, new_id, at) VALUES (?, ?, ?)");
        if (!st) return KITH_EIO;
        sqlite3_bind_int64(st, 1, from);
        sqlite3_bind_int64(st, 2, into);
        sqlite3_bind_int64(st, 3, now);
        if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "record alias");
    }
    if (!rc) rc = kith_store_customer_delete(s, from);
    return rc;
}

int kith_store_customer_alias(kith_store *s, int64_t id, int64_t *into)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT new_id FROM customer_aliases WHERE old_id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    if (rc != SQLITE_ROW) return kith_store_error(s, "find alias");
    *into = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}
