/*
 * See activity.h.  Pages are keyed on (at, id) descending: the cursor holds
 * the last row's pair and the next page starts strictly below it.
 */
#include "store/activity.h"
#include "store/row.h"
#include "util/error.h"
#include "util/json.h"

#include <sqlite3.h>

#define INTERACTION_COLUMNS                                                                        \
    "id, customer_id, type, summary, at, by, attrs, created_at, touchpoint, topic, sentiment, "    \
    "direction, ticket_id, visit_id"
#define ORDER_COLUMNS "id, customer_id, amount_cents, currency, items, at, external_id, created_at"
#define BEFORE_CURSOR " AND (at < ?3 OR (at = ?3 AND id < ?4))"

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
    /* The optional links and tags (DOMAIN.md 2.3) appear only when set. */
    static const char *const tags[] = {"touchpoint", "topic"};
    for (int i = 0; i < 2; i++)
        if (sqlite3_column_type(st, 8 + i) != SQLITE_NULL)
            rc |= kith_row_add_str(o, tags[i], st, 8 + i);
    if (sqlite3_column_type(st, 10) != SQLITE_NULL)
        rc |= cJSON_AddNumberToObject(o, "sentiment", sqlite3_column_double(st, 10)) ? 0
                                                                                     : KITH_ENOMEM;
    if (sqlite3_column_type(st, 11) != SQLITE_NULL) rc |= kith_row_add_str(o, "direction", st, 11);
    static const char *const links[] = {"ticket_id", "visit_id"};
    for (int i = 0; i < 2; i++)
        if (sqlite3_column_type(st, 12 + i) != SQLITE_NULL)
            rc |= kith_json_add_int(o, links[i], sqlite3_column_int64(st, 12 + i));
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Binds an optional number member of rec (NULL when absent). */
static void bind_opt_number(sqlite3_stmt *st, int idx, const cJSON *rec, const char *key,
                            int integer)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
    if (!cJSON_IsNumber(v))
        sqlite3_bind_null(st, idx);
    else if (integer)
        sqlite3_bind_int64(st, idx, (sqlite3_int64)v->valuedouble);
    else
        sqlite3_bind_double(st, idx, v->valuedouble);
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
        s, "INSERT INTO interactions(customer_id, type, summary, at, by, attrs, created_at, "
           "touchpoint, topic, sentiment, direction, ticket_id, visit_id) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
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
    kith_row_bind_str(st, 8, kith_json_get_str(rec, "touchpoint"));
    kith_row_bind_str(st, 9, kith_json_get_str(rec, "topic"));
    bind_opt_number(st, 10, rec, "sentiment", 0);
    kith_row_bind_str(st, 11, kith_json_get_str(rec, "direction"));
    bind_opt_number(st, 12, rec, "ticket_id", 1);
    bind_opt_number(st, 13, rec, "visit_id", 1);
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

int kith_store_interaction_search(kith_store *s, const kith_interaction_filter *f, int limit,
                                  const kith_cursor *after, cJSON *items, int *more,
                                  kith_cursor *next)
{
    /* One statement for every filter combination: an absent filter binds
     * NULL and drops out.  The (at, id) index serves the order and the
     * time range; the other filters are checked on the rows it yields. */
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT " INTERACTION_COLUMNS " FROM interactions INDEXED BY interactions_at "
           "WHERE (?1 IS NULL OR type = ?1) AND (?2 IS NULL OR touchpoint = ?2) "
           "AND (?3 IS NULL OR topic = ?3) AND (?4 IS NULL OR sentiment <= ?4) "
           "AND (?5 IS NULL OR by = ?5) AND at >= ?6 AND at < ?7 "
           "AND (?8 IS NULL OR summary LIKE '%' || ?8 || '%' ESCAPE '\\') "
           "AND (?9 IS NULL OR at < ?9 OR (at = ?9 AND id < ?10)) "
           "ORDER BY at DESC, id DESC LIMIT ?11");
    if (!st) return KITH_EIO;
    kith_row_bind_str(st, 1, f->type);
    kith_row_bind_str(st, 2, f->touchpoint);
    kith_row_bind_str(st, 3, f->topic);
    if (f->has_max_sentiment)
        sqlite3_bind_double(st, 4, f->max_sentiment);
    else
        sqlite3_bind_null(st, 4);
    kith_row_bind_str(st, 5, f->by);
    sqlite3_bind_int64(st, 6, f->from);
    sqlite3_bind_int64(st, 7, f->to);
    kith_row_bind_str(st, 8, f->q_like);
    if (after) {
        sqlite3_bind_int64(st, 9, after->key);
        sqlite3_bind_int64(st, 10, after->id);
    } else {
        sqlite3_bind_null(st, 9);
        sqlite3_bind_null(st, 10);
    }
    sqlite3_bind_int(st, 11, limit + 1);
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

int kith_store_order_find(kith_store *s, const char *external_id, int64_t *id)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT id FROM orders WHERE external_id = ?");
    if (!st) return KITH_EIO;
    kith_row_bind_str(st, 1, external_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    if (rc != SQLITE_ROW) return kith_store_error(s, "find order");
    *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

/* An order with its customer's external_id beside it (column 8), so an
 * export of every order can be imported again elsewhere. */
static cJSON *order_with_customer(sqlite3_stmt *st, void *unused)
{
    cJSON *o = order_from_row(st, unused);
    if (o && kith_row_add_str(o, "customer_external_id", st, 8)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int kith_store_order_all(kith_store *s, int limit, const kith_cursor *after, cJSON *items,
                         int *more, kith_cursor *next)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT o.id, o.customer_id, o.amount_cents, o.currency, o.items, o.at, "
           "o.external_id, o.created_at, c.external_id FROM orders o "
           "JOIN customers c ON c.id = o.customer_id WHERE o.id > ?1 ORDER BY o.id LIMIT ?2");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, after ? after->id : 0);
    sqlite3_bind_int(st, 2, limit + 1);
    return kith_row_page(s, st, limit, 0, 0, order_with_customer, NULL, items, more, next);
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
