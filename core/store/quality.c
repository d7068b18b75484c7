/*
 * See quality.h.  One aggregate statement over customers (joined to their
 * stats for never_contacted); invalid e-mails and phones are the values
 * with no comparable form (util/contact_norm.h).
 */
#include "store/quality.h"
#include "store/duplicate.h"
#include "util/error.h"
#include "util/json.h"

#include <sqlite3.h>

static const char *const fields[] = {"email", "phone", "company", "owner", "external_id", NULL};

int kith_store_quality(kith_store *s, int64_t stale_before, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT count(*), count(c.email), count(c.phone), count(c.company), count(c.owner), "
           "count(c.external_id), "
           "sum(c.email IS NOT NULL AND c.email_norm IS NULL), "
           "sum(c.phone IS NOT NULL AND c.phone_norm IS NULL), "
           "sum(c.updated_at < ?1), "
           "sum(coalesce(st.interactions, 0) = 0) "
           "FROM customers c LEFT JOIN customer_stats st ON st.customer_id = c.id");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, stale_before);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return kith_store_error(s, "quality");
    }
    int64_t n = sqlite3_column_int64(st, 0);
    cJSON *o = cJSON_CreateObject();
    kith_json_add_int(o, "customers", n);
    cJSON *comp = cJSON_AddObjectToObject(o, "completeness");
    for (int i = 0; fields[i]; i++) {
        double pct = n ? 100.0 * (double)sqlite3_column_int64(st, 1 + i) / (double)n : 0;
        cJSON_AddNumberToObject(comp, fields[i], (double)(int64_t)(pct * 10 + 0.5) / 10);
    }
    cJSON *inv = cJSON_AddObjectToObject(o, "invalid");
    kith_json_add_int(inv, "email", sqlite3_column_int64(st, 6));
    kith_json_add_int(inv, "phone", sqlite3_column_int64(st, 7));
    kith_json_add_int(o, "stale", sqlite3_column_int64(st, 8));
    kith_json_add_int(o, "never_contacted", sqlite3_column_int64(st, 9));
    sqlite3_reset(st);
    int64_t open = 0;
    if ((rc = kith_store_dup_count_open(s, &open)) < 0) {
        cJSON_Delete(o);
        return rc;
    }
    kith_json_add_int(o, "duplicates_open", open);
    *out = o;
    return 0;
}
