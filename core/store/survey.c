/*
 * Survey definitions: see survey.h (note 1).  Changes are conditional
 * UPDATEs or DELETEs on the expected status; a change that matched no row
 * is told apart as "no such survey" or "wrong status" by one lookup.
 */
#include "store/row.h"
#include "store/survey.h"
#include "util/error.h"
#include "util/json.h"

#include <sqlite3.h>
#include <string.h>

#define SURVEY_COLUMNS                                                                             \
    "id, name, title, kind, status, questions, anonymous, quiet_days, attrs, created_by, "         \
    "created_at, updated_at, activated_at, closed_at"

static cJSON *from_row(sqlite3_stmt *st, void *unused)
{
    (void)unused;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    int rc = kith_json_add_int(o, "id", sqlite3_column_int64(st, 0));
    rc |= kith_row_add_str(o, "name", st, 1);
    rc |= kith_row_add_str(o, "title", st, 2);
    rc |= kith_row_add_str(o, "kind", st, 3);
    rc |= kith_row_add_str(o, "status", st, 4);
    rc |= kith_row_add_json(o, "questions", st, 5, "[]");
    rc |= cJSON_AddBoolToObject(o, "anonymous", sqlite3_column_int(st, 6)) ? 0 : KITH_ENOMEM;
    rc |= kith_json_add_int(o, "quiet_days", sqlite3_column_int64(st, 7));
    rc |= kith_row_add_json(o, "attrs", st, 8, "{}");
    rc |= kith_row_add_str(o, "created_by", st, 9);
    rc |= kith_row_add_time(o, "created_at", st, 10);
    rc |= kith_row_add_time(o, "updated_at", st, 11);
    rc |= kith_row_add_time(o, "activated_at", st, 12);
    rc |= kith_row_add_time(o, "closed_at", st, 13);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Steps a statement that selects at most one survey. */
static int one(kith_store *s, sqlite3_stmt *st, cJSON **out)
{
    return kith_row_one(s, st, from_row, NULL, "get survey", out);
}

int kith_store_survey_get(kith_store *s, const char *name, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT " SURVEY_COLUMNS " FROM surveys WHERE name = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    return one(s, st, out);
}

static int get_by_id(kith_store *s, int64_t id, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT " SURVEY_COLUMNS " FROM surveys WHERE id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    return one(s, st, out);
}

static int bool_of(const cJSON *def, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(def, key));
}

static int64_t quiet_days_of(const cJSON *def)
{
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(def, "quiet_days");
    return cJSON_IsNumber(q) ? (int64_t)q->valuedouble : 30;
}

int kith_store_survey_insert(kith_store *s, const cJSON *def, const char *created_by, int64_t now,
                             cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO surveys(name, title, kind, status, questions, anonymous, quiet_days, "
           "attrs, created_by, created_at, updated_at) "
           "VALUES (?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?)");
    if (!st) return KITH_EIO;
    kith_row_bind_str(st, 1, kith_json_get_str(def, "name"));
    kith_row_bind_str(st, 2, kith_json_get_str(def, "title"));
    kith_row_bind_str(st, 3, kith_json_get_str(def, "kind"));
    kith_row_bind_json(st, 4, cJSON_GetObjectItemCaseSensitive(def, "questions"), "[]");
    sqlite3_bind_int(st, 5, bool_of(def, "anonymous"));
    sqlite3_bind_int64(st, 6, quiet_days_of(def));
    kith_row_bind_json(st, 7, cJSON_GetObjectItemCaseSensitive(def, "attrs"), "{}");
    kith_row_bind_str(st, 8, created_by);
    sqlite3_bind_int64(st, 9, now);
    sqlite3_bind_int64(st, 10, now);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return kith_store_error(s, "insert survey");
    return get_by_id(s, sqlite3_last_insert_rowid(kith_store_db(s)), out);
}

/* After a conditional change of survey `id`: KITH_ENOTFOUND when it does
 * not exist, KITH_ECONFLICT when the change matched nothing, else 0 with
 * the survey in *out (out may be NULL). */
