/*
 * See customer.h.  The tags column holds the JSON array users see; the
 * customer_tags table indexes it for filtering and is rewritten with it.
 */
#include "store/customer.h"
#include "store/row.h"
#include "store/stats.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#define CUSTOMER_COLUMNS                                                                           \
    "c.id, c.name, c.email, c.phone, c.company, c.external_id, c.owner, c.stage, c.tags, "         \
    "c.attrs, c.created_at, c.updated_at, c.company_id, coalesce(c.class_override, c.class), "     \
    "c.class_reasons, c.class_override"

static cJSON *from_row(sqlite3_stmt *st, void *unused)
{
    (void)unused;
    cJSON *c = cJSON_CreateObject();
    if (!c) return NULL;
    int rc = kith_json_add_int(c, "id", sqlite3_column_int64(st, 0));
    rc |= kith_row_add_str(c, "name", st, 1);
    rc |= kith_row_add_str(c, "email", st, 2);
    rc |= kith_row_add_str(c, "phone", st, 3);
    rc |= kith_row_add_str(c, "company", st, 4);
    /* Shown only when set, like an interaction's optional links. */
    if (sqlite3_column_type(st, 12) != SQLITE_NULL)
        rc |= kith_json_add_int(c, "company_id", sqlite3_column_int64(st, 12));
    /* The class shown is the override when there is one (crm.classify). */
    if (sqlite3_column_type(st, 13) != SQLITE_NULL) {
        rc |= kith_row_add_str(c, "class", st, 13);
        rc |= kith_row_add_json(c, "class_reasons", st, 14, "[]");
    }
    if (sqlite3_column_type(st, 15) != SQLITE_NULL)
        rc |= kith_row_add_str(c, "class_override", st, 15);
    rc |= kith_row_add_str(c, "external_id", st, 5);
    rc |= kith_row_add_json(c, "tags", st, 8, "[]");
    rc |= kith_row_add_str(c, "owner", st, 6);
    rc |= kith_row_add_str(c, "stage", st, 7);
    rc |= kith_row_add_json(c, "attrs", st, 9, "{}");
    rc |= kith_row_add_time(c, "created_at", st, 10);
    rc |= kith_row_add_time(c, "updated_at", st, 11);
    if (rc) {
        cJSON_Delete(c);
        return NULL;
    }
    return c;
}

static int write_tags(kith_store *s, int64_t id, const cJSON *tags, int replace)
{
    if (replace) {
        sqlite3_stmt *del = kith_store_stmt(s, "DELETE FROM customer_tags WHERE customer_id = ?");
        if (!del) return KITH_EIO;
        sqlite3_bind_int64(del, 1, id);
        if (sqlite3_step(del) != SQLITE_DONE) return kith_store_error(s, "untag");
    }
    const cJSON *t;
    cJSON_ArrayForEach(t, tags)
    {
        if (!cJSON_IsString(t)) continue;
        sqlite3_stmt *ins = kith_store_stmt(
            s, "INSERT OR IGNORE INTO customer_tags(tag, customer_id) VALUES (?, ?)");
        if (!ins) return KITH_EIO;
        sqlite3_bind_text(ins, 1, t->valuestring, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 2, id);
        if (sqlite3_step(ins) != SQLITE_DONE) return kith_store_error(s, "tag");
    }
    return 0;
}

/* Binds the writable fields of `rec` to parameters 1..9 in column order,
 * and company_id to 12. */
static int bind_fields(sqlite3_stmt *st, const cJSON *rec)
{
    static const char *const text_fields[] = {"name",    "email",       "phone",
                                              "company", "external_id", "owner"};
    int rc = 0;
    for (int i = 0; i < 6; i++)
        rc |= kith_row_bind_str(st, i + 1, kith_json_get_str(rec, text_fields[i]));
    const char *stage = kith_json_get_str(rec, "stage");
    rc |= sqlite3_bind_text(st, 7, stage ? stage : "prospect", -1, SQLITE_TRANSIENT);
    rc |= kith_row_bind_json(st, 8, cJSON_GetObjectItemCaseSensitive(rec, "tags"), "[]");
    rc |= kith_row_bind_json(st, 9, cJSON_GetObjectItemCaseSensitive(rec, "attrs"), "{}");
    if (sqlite3_bind_parameter_count(st) >= 13)
        rc |= kith_row_bind_str(st, 13, kith_json_get_str(rec, "class_override"));
    /* An update names company_id (?12) only when it changed. */
    const cJSON *company = cJSON_GetObjectItemCaseSensitive(rec, "company_id");
    if (sqlite3_bind_parameter_count(st) >= 12)
        rc |= cJSON_IsNumber(company)
                  ? sqlite3_bind_int64(st, 12, (sqlite3_int64)company->valuedouble)
                  : sqlite3_bind_null(st, 12);
    return rc == SQLITE_OK ? 0 : KITH_ENOMEM;
}

