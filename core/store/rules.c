/*
 * See rules.h.
 */
#include "store/rules.h"
#include "store/row.h"
#include "util/error.h"
#include "util/json.h"

#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int step_done(kith_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return kith_store_error(s, what);
    sqlite3_reset(st);
    return 0;
}

int kith_store_segment_define(kith_store *s, const char *name, const char *description,
                              const char *hash, int *changed)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT definition_hash FROM segments WHERE name = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int differs = rc != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), hash) != 0;
    sqlite3_reset(st);
    if (changed) *changed = differs;
    st = kith_store_stmt(s, "INSERT INTO segments(name, description, definition_hash) "
                            "VALUES (?1, ?2, ?3) ON CONFLICT(name) DO UPDATE SET "
                            "description = ?2, definition_hash = ?3");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, description, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, hash, -1, SQLITE_TRANSIENT);
    return step_done(s, st, "define segment");
}

int kith_store_segment_prune(kith_store *s, const cJSON *keep)
{
    char *text = cJSON_PrintUnformatted(keep);
    if (!text) return KITH_ENOMEM;
    /* Named through the segments table so the (segment, customer_id) key
     * finds the members: NOT IN over the members scanned all of them, which
     * made every start and reload as slow as the customer count. */
    sqlite3_stmt *st = kith_store_stmt(
        s, "DELETE FROM segment_members WHERE segment IN (SELECT name FROM segments WHERE name "
           "NOT IN (SELECT value FROM json_each(?1)))");
    int rc = st ? 0 : KITH_EIO;
    if (!rc) {
        sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
        rc = step_done(s, st, "prune members");
    }
    if (!rc &&
        (st = kith_store_stmt(
             s, "DELETE FROM segments WHERE name NOT IN (SELECT value FROM json_each(?1))"))) {
        sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
        rc = step_done(s, st, "prune segments");
    }
    free(text);
    return rc;
}

int kith_store_segment_of(kith_store *s, int64_t id, cJSON *names)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT segment FROM segment_members WHERE customer_id = ? ORDER BY segment");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        cJSON_AddItemToArray(names, cJSON_CreateString((const char *)sqlite3_column_text(st, 0)));
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, "segments of");
}

int kith_store_segment_has(kith_store *s, const char *segment, int64_t id)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT 1 FROM segment_members WHERE segment = ? AND customer_id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, segment, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 1;
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, "segment member");
}

static int resize(kith_store *s, const char *segment, int delta)
{
    sqlite3_stmt *st = kith_store_stmt(s, "UPDATE segments SET size = size + ? WHERE name = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int(st, 1, delta);
    sqlite3_bind_text(st, 2, segment, -1, SQLITE_TRANSIENT);
    return step_done(s, st, "segment size");
}

int kith_store_segment_add(kith_store *s, const char *segment, int64_t id, int64_t since)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT OR IGNORE INTO segment_members(segment, customer_id, since) VALUES (?, ?, ?)");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, segment, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int64(st, 3, since);
    int rc = step_done(s, st, "add member");
    if (!rc && sqlite3_changes(kith_store_db(s))) rc = resize(s, segment, 1);
    return rc;
}

int kith_store_segment_remove(kith_store *s, const char *segment, int64_t id)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "DELETE FROM segment_members WHERE segment = ? AND customer_id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, segment, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, id);
    int rc = step_done(s, st, "remove member");
    if (!rc && sqlite3_changes(kith_store_db(s))) rc = resize(s, segment, -1);
    return rc;
}

int kith_store_segment_list(kith_store *s, cJSON *out)
{
    /* Deleted customers leave their memberships by cascade, which bypasses
     * the size counter: count those segments afresh only when they differ. */
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT s.name, s.description, (SELECT count(*) FROM segment_members m "
           "WHERE m.segment = s.name), s.refreshed_at FROM segments s ORDER BY s.name");
    if (!st) return KITH_EIO;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();
        kith_row_add_str(o, "name", st, 0);
        kith_row_add_str(o, "description", st, 1);
        kith_json_add_int(o, "size", sqlite3_column_int64(st, 2));
        kith_row_add_time(o, "refreshed_at", st, 3);
        cJSON_AddItemToArray(out, o);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, "list segments");
}

int kith_store_segment_exists(kith_store *s, const char *name)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT 1 FROM segments WHERE name = ?");
    if (!st) return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return found;
}

int kith_store_segment_refreshed(kith_store *s, const char *segment, int64_t at)
{
    sqlite3_stmt *st = kith_store_stmt(s, "UPDATE segments SET refreshed_at = ? WHERE name = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, at);
    sqlite3_bind_text(st, 2, segment, -1, SQLITE_TRANSIENT);
    return step_done(s, st, "segment refreshed");
}

int kith_store_customer_ids(kith_store *s, int64_t after_id, int limit, int64_t *ids, int *n)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT id FROM customers WHERE id > ? ORDER BY id LIMIT ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int(st, 2, limit);
    return kith_row_ids(s, st, limit, ids, n, "customer ids");
}

