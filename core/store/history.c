/*
 * The audit trail and the stage history (history.h).
 */
#include "store/history.h"

#include "store/row.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"

#include <math.h>
#include <stdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

int kith_store_audit_append(kith_store *s, const kith_audit_row *r)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO audit(at, by, method, type, kind, record_id, customer_id, op, changes) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, r->at);
    kith_row_bind_str(st, 2, r->by);
    kith_row_bind_str(st, 3, r->method);
    kith_row_bind_str(st, 4, r->type);
    kith_row_bind_str(st, 5, r->kind);
    sqlite3_bind_int64(st, 6, r->record_id);
    if (r->customer_id > 0) sqlite3_bind_int64(st, 7, r->customer_id);
    sqlite3_bind_int(st, 8, r->op);
    int rc = kith_row_bind_json(st, 9, r->changes, "{}");
    if (rc == 0 && sqlite3_step(st) != SQLITE_DONE) rc = kith_store_error(s, "audit");
    sqlite3_reset(st);
    return rc;
}

/* The stored text as {field: {old, new}} (note 1).  A record's id and
 * bookkeeping times are not changes anyone made. */
static cJSON *changes_of(const char *text, int op)
{
    cJSON *v = cJSON_Parse(text ? text : "{}");
    if (!v || op == KITH_AUDIT_CHANGE) return v ? v : cJSON_CreateObject();
    cJSON *out = cJSON_CreateObject();
    for (cJSON *f = v->child; f && out; f = f->next) {
        if (!f->string || strcmp(f->string, "id") == 0 || strcmp(f->string, "customer_id") == 0 ||
            strcmp(f->string, "created_at") == 0 || strcmp(f->string, "updated_at") == 0 ||
            cJSON_IsNull(f))
            continue;
        cJSON *ch = cJSON_AddObjectToObject(out, f->string);
        if (!ch) break;
        cJSON *val = cJSON_Duplicate(f, 1);
        cJSON_AddItemToObject(ch, "old", op == KITH_AUDIT_DELETE ? val : cJSON_CreateNull());
        cJSON_AddItemToObject(ch, "new", op == KITH_AUDIT_DELETE ? cJSON_CreateNull() : val);
    }
    cJSON_Delete(v);
    return out;
}

#define AUDIT_COLUMNS "id, at, by, method, type, kind, record_id, customer_id, op, changes"

