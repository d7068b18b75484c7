/*
 * See visit.h.  Every record field is written by one statement,
 * kith_store_visit_put, from the record the caller built: the commands
 * decide what changes, the store only keeps it.
 */
#include "store/visit.h"
#include "store/row.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <sqlite3.h>
#include <string.h>

#define VISIT_COLUMNS                                                                              \
    "id, customer_id, owner, participants, contact, purpose, agenda, goals, location, "            \
    "planned_at, duration_min, status, started_at, ended_at, geo, summary, customer_feedback, "    \
    "outcome, agreements, next_visit_id, interaction_id, ticket_id, cancel_reason, "               \
    "reschedule_reason, reschedules, created_by, attrs, created_at, updated_at, remind_at, "       \
    "reminded_at, miss_at, missed_at"

static int add_int_or_null(cJSON *v, const char *key, sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return cJSON_AddNullToObject(v, key) ? 0 : KITH_ENOMEM;
    return kith_json_add_int(v, key, sqlite3_column_int64(st, col));
}

static cJSON *from_row(sqlite3_stmt *st, void *unused)
{
    (void)unused;
    cJSON *v = cJSON_CreateObject();
    if (!v) return NULL;
    int rc = kith_json_add_int(v, "id", sqlite3_column_int64(st, 0));
    rc |= kith_json_add_int(v, "customer_id", sqlite3_column_int64(st, 1));
    rc |= kith_row_add_str(v, "owner", st, 2);
    rc |= kith_row_add_json(v, "participants", st, 3, "[]");
    rc |= kith_row_add_str(v, "contact", st, 4);
    rc |= kith_row_add_str(v, "purpose", st, 5);
    rc |= kith_row_add_str(v, "agenda", st, 6);
    rc |= kith_row_add_json(v, "goals", st, 7, "[]");
    rc |= kith_row_add_str(v, "location", st, 8);
    rc |= kith_row_add_time(v, "planned_at", st, 9);
    rc |= add_int_or_null(v, "duration_min", st, 10);
    rc |= kith_row_add_str(v, "status", st, 11);
    rc |= kith_row_add_time(v, "started_at", st, 12);
    rc |= kith_row_add_time(v, "ended_at", st, 13);
    rc |= kith_row_add_json(v, "geo", st, 14, "null");
    rc |= kith_row_add_str(v, "summary", st, 15);
    rc |= kith_row_add_str(v, "customer_feedback", st, 16);
    rc |= kith_row_add_str(v, "outcome", st, 17);
    rc |= kith_row_add_json(v, "agreements", st, 18, "[]");
    rc |= add_int_or_null(v, "next_visit_id", st, 19);
    rc |= add_int_or_null(v, "interaction_id", st, 20);
    rc |= add_int_or_null(v, "ticket_id", st, 21);
    rc |= kith_row_add_str(v, "cancel_reason", st, 22);
    rc |= kith_row_add_str(v, "reschedule_reason", st, 23);
    rc |= kith_json_add_int(v, "reschedules", sqlite3_column_int64(st, 24));
    rc |= kith_row_add_str(v, "created_by", st, 25);
    rc |= kith_row_add_json(v, "attrs", st, 26, "{}");
    rc |= kith_row_add_time(v, "created_at", st, 27);
    rc |= kith_row_add_time(v, "updated_at", st, 28);
    rc |= kith_row_add_time(v, "remind_at", st, 29);
    rc |= kith_row_add_time(v, "reminded_at", st, 30);
    rc |= kith_row_add_time(v, "miss_at", st, 31);
    rc |= kith_row_add_time(v, "missed_at", st, 32);
    if (rc) {
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

int kith_store_visit_get(kith_store *s, int64_t id, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT " VISIT_COLUMNS " FROM visits WHERE id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    return kith_row_one(s, st, from_row, NULL, "get visit", out);
}

/* Binds member `key` of rec: a string, or NULL when absent or not one. */
static void bind_str(sqlite3_stmt *st, int idx, const cJSON *rec, const char *key)
{
    kith_row_bind_str(st, idx, kith_json_get_str(rec, key));
}

/* Binds an ISO time member as ms, or NULL. */
static void bind_time(sqlite3_stmt *st, int idx, const cJSON *rec, const char *key)
{
    int64_t ms;
    const char *s = kith_json_get_str(rec, key);
    if (s && kith_time_parse_iso(s, &ms) == 0)
        sqlite3_bind_int64(st, idx, ms);
    else
        sqlite3_bind_null(st, idx);
}

/* Binds a number member as an integer, or NULL. */
static void bind_int(sqlite3_stmt *st, int idx, const cJSON *rec, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
    if (cJSON_IsNumber(v))
        sqlite3_bind_int64(st, idx, (sqlite3_int64)v->valuedouble);
    else
        sqlite3_bind_null(st, idx);
}

/* Binds a JSON member as text, `fallback` when absent (NULL: SQL NULL). */
static int bind_json(sqlite3_stmt *st, int idx, const cJSON *rec, const char *key,
                     const char *fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
    if ((!v || cJSON_IsNull(v)) && !fallback) return sqlite3_bind_null(st, idx);
    return kith_row_bind_json(st, idx, cJSON_IsNull(v) ? NULL : v, fallback);
}

int kith_store_visit_insert(kith_store *s, const cJSON *rec, const char *created_by, int64_t now,
                            const kith_visit_arm *arm, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO visits(customer_id, owner, participants, contact, purpose, agenda, goals, "
           "location, planned_at, duration_min, ticket_id, attrs, created_by, created_at, "
           "updated_at, remind_at, reminded_at, miss_at, status) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15, "
           "CASE WHEN ?15 <= ?14 THEN ?14 END, ?16, 'planned')");
    if (!st) return KITH_EIO;
    bind_int(st, 1, rec, "customer_id");
    bind_str(st, 2, rec, "owner");
    int rc = bind_json(st, 3, rec, "participants", "[]");
    bind_str(st, 4, rec, "contact");
    bind_str(st, 5, rec, "purpose");
    bind_str(st, 6, rec, "agenda");
    rc |= bind_json(st, 7, rec, "goals", "[]");
    bind_str(st, 8, rec, "location");
    bind_time(st, 9, rec, "planned_at");
    bind_int(st, 10, rec, "duration_min");
    bind_int(st, 11, rec, "ticket_id");
    rc |= bind_json(st, 12, rec, "attrs", "{}");
    kith_row_bind_str(st, 13, created_by);
    sqlite3_bind_int64(st, 14, now);
    sqlite3_bind_int64(st, 15, arm->remind_at);
    sqlite3_bind_int64(st, 16, arm->miss_at);
    if (rc != SQLITE_OK) {
        sqlite3_reset(st);
        return KITH_ENOMEM;
    }
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "insert visit");
    return kith_store_visit_get(s, sqlite3_last_insert_rowid(kith_store_db(s)), out);
}

int kith_store_visit_put(kith_store *s, int64_t id, const char *expect_status, const cJSON *rec,
                         int64_t now, const kith_visit_arm *arm, cJSON **out)
{
    /* ?26 says whether to re-arm; without it the due columns keep their
     * values (note 4). */
    sqlite3_stmt *st = kith_store_stmt(
        s, "UPDATE visits SET owner = ?1, participants = ?2, contact = ?3, purpose = ?4, "
           "agenda = ?5, goals = ?6, location = ?7, planned_at = ?8, duration_min = ?9, "
           "status = ?10, started_at = ?11, ended_at = ?12, geo = ?13, summary = ?14, "
           "customer_feedback = ?15, outcome = ?16, agreements = ?17, next_visit_id = ?18, "
           "interaction_id = ?19, ticket_id = ?20, cancel_reason = ?21, reschedule_reason = ?22, "
           "reschedules = ?23, attrs = ?24, updated_at = ?25, "
           "remind_at = CASE WHEN ?26 THEN ?27 ELSE remind_at END, "
           "reminded_at = CASE WHEN ?26 THEN (CASE WHEN ?27 <= ?25 THEN ?25 END) "
           "  ELSE reminded_at END, "
           "miss_at = CASE WHEN ?26 THEN ?28 ELSE miss_at END, "
           "missed_at = CASE WHEN ?26 THEN NULL ELSE missed_at END "
           "WHERE id = ?29 AND status = ?30");
    if (!st) return KITH_EIO;
    bind_str(st, 1, rec, "owner");
    int rc = bind_json(st, 2, rec, "participants", "[]");
    bind_str(st, 3, rec, "contact");
    bind_str(st, 4, rec, "purpose");
    bind_str(st, 5, rec, "agenda");
    rc |= bind_json(st, 6, rec, "goals", "[]");
    bind_str(st, 7, rec, "location");
    bind_time(st, 8, rec, "planned_at");
    bind_int(st, 9, rec, "duration_min");
    bind_str(st, 10, rec, "status");
    bind_time(st, 11, rec, "started_at");
    bind_time(st, 12, rec, "ended_at");
    rc |= bind_json(st, 13, rec, "geo", NULL);
    bind_str(st, 14, rec, "summary");
    bind_str(st, 15, rec, "customer_feedback");
    bind_str(st, 16, rec, "outcome");
    rc |= bind_json(st, 17, rec, "agreements", "[]");
    bind_int(st, 18, rec, "next_visit_id");
    bind_int(st, 19, rec, "interaction_id");
    bind_int(st, 20, rec, "ticket_id");
    bind_str(st, 21, rec, "cancel_reason");
    bind_str(st, 22, rec, "reschedule_reason");
    bind_int(st, 23, rec, "reschedules");
    rc |= bind_json(st, 24, rec, "attrs", "{}");
    sqlite3_bind_int64(st, 25, arm ? arm->now : now);
    sqlite3_bind_int(st, 26, arm != NULL);
    sqlite3_bind_int64(st, 27, arm ? arm->remind_at : 0);
    sqlite3_bind_int64(st, 28, arm ? arm->miss_at : 0);
    sqlite3_bind_int64(st, 29, id);
    sqlite3_bind_text(st, 30, expect_status, -1, SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) {
        sqlite3_reset(st);
        return KITH_ENOMEM;
    }
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "update visit");
    int changed = sqlite3_changes(kith_store_db(s)) > 0;
    cJSON *v = NULL;
    if ((rc = kith_store_visit_get(s, id, &v))) return rc;
    if (!changed) {
        cJSON_Delete(v);
        return KITH_ECONFLICT;
    }
    *out = v;
    return 0;
}

