/*
 * See rollup.h.
 */
#include "store/rollup.h"
#include "util/error.h"
#include "util/log.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUB_BUCKETS 8.0 /* per power of two of (1 + x) */

int64_t kith_rollup_day(int64_t at_ms)
{
    int64_t d = at_ms / KITH_DAY_MS;
    return at_ms % KITH_DAY_MS < 0 ? d - 1 : d;
}

int kith_rollup_interval_start(const char *interval, int64_t day, int64_t *start)
{
    if (!interval || strcmp(interval, "all") == 0) {
        *start = INT64_MIN;
        return 0;
    }
    if (strcmp(interval, "day") == 0) {
        *start = day;
        return 0;
    }
    if (strcmp(interval, "week") == 0) {
        /* Day 0 (1970-01-01) was a Thursday: Monday is 3 days before. */
        int64_t dow = ((day + 3) % 7 + 7) % 7; /* 0 = Monday */
        *start = day - dow;
        return 0;
    }
    if (strcmp(interval, "month") == 0) {
        /* Civil-from-days (Howard Hinnant's algorithm), then back to the 1st. */
        int64_t z = day + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
        int64_t doe = z - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
        *start = day - (d - 1);
        return 0;
    }
    return KITH_EPARAMS;
}

int kith_rollup_bucket(double x)
{
    if (!(x > 0)) return 0;
    double b = floor(log2(1.0 + x) * SUB_BUCKETS);
    return b >= KITH_ROLLUP_BUCKETS - 1 ? KITH_ROLLUP_BUCKETS - 1 : (int)b;
}

double kith_rollup_bucket_low(int b)
{
    return exp2(b / SUB_BUCKETS) - 1.0;
}

double kith_rollup_quantile(const int64_t *counts, double q)
{
    int64_t total = 0;
    for (int b = 0; b < KITH_ROLLUP_BUCKETS; b++)
        total += counts[b];
    if (total <= 0) return -1;
    double want = q * (double)total, seen = 0;
    for (int b = 0; b < KITH_ROLLUP_BUCKETS; b++) {
        if (counts[b] <= 0) continue;
        if (seen + (double)counts[b] >= want) {
            double lo = kith_rollup_bucket_low(b), hi = kith_rollup_bucket_low(b + 1);
            return lo + (hi - lo) * ((want - seen) / (double)counts[b]);
        }
        seen += (double)counts[b];
    }
    return kith_rollup_bucket_low(KITH_ROLLUP_BUCKETS);
}

static int upsert(kith_store *s, const kith_rollup_obs *o, const char *dim, const char *key,
                  int64_t day, int bucket)
{
    kith_stmt *st = kith_store_stmt(
        s, "INSERT INTO rollups(metric, dim, key, day, bucket, n, sx, sxx, sy, syy, sxy) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
           "ON CONFLICT(metric, dim, key, day, bucket) DO UPDATE SET n = n + ?6, sx = sx + ?7, "
           "sxx = sxx + ?8, sy = sy + ?9, syy = syy + ?10, sxy = sxy + ?11");
    if (!st) return KITH_EIO;
    int moments = bucket < 0;
    double x = moments && o->has_x ? o->x : 0, y = moments && o->has_y ? o->y : 0;
    sqlite3_bind_text(st, 1, o->metric, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, dim, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, day);
    sqlite3_bind_int(st, 5, bucket);
    sqlite3_bind_int64(st, 6, o->n);
    sqlite3_bind_double(st, 7, (double)o->n * x);
    sqlite3_bind_double(st, 8, (double)o->n * x * x);
    sqlite3_bind_double(st, 9, (double)o->n * y);
    sqlite3_bind_double(st, 10, (double)o->n * y * y);
    sqlite3_bind_double(st, 11, (double)o->n * x * y);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, "record a rollup");
}

/* The moments row of (metric, dim, key, day) gains n, sx, sxx (the log's
 * sums, note 4). */
static int upsert_sums(kith_store *s, const char *metric, const char *dim, const char *key,
                       int64_t day, int64_t n, double sx, double sxx)
{
    kith_stmt *st = kith_store_stmt(
        s, "INSERT INTO rollups(metric, dim, key, day, bucket, n, sx, sxx, sy, syy, sxy) "
           "VALUES (?1, ?2, ?3, ?4, -1, ?5, ?6, ?7, 0, 0, 0) "
           "ON CONFLICT(metric, dim, key, day, bucket) DO UPDATE SET n = n + ?5, sx = sx + ?6, "
           "sxx = sxx + ?7");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, metric, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, dim, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, day);
    sqlite3_bind_int64(st, 5, n);
    sqlite3_bind_double(st, 6, sx);
    sqlite3_bind_double(st, 7, sxx);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, "record a rollup");
}

static int record_group(kith_store *s, const kith_rollup_obs *o, const char *dim, const char *key,
                        int64_t day)
{
    int rc = upsert(s, o, dim, key, day, -1);
    if (!rc && o->hist && o->has_x) rc = upsert(s, o, dim, key, day, kith_rollup_bucket(o->x));
    return rc;
}

int kith_rollup_record(kith_store *s, const kith_rollup_obs *o, const kith_rollup_dim *dims,
                       size_t ndims)
{
    int64_t day = kith_rollup_day(o->at);
    int rc = record_group(s, o, "", "", day);
    for (size_t i = 0; !rc && i < ndims; i++)
        if (dims[i].key) rc = record_group(s, o, dims[i].dim, dims[i].key, day);
    return rc;
}

