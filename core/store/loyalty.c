/*
 * See loyalty.h.  Every write here changes the ledger and the account
 * together, inside the caller's request, so the invariants of the design
 * notes hold at every commit.
 */
#include "store/loyalty.h"
#include "store/rollup.h"
#include "store/row.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENTRY_COLUMNS "id, customer_id, kind, points, reason, at, expires_at"
#define MAX_EXPIRING  10

static cJSON *entry_from_row(sqlite3_stmt *st, void *unused)
{
    (void)unused;
    cJSON *e = cJSON_CreateObject();
    if (!e) return NULL;
    int rc = kith_json_add_int(e, "id", sqlite3_column_int64(st, 0));
    rc |= kith_json_add_int(e, "customer_id", sqlite3_column_int64(st, 1));
    rc |= kith_row_add_str(e, "kind", st, 2);
    rc |= kith_json_add_int(e, "points", sqlite3_column_int64(st, 3));
    rc |= kith_row_add_str(e, "reason", st, 4);
    rc |= kith_row_add_time(e, "at", st, 5);
    rc |= kith_row_add_time(e, "expires_at", st, 6);
    if (rc) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

/* Reads back the entry just inserted, so callers see exactly what is stored. */
static int reload_entry(kith_store *s, cJSON **entry)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT " ENTRY_COLUMNS " FROM loyalty_ledger WHERE id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, sqlite3_last_insert_rowid(kith_store_db(s)));
    if (sqlite3_step(st) != SQLITE_ROW) return kith_store_error(s, "reload ledger entry");
    *entry = entry_from_row(st, NULL);
    sqlite3_reset(st);
    return *entry ? 0 : KITH_ENOMEM;
}

/* The "points" rollup (README "Measuring": the loyalty report): points
 * moved per day under dim kind (award, redeem, expire); x is signed.
 * Deferred to the pass's commit (rollup.h note 4): every order awards
 * points, and two upserts per award were 3% of an order's instructions. */
static int count_points(kith_store *s, const char *kind, int64_t points, int64_t at)
{
    int rc = kith_rollup_add(s, "points", "", "", at, 1, (double)points);
    return rc ? rc : kith_rollup_add(s, "points", "kind", kind, at, 1, (double)points);
}

static int insert_entry(kith_store *s, int64_t customer_id, const char *kind, int64_t points,
                        const char *reason, int64_t at, int64_t expires_at, int64_t remaining)
{
    int rc = count_points(s, kind, points, at);
    if (rc) return rc;
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO loyalty_ledger(customer_id, kind, points, reason, at, expires_at, "
           "remaining) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, customer_id);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, points);
    kith_row_bind_str(st, 4, reason);
    sqlite3_bind_int64(st, 5, at);
    if (expires_at == KITH_TIME_NONE)
        sqlite3_bind_null(st, 6);
    else
        sqlite3_bind_int64(st, 6, expires_at);
    sqlite3_bind_int64(st, 7, remaining);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : kith_store_error(s, "insert ledger entry");
}

/* Adds the deltas to the account, creating it first when missing. */
static int account_add(kith_store *s, int64_t customer_id, int64_t points, int64_t lifetime)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO loyalty_accounts(customer_id, points, lifetime) VALUES (?1, ?2, ?3) "
           "ON CONFLICT(customer_id) DO UPDATE SET points = points + ?2, lifetime = lifetime + ?3");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, customer_id);
    sqlite3_bind_int64(st, 2, points);
    sqlite3_bind_int64(st, 3, lifetime);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : kith_store_error(s, "update account");
}

const char *kith_loyalty_tier_for(const kith_tier *tiers, size_t n, int64_t lifetime)
{
    const kith_tier *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (tiers[i].min <= lifetime && (!best || tiers[i].min >= best->min)) best = &tiers[i];
    return best ? best->name : NULL;
}

int kith_store_loyalty_account_get(kith_store *s, int64_t customer_id, kith_loyalty_account *acct)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT points, lifetime, tier FROM loyalty_accounts WHERE customer_id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, customer_id);
    memset(acct, 0, sizeof(*acct));
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return kith_store_error(s, "get account");
    acct->points = sqlite3_column_int64(st, 0);
    acct->lifetime = sqlite3_column_int64(st, 1);
    const char *tier = (const char *)sqlite3_column_text(st, 2);
    snprintf(acct->tier, sizeof(acct->tier), "%s", tier ? tier : "");
    sqlite3_reset(st);
    return 0;
}

int kith_store_loyalty_set_tier(kith_store *s, int64_t customer_id, const char *tier)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "INSERT INTO loyalty_accounts(customer_id, tier) VALUES (?1, ?2) "
                           "ON CONFLICT(customer_id) DO UPDATE SET tier = ?2");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, customer_id);
    kith_row_bind_str(st, 2, tier);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : kith_store_error(s, "set tier");
}