int kith_store_visit_list(kith_store *s, const kith_visit_filter *f, int limit,
                          const kith_cursor *after, cJSON *items, int *more, kith_cursor *next)
{
    /* Assembled from fixed fragments only, every value bound; each distinct
     * shape is cached like any other statement. */
    kith_buf sql;
    kith_buf_init(&sql);
    int rc = kith_buf_appends(&sql, "SELECT " VISIT_COLUMNS " FROM visits WHERE 1");
    if (f->owner) rc |= kith_buf_appends(&sql, " AND owner = ?1");
    if (f->status) rc |= kith_buf_appends(&sql, " AND status = ?2");
    if (f->customer_id) rc |= kith_buf_appends(&sql, " AND customer_id = ?3");
    if (f->from != INT64_MIN) rc |= kith_buf_appends(&sql, " AND planned_at >= ?4");
    if (f->to != INT64_MAX) rc |= kith_buf_appends(&sql, " AND planned_at < ?5");
    if (after)
        rc |= kith_buf_appends(&sql, " AND (planned_at > ?6 OR (planned_at = ?6 AND id > ?7))");
    rc |= kith_buf_appends(&sql, " ORDER BY planned_at, id LIMIT ?8");
    sqlite3_stmt *st = rc ? NULL : kith_store_stmt_text(s, kith_buf_head(&sql));
    kith_buf_release(&sql);
    if (rc) return KITH_ENOMEM;
    if (!st) return KITH_EIO;
    if (f->owner) sqlite3_bind_text(st, 1, f->owner, -1, SQLITE_TRANSIENT);
    if (f->status) sqlite3_bind_text(st, 2, f->status, -1, SQLITE_TRANSIENT);
    if (f->customer_id) sqlite3_bind_int64(st, 3, f->customer_id);
    if (f->from != INT64_MIN) sqlite3_bind_int64(st, 4, f->from);
    if (f->to != INT64_MAX) sqlite3_bind_int64(st, 5, f->to);
    if (after) {
        sqlite3_bind_int64(st, 6, after->key);
        sqlite3_bind_int64(st, 7, after->id);
    }
    sqlite3_bind_int(st, 8, limit + 1);
    return kith_row_page(s, st, limit, 9, 0, from_row, NULL, items, more, next);
}

