/*
 * See snapshot.h.
 */
#include "store/snapshot.h"
#include "util/error.h"

#include <sqlite3.h>

static int counts(kith_store *s, const char *sql, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(s, sql);
    if (!st) return KITH_EIO;
    cJSON *o = cJSON_CreateObject();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        cJSON_AddNumberToObject(o, (const char *)sqlite3_column_text(st, 0),
                                (double)sqlite3_column_int64(st, 1));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        cJSON_Delete(o);
        return kith_store_error(s, "count");
    }
    *out = o;
    return 0;
}

int kith_store_count_by_stage(kith_store *s, cJSON **out)
{
    return counts(s, "SELECT coalesce(stage, ''), count(*) FROM customers GROUP BY 1 ORDER BY 1",
                  out);
}

int kith_store_count_by_tier(kith_store *s, cJSON **out, int64_t *outstanding)
{
    int rc = counts(s,
                    "SELECT coalesce(tier, ''), count(*) FROM loyalty_accounts GROUP BY 1 "
                    "ORDER BY 1",
                    out);
    if (rc) return rc;
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT coalesce(sum(points), 0) FROM loyalty_accounts");
    if (!st || sqlite3_step(st) != SQLITE_ROW) {
        if (st) sqlite3_reset(st);
        cJSON_Delete(*out);
        return kith_store_error(s, "sum points");
    }
    *outstanding = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}