/* What is left of the customer's awards that lapsed by `now` (note 3). */
static int lapsed(kith_store *s, int64_t customer_id, int64_t now, int64_t *points)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT coalesce(sum(remaining), 0) FROM loyalty_ledger "
                           "WHERE customer_id = ? AND remaining > 0 AND expires_at <= ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, customer_id);
    sqlite3_bind_int64(st, 2, now);
    if (sqlite3_step(st) != SQLITE_ROW) return kith_store_error(s, "lapsed points");
    *points = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

int kith_store_loyalty_available(kith_store *s, int64_t customer_id, int64_t now, int64_t *points)
{
    kith_loyalty_account acct;
    int64_t dead = 0;
    int rc = kith_store_loyalty_account_get(s, customer_id, &acct);
    if (!rc) rc = lapsed(s, customer_id, now, &dead);
    if (rc) return rc;
    *points = acct.points - dead;
    return 0;
}

int kith_store_loyalty_award(kith_store *s, int64_t customer_id, int64_t points, const char *reason,
                             int64_t at, int64_t expires_at, int64_t *balance, cJSON **entry)
{
    *entry = NULL;
    int rc = insert_entry(s, customer_id, "award", points, reason, at, expires_at, points);
    if (!rc) rc = reload_entry(s, entry);
    if (!rc) rc = account_add(s, customer_id, points, points);
    if (!rc && balance) rc = kith_store_loyalty_available(s, customer_id, at, balance);
    if (rc) {
        cJSON_Delete(*entry);
        *entry = NULL;
    }
    return rc;
}

/* Takes up to `want` points from the customer's live awards in the order of
 * note 4; *taken says how many it found.  One award at a time, re-picked
 * after each update: no query is stepped over a table that changes under
 * it, and no cached statement is held while another is fetched (the cache
 * may evict it). */
static int consume(kith_store *s, int64_t customer_id, int64_t at, int64_t want, int64_t *taken)
{
    *taken = 0;
    while (*taken < want) {
        sqlite3_stmt *st = kith_store_stmt(
            s, "SELECT id, remaining FROM loyalty_ledger WHERE customer_id = ?1 AND remaining > 0 "
               "AND (expires_at IS NULL OR expires_at > ?2) "
               "ORDER BY expires_at IS NULL, expires_at, id LIMIT 1");
        if (!st) return KITH_EIO;
        sqlite3_bind_int64(st, 1, customer_id);
        sqlite3_bind_int64(st, 2, at);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) return kith_store_error(s, "pick award");
        int64_t id = sqlite3_column_int64(st, 0), left = sqlite3_column_int64(st, 1);
        sqlite3_reset(st);
        int64_t use = left < want - *taken ? left : want - *taken;
        st = kith_store_stmt(s, "UPDATE loyalty_ledger SET remaining = remaining - ? WHERE id = ?");
        if (!st) return KITH_EIO;
        sqlite3_bind_int64(st, 1, use);
        sqlite3_bind_int64(st, 2, id);
        if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "consume award");
        *taken += use;
    }
    return 0;
}

int kith_store_loyalty_redeem(kith_store *s, int64_t customer_id, int64_t points,
                              const char *reason, int64_t at, int64_t *balance, cJSON **entry)
{
    *entry = NULL;
    int64_t before, taken;
    int rc = kith_store_loyalty_available(s, customer_id, at, &before);
    if (rc) return rc;
    if (points > before) {
        *balance = before;
        return KITH_ECONFLICT;
    }
    if ((rc = consume(s, customer_id, at, points, &taken))) return rc;
    if (taken != points) {
        /* The account said the points were there and the awards disagree:
         * the ledger is corrupt, so refuse rather than go negative. */
        kith_error("store: customer %lld: the account shows %lld points, its awards only %lld",
                   (long long)customer_id, (long long)before, (long long)taken);
        return KITH_EINTERNAL;
    }
    rc = insert_entry(s, customer_id, "redeem", -points, reason, at, KITH_TIME_NONE, 0);
    if (!rc) rc = reload_entry(s, entry);
    if (!rc) rc = account_add(s, customer_id, -points, 0);
    if (!rc) *balance = before - points;
    if (rc) {
        cJSON_Delete(*entry);
        *entry = NULL;
    }
    return rc;
}

struct lapse {
    int64_t id, customer_id, remaining, expires_at;
};

/* Books the expiry of one award (note 5) and appends its entry to `entries`. */
static int expire_one(kith_store *s, const struct lapse *l, cJSON *entries)
{
    sqlite3_stmt *ins = kith_store_stmt(
        s, "INSERT INTO loyalty_ledger(customer_id, kind, points, reason, at, expires_at, "
           "remaining) SELECT customer_id, 'expire', -remaining, 'expired: ' || reason, "
           "expires_at, NULL, 0 FROM loyalty_ledger WHERE id = ?");
    if (!ins) return KITH_EIO;
    sqlite3_bind_int64(ins, 1, l->id);
    if (sqlite3_step(ins) != SQLITE_DONE) return kith_store_error(s, "insert expiry");
    cJSON *entry = NULL;
    int rc = entries ? reload_entry(s, &entry) : 0;
    if (!rc) rc = count_points(s, "expire", -l->remaining, l->expires_at);
    if (rc) return rc;
    if (entry) cJSON_AddItemToArray(entries, entry);
    sqlite3_stmt *zero = kith_store_stmt(s, "UPDATE loyalty_ledger SET remaining = 0 WHERE id = ?");
    if (!zero) return KITH_EIO;
    sqlite3_bind_int64(zero, 1, l->id);
    if (sqlite3_step(zero) != SQLITE_DONE) return kith_store_error(s, "expire award");
    return account_add(s, l->customer_id, -l->remaining, 0);
}

