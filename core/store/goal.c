/*
 * See goal.h.
 */
#include "store/goal.h"
#include "store/row.h"
#include "util/error.h"
#include "util/json.h"

#include <sqlite3.h>

int kith_store_goal_put(kith_store *s, const cJSON *g, int64_t now)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO goals(name, metric, target, direction, period, start, owner, created_at, "
           "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) ON CONFLICT(name) DO UPDATE "
           "SET metric = ?2, target = ?3, direction = ?4, period = ?5, start = ?6, owner = ?7, "
           "updated_at = ?8, status = NULL, status_period = NULL");
    if (!st) return KITH_EIO;
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(g, "target");
    const cJSON *start = cJSON_GetObjectItemCaseSensitive(g, "start_ms");
    kith_row_bind_str(st, 1, kith_json_get_str(g, "name"));
    kith_row_bind_str(st, 2, kith_json_get_str(g, "metric"));
    sqlite3_bind_double(st, 3, target->valuedouble);
    kith_row_bind_str(st, 4, kith_json_get_str(g, "direction"));
    kith_row_bind_str(st, 5, kith_json_get_str(g, "period"));
    if (cJSON_IsNumber(start))
        sqlite3_bind_int64(st, 6, (int64_t)start->valuedouble);
    else
        sqlite3_bind_null(st, 6);
    kith_row_bind_str(st, 7, kith_json_get_str(g, "owner"));
    sqlite3_bind_int64(st, 8, now);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, "put goal");
}

int kith_store_goal_delete(kith_store *s, const char *name)
{
    sqlite3_stmt *st = kith_store_stmt(s, "DELETE FROM goals WHERE name = ?");
    if (!st) return KITH_EIO;
    kith_row_bind_str(st, 1, name);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return kith_store_error(s, "delete goal");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}

int kith_store_goal_list(kith_store *s, const char *owner, const char *period, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT name, metric, target, direction, period, start, owner, status, status_period "
           "FROM goals "
           "WHERE (?1 IS NULL OR owner = ?1) AND (?2 IS NULL OR period = ?2) ORDER BY name");
    if (!st) return KITH_EIO;
    kith_row_bind_str(st, 1, owner);
    kith_row_bind_str(st, 2, period);
    cJSON *a = cJSON_CreateArray();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *g = cJSON_CreateObject();
        kith_row_add_str(g, "name", st, 0);
        kith_row_add_str(g, "metric", st, 1);
        cJSON_AddNumberToObject(g, "target", sqlite3_column_double(st, 2));
        kith_row_add_str(g, "direction", st, 3);
        kith_row_add_str(g, "period", st, 4);
        if (sqlite3_column_type(st, 5) != SQLITE_NULL)
            kith_json_add_time(g, "start", sqlite3_column_int64(st, 5));
        if (sqlite3_column_type(st, 6) != SQLITE_NULL) kith_row_add_str(g, "owner", st, 6);
        if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
            cJSON *ann = cJSON_AddObjectToObject(g, "announced");
            kith_row_add_str(ann, "status", st, 7);
            kith_json_add_int(ann, "period", sqlite3_column_int64(st, 8));
        }
        cJSON_AddItemToArray(a, g);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        cJSON_Delete(a);
        return kith_store_error(s, "list goals");
    }
    *out = a;
    return 0;
}

int kith_store_goal_announced(kith_store *s, const char *name, const char *status, int64_t period)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "UPDATE goals SET status = ?2, status_period = ?3 WHERE name = ?1");
    if (!st) return KITH_EIO;
    kith_row_bind_str(st, 1, name);
    kith_row_bind_str(st, 2, status);
    sqlite3_bind_int64(st, 3, period);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, "record a goal's status");
}