int kith_store_customer_insert(kith_store *s, const cJSON *rec, int64_t now, int64_t *id)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO customers(name, email, phone, company, external_id, owner, stage, tags, "
           "attrs, created_at, updated_at, email_norm, phone_norm, company_id, class_override) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, kith_email_norm(?2), "
           "kith_phone_norm(?3), ?12, ?13)");
    if (!st) return KITH_EIO;
    if (bind_fields(st, rec) < 0) return KITH_ENOMEM;
    sqlite3_bind_int64(st, 10, now);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "insert customer");
    *id = sqlite3_last_insert_rowid(kith_store_db(s));
    sqlite3_stmt *stats = kith_store_stmt(s, "INSERT INTO customer_stats(customer_id) VALUES (?)");
    if (!stats) return KITH_EIO;
    sqlite3_bind_int64(stats, 1, *id);
    if (sqlite3_step(stats) != SQLITE_DONE) return kith_store_error(s, "insert stats");
    return write_tags(s, *id, cJSON_GetObjectItemCaseSensitive(rec, "tags"), 0);
}

int kith_store_customer_update(kith_store *s, int64_t id, const cJSON *rec, const cJSON *changed,
                               int64_t now)
{
    /* Only the changed columns are named: SQLite rewrites the entry of every
     * index on a column named in SET, changed or not, and each such entry is
     * a random page of WAL (an order's stage change named all four). */
    static const char *const cols[] = {"name",  "email", "phone", "company", "external_id",
                                       "owner", "stage", "tags",  "attrs"};
    char sql[512];
    size_t n = (size_t)snprintf(sql, sizeof(sql), "UPDATE customers SET ");
    for (int i = 0; i < 9; i++)
        if (cJSON_GetObjectItemCaseSensitive(changed, cols[i]))
            n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s = ?%d, ", cols[i], i + 1);
    /* The comparable forms follow their values (customer_norm.h). */
    if (cJSON_GetObjectItemCaseSensitive(changed, "email"))
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, "email_norm = kith_email_norm(?2), ");
    if (cJSON_GetObjectItemCaseSensitive(changed, "phone"))
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, "phone_norm = kith_phone_norm(?3), ");
    if (cJSON_GetObjectItemCaseSensitive(changed, "company_id"))
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, "company_id = ?12, ");
    if (cJSON_GetObjectItemCaseSensitive(changed, "class_override"))
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, "class_override = ?13, ");
    snprintf(sql + n, sizeof(sql) - n, "updated_at = ?10 WHERE id = ?11");
    /* Parameters are numbered, so bind_fields binds all nine either way. */
    sqlite3_stmt *st = kith_store_stmt_text(s, sql);
    if (!st) return KITH_EIO;
    if (bind_fields(st, rec) < 0) return KITH_ENOMEM;
    sqlite3_bind_int64(st, 10, now);
    sqlite3_bind_int64(st, 11, id);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "update customer");
    if (sqlite3_changes(kith_store_db(s)) == 0) return KITH_ENOTFOUND;
    if (!cJSON_GetObjectItemCaseSensitive(changed, "tags")) return 0;
    return write_tags(s, id, cJSON_GetObjectItemCaseSensitive(rec, "tags"), 1);
}

int kith_store_customer_get(kith_store *s, int64_t id, cJSON **out)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT " CUSTOMER_COLUMNS " FROM customers c WHERE c.id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    if (rc != SQLITE_ROW) return kith_store_error(s, "get customer");
    *out = from_row(st, NULL);
    sqlite3_reset(st);
    return *out ? 0 : KITH_ENOMEM;
}

