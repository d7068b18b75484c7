/*
 * value.fit's data (value.h: kith_value_inputs_read), read on the fit's
 * worker thread through a read-only connection of its own: with WAL the
 * loop's writes go on meanwhile, and this reader sees one snapshot.
 */
#include "store/value.h"
#include "util/error.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400000LL

static int push(kith_value_inputs *in, size_t *cap, kith_btyd_obs o)
{
    if (in->n == *cap) {
        size_t c = *cap ? *cap * 2 : 1024;
        kith_btyd_obs *more = realloc(in->obs, c * sizeof(*more));
        if (!more) return -1;
        in->obs = more;
        *cap = c;
    }
    in->obs[in->n++] = o;
    return 0;
}

/* Orders up to `end`, by customer and day: one observation per customer. */
static int read_orders(sqlite3 *db, int64_t end, double per_days, kith_value_inputs *in)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT customer_id, at / 86400000, sum(amount_cents) FROM orders "
                           "WHERE at <= ? GROUP BY customer_id, at / 86400000 "
                           "ORDER BY customer_id, 2",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, end);
    int64_t end_day = end / DAY, prev = -1, first = 0, last = 0;
    double repeat_cents = 0;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0), d = sqlite3_column_int64(st, 1);
        double cents = (double)sqlite3_column_int64(st, 2);
        if (id != prev) {
            if (prev >= 0) {
                kith_btyd_obs *o = &in->obs[in->n - 1];
                o->t_x = (double)(last - first) / per_days;
                o->m_x = o->x > 0 ? repeat_cents / 100.0 / o->x : 0;
            }
            if (push(in, &cap, (kith_btyd_obs){0, 0, (double)(end_day - d) / per_days, 0}) < 0)
                break;
            prev = id;
            first = last = d;
            repeat_cents = 0;
        } else {
            in->obs[in->n - 1].x++;
            repeat_cents += cents;
            last = d;
        }
    }
    if (in->n) {
        kith_btyd_obs *o = &in->obs[in->n - 1];
        o->t_x = (double)(last - first) / per_days;
        o->m_x = o->x > 0 ? repeat_cents / 100.0 / o->x : 0;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void cuts_of(double *v, size_t n, double *cuts)
{
    qsort(v, n, sizeof(*v), cmp_double);
    for (int i = 0; i < 4; i++)
        cuts[i] = v[(size_t)((double)n * (i + 1) / 5.0 - 1e-9)];
}

/* The stats of every customer with an order: the observations (unless
 * `obs_too` is 0) and the RFM quintile cuts as of `now`. */
static int read_stats(sqlite3 *db, int64_t now, double per_days, int obs_too, kith_value_inputs *in)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            db,
            "SELECT order_days, first_order_at / 86400000, last_order_at / 86400000, "
            "total_spent_cents, first_day_cents, orders, last_order_at "
            "FROM customer_stats WHERE orders > 0",
            -1, &st, NULL) != SQLITE_OK)
        return -1;
    size_t cap = 0, n = 0, vcap = 0;
    double *r = NULL, *f = NULL, *m = NULL;
    int64_t today = now / DAY;
    int rc, oom = 0;
    while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t days = sqlite3_column_int64(st, 0), first = sqlite3_column_int64(st, 1);
        int64_t last = sqlite3_column_int64(st, 2), total = sqlite3_column_int64(st, 3);
        int64_t first_cents = sqlite3_column_int64(st, 4);
        if (n == vcap) {
            vcap = vcap ? vcap * 2 : 1024;
            double *nr = realloc(r, vcap * sizeof(double)),
                   *nf = nr ? realloc(f, vcap * sizeof(double)) : NULL,
                   *nm = nf ? realloc(m, vcap * sizeof(double)) : NULL;
            if (nr) r = nr;
            if (nf) f = nf;
            if (nm) m = nm;
            if (!nm) {
                oom = 1;
                break;
            }
        }
        r[n] = (double)(now - sqlite3_column_int64(st, 6)) / (double)DAY;
        f[n] = (double)sqlite3_column_int64(st, 5);
        m[n] = (double)total;
        n++;
        if (!obs_too) continue;
        double x = days > 0 ? (double)(days - 1) : 0;
        kith_btyd_obs o = {x, (double)(last - first) / per_days,
                           (double)((today > last ? today : last) - first) / per_days,
                           x > 0 ? (double)(total - first_cents) / 100.0 / x : 0};
        if (push(in, &cap, o) < 0) oom = 1;
    }
    sqlite3_finalize(st);
    if (!oom && n >= 5) {
        cuts_of(r, n, in->r_cuts);
        cuts_of(f, n, in->f_cuts);
        cuts_of(m, n, in->m_cuts);
        in->has_rfm = 1;
    }
    free(r);
    free(f);
    free(m);
    return oom || rc != SQLITE_DONE ? -1 : 0;
}

int kith_value_inputs_read(const char *db_path, int64_t calibration_end, int64_t now,
                           double period_ms, kith_value_inputs *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof(*out));
    sqlite3 *db = NULL;
    double per_days = period_ms / (double)DAY;
    int rc = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    if (rc == SQLITE_OK) {
        int cal = calibration_end != KITH_TIME_NONE;
        rc = cal ? read_orders(db, calibration_end, per_days, out) : 0;
        /* The RFM cuts are taken as of the calibration's end too, so a
         * fit on history scores recency as it stood then. */
        if (!rc) rc = read_stats(db, cal ? calibration_end : now, per_days, !cal, out);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    if (rc)
        snprintf(why, whylen, "cannot read the orders: %s", db ? sqlite3_errmsg(db) : "no memory");
    sqlite3_close(db);
    if (rc) kith_value_inputs_free(out);
    return rc ? -1 : 0;
}

void kith_value_inputs_free(kith_value_inputs *in)
{
    free(in->obs);
    in->obs = NULL;
    in->n = 0;
}
