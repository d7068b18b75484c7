/*
 * See company.h.  The company row holds what a user types; its figures are
 * one aggregate over customers_company (the contacts' index) joined to
 * their stats rows.
 */
#include "store/company.h"
#include "store/row.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"

#include <sqlite3.h>
#include <string.h>

#define COMPANY_COLUMNS                                                                            \
    "id, name, domain, industry, size, owner, attrs, created_at, updated_at, created_by"

static cJSON *from_row(sqlite3_stmt *st, void *unused)
{
    (void)unused;
    cJSON *c = cJSON_CreateObject();
    if (!c) return NULL;
    int rc = kith_json_add_int(c, "id", sqlite3_column_int64(st, 0));
    rc |= kith_row_add_str(c, "name", st, 1);
    rc |= kith_row_add_str(c, "domain", st, 2);
    rc |= kith_row_add_str(c, "industry", st, 3);
    rc |= kith_row_add_str(c, "size", st, 4);
    rc |= kith_row_add_str(c, "owner", st, 5);
    rc |= kith_row_add_json(c, "attrs", st, 6, "{}");
    rc |= kith_row_add_time(c, "created_at", st, 7);
    rc |= kith_row_add_time(c, "updated_at", st, 8);
    rc |= kith_row_add_str(c, "created_by", st, 9);
    if (rc) {
        cJSON_Delete(c);
        return NULL;
    }
    return c;
}

/* Binds name, domain, industry, size, owner, attrs to ?1..?6. */
static int bind_fields(sqlite3_stmt *st, const cJSON *rec)
{
    static const char *const text[] = {"name", "domain", "industry", "size", "owner"};
    int rc = 0;
    for (int i = 0; i < 5; i++)
        rc |= kith_row_bind_str(st, i + 1, kith_json_get_str(rec, text[i]));
    rc |= kith_row_bind_json(st, 6, cJSON_GetObjectItemCaseSensitive(rec, "attrs"), "{}");
    return rc == SQLITE_OK ? 0 : KITH_ENOMEM;
}

int kith_store_company_get(kith_store *s, int64_t id, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT " COMPANY_COLUMNS " FROM companies WHERE id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    return kith_row_one(s, st, from_row, NULL, "get company", out);
}

int kith_store_company_insert(kith_store *s, const cJSON *rec, const char *by, int64_t now,
                              cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO companies(name, domain, industry, size, owner, attrs, created_at, "
           "updated_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)");
    if (!st) return KITH_EIO;
    if (bind_fields(st, rec) < 0) return KITH_ENOMEM;
    sqlite3_bind_int64(st, 7, now);
    kith_row_bind_str(st, 8, by);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "insert company");
    return kith_store_company_get(s, sqlite3_last_insert_rowid(kith_store_db(s)), out);
}

int kith_store_company_update(kith_store *s, int64_t id, const cJSON *rec, int64_t now)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "UPDATE companies SET name = ?1, domain = ?2, industry = ?3, size = ?4, owner = ?5, "
           "attrs = ?6, updated_at = ?7 WHERE id = ?8");
    if (!st) return KITH_EIO;
    if (bind_fields(st, rec) < 0) return KITH_ENOMEM;
    sqlite3_bind_int64(st, 7, now);
    sqlite3_bind_int64(st, 8, id);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "update company");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}

int kith_store_company_delete(kith_store *s, int64_t id, int detach, int64_t *detached)
{
    *detached = 0;
    sqlite3_stmt *st = kith_store_stmt(s, detach ? "UPDATE customers SET company_id = NULL "
                                                   "WHERE company_id = ?"
                                                 : "SELECT 1 FROM customers WHERE company_id = ? "
                                                   "LIMIT 1");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (!detach && rc == SQLITE_ROW) {
        sqlite3_reset(st);
        return KITH_ECONFLICT;
    }
    if (rc != SQLITE_DONE) return kith_store_error(s, "detach contacts");
    if (detach) *detached = sqlite3_changes(kith_store_db(s));
    st = kith_store_stmt(s, "DELETE FROM companies WHERE id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "delete company");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}

int kith_store_company_stats(kith_store *s, int64_t id, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT count(*), coalesce(sum(st.orders), 0), coalesce(sum(st.total_spent_cents), 0), "
           "min(st.first_order_at), max(st.last_order_at), coalesce(sum(st.interactions), 0), "
           "max(st.last_interaction_at), coalesce(sum(st.open_tickets), 0), "
           "coalesce(sum(st.complaints), 0) "
           "FROM customers c JOIN customer_stats st ON st.customer_id = c.id "
           "WHERE c.company_id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) return kith_store_error(s, "company stats");
    cJSON *o = cJSON_CreateObject();
    int rc = !o;
    if (o) {
        rc |= kith_json_add_int(o, "contacts", sqlite3_column_int64(st, 0));
        rc |= kith_json_add_int(o, "orders", sqlite3_column_int64(st, 1));
        rc |= kith_json_add_money(o, "total_spent", sqlite3_column_int64(st, 2));
        rc |= kith_row_add_time(o, "first_order_at", st, 3);
        rc |= kith_row_add_time(o, "last_order_at", st, 4);
        rc |= kith_json_add_int(o, "interactions", sqlite3_column_int64(st, 5));
        rc |= kith_row_add_time(o, "last_interaction_at", st, 6);
        rc |= kith_json_add_int(o, "open_tickets", sqlite3_column_int64(st, 7));
        rc |= kith_json_add_int(o, "complaints", sqlite3_column_int64(st, 8));
    }
    sqlite3_reset(st);
    if (rc) {
        cJSON_Delete(o);
        return KITH_ENOMEM;
    }
    *out = o;
    return 0;
}

int kith_store_company_list(kith_store *s, const kith_company_filter *f, int limit,
                            const kith_cursor *after, cJSON *items, int *more, kith_cursor *next)
{
    kith_buf sql;
    kith_buf_init(&sql);
    int rc = kith_buf_appends(&sql, "SELECT " COMPANY_COLUMNS " FROM companies WHERE id > ?1");
    if (f->industry) rc |= kith_buf_appends(&sql, " AND industry = ?2");
    if (f->owner) rc |= kith_buf_appends(&sql, " AND owner = ?3");
    if (f->size) rc |= kith_buf_appends(&sql, " AND size = ?4");
    if (f->q) rc |= kith_buf_appends(&sql, " AND (instr(name, ?5) > 0 OR instr(domain, ?5) > 0)");
    rc |= kith_buf_appends(&sql, " ORDER BY id LIMIT ?6");
    sqlite3_stmt *st = rc ? NULL : kith_store_stmt_text(s, kith_buf_head(&sql));
    kith_buf_release(&sql);
    if (!st) return rc ? KITH_ENOMEM : KITH_EIO;
    sqlite3_bind_int64(st, 1, after ? after->id : 0);
    if (f->industry) kith_row_bind_str(st, 2, f->industry);
    if (f->owner) kith_row_bind_str(st, 3, f->owner);
    if (f->size) kith_row_bind_str(st, 4, f->size);
    if (f->q) kith_row_bind_str(st, 5, f->q);
    sqlite3_bind_int(st, 6, limit + 1);
    return kith_row_page(s, st, limit, 0, 0, from_row, NULL, items, more, next);
}