static cJSON *audit_from_row(sqlite3_stmt *st, void *arg)
{
    (void)arg;
    cJSON *o = cJSON_CreateObject();
    int rc = kith_row_add_time(o, "at", st, 1);
    rc |= kith_row_add_str(o, "by", st, 2);
    rc |= kith_row_add_str(o, "method", st, 3);
    rc |= kith_row_add_str(o, "type", st, 4);
    cJSON *rec = cJSON_AddObjectToObject(o, "record");
    rc |= !rec || kith_row_add_str(rec, "kind", st, 5);
    rc |= !rec || !cJSON_AddNumberToObject(rec, "id", (double)sqlite3_column_int64(st, 6));
    if (sqlite3_column_type(st, 7) == SQLITE_NULL)
        rc |= !cJSON_AddNullToObject(o, "customer_id");
    else
        rc |= !cJSON_AddNumberToObject(o, "customer_id", (double)sqlite3_column_int64(st, 7));
    cJSON *ch = changes_of((const char *)sqlite3_column_text(st, 9), sqlite3_column_int(st, 8));
    if (ch) cJSON_AddItemToObject(o, "changes", ch);
    if (rc || !ch) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int kith_store_audit_list(kith_store *s, const kith_audit_filter *f, int limit,
                          const kith_cursor *after, cJSON *items, int *more, kith_cursor *next)
{
    /* One statement per way in (customer, record, all), so each has its
     * index; the rest drop out by binding NULL. */
    /* A customer's own rows are found on the customer index (note 2). */
    int own = f->kind && strcmp(f->kind, "customer") == 0;
    const char *sql =
        own       ? "SELECT " AUDIT_COLUMNS " FROM audit WHERE customer_id = ?2 AND kind = ?1 "
                    "AND id < ?3 AND (?4 IS NULL OR by = ?4) AND at >= ?5 AND at < ?6 "
                    "AND (?7 IS NULL OR customer_id = ?7) ORDER BY id DESC LIMIT ?8"
        : f->kind ? "SELECT " AUDIT_COLUMNS " FROM audit WHERE kind = ?1 AND record_id = ?2 "
                    "AND kind <> 'customer' AND id < ?3 AND (?4 IS NULL OR by = ?4) AND at >= ?5 "
                    "AND at < ?6 AND (?7 IS NULL OR customer_id = ?7) ORDER BY id DESC LIMIT ?8"
        : f->customer_id ? "SELECT " AUDIT_COLUMNS " FROM audit WHERE customer_id = ?7 "
                           "AND id < ?3 AND (?4 IS NULL OR by = ?4) AND at >= ?5 AND at < ?6 "
                           "ORDER BY id DESC LIMIT ?8"
                         : "SELECT " AUDIT_COLUMNS
                           " FROM audit WHERE id < ?3 AND (?4 IS NULL OR by = ?4) "
                           "AND at >= ?5 AND at < ?6 ORDER BY id DESC LIMIT ?8";
    sqlite3_stmt *st = kith_store_stmt(s, sql);
    if (!st) return KITH_EIO;
    kith_row_bind_str(st, 1, f->kind);
    sqlite3_bind_int64(st, 2, f->record_id);
    sqlite3_bind_int64(st, 3, after ? after->id : INT64_MAX);
    kith_row_bind_str(st, 4, f->by);
    sqlite3_bind_int64(st, 5, f->from);
    sqlite3_bind_int64(st, 6, f->to);
    if (f->customer_id) sqlite3_bind_int64(st, 7, f->customer_id);
    sqlite3_bind_int(st, 8, limit + 1);
    return kith_row_page(s, st, limit, 0, 0, audit_from_row, NULL, items, more, next);
}

int kith_store_audit_last_status(kith_store *s, const char *kind, int64_t record_id, char *out,
                                 size_t len)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT st FROM (SELECT id, CASE op WHEN 1 THEN json_extract(changes, '$.status.new') "
           "  ELSE json_extract(changes, '$.status') END AS st "
           "  FROM audit WHERE kind = ?1 AND record_id = ?2 AND kind <> 'customer') "
           "WHERE st IS NOT NULL ORDER BY id DESC LIMIT 1");
    if (!st) return KITH_EIO;
    kith_row_bind_str(st, 1, kind);
    sqlite3_bind_int64(st, 2, record_id);
    out[0] = '\0';
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : kith_store_error(s, "audit");
}

int kith_store_audit_trim(kith_store *s, int64_t before_at, int limit)
{
    /* Rows are written in time order, so the oldest ids are the old rows:
     * the walk from the start stops at the first young one. */
    sqlite3_stmt *st = kith_store_stmt(
        s, "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < ? ORDER BY id LIMIT ?)");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, before_at);
    sqlite3_bind_int(st, 2, limit);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "trim audit");
    sqlite3_reset(st);
    return sqlite3_changes(kith_store_db(s));
}

int kith_store_stage_append(kith_store *s, int64_t customer_id, int64_t at, const char *from,
                            const char *to, const char *reason, const char *by)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO stage_history(customer_id, at, from_stage, to_stage, reason, by) "
           "VALUES (?, ?, ?, ?, ?, ?)");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, customer_id);
    sqlite3_bind_int64(st, 2, at);
    kith_row_bind_str(st, 3, from);
    kith_row_bind_str(st, 4, to);
    kith_row_bind_str(st, 5, reason);
    kith_row_bind_str(st, 6, by);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : kith_store_error(s, "stage history");
    sqlite3_reset(st);
    return rc;
}

static int add_seconds(cJSON *spent, const char *stage, double s)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(spent, stage);
    if (v) {
        cJSON_SetNumberValue(v, v->valuedouble + s);
        return 0;
    }
    return cJSON_AddNumberToObject(spent, stage, s) ? 0 : KITH_ENOMEM;
}