int kith_rollup_scan(kith_store *s, const char *metric, const char *dim, int64_t from_day,
                     int64_t to_day, kith_rollup_fn fn, void *ud)
{
    kith_stmt *st = kith_store_stmt(
        s, "SELECT dim, key, day, bucket, n, sx, sxx, sy, syy, sxy FROM rollups "
           "WHERE metric = ?1 AND (?2 IS NULL OR dim = ?2) AND day BETWEEN ?3 AND ?4 "
           "ORDER BY dim, key, day, bucket");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, metric, -1, SQLITE_STATIC);
    if (dim)
        sqlite3_bind_text(st, 2, dim, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 2);
    sqlite3_bind_int64(st, 3, from_day);
    sqlite3_bind_int64(st, 4, to_day);
    int rc, rows = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        kith_rollup_row r = {
            .dim = (const char *)sqlite3_column_text(st, 0),
            .key = (const char *)sqlite3_column_text(st, 1),
            .day = sqlite3_column_int64(st, 2),
            .bucket = sqlite3_column_int(st, 3),
            .n = sqlite3_column_int64(st, 4),
            .sx = sqlite3_column_double(st, 5),
            .sxx = sqlite3_column_double(st, 6),
            .sy = sqlite3_column_double(st, 7),
            .syy = sqlite3_column_double(st, 8),
            .sxy = sqlite3_column_double(st, 9),
        };
        fn(ud, &r);
        rows++;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? rows : kith_store_error(s, "read rollups");
}

/* Note 4: one logged add, with the depth of the request that owns it. */
struct log_entry {
    const char *metric, *dim; /* string literals */
    char key[64];
    int64_t day, n;
    double sx, sxx;
    int depth;
};

struct kith_rollup_log {
    struct log_entry *entries;
    size_t count, cap;
};

int kith_rollup_add(kith_store *s, const char *metric, const char *dim, const char *key, int64_t at,
                    int64_t n, double x)
{
    kith_assert(kith_store_in_request(s) > 0);
    if (strlen(key) >= sizeof(((struct log_entry *)0)->key)) {
        /* A key too long to log goes in at once. */
        kith_rollup_obs o = {.metric = metric, .at = at, .n = n, .has_x = 1, .x = x};
        return upsert(s, &o, dim, key, kith_rollup_day(at), -1);
    }
    kith_rollup_log **slot = kith_store_rollup_log(s), *log = *slot;
    if (!log && !(log = *slot = calloc(1, sizeof(*log)))) return KITH_ENOMEM;
    if (log->count == log->cap) {
        size_t cap = log->cap ? log->cap * 2 : 64;
        struct log_entry *e = realloc(log->entries, cap * sizeof(*e));
        if (!e) return KITH_ENOMEM;
        log->entries = e;
        log->cap = cap;
    }
    struct log_entry *e = &log->entries[log->count++];
    *e = (struct log_entry){.metric = metric,
                            .dim = dim,
                            .day = kith_rollup_day(at),
                            .n = n,
                            .sx = (double)n * x,
                            .sxx = (double)n * x * x,
                            .depth = kith_store_in_request(s)};
    snprintf(e->key, sizeof(e->key), "%s", key);
    return 0;
}

int kith_rollup_count(kith_store *s, const char *metric, int64_t at, int64_t n)
{
    return kith_rollup_add(s, metric, "", "", at, n, 0);
}

void kith_rollup_log_end(kith_rollup_log *log, int depth, int ok)
{
    /* The adds of this request and of its inner ones are the log's tail:
     * requests nest, so a deeper one always ended before it. */
    size_t i = log->count;
    while (i > 0 && log->entries[i - 1].depth >= depth)
        i--;
    if (!ok) {
        log->count = i;
        return;
    }
    for (; i < log->count; i++)
        log->entries[i].depth = depth - 1;
}

static int entry_order(const void *a, const void *b)
{
    const struct log_entry *x = a, *y = b;
    int c = strcmp(x->metric, y->metric);
    if (!c) c = strcmp(x->dim, y->dim);
    if (!c) c = strcmp(x->key, y->key);
    if (!c) c = (x->day > y->day) - (x->day < y->day);
    return c;
}

int kith_rollup_log_flush(kith_store *s, kith_rollup_log *log)
{
    int rc = 0;
    /* Sorted, then summed per (metric, dim, key, day): a pass holds few
     * distinct ones (today's, and the days of orders recorded late). */
    qsort(log->entries, log->count, sizeof(*log->entries), entry_order);
    for (size_t i = 0; !rc && i < log->count;) {
        struct log_entry *e = &log->entries[i];
        int64_t n = 0;
        double sx = 0, sxx = 0;
        size_t j = i;
        for (; j < log->count && entry_order(e, &log->entries[j]) == 0; j++) {
            n += log->entries[j].n;
            sx += log->entries[j].sx;
            sxx += log->entries[j].sxx;
        }
        rc = upsert_sums(s, e->metric, e->dim, e->key, e->day, n, sx, sxx);
        i = j;
    }
    log->count = 0;
    return rc;
}

void kith_rollup_log_clear(kith_rollup_log *log)
{
    if (log) log->count = 0;
}

void kith_rollup_log_free(kith_rollup_log *log)
{
    if (!log) return;
    free(log->entries);
    free(log);
}
