/*
 * See stats.h.
 */
#include "store/stats.h"
#include "store/row.h"
#include "util/error.h"
#include "util/json.h"

#include <math.h>
#include <string.h>
#include <sqlite3.h>

#define MS_PER_DAY 86400000.0

void kith_stats_init(kith_customer_stats *st)
{
    memset(st, 0, sizeof(*st));
    st->first_order_at = st->last_order_at = st->last_interaction_at = KITH_TIME_NONE;
    st->last_complaint_at = st->last_survey_at = st->last_invited_at = KITH_TIME_NONE;
    st->last_visit_at = st->next_visit_at = KITH_TIME_NONE;
    st->last_nps = st->last_csat = st->last_ces = NAN;
}

/* The UTC day of a time (floor division). */
static int64_t day_of(int64_t at)
{
    return at >= 0 ? at / 86400000 : -((-at + 86399999) / 86400000);
}

void kith_stats_add_order(kith_customer_stats *st, int64_t cents, int64_t at)
{
    int64_t d = day_of(at);
    if (st->first_order_at == KITH_TIME_NONE || d < day_of(st->first_order_at)) {
        st->first_day_cents = cents;
        st->order_days++;
    } else if (d == day_of(st->first_order_at)) {
        st->first_day_cents += cents;
    } else if (d > day_of(st->last_order_at)) {
        st->order_days++;
    }
    /* (A day strictly inside the span is a new day only if no order fell
     * on it; this pure form cannot know, and is used where orders arrive
     * in time order: tests and the rules' simulated clock.) */
    st->orders++;
    st->total_spent_cents += cents;
    if (st->first_order_at == KITH_TIME_NONE || at < st->first_order_at) st->first_order_at = at;
    if (st->last_order_at == KITH_TIME_NONE || at > st->last_order_at) st->last_order_at = at;
}

void kith_stats_add_interaction(kith_customer_stats *st, int is_complaint, int64_t at)
{
    st->interactions++;
    if (is_complaint) {
        st->complaints++;
        if (st->last_complaint_at == KITH_TIME_NONE || at > st->last_complaint_at)
            st->last_complaint_at = at;
    }
    if (st->last_interaction_at == KITH_TIME_NONE || at > st->last_interaction_at)
        st->last_interaction_at = at;
}

int kith_stats_avg_days_between_orders(const kith_customer_stats *st, double *days)
{
    if (st->orders < 2) return -1;
    *days =
        (double)(st->last_order_at - st->first_order_at) / MS_PER_DAY / (double)(st->orders - 1);
    return 0;
}

static int add_time_or_null(cJSON *o, const char *key, int64_t at)
{
    if (at == KITH_TIME_NONE) return cJSON_AddNullToObject(o, key) ? 0 : KITH_ENOMEM;
    return kith_json_add_time(o, key, at);
}

static int add_score_or_null(cJSON *o, const char *key, double v)
{
    return (isnan(v) ? cJSON_AddNullToObject(o, key) : cJSON_AddNumberToObject(o, key, v))
               ? 0
               : KITH_ENOMEM;
}