int kith_store_churn_get(kith_store *s, int64_t id, cJSON **out, int *warned)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT risk, reasons, evaluated_at, warned FROM churn_scores WHERE customer_id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    if (rc != SQLITE_ROW) return kith_store_error(s, "churn get");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "risk", sqlite3_column_double(st, 0));
    kith_row_add_json(o, "reasons", st, 1, "[]");
    kith_row_add_time(o, "evaluated_at", st, 2);
    if (warned) *warned = sqlite3_column_int(st, 3);
    sqlite3_reset(st);
    *out = o;
    return 0;
}

/* Binds a churn row to ?1..?5 of `st` and runs it. */
static int churn_step(kith_store *s, sqlite3_stmt *st, int64_t id, double risk,
                      const cJSON *reasons, int64_t at, int warned)
{
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_double(st, 2, risk);
    if (kith_row_bind_json(st, 3, reasons, "[]")) return KITH_ENOMEM;
    sqlite3_bind_int64(st, 4, at);
    sqlite3_bind_int(st, 5, warned);
    return step_done(s, st, "churn put");
}

int kith_store_churn_put(kith_store *s, int64_t id, double risk, const cJSON *reasons, int64_t at,
                         int warned)
{
    /* An unchanged risk leaves its index entry alone: rewriting it cost a
     * random page of WAL at every evaluation. */
    int rc = churn_step(s,
                        kith_store_stmt(s, "UPDATE churn_scores SET reasons = ?3, "
                                           "evaluated_at = ?4, warned = ?5 "
                                           "WHERE customer_id = ?1 AND risk = ?2"),
                        id, risk, reasons, at, warned);
    if (rc < 0 || sqlite3_changes(kith_store_db(s)) == 1) return rc;
    return churn_step(s,
                      kith_store_stmt(s, "INSERT INTO churn_scores(customer_id, risk, reasons, "
                                         "evaluated_at, warned) VALUES (?1, ?2, ?3, ?4, ?5) "
                                         "ON CONFLICT(customer_id) DO UPDATE SET risk = ?2, "
                                         "reasons = ?3, evaluated_at = ?4, warned = ?5"),
                      id, risk, reasons, at, warned);
}

static cJSON *churn_row(sqlite3_stmt *st, void *unused)
{
    (void)unused;
    cJSON *o = cJSON_CreateObject();
    kith_json_add_int(o, "customer_id", sqlite3_column_int64(st, 0));
    cJSON_AddNumberToObject(o, "risk", sqlite3_column_double(st, 1));
    kith_row_add_json(o, "reasons", st, 2, "[]");
    kith_row_add_time(o, "evaluated_at", st, 3);
    return o;
}

int kith_store_churn_list(kith_store *s, double min_risk, int limit, const kith_cursor *after,
                          cJSON *items, int *more, kith_cursor *next)
{
    /* Risk is a real in 0..1; the cursor keeps it scaled to an integer key
     * (micro-units), which orders the same way. */
    const char *sql =
        after ? "SELECT customer_id, risk, reasons, evaluated_at, CAST(round(risk * 1000000) AS "
                "INTEGER) FROM churn_scores WHERE risk >= ?1 AND (CAST(round(risk * 1000000) AS "
                "INTEGER) < ?3 OR (CAST(round(risk * 1000000) AS INTEGER) = ?3 AND customer_id > "
                "?4)) ORDER BY 5 DESC, customer_id LIMIT ?2"
              : "SELECT customer_id, risk, reasons, evaluated_at, CAST(round(risk * 1000000) AS "
                "INTEGER) FROM churn_scores WHERE risk >= ?1 ORDER BY 5 DESC, customer_id LIMIT ?2";
    sqlite3_stmt *st = kith_store_stmt(s, sql);
    if (!st) return KITH_EIO;
    sqlite3_bind_double(st, 1, min_risk);
    sqlite3_bind_int(st, 2, limit + 1);
    if (after) {
        sqlite3_bind_int64(st, 3, after->key);
        sqlite3_bind_int64(st, 4, after->id);
    }
    return kith_row_page(s, st, limit, 4, 0, churn_row, NULL, items, more, next);
}

int kith_store_meta_get(kith_store *s, const char *key, int64_t *value, int64_t fallback)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT value FROM meta WHERE key = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    *value =
        rc == SQLITE_ROW ? strtoll((const char *)sqlite3_column_text(st, 0), NULL, 10) : fallback;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : kith_store_error(s, "meta get");
}

int kith_store_meta_set(kith_store *s, const char *key, int64_t value)
{
    sqlite3_stmt *st = kith_store_stmt(s, "INSERT INTO meta(key, value) VALUES (?1, ?2) "
                                          "ON CONFLICT(key) DO UPDATE SET value = ?2");
    if (!st) return KITH_EIO;
    char text[32];
    snprintf(text, sizeof(text), "%" PRId64, value);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
    return step_done(s, st, "meta set");
}