/* The statements of the two due sources differ only in their columns;
 * both are spelled out so each names its partial index. */
int kith_store_visit_next_due(kith_store *s, int kind, int64_t *at)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, kind == KITH_VISIT_REMIND
               ? "SELECT remind_at FROM visits INDEXED BY visits_remind "
                 "WHERE status = 'planned' AND reminded_at IS NULL ORDER BY remind_at, id LIMIT 1"
               : "SELECT miss_at FROM visits INDEXED BY visits_miss "
                 "WHERE status = 'planned' AND missed_at IS NULL ORDER BY miss_at, id LIMIT 1");
    if (!st) return KITH_EIO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    if (rc != SQLITE_ROW) return kith_store_error(s, "next due visit");
    *at = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

int kith_store_visit_due(kith_store *s, int kind, int64_t now, int limit, int64_t *ids, int *n)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, kind == KITH_VISIT_REMIND
               ? "SELECT id FROM visits INDEXED BY visits_remind WHERE status = 'planned' AND "
                 "reminded_at IS NULL AND remind_at <= ? ORDER BY remind_at, id LIMIT ?"
               : "SELECT id FROM visits INDEXED BY visits_miss WHERE status = 'planned' AND "
                 "missed_at IS NULL AND miss_at <= ? ORDER BY miss_at, id LIMIT ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, limit);
    return kith_row_ids(s, st, limit, ids, n, "due visits");
}