static int changed_or_why(kith_store *s, int64_t id, cJSON **out)
{
    int changed = sqlite3_changes(kith_store_db(s)) > 0;
    cJSON *sv = NULL;
    int rc = get_by_id(s, id, &sv);
    if (rc == KITH_ENOTFOUND && changed) return 0; /* deleted */
    if (rc) return rc;
    if (!changed || !out) {
        cJSON_Delete(sv);
        return changed ? 0 : KITH_ECONFLICT;
    }
    *out = sv;
    return 0;
}

int kith_store_survey_update(kith_store *s, int64_t id, const cJSON *def, int64_t now, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "UPDATE surveys SET title = ?, kind = ?, questions = ?, anonymous = ?, quiet_days = ?, "
           "attrs = ?, updated_at = ? WHERE id = ? AND status = 'draft'");
    if (!st) return KITH_EIO;
    kith_row_bind_str(st, 1, kith_json_get_str(def, "title"));
    kith_row_bind_str(st, 2, kith_json_get_str(def, "kind"));
    kith_row_bind_json(st, 3, cJSON_GetObjectItemCaseSensitive(def, "questions"), "[]");
    sqlite3_bind_int(st, 4, bool_of(def, "anonymous"));
    sqlite3_bind_int64(st, 5, quiet_days_of(def));
    kith_row_bind_json(st, 6, cJSON_GetObjectItemCaseSensitive(def, "attrs"), "{}");
    sqlite3_bind_int64(st, 7, now);
    sqlite3_bind_int64(st, 8, id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return kith_store_error(s, "update survey");
    return changed_or_why(s, id, out);
}

int kith_store_survey_delete(kith_store *s, int64_t id)
{
    sqlite3_stmt *st = kith_store_stmt(s, "DELETE FROM surveys WHERE id = ? AND status = 'draft'");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return kith_store_error(s, "delete survey");
    return changed_or_why(s, id, NULL);
}

int kith_store_survey_move(kith_store *s, int64_t id, const char *from, const char *to, int64_t now,
                           cJSON **out)
{
    /* The time column follows from the target: fixed text, never input. */
    sqlite3_stmt *st = kith_store_stmt(
        s, strcmp(to, "active") == 0
               ? "UPDATE surveys SET status = ?1, activated_at = ?2, updated_at = ?2 "
                 "WHERE id = ?3 AND status = ?4"
               : "UPDATE surveys SET status = ?1, closed_at = ?2, updated_at = ?2 "
                 "WHERE id = ?3 AND status = ?4");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, to, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, id);
    sqlite3_bind_text(st, 4, from, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return kith_store_error(s, "move survey");
    return changed_or_why(s, id, out);
}

int kith_store_survey_list(kith_store *s, const char *status, int limit, const kith_cursor *after,
                           cJSON *items, int *more, kith_cursor *next)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT " SURVEY_COLUMNS
                                          " FROM surveys WHERE (?1 IS NULL OR status = ?1) "
                                          "AND id > ?2 ORDER BY id LIMIT ?3");
    if (!st) return KITH_EIO;
    kith_row_bind_str(st, 1, status);
    sqlite3_bind_int64(st, 2, after ? after->id : 0);
    sqlite3_bind_int(st, 3, limit + 1);
    return kith_row_page(s, st, limit, 0, 0, from_row, NULL, items, more, next);
}

int kith_store_survey_segment_members(kith_store *s, const char *segment, cJSON *ids)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT customer_id FROM segment_members WHERE segment = ? ORDER BY customer_id");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, segment, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *id = cJSON_CreateNumber((double)sqlite3_column_int64(st, 0));
        if (!id) {
            sqlite3_reset(st);
            return KITH_ENOMEM;
        }
        cJSON_AddItemToArray(ids, id);
    }
    rc = rc == SQLITE_DONE ? 0 : kith_store_error(s, "segment members");
    sqlite3_reset(st);
    return rc;
}