int kith_store_loyalty_expire(kith_store *s, int64_t now, int limit, cJSON *entries, int *expired)
{
    *expired = 0;
    if (limit <= 0) return 0;
    struct lapse *v = malloc((size_t)limit * sizeof(*v));
    if (!v) return KITH_ENOMEM;
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT id, customer_id, remaining, expires_at FROM loyalty_ledger "
           "WHERE remaining > 0 AND expires_at <= ? ORDER BY expires_at, id LIMIT ?");
    int n = 0, rc = st ? 0 : KITH_EIO;
    if (!rc) {
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int(st, 2, limit);
        /* Collect the slice first: the rows are changed below, and a query
         * must not be stepped over a table it is changing. */
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            v[n].id = sqlite3_column_int64(st, 0);
            v[n].customer_id = sqlite3_column_int64(st, 1);
            v[n].remaining = sqlite3_column_int64(st, 2);
            v[n].expires_at = sqlite3_column_int64(st, 3);
            n++;
        }
        rc = rc == SQLITE_DONE ? 0 : kith_store_error(s, "find lapsed awards");
        sqlite3_reset(st);
    }
    for (int i = 0; i < n && !rc; i++)
        if (!(rc = expire_one(s, &v[i], entries))) ++*expired;
    free(v);
    return rc;
}

/* The open awards with an expiry still ahead at `now`, soonest first. */
static int add_expiring(kith_store *s, int64_t customer_id, int64_t now, cJSON *out)
{
    cJSON *list = cJSON_AddArrayToObject(out, "expiring");
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT remaining, expires_at FROM loyalty_ledger WHERE customer_id = ? "
                           "AND remaining > 0 AND expires_at > ? ORDER BY expires_at, id LIMIT ?");
    if (!list) return KITH_ENOMEM;
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, customer_id);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int(st, 3, MAX_EXPIRING);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *e = cJSON_CreateObject();
        if (!e || kith_json_add_int(e, "points", sqlite3_column_int64(st, 0)) ||
            kith_json_add_time(e, "at", sqlite3_column_int64(st, 1))) {
            cJSON_Delete(e);
            sqlite3_reset(st);
            return KITH_ENOMEM;
        }
        cJSON_AddItemToArray(list, e);
    }
    rc = rc == SQLITE_DONE ? 0 : kith_store_error(s, "expiring points");
    sqlite3_reset(st);
    return rc;
}

int kith_store_loyalty_balance(kith_store *s, int64_t customer_id, int64_t now, cJSON **out)
{
    kith_loyalty_account acct;
    int64_t dead = 0;
    *out = NULL;
    int rc = kith_store_loyalty_account_get(s, customer_id, &acct);
    if (!rc) rc = lapsed(s, customer_id, now, &dead);
    if (rc) return rc;
    cJSON *b = cJSON_CreateObject();
    if (!b) return KITH_ENOMEM;
    rc = kith_json_add_int(b, "points", acct.points - dead);
    rc |= kith_json_add_int(b, "lifetime", acct.lifetime);
    rc |= kith_json_add_str(b, "tier", acct.tier[0] ? acct.tier : NULL);
    if (!rc) rc = add_expiring(s, customer_id, now, b);
    if (rc) {
        cJSON_Delete(b);
        return rc < 0 ? rc : KITH_ENOMEM;
    }
    *out = b;
    return 0;
}

int kith_store_loyalty_history(kith_store *s, int64_t customer_id, int limit,
                               const kith_cursor *after, cJSON *items, int *more, kith_cursor *next)
{
    const char *sql =
        after ? "SELECT " ENTRY_COLUMNS " FROM loyalty_ledger WHERE customer_id = ?1 "
                "AND (at < ?3 OR (at = ?3 AND id < ?4)) ORDER BY at DESC, id DESC LIMIT ?2"
              : "SELECT " ENTRY_COLUMNS " FROM loyalty_ledger WHERE customer_id = ?1 "
                "ORDER BY at DESC, id DESC LIMIT ?2";
    sqlite3_stmt *st = kith_store_stmt(s, sql);
    if (!st) return KITH_EIO;
    kith_row_bind_history(st, customer_id, limit, after);
    return kith_row_page(s, st, limit, 5, 0, entry_from_row, NULL, items, more, next);
}