cJSON *kith_stats_to_json(const kith_customer_stats *st)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    double avg;
    int rc = kith_json_add_int(o, "orders", st->orders);
    rc |= kith_json_add_money(o, "total_spent", st->total_spent_cents);
    rc |= add_time_or_null(o, "first_order_at", st->first_order_at);
    rc |= add_time_or_null(o, "last_order_at", st->last_order_at);
    if (kith_stats_avg_days_between_orders(st, &avg) == 0)
        /* Two decimals are plenty for a gap measured in days. */
        rc |= cJSON_AddNumberToObject(o, "avg_days_between_orders", round(avg * 100) / 100)
                  ? 0
                  : KITH_ENOMEM;
    else
        rc |= cJSON_AddNullToObject(o, "avg_days_between_orders") ? 0 : KITH_ENOMEM;
    rc |= kith_json_add_int(o, "interactions", st->interactions);
    rc |= kith_json_add_int(o, "complaints", st->complaints);
    rc |= add_time_or_null(o, "last_interaction_at", st->last_interaction_at);
    rc |= add_time_or_null(o, "last_complaint_at", st->last_complaint_at);
    rc |= kith_json_add_int(o, "tickets", st->tickets);
    rc |= kith_json_add_int(o, "open_tickets", st->open_tickets);
    rc |= kith_json_add_int(o, "open_complaints", st->open_complaints);
    rc |= kith_json_add_int(o, "sla_breaches", st->sla_breaches);
    rc |= kith_json_add_int(o, "surveys_answered", st->surveys_answered);
    rc |= add_time_or_null(o, "last_survey_at", st->last_survey_at);
    rc |= add_time_or_null(o, "last_invited_at", st->last_invited_at);
    rc |= add_score_or_null(o, "last_nps", st->last_nps);
    rc |= add_score_or_null(o, "last_csat", st->last_csat);
    rc |= add_score_or_null(o, "last_ces", st->last_ces);
    rc |= kith_json_add_int(o, "visits_completed", st->visits_completed);
    rc |= add_time_or_null(o, "last_visit_at", st->last_visit_at);
    rc |= add_time_or_null(o, "next_visit_at", st->next_visit_at);
    rc |= kith_json_add_int(o, "order_days", st->order_days);
    rc |= kith_json_add_money(o, "first_order_amount", st->first_day_cents);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int64_t time_col(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? KITH_TIME_NONE
                                                       : sqlite3_column_int64(st, col);
}

static void bind_time(sqlite3_stmt *st, int idx, int64_t at)
{
    if (at == KITH_TIME_NONE)
        sqlite3_bind_null(st, idx);
    else
        sqlite3_bind_int64(st, idx, at);
}

static double score_col(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? NAN : sqlite3_column_double(st, col);
}

static void bind_score(sqlite3_stmt *st, int idx, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, idx);
    else
        sqlite3_bind_double(st, idx, v);
}

void kith_stats_read(kith_stmt *st, int col, kith_customer_stats *out)
{
    out->orders = sqlite3_column_int64(st, col + 0);
    out->total_spent_cents = sqlite3_column_int64(st, col + 1);
    out->first_order_at = time_col(st, col + 2);
    out->last_order_at = time_col(st, col + 3);
    out->interactions = sqlite3_column_int64(st, col + 4);
    out->complaints = sqlite3_column_int64(st, col + 5);
    out->last_interaction_at = time_col(st, col + 6);
    out->last_complaint_at = time_col(st, col + 7);
    out->tickets = sqlite3_column_int64(st, col + 8);
    out->open_tickets = sqlite3_column_int64(st, col + 9);
    out->open_complaints = sqlite3_column_int64(st, col + 10);
    out->sla_breaches = sqlite3_column_int64(st, col + 11);
    out->surveys_answered = sqlite3_column_int64(st, col + 12);
    out->last_survey_at = time_col(st, col + 13);
    out->last_invited_at = time_col(st, col + 14);
    out->last_nps = score_col(st, col + 15);
    out->last_csat = score_col(st, col + 16);
    out->last_ces = score_col(st, col + 17);
    out->visits_completed = sqlite3_column_int64(st, col + 18);
    out->last_visit_at = time_col(st, col + 19);
    out->next_visit_at = time_col(st, col + 20);
    out->order_days = sqlite3_column_int64(st, col + 21);
    out->first_day_cents = sqlite3_column_int64(st, col + 22);
}

int kith_store_stats_get(kith_store *s, int64_t id, kith_customer_stats *out)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT " KITH_STATS_COLUMNS("") " FROM customer_stats WHERE customer_id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    if (rc != SQLITE_ROW) return kith_store_error(s, "get stats");
    kith_stats_read(st, 0, out);
    sqlite3_reset(st);
    return 0;
}

