/*
 * See task.h.  State changes are single conditional UPDATEs (WHERE status =
 * 'open' ...), so a transition happens at most once however calls
 * interleave; a change that matched no row is then told apart as "no such
 * task" or "not open" by one lookup.
 */
#include "store/task.h"
#include "store/row.h"
#include "store/stats.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"

#include <sqlite3.h>

#define TASK_COLUMNS                                                                               \
    "id, customer_id, owner, note, due_at, status, created_by, created_at, closed_at, outcome, "   \
    "fired_at"

static cJSON *from_row(sqlite3_stmt *st, void *unused)
{
    (void)unused;
    cJSON *t = cJSON_CreateObject();
    if (!t) return NULL;
    int rc = kith_json_add_int(t, "id", sqlite3_column_int64(st, 0));
    if (sqlite3_column_type(st, 1) == SQLITE_NULL)
        rc |= cJSON_AddNullToObject(t, "customer_id") ? 0 : KITH_ENOMEM;
    else
        rc |= kith_json_add_int(t, "customer_id", sqlite3_column_int64(st, 1));
    rc |= kith_row_add_str(t, "owner", st, 2);
    rc |= kith_row_add_str(t, "note", st, 3);
    rc |= kith_row_add_time(t, "due_at", st, 4);
    rc |= kith_row_add_str(t, "status", st, 5);
    rc |= kith_row_add_str(t, "created_by", st, 6);
    rc |= kith_row_add_time(t, "created_at", st, 7);
    rc |= kith_row_add_time(t, "closed_at", st, 8);
    rc |= kith_row_add_str(t, "outcome", st, 9);
    rc |= kith_row_add_time(t, "fired_at", st, 10);
    if (rc) {
        cJSON_Delete(t);
        return NULL;
    }
    return t;
}

int kith_store_task_get(kith_store *s, int64_t id, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT " TASK_COLUMNS " FROM tasks WHERE id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    return kith_row_one(s, st, from_row, NULL, "get task", out);
}

int kith_store_task_insert(kith_store *s, const cJSON *rec, int64_t due_at, const char *created_by,
                           int64_t now, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO tasks(customer_id, owner, note, due_at, status, created_by, created_at) "
           "VALUES (?, ?, ?, ?, 'open', ?, ?)");
    if (!st) return KITH_EIO;
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(rec, "customer_id");
    if (cJSON_IsNumber(cid))
        sqlite3_bind_int64(st, 1, (sqlite3_int64)cid->valuedouble);
    else
        sqlite3_bind_null(st, 1);
    kith_row_bind_str(st, 2, kith_json_get_str(rec, "owner"));
    kith_row_bind_str(st, 3, kith_json_get_str(rec, "note"));
    sqlite3_bind_int64(st, 4, due_at);
    kith_row_bind_str(st, 5, created_by);
    sqlite3_bind_int64(st, 6, now);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "insert task");
    return kith_store_task_get(s, sqlite3_last_insert_rowid(kith_store_db(s)), out);
}

/* After a conditional UPDATE: the task as it now stands when a row changed,
 * else KITH_ENOTFOUND or KITH_ECONFLICT (it exists but was not open). */
static int changed_or_why(kith_store *s, int64_t id, cJSON **out)
{
    int changed = sqlite3_changes(kith_store_db(s)) > 0;
    cJSON *t = NULL;
    int rc = kith_store_task_get(s, id, &t);
    if (rc) return rc;
    if (!changed) {
        cJSON_Delete(t);
        return KITH_ECONFLICT;
    }
    *out = t;
    return 0;
}

int kith_store_task_close(kith_store *s, int64_t id, const char *status, const char *outcome,
                          int64_t now, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(
        s,
        "UPDATE tasks SET status = ?, outcome = ?, closed_at = ? WHERE id = ? AND status = 'open'");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, status, -1, SQLITE_TRANSIENT);
    kith_row_bind_str(st, 2, outcome);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, id);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "close task");
    return changed_or_why(s, id, out);
}

