/*
 * See row.h.
 */
#include "store/row.h"
#include "util/error.h"
#include "util/json.h"
#include "util/jsonw.h"

#include <stdlib.h>

int kith_row_bind_str(sqlite3_stmt *st, int idx, const char *s)
{
    return s ? sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, idx);
}

int kith_row_bind_json(sqlite3_stmt *st, int idx, const cJSON *v, const char *fallback)
{
    if (!v) return sqlite3_bind_text(st, idx, fallback, -1, SQLITE_STATIC);
    kith_buf text;
    kith_buf_init(&text);
    if (kith_json_write(&text, v) < 0) {
        kith_buf_release(&text);
        return SQLITE_NOMEM;
    }
    /* The buffer's storage passes to SQLite, which frees it. */
    return sqlite3_bind_text(st, idx, text.data, (int)kith_buf_size(&text), free);
}

int kith_row_add_str(cJSON *obj, const char *key, sqlite3_stmt *st, int col)
{
    return kith_json_add_str(obj, key, (const char *)sqlite3_column_text(st, col));
}

int kith_row_add_time(cJSON *obj, const char *key, sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return cJSON_AddNullToObject(obj, key) ? 0 : KITH_ENOMEM;
    return kith_json_add_time(obj, key, sqlite3_column_int64(st, col));
}

int kith_row_add_json(cJSON *obj, const char *key, sqlite3_stmt *st, int col, const char *fallback)
{
    const char *text = (const char *)sqlite3_column_text(st, col);
    int n = sqlite3_column_bytes(st, col);
    cJSON *v = text ? cJSON_ParseWithLength(text, (size_t)n) : NULL;
    if (!v) v = cJSON_Parse(fallback);
    if (!v) return KITH_ENOMEM;
    cJSON_AddItemToObject(obj, key, v);
    return 0;
}

void kith_row_bind_history(sqlite3_stmt *st, int64_t customer_id, int limit,
                           const kith_cursor *after)
{
    sqlite3_bind_int64(st, 1, customer_id);
    sqlite3_bind_int(st, 2, limit + 1);
    if (after) {
        sqlite3_bind_int64(st, 3, after->key);
        sqlite3_bind_int64(st, 4, after->id);
    }
}

int kith_row_page(kith_store *s, sqlite3_stmt *st, int limit, int key_col, int id_col,
                  kith_row_builder build, void *arg, cJSON *items, int *more, kith_cursor *next)
{
    int n = 0, rc;
    *more = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == limit) {
            *more = 1;
            break;
        }
        cJSON *rec = build(st, arg);
        if (!rec) {
            sqlite3_reset(st);
            return KITH_ENOMEM;
        }
        cJSON_AddItemToArray(items, rec);
        next->key = sqlite3_column_int64(st, key_col);
        next->id = sqlite3_column_int64(st, id_col);
        n++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        int err = kith_store_error(s, "list");
        sqlite3_reset(st);
        return err;
    }
    sqlite3_reset(st);
    return 0;
}

int kith_row_one(kith_store *s, sqlite3_stmt *st, kith_row_builder build, void *arg,
                 const char *what, cJSON **out)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = build(st, arg);
        rc = *out ? 0 : KITH_ENOMEM;
    } else {
        /* The error before the reset: the reset would clear its message. */
        rc = rc == SQLITE_DONE ? KITH_ENOTFOUND : kith_store_error(s, what);
    }
    sqlite3_reset(st);
    return rc;
}

int kith_row_ids(kith_store *s, sqlite3_stmt *st, int limit, int64_t *ids, int *n, const char *what)
{
    int rc = SQLITE_DONE;
    *n = 0;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    /* A full page may stop before SQLite said it was done: not an error. */
    rc = *n < limit && rc != SQLITE_DONE ? kith_store_error(s, what) : 0;
    sqlite3_reset(st);
    return rc;
}
