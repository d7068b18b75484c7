/*
 * See consent.h.  One table, indexed for "the newest row of this customer
 * for this purpose and channel".
 */
#include "store/consent.h"
#include "store/row.h"
#include "util/error.h"
#include "util/json.h"

#include <sqlite3.h>
#include <string.h>

#define CONSENT_COLUMNS "id, customer_id, purpose, channel, granted, source, evidence, at, by"

static cJSON *from_row(sqlite3_stmt *st, void *unused)
{
    (void)unused;
    cJSON *c = cJSON_CreateObject();
    if (!c) return NULL;
    int rc = kith_json_add_int(c, "id", sqlite3_column_int64(st, 0));
    rc |= kith_json_add_int(c, "customer_id", sqlite3_column_int64(st, 1));
    rc |= kith_row_add_str(c, "purpose", st, 2);
    rc |= kith_row_add_str(c, "channel", st, 3);
    rc |= !cJSON_AddBoolToObject(c, "granted", sqlite3_column_int(st, 4));
    rc |= kith_row_add_str(c, "source", st, 5);
    rc |= kith_row_add_str(c, "evidence", st, 6);
    rc |= kith_row_add_time(c, "at", st, 7);
    rc |= kith_row_add_str(c, "by", st, 8);
    if (rc) {
        cJSON_Delete(c);
        return NULL;
    }
    return c;
}

int kith_store_consent_add(kith_store *s, const kith_consent_new *c, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO consents(customer_id, purpose, channel, granted, source, evidence, at, by, "
           "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, c->customer_id);
    kith_row_bind_str(st, 2, c->purpose);
    kith_row_bind_str(st, 3, c->channel);
    sqlite3_bind_int(st, 4, c->granted);
    kith_row_bind_str(st, 5, c->source);
    kith_row_bind_str(st, 6, c->evidence);
    sqlite3_bind_int64(st, 7, c->at);
    kith_row_bind_str(st, 8, c->by);
    sqlite3_bind_int64(st, 9, c->now);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "add consent");
    st = kith_store_stmt(s, "SELECT " CONSENT_COLUMNS " FROM consents WHERE id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, sqlite3_last_insert_rowid(kith_store_db(s)));
    return kith_row_one(s, st, from_row, NULL, "read consent", out);
}

int kith_store_consent_current(kith_store *s, int64_t customer_id, const char *purpose,
                               const char *channel, cJSON **out)
{
    /* Ordered by the time the customer said it, then by entry. */
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT " CONSENT_COLUMNS " FROM consents WHERE customer_id = ?1 AND purpose = ?2 "
           "AND channel IN (?3, 'any') ORDER BY at DESC, id DESC LIMIT 1");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, customer_id);
    kith_row_bind_str(st, 2, purpose);
    kith_row_bind_str(st, 3, channel);
    return kith_row_one(s, st, from_row, NULL, "current consent", out);
}

int kith_store_consent_list(kith_store *s, int64_t customer_id, cJSON *current, cJSON *history)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT " CONSENT_COLUMNS " FROM consents WHERE "
                                          "customer_id = ? ORDER BY at DESC, id DESC");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, customer_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *c = from_row(st, NULL);
        if (!c) {
            sqlite3_reset(st);
            return KITH_ENOMEM;
        }
        const char *p = kith_json_get_str(c, "purpose"), *ch = kith_json_get_str(c, "channel");
        int seen = 0;
        const cJSON *k;
        cJSON_ArrayForEach(k, current) if (strcmp(kith_json_get_str(k, "purpose"), p) == 0 &&
                                           strcmp(kith_json_get_str(k, "channel"), ch) == 0) seen =
            1;
        if (!seen) cJSON_AddItemToArray(current, cJSON_Duplicate(c, 1));
        cJSON_AddItemToArray(history, c);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, "list consents");
}

int kith_store_consent_allowed(kith_store *s, int64_t customer_id, const char *purpose,
                               const char *channel, int *allowed, const char **reason, int64_t *at)
{
    cJSON *c = NULL;
    int rc = kith_store_consent_current(s, customer_id, purpose, channel, &c);
    if (rc == KITH_ENOTFOUND) {
        *allowed = strcmp(purpose, "service") == 0 || strcmp(purpose, "survey") == 0;
        *reason = *allowed ? "default" : "no_consent";
        *at = 0;
        return 0;
    }
    if (rc < 0) return rc;
    *allowed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "granted"));
    *reason = *allowed ? "granted" : "no_consent";
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT at FROM consents WHERE id = ?");
    *at = 0;
    if (st) {
        sqlite3_bind_int64(
            st, 1, (sqlite3_int64)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "id")));
        if (sqlite3_step(st) == SQLITE_ROW) *at = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    cJSON_Delete(c);
    return 0;
}
