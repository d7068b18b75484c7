/*
 * See identity.h.  The primary key (source, key) is what makes a key one
 * customer's; identities_customer serves the per-customer list and the
 * cascade when a customer is deleted.
 */
#include "store/identity.h"
#include "store/row.h"
#include "util/error.h"
#include "util/json.h"

#include <sqlite3.h>

int kith_store_identity_find(kith_store *s, const char *source, const char *key,
                             int64_t *customer_id)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT customer_id FROM identities WHERE source = ? AND key = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *customer_id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    return rc == SQLITE_ROW ? 0 : kith_store_error(s, "find identity");
}

int kith_store_identity_add(kith_store *s, int64_t customer_id, const char *source, const char *key,
                            int64_t now)
{
    /* Looked up first rather than caught as a constraint failure: the
     * owner decides between "already yours" (0) and "someone else's". */
    int64_t owner = 0;
    int rc = kith_store_identity_find(s, source, key, &owner);
    if (rc == 0) return owner == customer_id ? 0 : KITH_ECONFLICT;
    if (rc != KITH_ENOTFOUND) return rc;
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO identities(source, key, customer_id, created_at) VALUES (?, ?, ?, ?)");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, customer_id);
    sqlite3_bind_int64(st, 4, now);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "add identity");
    return 0;
}

int kith_store_identity_remove(kith_store *s, int64_t customer_id, const char *source,
                               const char *key)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "DELETE FROM identities WHERE source = ? AND key = ? AND customer_id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, customer_id);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "remove identity");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}

static cJSON *from_row(sqlite3_stmt *st, void *unused)
{
    (void)unused;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    int rc = kith_row_add_str(o, "source", st, 0);
    rc |= kith_row_add_str(o, "key", st, 1);
    rc |= kith_row_add_time(o, "created_at", st, 2);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int kith_store_identity_list(kith_store *s, int64_t customer_id, cJSON *items)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT source, key, created_at FROM identities "
                                          "WHERE customer_id = ? ORDER BY source, key");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, customer_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = from_row(st, NULL);
        if (!o) {
            sqlite3_reset(st);
            return KITH_ENOMEM;
        }
        cJSON_AddItemToArray(items, o);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, "list identities");
}