int kith_store_visit_mark_fired(kith_store *s, int kind, int64_t id, int64_t now)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, kind == KITH_VISIT_REMIND
               ? "UPDATE visits SET reminded_at = ?1 "
                 "WHERE id = ?2 AND status = 'planned' AND reminded_at IS NULL"
               : "UPDATE visits SET missed_at = ?1, status = 'missed', updated_at = ?1 "
                 "WHERE id = ?2 AND status = 'planned' AND missed_at IS NULL");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, id);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "mark visit fired");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}

int kith_store_visit_next_planned(kith_store *s, int64_t customer_id, int64_t *at)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT planned_at FROM visits WHERE customer_id = ? AND status = 'planned' "
           "ORDER BY planned_at LIMIT 1");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, customer_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    if (rc != SQLITE_ROW) return kith_store_error(s, "next planned visit");
    *at = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

int kith_store_visit_unplanned_customers(kith_store *s, int64_t after_id, const char *owner,
                                         int limit, int64_t *ids, int *n)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT c.id FROM customers c WHERE c.id > ?1 AND (?2 IS NULL OR c.owner = ?2) "
           "AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.customer_id = c.id "
           "AND v.status IN ('planned', 'in_progress')) ORDER BY c.id LIMIT ?3");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, after_id);
    kith_row_bind_str(st, 2, owner);
    sqlite3_bind_int(st, 3, limit);
    int rc = SQLITE_DONE;
    *n = 0;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    if (*n < limit && rc != SQLITE_DONE) return kith_store_error(s, "unplanned customers");
    sqlite3_reset(st);
    return 0;
}