int kith_store_stats_add_order(kith_store *s, int64_t id, int64_t cents, int64_t at)
{
    /* kith_stats_add_order in one statement: the order path's hottest
     * write reads and writes only the four columns it changes. */
    /* Days (?4, starting at ?5) as in kith_stats_add_order; only an order
     * on a day strictly inside the known span probes the orders index. */
    sqlite3_stmt *st = kith_store_stmt(
        s, "UPDATE customer_stats SET orders = orders + 1, "
           "total_spent_cents = total_spent_cents + ?2, "
           "order_days = order_days + CASE WHEN first_order_at IS NULL "
           "  OR ?4 < first_order_at / 86400000 OR ?4 > last_order_at / 86400000 THEN 1 "
           "  WHEN ?4 IN (first_order_at / 86400000, last_order_at / 86400000) THEN 0 "
           "  ELSE (SELECT count(*) = 1 FROM orders WHERE customer_id = ?1 AND at >= ?5 "
           "        AND at < ?5 + 86400000) END, "
           "first_day_cents = CASE WHEN first_order_at IS NULL "
           "  OR ?4 < first_order_at / 86400000 THEN ?2 "
           "  WHEN ?4 = first_order_at / 86400000 THEN first_day_cents + ?2 "
           "  ELSE first_day_cents END, "
           "first_order_at = min(coalesce(first_order_at, ?3), ?3), "
           "last_order_at = max(coalesce(last_order_at, ?3), ?3) WHERE customer_id = ?1");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, cents);
    sqlite3_bind_int64(st, 3, at);
    sqlite3_bind_int64(st, 4, day_of(at));
    sqlite3_bind_int64(st, 5, day_of(at) * 86400000);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return kith_store_error(s, "add an order to the stats");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}

int kith_store_stats_put(kith_store *s, int64_t id, const kith_customer_stats *in)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "UPDATE customer_stats SET orders = ?, total_spent_cents = ?, first_order_at = ?, "
           "last_order_at = ?, interactions = ?, complaints = ?, last_interaction_at = ?, "
           "last_complaint_at = ?, tickets = ?, open_tickets = ?, open_complaints = ?, "
           "sla_breaches = ?, surveys_answered = ?, last_survey_at = ?, last_invited_at = ?, "
           "last_nps = ?, last_csat = ?, last_ces = ?, visits_completed = ?, last_visit_at = ?, "
           "next_visit_at = ?, order_days = ?, first_day_cents = ? WHERE customer_id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, in->orders);
    sqlite3_bind_int64(st, 2, in->total_spent_cents);
    bind_time(st, 3, in->first_order_at);
    bind_time(st, 4, in->last_order_at);
    sqlite3_bind_int64(st, 5, in->interactions);
    sqlite3_bind_int64(st, 6, in->complaints);
    bind_time(st, 7, in->last_interaction_at);
    bind_time(st, 8, in->last_complaint_at);
    sqlite3_bind_int64(st, 9, in->tickets);
    sqlite3_bind_int64(st, 10, in->open_tickets);
    sqlite3_bind_int64(st, 11, in->open_complaints);
    sqlite3_bind_int64(st, 12, in->sla_breaches);
    sqlite3_bind_int64(st, 13, in->surveys_answered);
    bind_time(st, 14, in->last_survey_at);
    bind_time(st, 15, in->last_invited_at);
    bind_score(st, 16, in->last_nps);
    bind_score(st, 17, in->last_csat);
    bind_score(st, 18, in->last_ces);
    sqlite3_bind_int64(st, 19, in->visits_completed);
    bind_time(st, 20, in->last_visit_at);
    bind_time(st, 21, in->next_visit_at);
    sqlite3_bind_int64(st, 22, in->order_days);
    sqlite3_bind_int64(st, 23, in->first_day_cents);
    sqlite3_bind_int64(st, 24, id);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "put stats");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}

