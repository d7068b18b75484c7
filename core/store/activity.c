/*
 * See activity.h.  Pages are keyed on (at, id) descending: the cursor holds
 * the last row's pair and the next page starts strictly below it.
 */
#include "store/activity.h"
#include "store/row.h"
#include "util/error.h"
#include "util/json.h"

#include <sqlite3.h>

#define INTERACTION_COLUMNS "id, customer_id, type, summary, at, by, attrs, created_at"
#define ORDER_COLUMNS       "id, customer_id, amount_cents, currency, items, at, external_id, created_at"
#define BEFORE_CURSOR       " AND (at < ?3 OR (at = ?3 AND id < ?4))"

static cJSON *interaction_from_row(sqlite3_stmt *st, void *unused)
{
    (void)unused;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    int rc = kith_json_add_int(o, "id", sqlite3_column_int64(st, 0));
    rc |= kith_json_add_int(o, "customer_id", sqlite3_column_int64(st, 1));
    rc |= kith_row_add_str(o, "type", st, 2);
    rc |= kith_row_add_str(o, "summary", st, 3);
    rc |= kith_row_add_time(o, "at", st, 4);
    rc |= kith_row_add_str(o, "by", st, 5);
    rc |= kith_row_add_json(o, "attrs", st, 6, "{}");
    rc |= kith_row_add_time(o, "created_at", st, 7);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *order_from_row(sqlite3_stmt *st, void *unused)
{
    (void)unused;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    int rc = kith_json_add_int(o, "id", sqlite3_column_int64(st, 0));
    rc |= kith_json_add_int(o, "customer_id", sqlite3_column_int64(st, 1));
    rc |= kith_json_add_money(o, "amount", sqlite3_column_int64(st, 2));
    rc |= kith_row_add_str(o, "currency", st, 3);
    rc |= kith_row_add_json(o, "items", st, 4, "[]");
    rc |= kith_row_add_time(o, "at", st, 5);
    rc |= kith_row_add_str(o, "external_id", st, 6);
    rc |= kith_row_add_time(o, "created_at", st, 7);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Reads back the row just inserted, so the reply shows exactly what is stored. */
static int reload(kith_store *s, const char *sql, kith_row_builder build, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(s, sql);
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, sqlite3_last_insert_rowid(kith_store_db(s)));
    if (sqlite3_step(st) != SQLITE_ROW) return kith_store_error(s, "reload");
    *out = build(st, NULL);
    sqlite3_reset(st);
    return *out ? 0 : KITH_ENOMEM;
}

int kith_store_interaction_insert(kith_store *s, const cJSON *rec, int64_t at, int64_t now,
                                  cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO interactions(customer_id, type, summary, at, by, attrs, created_at) "
           "VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!st) return KITH_EIO;
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(rec, "customer_id");
    sqlite3_bind_int64(st, 1, (sqlite3_int64)cJSON_GetNumberValue(cid));
    kith_row_bind_str(st, 2, kith_json_get_str(rec, "type"));
    kith_row_bind_str(st, 3, kith_json_get_str(rec, "summary"));
    sqlite3_bind_int64(st, 4, at);
    kith_row_bind_str(st, 5, kith_json_get_str(rec, "by"));
    if (kith_row_bind_json(st, 6, cJSON_GetObjectItemCaseSensitive(rec, "attrs"), "{}"))
        return KITH_ENOMEM;
    sqlite3_bind_int64(st, 7, now);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "insert interaction");
    return reload(s, "SELECT " INTERACTION_COLUMNS " FROM interactions WHERE id = ?",
                  interaction_from_row, out);
}

int kith_store_interaction_list(kith_store *s, int64_t customer_id, const char *type, int limit,
                                const kith_cursor *after, cJSON *items, int *more,
                                kith_cursor *next)
{
    const char *sql;
    if (type)
        sql = after ? "SELECT " INTERACTION_COLUMNS " FROM interactions WHERE customer_id = ?1 "
                      "AND type = ?5" BEFORE_CURSOR " ORDER BY at DESC, id DESC LIMIT ?2"
                    : "SELECT " INTERACTION_COLUMNS " FROM interactions WHERE customer_id = ?1 "
                      "AND type = ?5 ORDER BY at DESC, id DESC LIMIT ?2";
    else
        sql = after ? "SELECT " INTERACTION_COLUMNS
                      " FROM interactions WHERE customer_id = ?1" BEFORE_CURSOR
                      " ORDER BY at DESC, id DESC LIMIT ?2"
                    : "SELECT " INTERACTION_COLUMNS " FROM interactions WHERE customer_id = ?1 "
                      "ORDER BY at DESC, id DESC LIMIT ?2";
    sqlite3_stmt *st = kith_store_stmt(s, sql);
    if (!st) return KITH_EIO;
    kith_row_bind_history(st, customer_id, limit, after);
    if (type) sqlite3_bind_text(st, 5, type, -1, SQLITE_TRANSIENT);
    return kith_row_page(s, st, limit, 4, 0, interaction_from_row, NULL, items, more, next);
}

int kith_store_order_insert(kith_store *s, const cJSON *rec, int64_t cents, int64_t at, int64_t now,
                            cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO orders(customer_id, amount_cents, currency, items, at, external_id, "
           "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!st) return KITH_EIO;
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(rec, "customer_id");
    sqlite3_bind_int64(st, 1, (sqlite3_int64)cJSON_GetNumberValue(cid));
    sqlite3_bind_int64(st, 2, cents);
    kith_row_bind_str(st, 3, kith_json_get_str(rec, "currency"));
    if (kith_row_bind_json(st, 4, cJSON_GetObjectItemCaseSensitive(rec, "items"), "[]"))
        return KITH_ENOMEM;
    sqlite3_bind_int64(st, 5, at);
    kith_row_bind_str(st, 6, kith_json_get_str(rec, "external_id"));
    sqlite3_bind_int64(st, 7, now);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "insert order");
    return reload(s, "SELECT " ORDER_COLUMNS " FROM orders WHERE id = ?", order_from_row, out);
}

int kith_store_order_list(kith_store *s, int64_t customer_id, int limit, const kith_cursor *after,
                          cJSON *items, int *more, kith_cursor *next)
{
    const char *sql = after ? "SELECT " ORDER_COLUMNS
                              " FROM orders WHERE customer_id = ?1" BEFORE_CURSOR
                              " ORDER BY at DESC, id DESC LIMIT ?2"
                            : "SELECT " ORDER_COLUMNS " FROM orders WHERE customer_id = ?1 "
                              "ORDER BY at DESC, id DESC LIMIT ?2";
    sqlite3_stmt *st = kith_store_stmt(s, sql);
    if (!st) return KITH_EIO;
    kith_row_bind_history(st, customer_id, limit, after);
    return kith_row_page(s, st, limit, 5, 0, order_from_row, NULL, items, more, next);
}
