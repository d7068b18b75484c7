/*
 * See event.h.
 */
#include "store/event.h"
#include "store/row.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"

#include <sqlite3.h>

int kith_store_event_append(kith_store *s, const char *type, int64_t customer_id, const cJSON *data,
                            int64_t at, int64_t *seq)
{
    kith_assert(kith_store_in_request(s));
    sqlite3_stmt *st =
        kith_store_stmt(s, "INSERT INTO events(type, customer_id, data, at) VALUES (?, ?, ?, ?)");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
    if (customer_id > 0)
        sqlite3_bind_int64(st, 2, customer_id);
    else
        sqlite3_bind_null(st, 2);
    if (kith_row_bind_json(st, 3, data, "{}")) return KITH_ENOMEM;
    sqlite3_bind_int64(st, 4, at);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "append event");
    if (seq) *seq = sqlite3_last_insert_rowid(kith_store_db(s));
    return 0;
}

int kith_store_event_last_seq(kith_store *s, int64_t *seq)
{
    /* sqlite_sequence keeps the high-water mark even when the log is trimmed. */
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT seq FROM sqlite_sequence WHERE name = 'events'");
    if (!st) return KITH_EIO;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return kith_store_error(s, "last seq");
    *seq = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return 0;
}

int kith_store_event_range(kith_store *s, int64_t after, int limit, cJSON *out, int64_t *last)
{
    sqlite3_stmt *st = kith_store_stmt(
        s,
        "SELECT seq, type, customer_id, at, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int(st, 2, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *e = cJSON_CreateObject();
        *last = sqlite3_column_int64(st, 0);
        kith_json_add_int(e, "seq", *last);
        kith_row_add_str(e, "type", st, 1);
        if (sqlite3_column_type(st, 2) == SQLITE_NULL)
            cJSON_AddNullToObject(e, "customer_id");
        else
            kith_json_add_int(e, "customer_id", sqlite3_column_int64(st, 2));
        kith_json_add_int(e, "at", sqlite3_column_int64(st, 3));
        kith_row_add_json(e, "data", st, 4, "{}");
        cJSON_AddItemToArray(out, e);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, "read events");
}

int kith_store_event_scan(kith_store *s, int64_t after, int limit, kith_event_fn fn, void *ud)
{
    sqlite3_stmt *st = kith_store_stmt(
        s,
        "SELECT seq, type, customer_id, at, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int(st, 2, limit);
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fn(ud, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
           sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
           (const char *)sqlite3_column_text(st, 4), (size_t)sqlite3_column_bytes(st, 4));
        n++;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? n : kith_store_error(s, "scan events");
}

int kith_store_event_first_seq(kith_store *s, int64_t *seq)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT min(seq) FROM events");
    if (!st) return KITH_EIO;
    int rc = sqlite3_step(st);
    *seq = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : kith_store_error(s, "first seq");
}

int kith_store_event_trim(kith_store *s, int64_t before_seq, int64_t before_at, int limit)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE seq < ? AND at < ? "
           "ORDER BY seq LIMIT ?)");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, before_seq);
    sqlite3_bind_int64(st, 2, before_at);
    sqlite3_bind_int(st, 3, limit);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "trim events");
    sqlite3_reset(st);
    return sqlite3_changes(kith_store_db(s));
}

int kith_store_event_scan_filtered(kith_store *s, int64_t after, int limit, kith_event_filter want,
                                   kith_event_fn fn, void *ud)
{
    /* Column by column: SQLite reads a row's later columns (the data, often
     * on overflow pages) only when asked for them. */
    sqlite3_stmt *st = kith_store_stmt(
        s,
        "SELECT seq, type, customer_id, at, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int(st, 2, limit);
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(st, 0);
        const char *type = (const char *)sqlite3_column_text(st, 1);
        n++;
        if (!want(ud, seq, type)) continue;
        fn(ud, seq, type, sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
           (const char *)sqlite3_column_text(st, 4), (size_t)sqlite3_column_bytes(st, 4));
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? n : kith_store_error(s, "scan events");
}