/* The record, its stats (16 .. STATS_END - 1) and its points (STATS_END: the
 * balance, +1: lifetime, +2: lapsed by ?2), shared by customer.get's
 * statement and the rules' view. */
#define STATS_END 39
#define WITH_STATS_COLUMNS                                                                         \
    CUSTOMER_COLUMNS ", " KITH_STATS_COLUMNS(                                                      \
        "st.") ", "                                                                                \
               "coalesce(a.points, 0), coalesce(a.lifetime, 0), "                                  \
               "(SELECT coalesce(sum(l.remaining), 0) FROM loyalty_ledger l "                      \
               "WHERE l.customer_id = c.id AND l.remaining > 0 AND l.expires_at <= ?2)"
#define WITH_STATS_JOINS                                                                           \
    "customers c LEFT JOIN customer_stats st ON st.customer_id = c.id "                            \
    "LEFT JOIN loyalty_accounts a ON a.customer_id = c.id"

static kith_customer_stats stats_of_row(sqlite3_stmt *st)
{
    kith_customer_stats stats;
    kith_stats_read(st, 16, &stats);
    return stats;
}

static const char *text_or_null(sqlite3_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(st, col);
}

int kith_store_customer_visit(kith_store *s, int64_t id, int64_t now,
                              int (*visit)(void *ud, const kith_customer_view *view), void *ud)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT " WITH_STATS_COLUMNS " FROM " WITH_STATS_JOINS
                                          " WHERE c.id = ?1");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    if (rc != SQLITE_ROW) return kith_store_error(s, "visit customer");
    kith_customer_view v = {
        .id = sqlite3_column_int64(st, 0),
        .name = text_or_null(st, 1),
        .email = text_or_null(st, 2),
        .phone = text_or_null(st, 3),
        .company = text_or_null(st, 4),
        .external_id = text_or_null(st, 5),
        .owner = text_or_null(st, 6),
        .stage = text_or_null(st, 7),
        .tags_json = text_or_null(st, 8),
        .attrs_json = text_or_null(st, 9),
        .created_at = sqlite3_column_int64(st, 10),
        .updated_at = sqlite3_column_int64(st, 11),
        .company_id = sqlite3_column_int64(st, 12),
        .class_name = text_or_null(st, 13),
        .stats = stats_of_row(st),
        .points = sqlite3_column_int64(st, STATS_END) - sqlite3_column_int64(st, STATS_END + 2),
        .lifetime_points = sqlite3_column_int64(st, STATS_END + 1),
    };
    rc = visit(ud, &v);
    sqlite3_reset(st);
    return rc;
}

int kith_store_customer_get_full(kith_store *s, int64_t id, int64_t now, cJSON **out,
                                 int64_t *lifetime, char *tier, int64_t *valid_until)
{
    /* customer.get is the hottest read: one statement instead of six. */
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT " WITH_STATS_COLUMNS ", coalesce(a.tier, ''), "
           "(SELECT json_group_array(segment) FROM (SELECT segment FROM segment_members m "
           "WHERE m.customer_id = c.id ORDER BY segment)), ch.risk, "
           "(SELECT min(l.expires_at) FROM loyalty_ledger l WHERE l.customer_id = c.id "
           "AND l.remaining > 0 AND l.expires_at > ?2), "
           "(SELECT json_group_array(json_object('source', source, 'key', key)) FROM "
           "(SELECT source, key FROM identities i WHERE i.customer_id = c.id "
           "ORDER BY source, key)) "
           "FROM " WITH_STATS_JOINS " LEFT JOIN churn_scores ch ON ch.customer_id = c.id "
           "WHERE c.id = ?1");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    if (rc != SQLITE_ROW) return kith_store_error(s, "get customer");
    cJSON *c = from_row(st, NULL);
    kith_customer_stats stats = stats_of_row(st);
    int64_t points = sqlite3_column_int64(st, STATS_END) - sqlite3_column_int64(st, STATS_END + 2);
    *lifetime = sqlite3_column_int64(st, STATS_END + 1);
    snprintf(tier, 64, "%s", (const char *)sqlite3_column_text(st, STATS_END + 3));
    if (valid_until)
        *valid_until = sqlite3_column_type(st, STATS_END + 6) == SQLITE_NULL
                           ? INT64_MAX
                           : sqlite3_column_int64(st, STATS_END + 6);
    if (c) {
        cJSON_AddItemToObject(c, "stats", kith_stats_to_json(&stats));
        kith_json_add_int(c, "points", points);
        kith_row_add_json(c, "segments", st, STATS_END + 4, "[]");
        kith_row_add_json(c, "identities", st, STATS_END + 7, "[]");
        if (sqlite3_column_type(st, STATS_END + 5) == SQLITE_NULL)
            cJSON_AddNullToObject(c, "churn_risk");
        else
            cJSON_AddNumberToObject(c, "churn_risk", sqlite3_column_double(st, STATS_END + 5));
    }
    sqlite3_reset(st);
    *out = c;
    return c ? 0 : KITH_ENOMEM;
}