int kith_store_task_snooze(kith_store *s, int64_t id, int64_t due_at, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "UPDATE tasks SET due_at = ?, fired_at = NULL WHERE id = ? AND status = 'open'");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, due_at);
    sqlite3_bind_int64(st, 2, id);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "snooze task");
    return changed_or_why(s, id, out);
}

int kith_store_task_list(kith_store *s, const kith_task_filter *f, int limit,
                         const kith_cursor *after, cJSON *items, int *more, kith_cursor *next)
{
    /* Assembled from fixed fragments only, every value bound; each distinct
     * shape is cached like any other statement. */
    kith_buf sql;
    kith_buf_init(&sql);
    int rc = kith_buf_appends(&sql, "SELECT " TASK_COLUMNS " FROM tasks WHERE 1");
    if (f->owner) rc |= kith_buf_appends(&sql, " AND owner = ?1");
    if (f->status) rc |= kith_buf_appends(&sql, " AND status = ?2");
    if (f->customer_id) rc |= kith_buf_appends(&sql, " AND customer_id = ?3");
    if (f->due_after != KITH_TIME_NONE) rc |= kith_buf_appends(&sql, " AND due_at >= ?4");
    if (f->due_before != KITH_TIME_NONE) rc |= kith_buf_appends(&sql, " AND due_at < ?5");
    if (after) rc |= kith_buf_appends(&sql, " AND (due_at > ?6 OR (due_at = ?6 AND id > ?7))");
    rc |= kith_buf_appends(&sql, " ORDER BY due_at, id LIMIT ?8");
    sqlite3_stmt *st = rc ? NULL : kith_store_stmt_text(s, kith_buf_head(&sql));
    kith_buf_release(&sql);
    if (rc) return KITH_ENOMEM;
    if (!st) return KITH_EIO;
    if (f->owner) sqlite3_bind_text(st, 1, f->owner, -1, SQLITE_TRANSIENT);
    if (f->status) sqlite3_bind_text(st, 2, f->status, -1, SQLITE_TRANSIENT);
    if (f->customer_id) sqlite3_bind_int64(st, 3, f->customer_id);
    if (f->due_after != KITH_TIME_NONE) sqlite3_bind_int64(st, 4, f->due_after);
    if (f->due_before != KITH_TIME_NONE) sqlite3_bind_int64(st, 5, f->due_before);
    if (after) {
        sqlite3_bind_int64(st, 6, after->key);
        sqlite3_bind_int64(st, 7, after->id);
    }
    sqlite3_bind_int(st, 8, limit + 1);
    return kith_row_page(s, st, limit, 4, 0, from_row, NULL, items, more, next);
}

int kith_store_task_next_due(kith_store *s, int64_t *due_at)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT due_at FROM tasks INDEXED BY tasks_due "
           "WHERE status = 'open' AND fired_at IS NULL ORDER BY due_at, id LIMIT 1");
    if (!st) return KITH_EIO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    if (rc != SQLITE_ROW) return kith_store_error(s, "next due task");
    *due_at = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

int kith_store_task_due(kith_store *s, int64_t now, int limit, cJSON *items, int *n)
{
    sqlite3_stmt *st = kith_store_stmt(
        s,
        "SELECT " TASK_COLUMNS " FROM tasks INDEXED BY tasks_due "
        "WHERE status = 'open' AND fired_at IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, limit);
    int rc;
    *n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *t = from_row(st, NULL);
        if (!t) {
            sqlite3_reset(st);
            return KITH_ENOMEM;
        }
        cJSON_AddItemToArray(items, t);
        ++*n;
    }
    rc = rc == SQLITE_DONE ? 0 : kith_store_error(s, "due tasks");
    sqlite3_reset(st);
    return rc;
}

int kith_store_task_mark_fired(kith_store *s, int64_t id, int64_t at)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "UPDATE tasks SET fired_at = ? WHERE id = ? AND status = 'open' AND fired_at IS NULL");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, at);
    sqlite3_bind_int64(st, 2, id);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "mark task fired");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}