static int64_t earlier(int64_t a, int64_t b)
{
    if (a == KITH_TIME_NONE) return b;
    if (b == KITH_TIME_NONE) return a;
    return a < b ? a : b;
}

static int64_t later(int64_t a, int64_t b)
{
    return a > b ? a : b; /* KITH_TIME_NONE is INT64_MIN: never the later */
}

void kith_stats_combine(kith_customer_stats *into, const kith_customer_stats *from)
{
    into->orders += from->orders;
    into->total_spent_cents += from->total_spent_cents;
    into->first_order_at = earlier(into->first_order_at, from->first_order_at);
    into->last_order_at = later(into->last_order_at, from->last_order_at);
    into->interactions += from->interactions;
    into->complaints += from->complaints;
    into->last_interaction_at = later(into->last_interaction_at, from->last_interaction_at);
    into->last_complaint_at = later(into->last_complaint_at, from->last_complaint_at);
    into->tickets += from->tickets;
    into->open_tickets += from->open_tickets;
    into->open_complaints += from->open_complaints;
    into->sla_breaches += from->sla_breaches;
    into->surveys_answered += from->surveys_answered;
    if (from->last_survey_at > into->last_survey_at) { /* a score the later lacks stays */
        into->last_survey_at = from->last_survey_at;
        if (!isnan(from->last_nps)) into->last_nps = from->last_nps;
        if (!isnan(from->last_csat)) into->last_csat = from->last_csat;
        if (!isnan(from->last_ces)) into->last_ces = from->last_ces;
    } else {
        if (isnan(into->last_nps)) into->last_nps = from->last_nps;
        if (isnan(into->last_csat)) into->last_csat = from->last_csat;
        if (isnan(into->last_ces)) into->last_ces = from->last_ces;
    }
    into->last_invited_at = later(into->last_invited_at, from->last_invited_at);
    into->visits_completed += from->visits_completed;
    into->last_visit_at = later(into->last_visit_at, from->last_visit_at);
    into->next_visit_at = earlier(into->next_visit_at, from->next_visit_at);
    /* Days both bought on count twice here; kith_store_stats_recount_days
     * settles them once the orders have moved. */
    into->order_days += from->order_days;
}

int kith_store_stats_recount_days(kith_store *s, int64_t id)
{
    sqlite3_stmt *st = kith_store_stmt(
        s,
        "UPDATE customer_stats SET "
        "order_days = (SELECT count(DISTINCT at / 86400000) FROM orders WHERE customer_id = ?1), "
        "first_day_cents = coalesce((SELECT sum(amount_cents) FROM orders WHERE customer_id = ?1 "
        "  AND at / 86400000 = (SELECT min(at) / 86400000 FROM orders WHERE customer_id = ?1)), 0) "
        "WHERE customer_id = ?1");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, "recount order days");
}

int kith_store_stats_each(kith_store *s, const char *segment, const char *cls, kith_stats_fn fn,
                          void *ud)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT st.customer_id, " KITH_STATS_COLUMNS(
               "st.") " FROM customer_stats st "
                      "JOIN customers c ON c.id = st.customer_id WHERE st.orders > 0 "
                      "AND (?1 IS NULL OR EXISTS (SELECT 1 FROM segment_members m "
                      "  WHERE m.segment = ?1 AND m.customer_id = st.customer_id)) "
                      "AND (?2 IS NULL OR coalesce(c.class_override, c.class) = ?2) "
                      "ORDER BY st.customer_id");
    if (!st) return KITH_EIO;
    if (segment) sqlite3_bind_text(st, 1, segment, -1, SQLITE_TRANSIENT);
    if (cls) sqlite3_bind_text(st, 2, cls, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        kith_customer_stats cs;
        kith_stats_read(st, 1, &cs);
        if (fn(ud, sqlite3_column_int64(st, 0), &cs)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, "scan stats");
}