int kith_store_customer_lookup(kith_store *s, const char *field, const char *value, int64_t *id)
{
    /* E-mail and phone match on their comparable forms, the oldest first. */
    const char *sql =
        strcmp(field, "email") == 0
            ? "SELECT id FROM customers WHERE email_norm = kith_email_norm(?1) ORDER BY id LIMIT 1"
        : strcmp(field, "phone") == 0
            ? "SELECT id FROM customers WHERE phone_norm = kith_phone_norm(?1) ORDER BY id LIMIT 1"
            : "SELECT id FROM customers WHERE external_id = ?";
    sqlite3_stmt *st = kith_store_stmt(s, sql);
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    if (rc != SQLITE_ROW) return kith_store_error(s, "lookup customer");
    *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

int kith_store_customer_delete(kith_store *s, int64_t id)
{
    sqlite3_stmt *st = kith_store_stmt(s, "DELETE FROM customers WHERE id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "delete customer");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}

int kith_store_customer_count(kith_store *s, int64_t *n)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT count(*) FROM customers");
    if (!st) return KITH_EIO;
    if (sqlite3_step(st) != SQLITE_ROW) return kith_store_error(s, "count customers");
    *n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

/* Escapes LIKE wildcards so free text matches literally (ESCAPE '\'). */
static int like_pattern(kith_buf *b, const char *q)
{
    int rc = kith_buf_append(b, "%", 1);
    for (const char *p = q; *p && !rc; p++) {
        if (*p == '%' || *p == '_' || *p == '\\') rc = kith_buf_append(b, "\\", 1);
        if (!rc) rc = kith_buf_append(b, p, 1);
    }
    return rc ? rc : kith_buf_append(b, "%", 1);
}

int kith_store_customer_list(kith_store *s, const kith_customer_filter *f, int limit,
                             const kith_cursor *after, cJSON *items, int *more, kith_cursor *next)
{
    /* The query is assembled from fixed fragments only; every value is bound.
     * Each distinct shape is cached like any other statement. */
    kith_buf sql, like;
    kith_buf_init(&sql);
    kith_buf_init(&like);
    int rc = kith_buf_appends(&sql, "SELECT " CUSTOMER_COLUMNS " FROM customers c");
    if (f->tag)
        rc |=
            kith_buf_appends(&sql, " JOIN customer_tags t ON t.customer_id = c.id AND t.tag = ?1");
    if (f->segment)
        rc |= kith_buf_appends(&sql, " JOIN segment_members sm ON sm.customer_id = c.id AND "
                                     "sm.segment = ?7");
    /* With a tag, the tag index yields rows in customer_id order: paging and
     * ordering by it lets LIMIT stop after a page, where ORDER BY c.id made
     * SQLite sort every tagged customer past the cursor on every page. */
    const char *key = f->tag ? "t.customer_id" : "c.id";
    rc |= kith_buf_appendf(&sql, " WHERE %s > ?2", key);
    if (f->stage) rc |= kith_buf_appends(&sql, " AND c.stage = ?3");
    if (f->owner) rc |= kith_buf_appends(&sql, " AND c.owner = ?4");
    if (f->company_id) rc |= kith_buf_appends(&sql, " AND c.company_id = ?8");
    if (f->class_name)
        rc |= kith_buf_appends(&sql, " AND coalesce(c.class_override, c.class) = ?9");
    if (f->q) {
        rc |= kith_buf_appends(&sql, " AND (c.name LIKE ?5 ESCAPE '\\' OR c.email LIKE ?5 ESCAPE "
                                     "'\\' OR c.company LIKE ?5 ESCAPE '\\' OR c.phone LIKE ?5 "
                                     "ESCAPE '\\')");
        rc |= like_pattern(&like, f->q);
    }
    int nattrs = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, f->attrs)
    {
        /* The attribute name is bound as a quoted JSON path, so any key works
         * and none can inject SQL. */
        rc |= kith_buf_appendf(&sql, " AND json_extract(c.attrs, ?%d) IS ?%d", 10 + 2 * nattrs,
                               11 + 2 * nattrs);
        nattrs++;
    }
    rc |= kith_buf_appendf(&sql, " ORDER BY %s LIMIT ?6", key);
    sqlite3_stmt *st = rc ? NULL : kith_store_stmt_text(s, kith_buf_head(&sql));
    if (!st) {
        kith_buf_release(&sql);
        kith_buf_release(&like);
        return rc ? KITH_ENOMEM : KITH_EIO;
    }
    if (f->tag) sqlite3_bind_text(st, 1, f->tag, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, after ? after->id : 0);
    if (f->stage) sqlite3_bind_text(st, 3, f->stage, -1, SQLITE_TRANSIENT);
    if (f->owner) sqlite3_bind_text(st, 4, f->owner, -1, SQLITE_TRANSIENT);
    if (f->q) sqlite3_bind_text(st, 5, kith_buf_head(&like), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 6, limit + 1);
    if (f->segment) sqlite3_bind_text(st, 7, f->segment, -1, SQLITE_TRANSIENT);
    if (f->company_id) sqlite3_bind_int64(st, 8, f->company_id);
    if (f->class_name) sqlite3_bind_text(st, 9, f->class_name, -1, SQLITE_TRANSIENT);
    int i = 0;
    cJSON_ArrayForEach(a, f->attrs)
    {
        kith_buf path;
        kith_buf_init(&path);
        kith_buf_appends(&path, "$.\"");
        for (const char *p = a->string; *p; p++) {
            if (*p == '"' || *p == '\\') kith_buf_append(&path, "\\", 1);
            kith_buf_append(&path, p, 1);
        }
        kith_buf_appends(&path, "\"");
        sqlite3_bind_text(st, 10 + 2 * i, kith_buf_head(&path), -1, SQLITE_TRANSIENT);
        kith_buf_release(&path);
        /* json_extract returns SQL values: compare like with like. */
        if (cJSON_IsString(a))
            sqlite3_bind_text(st, 11 + 2 * i, a->valuestring, -1, SQLITE_TRANSIENT);
        else if (cJSON_IsBool(a))
            sqlite3_bind_int(st, 11 + 2 * i, cJSON_IsTrue(a));
        else if (cJSON_IsNumber(a) && kith_json_is_int(a->valuedouble))
            sqlite3_bind_int64(st, 11 + 2 * i, (sqlite3_int64)a->valuedouble);
        else if (cJSON_IsNumber(a))
            sqlite3_bind_double(st, 11 + 2 * i, a->valuedouble);
        else
            sqlite3_bind_null(st, 11 + 2 * i);
        i++;
    }
    rc = kith_row_page(s, st, limit, 0, 0, from_row, NULL, items, more, next);
    kith_buf_release(&sql);
    kith_buf_release(&like);
    return rc;
}

int kith_store_customer_class(kith_store *s, int64_t id, char *cls, size_t len)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT class FROM customers WHERE id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    if (rc != SQLITE_ROW) return kith_store_error(s, "get class");
    const char *c = (const char *)sqlite3_column_text(st, 0);
    snprintf(cls, len, "%s", c ? c : "");
    sqlite3_reset(st);
    return 0;
}

int kith_store_customer_set_class(kith_store *s, int64_t id, const char *cls, const cJSON *reasons)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "UPDATE customers SET class = ?, class_reasons = ? WHERE id = ?");
    if (!st) return KITH_EIO;
    kith_row_bind_str(st, 1, cls);
    if (kith_row_bind_json(st, 2, reasons, "[]")) return KITH_ENOMEM;
    sqlite3_bind_int64(st, 3, id);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : kith_store_error(s, "set class");
}