int kith_store_stage_list(kith_store *s, int64_t customer_id, int64_t now, cJSON **history,
                          cJSON **spent)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT at, from_stage, to_stage, reason, by, "
           "  lead(at) OVER (ORDER BY at, id) FROM stage_history WHERE customer_id = ? "
           "ORDER BY at, id");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, customer_id);
    cJSON *h = cJSON_CreateArray(), *sp = cJSON_CreateObject();
    int rc = h && sp ? 0 : KITH_ENOMEM, step = SQLITE_DONE;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(h, o);
        int open = sqlite3_column_type(st, 5) == SQLITE_NULL;
        int64_t until = open ? now : sqlite3_column_int64(st, 5);
        double secs = (double)(until - sqlite3_column_int64(st, 0)) / 1000.0;
        rc |= kith_row_add_time(o, "at", st, 0);
        rc |= kith_row_add_str(o, "from", st, 1);
        rc |= kith_row_add_str(o, "to", st, 2);
        rc |= kith_row_add_str(o, "reason", st, 3);
        rc |= kith_row_add_str(o, "by", st, 4);
        rc |= kith_row_add_time(o, "left_at", st, 5);
        rc |= !(open ? cJSON_AddNullToObject(o, "duration_s")
                     : cJSON_AddNumberToObject(o, "duration_s", secs));
        rc |= add_seconds(sp, (const char *)sqlite3_column_text(st, 2), secs < 0 ? 0 : secs);
        if (rc) rc = KITH_ENOMEM;
    }
    if (!rc && step != SQLITE_DONE) rc = kith_store_error(s, "stage history");
    sqlite3_reset(st);
    if (rc) {
        cJSON_Delete(h);
        cJSON_Delete(sp);
        return rc;
    }
    *history = h;
    *spent = sp;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Adds {n, mean_s, median_s, p90_s} for one stage's sorted stays. */
static int add_summary(cJSON *out, const char *stage, int64_t *d, size_t n, int64_t current)
{
    cJSON *o = cJSON_AddObjectToObject(out, stage);
    if (!o) return KITH_ENOMEM;
    if (n) qsort(d, n, sizeof(*d), cmp_i64);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)d[i];
    int ok = cJSON_AddNumberToObject(o, "n", (double)n) != NULL;
    ok &= cJSON_AddNumberToObject(o, "current", (double)current) != NULL;
    if (n) {
        double median = n % 2 ? (double)d[n / 2] : ((double)d[n / 2 - 1] + (double)d[n / 2]) / 2;
        ok &= cJSON_AddNumberToObject(o, "mean_s", round(sum / (double)n) / 1000.0) != NULL;
        ok &= cJSON_AddNumberToObject(o, "median_s", median / 1000.0) != NULL;
        size_t p90 = (n * 9 + 9) / 10 - 1; /* nearest rank: ceil(0.9 n) - 1 */
        ok &= cJSON_AddNumberToObject(o, "p90_s", (double)d[p90] / 1000.0) != NULL;
    } else {
        ok &= cJSON_AddNullToObject(o, "mean_s") && cJSON_AddNullToObject(o, "median_s") &&
              cJSON_AddNullToObject(o, "p90_s");
    }
    return ok ? 0 : KITH_ENOMEM;
}

int kith_store_stage_durations(kith_store *s, cJSON **out)
{
    /* One pass over the history in (customer, at, id) order, its index's:
     * each row's stay ends at the customer's next row (lead), or is still
     * going (NULL).  Rows come out by stage, so each stage's stays are
     * gathered, summarised and dropped before the next. */
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT to_stage, dur FROM (SELECT to_stage, "
                           "  lead(at) OVER (PARTITION BY customer_id ORDER BY at, id) - at AS dur "
                           "  FROM stage_history) ORDER BY to_stage");
    if (!st) return KITH_EIO;
    cJSON *o = cJSON_CreateObject();
    int64_t *d = NULL, current = 0;
    size_t n = 0, cap = 0;
    char stage[64] = "";
    int rc = o ? 0 : KITH_ENOMEM, step = SQLITE_DONE, have = 0;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *to = (const char *)sqlite3_column_text(st, 0);
        if (!to) continue;
        if (have && strcmp(to, stage) != 0) {
            rc = add_summary(o, stage, d, n, current);
            n = 0;
            current = 0;
        }
        have = 1;
        snprintf(stage, sizeof(stage), "%s", to);
        if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
            current++;
            continue;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            int64_t *nd = realloc(d, nc * sizeof(*d));
            if (!nd) {
                rc = KITH_ENOMEM;
                break;
            }
            d = nd;
            cap = nc;
        }
        d[n++] = sqlite3_column_int64(st, 1);
    }
    if (!rc && step != SQLITE_DONE) rc = kith_store_error(s, "stage durations");
    if (!rc && have) rc = add_summary(o, stage, d, n, current);
    sqlite3_reset(st);
    free(d);
    if (rc) {
        cJSON_Delete(o);
        return rc;
    }
    *out = o;
    return 0;
}
