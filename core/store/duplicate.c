/*
 * See duplicate.h.
 */
#include "store/duplicate.h"
#include "store/row.h"
#include "util/error.h"
#include "util/json.h"
#include "util/jsonw.h"

#include <sqlite3.h>

static int step_done(kith_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, what);
}

int kith_store_match_keys_set(kith_store *s, int64_t id, const char *const *keys, int n)
{
    sqlite3_stmt *del = kith_store_stmt(s, "DELETE FROM match_keys WHERE customer_id = ?");
    if (!del) return KITH_EIO;
    sqlite3_bind_int64(del, 1, id);
    int rc = step_done(s, del, "clear match keys");
    for (int i = 0; i < n && !rc; i++) {
        sqlite3_stmt *ins =
            kith_store_stmt(s, "INSERT OR IGNORE INTO match_keys(key, customer_id) VALUES (?, ?)");
        if (!ins) return KITH_EIO;
        sqlite3_bind_text(ins, 1, keys[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 2, id);
        rc = step_done(s, ins, "add match key");
    }
    return rc;
}

int kith_store_match_candidates(kith_store *s, int64_t id, int cap, int64_t *ids, int *n)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT DISTINCT o.customer_id FROM match_keys m "
                           "JOIN match_keys o ON o.key = m.key AND o.customer_id != m.customer_id "
                           "WHERE m.customer_id = ?1 ORDER BY o.customer_id LIMIT ?2");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, cap);
    return kith_row_ids(s, st, cap, ids, n, "match candidates");
}

int kith_store_dup_clear_open(kith_store *s, int64_t id)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "DELETE FROM duplicate_pairs WHERE (a = ?1 OR b = ?1) AND status = 'open'");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    return step_done(s, st, "clear pairs");
}

int kith_store_dup_put(kith_store *s, int64_t x, int64_t y, double score, const cJSON *reasons,
                       int64_t now)
{
    kith_buf text;
    kith_buf_init(&text);
    if (kith_json_write(&text, reasons) < 0) {
        kith_buf_release(&text);
        return KITH_ENOMEM;
    }
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO duplicate_pairs(a, b, score, reasons, status, created_at, updated_at) "
           "VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?5) ON CONFLICT(a, b) DO UPDATE SET "
           "score = excluded.score, reasons = excluded.reasons, updated_at = excluded.updated_at "
           "WHERE status = 'open'");
    if (!st) {
        kith_buf_release(&text);
        return KITH_EIO;
    }
    sqlite3_bind_int64(st, 1, x < y ? x : y);
    sqlite3_bind_int64(st, 2, x < y ? y : x);
    sqlite3_bind_double(st, 3, score);
    sqlite3_bind_text(st, 4, kith_buf_head(&text), (int)kith_buf_size(&text), SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, now);
    kith_buf_release(&text);
    return step_done(s, st, "put pair");
}

int kith_store_dup_dismiss(kith_store *s, int64_t x, int64_t y, int64_t now)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO duplicate_pairs(a, b, score, status, created_at, updated_at) "
           "VALUES (?1, ?2, 0, 'dismissed', ?3, ?3) ON CONFLICT(a, b) DO UPDATE SET "
           "status = 'dismissed', updated_at = excluded.updated_at WHERE status != 'merged'");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, x < y ? x : y);
    sqlite3_bind_int64(st, 2, x < y ? y : x);
    sqlite3_bind_int64(st, 3, now);
    return step_done(s, st, "dismiss pair");
}

int kith_store_dup_merged(kith_store *s, int64_t into, int64_t from, int64_t now)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "UPDATE duplicate_pairs SET status = 'merged', updated_at = ?3 "
                           "WHERE a = min(?1, ?2) AND b = max(?1, ?2)");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, into);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, now);
    int rc = step_done(s, st, "merge pair");
    sqlite3_stmt *del = kith_store_stmt(
        s, "DELETE FROM duplicate_pairs WHERE (a = ?1 OR b = ?1) AND status != 'merged'");
    if (!del) return KITH_EIO;
    sqlite3_bind_int64(del, 1, from);
    return rc ? rc : step_done(s, del, "drop pairs");
}

/* Open and dismissed pairs count only while both customers exist (a pair
 * may outlive a customer deleted outside a merge only until the trigger
 * runs, but a restored backup of old data may hold some). */
#define BOTH_EXIST                                                                                 \
    "(p.status = 'merged' OR (EXISTS (SELECT 1 FROM customers c WHERE c.id = p.a) AND "            \
    "EXISTS (SELECT 1 FROM customers c WHERE c.id = p.b)))"

int kith_store_dup_count_open(kith_store *s, int64_t *n)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT count(*) FROM duplicate_pairs p WHERE p.status = 'open' AND " BOTH_EXIST);
    if (!st) return KITH_EIO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : kith_store_error(s, "count pairs");
}

static cJSON *from_row(sqlite3_stmt *st, void *unused)
{
    (void)unused;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    int rc = kith_json_add_int(o, "a", sqlite3_column_int64(st, 0));
    rc |= kith_json_add_int(o, "b", sqlite3_column_int64(st, 1));
    rc |= cJSON_AddNumberToObject(o, "score", sqlite3_column_double(st, 2)) ? 0 : KITH_ENOMEM;
    rc |= kith_row_add_json(o, "reasons", st, 3, "[]");
    rc |= kith_row_add_str(o, "status", st, 4);
    rc |= kith_row_add_time(o, "updated_at", st, 5);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int kith_store_dup_list(kith_store *s, const kith_dup_filter *f, int limit,
                        const kith_cursor *after, cJSON *items, int *more, kith_cursor *next)
{
    /* Two shapes: one customer's pairs (two index lookups), or all pairs of
     * a status in (a, b) order from the status index. */
    sqlite3_stmt *st = kith_store_stmt(
        s, f->customer_id
               ? "SELECT a, b, score, reasons, status, updated_at FROM duplicate_pairs p "
                 "WHERE (p.a = ?1 OR p.b = ?1) AND p.status = ?2 AND p.score >= ?3 "
                 "AND (p.a > ?4 OR (p.a = ?4 AND p.b > ?5)) AND " BOTH_EXIST
                 " ORDER BY p.a, p.b LIMIT ?6"
               : "SELECT a, b, score, reasons, status, updated_at FROM duplicate_pairs p "
                 "WHERE p.status = ?2 AND p.score >= ?3 "
                 "AND (p.a > ?4 OR (p.a = ?4 AND p.b > ?5)) AND " BOTH_EXIST
                 " AND ?1 = 0 ORDER BY p.a, p.b LIMIT ?6");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, f->customer_id);
    sqlite3_bind_text(st, 2, f->status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 3, f->min_score);
    sqlite3_bind_int64(st, 4, after ? after->key : 0);
    sqlite3_bind_int64(st, 5, after ? after->id : 0);
    sqlite3_bind_int(st, 6, limit + 1);
    return kith_row_page(s, st, limit, 0, 1, from_row, NULL, items, more, next);
}
