/*
 * See cohort.h.
 */
#include "store/cohort.h"
#include "util/error.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <time.h>

int64_t kith_month_of(int64_t at_ms)
{
    time_t t = (time_t)(at_ms >= 0 ? at_ms / 1000 : -((-at_ms + 999) / 1000));
    struct tm tm;
    gmtime_r(&t, &tm);
    return (int64_t)(tm.tm_year + 1900) * 12 + tm.tm_mon;
}

int64_t kith_month_start(int64_t m)
{
    struct tm tm = {.tm_year = (int)(m / 12) - 1900, .tm_mon = (int)(m % 12), .tm_mday = 1};
    return (int64_t)timegm(&tm) * 1000;
}

/* Runs `sql` with ?1..?3 bound to a, b, c. */
static int exec3(kith_store *s, const char *sql, int64_t a, int64_t b, int64_t c, const char *what)
{
    sqlite3_stmt *st = kith_store_stmt(s, sql);
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    sqlite3_bind_int64(st, 3, c);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, what);
}

static int cell_add(kith_store *s, int64_t cohort, int64_t month, int64_t n)
{
    return exec3(s,
                 "INSERT INTO cohort_cells(cohort, month, customers) VALUES (?1, ?2, ?3) "
                 "ON CONFLICT DO UPDATE SET customers = customers + ?3",
                 cohort, month, n, "count a cohort cell");
}

static int retained_add(kith_store *s, int64_t month, int64_t n)
{
    return exec3(s,
                 "INSERT INTO month_retained(month, customers) VALUES (?1, ?2) "
                 "ON CONFLICT DO UPDATE SET customers = customers + ?2",
                 month, n, 0, "count retention");
}

/* Customer `id` just gained month `m` (its row is in).  One query tells
 * her first other month and whether the months around m are hers. */
static int add_month(kith_store *s, int64_t id, int64_t m)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT min(month), max(month = ?2 - 1), max(month = ?2 + 1) FROM customer_months "
           "WHERE customer_id = ?1 AND month != ?2");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, m);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return kith_store_error(s, "read cohort");
    }
    int none = sqlite3_column_type(st, 0) == SQLITE_NULL;
    int64_t first = none ? m : sqlite3_column_int64(st, 0);
    int before = sqlite3_column_int(st, 1), after = sqlite3_column_int(st, 2);
    sqlite3_reset(st);
    int rc = 0;
    if (!none && m < first) {
        /* An earlier first month: her other months move to the new cohort. */
        rc = exec3(s,
                   "UPDATE cohort_cells SET customers = customers - 1 WHERE cohort = ?2 AND month "
                   "IN (SELECT month FROM customer_months WHERE customer_id = ?1 AND month != ?3)",
                   id, first, m, "leave a cohort");
        if (!rc)
            rc = exec3(s,
                       "INSERT INTO cohort_cells(cohort, month, customers) SELECT ?3, month, 1 "
                       "FROM customer_months WHERE customer_id = ?1 AND month != ?3 "
                       "ON CONFLICT DO UPDATE SET customers = customers + 1",
                       id, first, m, "join a cohort");
        first = m;
    }
    if (!rc) rc = cell_add(s, first, m, 1);
    if (!rc && before) rc = retained_add(s, m, 1);
    if (!rc && after) rc = retained_add(s, m + 1, 1);
    return rc;
}

int kith_cohort_add_order(kith_store *s, int64_t id, int64_t at)
{
    int64_t m = kith_month_of(at);
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT OR IGNORE INTO customer_months(customer_id, month) VALUES (?, ?)");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, m);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return kith_store_error(s, "record an order month");
    return sqlite3_changes(kith_store_db(s)) ? add_month(s, id, m) : 0;
}

int kith_cohort_forget(kith_store *s, int64_t id)
{
    int rc = exec3(s,
                   "UPDATE cohort_cells SET customers = customers - 1 WHERE cohort = (SELECT "
                   "min(month) FROM customer_months WHERE customer_id = ?1) AND month IN (SELECT "
                   "month FROM customer_months WHERE customer_id = ?1)",
                   id, 0, 0, "forget cohort cells");
    if (!rc)
        rc = exec3(s,
                   "UPDATE month_retained SET customers = customers - 1 WHERE month IN (SELECT "
                   "m.month FROM customer_months m JOIN customer_months p ON p.customer_id = "
                   "m.customer_id AND p.month = m.month - 1 WHERE m.customer_id = ?1)",
                   id, 0, 0, "forget retention");
    if (!rc)
        rc = exec3(s, "DELETE FROM customer_months WHERE customer_id = ?1", id, 0, 0,
                   "forget months");
    return rc;
}

int kith_cohort_recount(kith_store *s, int64_t id)
{
    int rc = kith_cohort_forget(s, id);
    sqlite3_stmt *st =
        rc ? NULL
           : kith_store_stmt(s, "SELECT DISTINCT at FROM orders WHERE customer_id = ? "
                                "ORDER BY at");
    if (rc) return rc;
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    /* Collect first: adding runs statements of its own. */
    int64_t *ats = NULL;
    size_t n = 0, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            int64_t *more = realloc(ats, cap * sizeof(*more));
            if (!more) {
                free(ats);
                sqlite3_reset(st);
                return KITH_ENOMEM;
            }
            ats = more;
        }
        ats[n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    rc = rc == SQLITE_DONE ? 0 : kith_store_error(s, "read orders");
    for (size_t i = 0; !rc && i < n; i++)
        rc = kith_cohort_add_order(s, id, ats[i]);
    free(ats);
    return rc;
}

static int scan(kith_store *s, const char *sql, int64_t from, int64_t to, int cols,
                kith_cohort_fn fn, void *ud)
{
    sqlite3_stmt *st = kith_store_stmt(s, sql);
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(ud, sqlite3_column_int64(st, 0), cols == 3 ? sqlite3_column_int64(st, 1) : 0,
           sqlite3_column_int64(st, cols - 1));
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, "scan cohorts");
}

int kith_cohort_scan(kith_store *s, int64_t from, int64_t to, kith_cohort_fn fn, void *ud)
{
    return scan(s,
                "SELECT cohort, month, customers FROM cohort_cells WHERE cohort BETWEEN ?1 AND ?2 "
                "AND month BETWEEN ?1 AND ?2 AND customers != 0 ORDER BY cohort, month",
                from, to, 3, fn, ud);
}

int kith_cohort_retained(kith_store *s, int64_t from, int64_t to, kith_cohort_fn fn, void *ud)
{
    return scan(s,
                "SELECT month, customers FROM month_retained WHERE month BETWEEN ?1 AND ?2 "
                "ORDER BY month",
                from, to, 2, fn, ud);
}
