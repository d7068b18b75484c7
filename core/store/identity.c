/*
 * The identities table (migration 9): one row per {source, key}, keyed by
 * it, so finding a customer by identity is one primary-key probe.
 */
#include "store/identity.h"
#include "store/row.h"
#include "util/error.h"

#include <sqlite3.h>

int kith_store_identity_find(kith_store *s, const char *source, const char *key,
                             int64_t *customer_id)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT customer_id FROM identities WHERE source = ? AND key = ?");
    if (!st) return KITH_EIO;
    kith_row_bind_str(st, 1, source);
    kith_row_bind_str(st, 2, key);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    if (rc != SQLITE_ROW) return kith_store_error(s, "find identity");
    *customer_id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

int kith_store_identity_add(kith_store *s, int64_t customer_id, const char *source, const char *key,
                            int64_t now)
{
    int64_t holder = 0;
    int rc = kith_store_identity_find(s, source, key, &holder);
    if (rc == 0) return holder == customer_id ? 0 : KITH_ECONFLICT;
    if (rc != KITH_ENOTFOUND) return rc;
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO identities(source, key, customer_id, created_at) VALUES (?, ?, ?, ?)");
    if (!st) return KITH_EIO;
    kith_row_bind_str(st, 1, source);
    kith_row_bind_str(st, 2, key);
    sqlite3_bind_int64(st, 3, customer_id);
    sqlite3_bind_int64(st, 4, now);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : kith_store_error(s, "add identity");
}

int kith_store_identity_remove(kith_store *s, int64_t customer_id, const char *source,
                               const char *key)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "DELETE FROM identities WHERE source = ? AND key = ? AND customer_id = ?");
    if (!st) return KITH_EIO;
    kith_row_bind_str(st, 1, source);
    kith_row_bind_str(st, 2, key);
    sqlite3_bind_int64(st, 3, customer_id);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "remove identity");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}

int kith_store_identity_list(kith_store *s, int64_t customer_id, cJSON *out)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT source, key, created_at FROM identities "
                                          "WHERE customer_id = ? ORDER BY source, key");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, customer_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();
        if (!o || kith_row_add_str(o, "source", st, 0) || kith_row_add_str(o, "key", st, 1) ||
            kith_row_add_time(o, "created_at", st, 2)) {
            cJSON_Delete(o);
            sqlite3_reset(st);
            return KITH_ENOMEM;
        }
        cJSON_AddItemToArray(out, o);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, "list identities");
}
