/*
 * ticket.metrics through the dispatcher, over rollups written the way the
 * ticket writes record them (the "Ticket rollups" contract) for a known set
 * of lifecycles, with every number computed by hand below: volume, backlog
 * (including a ticket opened before the range), first-response and resolve
 * quantiles (within one histogram bucket, about 9%), SLA met %, FCR,
 * reopen rate, CSAT and complaints per 100 orders; per week, per month, per
 * kind and per team; partial days; no data; and the param errors.
 */
#include "check.h"
#include "world.h"
#include "commands/commands.h"
#include "store/rollup.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <math.h>
#include <stdlib.h>

static kith_session viewer = {.role = KITH_ROLE_VIEWER, .authenticated = 1, .name = "vic"};

/* The dims of a ticket, in the contract's order. */
typedef struct ticket {
    const char *kind, *priority, *category, *channel, *team, *owner, *touchpoint;
} ticket;

static int64_t d0; /* 2026-03-02, a Monday */

/* Day `day` after d0 at `h` hours, in ms. */
static int64_t at(int day, int h)
{
    return (d0 + day) * KITH_DAY_MS + (int64_t)h * 3600000;
}

/* Records one observation of `metric` for ticket t (or none: no dims). */
static void obs(const ticket *t, const char *metric, int64_t when, int64_t n, int has_x, double x,
                int hist)
{
    kith_rollup_dim dims[7];
    size_t nd = 0;
    if (t) {
        const char *names[] = {"kind", "priority", "category",  "channel",
                               "team", "owner",    "touchpoint"};
        const char *keys[] = {t->kind, t->priority, t->category,  t->channel,
                              t->team, t->owner,    t->touchpoint};
        for (; nd < 7; nd++)
            dims[nd] = (kith_rollup_dim){names[nd], keys[nd]};
    }
    kith_rollup_obs o = {
        .metric = metric, .at = when, .n = n, .has_x = has_x, .x = x, .hist = hist};
    kith_store_request_begin(store);
    CHECK_INT(kith_rollup_record(store, &o, dims, nd), 0);
    kith_store_request_end(store, 1);
    kith_store_commit(store);
}

/* The lifecycle steps, each recording what the contract says it records.
 * `met` is 1/0 for an SLA deadline met/missed, -1 without a policy. */
static void opened(const ticket *t, int64_t when)
{
    obs(t, "ticket.opened", when, 1, 0, 0, 0);
    obs(t, "ticket.backlog", when, 1, 0, 0, 0);
}
static void responded(const ticket *t, int64_t when, double secs, int met)
{
    obs(t, "ticket.responded", when, 1, 1, secs, 1);
    if (met >= 0) obs(t, "ticket.respond_sla", when, 1, 1, met, 0);
}
/* fcr: 1/0 at the first resolve, -1 at later ones. */
static void resolved(const ticket *t, int64_t when, double secs, int met, int fcr)
{
    obs(t, "ticket.resolved", when, 1, 1, secs, 1);
    if (met >= 0) obs(t, "ticket.resolve_sla", when, 1, 1, met, 0);
    if (fcr >= 0) obs(t, "ticket.fcr", when, 1, 1, fcr, 0);
    obs(t, "ticket.backlog", when, -1, 0, 0, 0);
}
static void reopened(const ticket *t, int64_t when)
{
    obs(t, "ticket.reopened", when, 1, 0, 0, 0);
    obs(t, "ticket.backlog", when, 1, 0, 0, 0);
}
static void rejected(const ticket *t, int64_t when)
{
    obs(t, "ticket.rejected", when, 1, 0, 0, 0);
    obs(t, "ticket.backlog", when, -1, 0, 0, 0);
}
static void closed(const ticket *t, int64_t when, int csat)
{
    obs(t, "ticket.closed", when, 1, 0, 0, 0);
    if (csat) obs(t, "ticket.csat", when, 1, 1, csat, 0);
}
static void orders(int64_t when, int n)
{
    for (int i = 0; i < n; i++)
        obs(NULL, "order.created", when, 1, 0, 0, 0);
}

/* The world of the tests (times are days after d0):
 *   T1 complaint/support: opened 0; responded 600 s (met); resolved 1 after
 *      86400 s (met, not FCR); closed 2 with CSAT 5.
 *   T2 complaint/support: opened 0; resolved straight from new the same day
 *      after 1800 s (its first response; both met; FCR); closed 3, CSAT 4.
 *   T3 request/sales: opened 1; responded 7200 s (missed); resolved 3 after
 *      259200 s (missed); reopened 4; resolved 5 after 345600 s (missed);
 *      closed 6, CSAT 2.
 *   T4 inquiry, no team: opened 2, rejected 2.
 *   T5 complaint/sales, no policy: opened 8, responded 300 s; still open.
 *   T6 request/support, no policy: opened day -3 (before the range),
 *      responded then; resolved 9 after 1036800 s (not FCR).
 *   T7 complaint/support: opened 30 (April 1).
 *   T8 repair/legacy: opened and resolved in February: no row anywhere.
 *   Orders: 10 on day 0, 10 on day 8, 5 on day 30. */
static void build_world(void)
{
    static const ticket t1 = {"complaint", "high", "delivery", "phone", "support", "li", "store"};
    static const ticket t2 = {"complaint", "normal", "delivery", "email", "support", "li", NULL};
    static const ticket t3 = {"request", "normal", NULL, "web", "sales", "wang", NULL};
    static const ticket t4 = {"inquiry", "low", NULL, "web", NULL, NULL, NULL};
    static const ticket t5 = {"complaint", "high", "price", "phone", "sales", "wang", NULL};
    static const ticket t6 = {"request", "low", NULL, "email", "support", "li", NULL};
    static const ticket t7 = {"complaint", "normal", NULL, "phone", "support", NULL, NULL};
    static const ticket t8 = {"repair", "low", NULL, "phone", "legacy", NULL, NULL};
    opened(&t1, at(0, 9));
    responded(&t1, at(0, 9), 600, 1);
    resolved(&t1, at(1, 9), 86400, 1, 0);
    closed(&t1, at(2, 10), 5);
    opened(&t2, at(0, 10));
    responded(&t2, at(0, 10), 1800, 1);
    resolved(&t2, at(0, 10), 1800, 1, 1);
    closed(&t2, at(3, 10), 4);
    opened(&t3, at(1, 8));
    responded(&t3, at(1, 10), 7200, 0);
    resolved(&t3, at(4, 8) - 86400000, 259200, 0, 0);
    reopened(&t3, at(4, 12));
    resolved(&t3, at(5, 8), 345600, 0, -1);
    closed(&t3, at(6, 9), 2);
    opened(&t4, at(2, 9));
    rejected(&t4, at(2, 11));
    opened(&t5, at(8, 9));
    responded(&t5, at(8, 9), 300, -1);
    opened(&t6, at(-3, 9));
    responded(&t6, at(-3, 10), 3600, -1);
    resolved(&t6, at(9, 9), 1036800, -1, 0);
    opened(&t7, at(30, 9));
    opened(&t8, at(-20, 9));
    resolved(&t8, at(-19, 9), 86400, -1, 1);
    orders(at(0, 12), 10);
    orders(at(8, 12), 10);
    orders(at(30, 12), 5);
}

/* Calls ticket.metrics as the viewer; returns the rows (owned by *result)
 * or NULL with *code and *param set. */
static cJSON *metrics(const char *params, cJSON **result, int *code, char param[64])
{
    cJSON *p = cJSON_Parse(params);
    kith_call_error err;
    memset(&err, 0, sizeof(err));
    *result = NULL;
    int rc = kith_dispatch_call(d, &viewer, "ticket.metrics", p, result, &err);
    cJSON_Delete(p);
    cJSON_Delete(err.data);
    *code = rc ? kith_error_rpc_code(rc) : 0;
    snprintf(param, 64, "%s", rc ? err.param : "");
    return rc ? NULL : cJSON_GetObjectItemCaseSensitive(*result, "rows");
}

static const cJSON *get(const cJSON *row, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(row, key);
}

/* Whether a row's `key` is null (no data). */
static int is_null(const cJSON *row, const char *key)
{
    return cJSON_IsNull(get(row, key));
}

/* Whether a row's `key` is `want` to 0.01. */
static int near(const cJSON *row, const char *key, double want)
{
    const cJSON *v = get(row, key);
    return cJSON_IsNumber(v) && fabs(v->valuedouble - want) < 0.006;
}

/* Whether a quantile is within one histogram bucket (9.05%) of the exact
 * nearest-rank one. */
static int within_bucket(const cJSON *row, const char *key, double exact)
{
    const cJSON *v = get(row, key);
    return cJSON_IsNumber(v) && fabs(v->valuedouble - exact) <= 0.0906 * exact + 1;
}

/* Checks a row's counts: opened resolved closed rejected reopened backlog. */
#define CHECK_COUNTS(row, o, rs, c, rj, ro, b)                                                     \
    do {                                                                                           \
        CHECK_INT(num(row, "opened"), o);                                                          \
        CHECK_INT(num(row, "resolved"), rs);                                                       \
        CHECK_INT(num(row, "closed"), c);                                                          \
        CHECK_INT(num(row, "rejected"), rj);                                                       \
        CHECK_INT(num(row, "reopened"), ro);                                                       \
        CHECK_INT(num(row, "backlog"), b);                                                         \
    } while (0)

static void test_total(void)
{
    cJSON *res;
    int code;
    char param[64];
    const cJSON *rows = metrics(
        "{\"from\":\"2026-03-02T00:00:00Z\",\"to\":\"2026-03-16T00:00:00Z\"}", &res, &code, param);
    CHECK_INT(code, 0);
    CHECK_INT(cJSON_GetArraySize(rows), 1);
    const cJSON *r = cJSON_GetArrayItem(rows, 0);
    CHECK(get(r, "period") == NULL && get(r, "group") == NULL);
    CHECK(cJSON_IsNull(get(res, "interval")) && cJSON_IsNull(get(res, "group_by")));
    CHECK_STR(kith_json_get_str(res, "from"), "2026-03-02T00:00:00.000Z");
    /* T1-T5 opened; T1, T2, T3 twice and T6 resolved; only T5 is left open. */
    CHECK_COUNTS(r, 5, 5, 3, 1, 1, 1);
    CHECK(within_bucket(r, "respond_p50_s", 600));    /* 300 600 1800 7200: rank 2 */
    CHECK(within_bucket(r, "resolve_p50_s", 259200)); /* 1800 86400 259200 345600 1036800 */
    CHECK(within_bucket(r, "resolve_p90_s", 1036800));
    CHECK(near(r, "sla_met_pct", 50));               /* T1, T2 met; T3 missed twice */
    CHECK(near(r, "resolve_sla_met_pct", 50));       /* the same */
    CHECK(near(r, "respond_sla_met_pct", 66.67));    /* T1, T2 met; T3 missed */
    CHECK(near(r, "fcr_pct", 25));                   /* T2 of T1, T2, T3, T6 */
    CHECK(near(r, "reopen_pct", 20));                /* 1 reopen / 5 resolves */
    CHECK(near(r, "csat", 3.67));                    /* (5 + 4 + 2) / 3 */
    CHECK(near(r, "complaints_per_100_orders", 15)); /* T1, T2, T5 per 20 orders */
    cJSON_Delete(res);

    /* Partial days count whole: noon of day 0 to one second into day 1. */
    rows = metrics("{\"from\":\"2026-03-02T12:00:00Z\",\"to\":\"2026-03-03T00:00:01Z\"}", &res,
                   &code, param);
    CHECK_COUNTS(cJSON_GetArrayItem(rows, 0), 3, 2, 0, 0, 0, 2); /* T6 and T3 open */
    cJSON_Delete(res);
    /* ... and `to` at midnight stops before that day. */
    rows = metrics("{\"from\":\"2026-03-02T12:00:00Z\",\"to\":\"2026-03-03T00:00:00Z\"}", &res,
                   &code, param);
    CHECK_COUNTS(cJSON_GetArrayItem(rows, 0), 2, 1, 0, 0, 0, 2); /* T6 and T1 open */
    cJSON_Delete(res);

    /* Nothing recorded: counts are 0 (the backlog carries on), ratios null. */
    rows = metrics("{\"from\":\"2027-01-01T00:00:00Z\",\"to\":\"2027-02-01T00:00:00Z\"}", &res,
                   &code, param);
    r = cJSON_GetArrayItem(rows, 0);
    CHECK_COUNTS(r, 0, 0, 0, 0, 0, 2); /* T5 and T7 */
    const char *nulls[] = {"respond_p50_s",
                           "resolve_p50_s",
                           "resolve_p90_s",
                           "sla_met_pct",
                           "respond_sla_met_pct",
                           "resolve_sla_met_pct",
                           "fcr_pct",
                           "reopen_pct",
                           "csat",
                           "complaints_per_100_orders"};
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
        CHECK(is_null(r, nulls[i]));
    cJSON_Delete(res);
}

static void test_weeks(void)
{
    cJSON *res;
    int code;
    char param[64];
    /* From a Wednesday: the first period still starts on its Monday. */
    const cJSON *rows =
        metrics("{\"from\":\"2026-03-04T00:00:00Z\",\"to\":\"2026-03-16T00:00:00Z\","
                "\"interval\":\"week\"}",
                &res, &code, param);
    CHECK_INT(code, 0);
    CHECK_INT(cJSON_GetArraySize(rows), 2);
    const cJSON *w1 = cJSON_GetArrayItem(rows, 0), *w2 = cJSON_GetArrayItem(rows, 1);
    CHECK_STR(kith_json_get_str(w1, "period"), "2026-03-02");
    CHECK_STR(kith_json_get_str(w2, "period"), "2026-03-09");
    /* Week 1 counts Wednesday to Sunday only: T4; T3's two resolves and its
     * reopen; T1, T2 and T3 closing.  T6 is open at its end. */
    CHECK_COUNTS(w1, 1, 2, 3, 1, 1, 1);
    CHECK(is_null(w1, "respond_p50_s"));
    CHECK(within_bucket(w1, "resolve_p50_s", 259200)); /* 259200 345600 */
    CHECK(within_bucket(w1, "resolve_p90_s", 345600));
    CHECK(near(w1, "sla_met_pct", 0));
    CHECK(near(w1, "fcr_pct", 0));
    CHECK(near(w1, "reopen_pct", 50));
    CHECK(near(w1, "csat", 3.67));
    CHECK(is_null(w1, "complaints_per_100_orders")); /* day 0's orders are out of range */
    cJSON_Delete(res);

    rows = metrics("{\"from\":\"2026-03-02T00:00:00Z\",\"to\":\"2026-03-16T00:00:00Z\","
                   "\"interval\":\"week\"}",
                   &res, &code, param);
    w1 = cJSON_GetArrayItem(rows, 0);
    w2 = cJSON_GetArrayItem(rows, 1);
    CHECK_COUNTS(w1, 4, 4, 3, 1, 1, 1);
    CHECK(within_bucket(w1, "respond_p50_s", 1800));  /* 600 1800 7200 */
    CHECK(within_bucket(w1, "resolve_p50_s", 86400)); /* 1800 86400 259200 345600 */
    CHECK(within_bucket(w1, "resolve_p90_s", 345600));
    CHECK(near(w1, "sla_met_pct", 50));
    CHECK(near(w1, "respond_sla_met_pct", 66.67));
    CHECK(near(w1, "fcr_pct", 33.33));
    CHECK(near(w1, "reopen_pct", 25));
    CHECK(near(w1, "complaints_per_100_orders", 20)); /* T1, T2 per 10 */
    /* Week 2: T5 opened, T6 resolved (no policy: no SLA), nothing closed. */
    CHECK_COUNTS(w2, 1, 1, 0, 0, 0, 1);
    CHECK(within_bucket(w2, "respond_p50_s", 300));
    CHECK(within_bucket(w2, "resolve_p50_s", 1036800));
    CHECK(within_bucket(w2, "resolve_p90_s", 1036800));
    CHECK(is_null(w2, "sla_met_pct") && is_null(w2, "respond_sla_met_pct"));
    CHECK(near(w2, "fcr_pct", 0));
    CHECK(near(w2, "reopen_pct", 0));
    CHECK(is_null(w2, "csat"));
    CHECK(near(w2, "complaints_per_100_orders", 10)); /* T5 per 10 */
    cJSON_Delete(res);
}

static void test_groups(void)
{
    cJSON *res;
    int code;
    char param[64];
    const cJSON *rows =
        metrics("{\"from\":\"2026-03-02T00:00:00Z\",\"to\":\"2026-03-16T00:00:00Z\","
                "\"group_by\":\"team\"}",
                &res, &code, param);
    CHECK_INT(code, 0);
    /* T4 has no team and counts only in the total; legacy had nothing to
     * show; support's April ticket is after the range. */
    CHECK_INT(cJSON_GetArraySize(rows), 2);
    const cJSON *sales = cJSON_GetArrayItem(rows, 0), *support = cJSON_GetArrayItem(rows, 1);
    CHECK_STR(kith_json_get_str(sales, "group"), "sales");
    CHECK(get(sales, "period") == NULL);
    CHECK_COUNTS(sales, 2, 2, 1, 0, 1, 1);
    CHECK(within_bucket(sales, "respond_p50_s", 300)); /* 300 7200 */
    CHECK(within_bucket(sales, "resolve_p50_s", 259200));
    CHECK(within_bucket(sales, "resolve_p90_s", 345600));
    CHECK(near(sales, "sla_met_pct", 0) && near(sales, "respond_sla_met_pct", 0));
    CHECK(near(sales, "fcr_pct", 0));
    CHECK(near(sales, "reopen_pct", 50));
    CHECK(near(sales, "csat", 2));
    CHECK(is_null(sales, "complaints_per_100_orders"));
    CHECK_STR(kith_json_get_str(support, "group"), "support");
    CHECK_COUNTS(support, 2, 3, 2, 0, 0, 0); /* T6 came in open, all three done */
    CHECK(within_bucket(support, "respond_p50_s", 600));
    CHECK(within_bucket(support, "resolve_p50_s", 86400)); /* 1800 86400 1036800 */
    CHECK(within_bucket(support, "resolve_p90_s", 1036800));
    CHECK(near(support, "sla_met_pct", 100) && near(support, "respond_sla_met_pct", 100));
    CHECK(near(support, "fcr_pct", 33.33));
    CHECK(near(support, "reopen_pct", 0));
    CHECK(near(support, "csat", 4.5));
    cJSON_Delete(res);

    /* Per month and kind: March and April, rows by period then kind. */
    rows = metrics("{\"from\":\"2026-03-01T00:00:00Z\",\"to\":\"2026-05-01T00:00:00Z\","
                   "\"interval\":\"month\",\"group_by\":\"kind\"}",
                   &res, &code, param);
    CHECK_INT(code, 0);
    CHECK_INT(cJSON_GetArraySize(rows), 6);
    const char *want[][2] = {{"2026-03-01", "complaint"}, {"2026-03-01", "inquiry"},
                             {"2026-03-01", "request"},   {"2026-04-01", "complaint"},
                             {"2026-04-01", "inquiry"},   {"2026-04-01", "request"}};
    for (int i = 0; i < 6; i++) {
        const cJSON *r = cJSON_GetArrayItem(rows, i);
        CHECK_STR(kith_json_get_str(r, "period"), want[i][0]);
        CHECK_STR(kith_json_get_str(r, "group"), want[i][1]);
    }
    const cJSON *c3 = cJSON_GetArrayItem(rows, 0), *i3 = cJSON_GetArrayItem(rows, 1);
    const cJSON *r3 = cJSON_GetArrayItem(rows, 2), *c4 = cJSON_GetArrayItem(rows, 3);
    const cJSON *r4 = cJSON_GetArrayItem(rows, 5);
    CHECK_COUNTS(c3, 3, 2, 2, 0, 0, 1);
    CHECK(within_bucket(c3, "respond_p50_s", 600)); /* 300 600 1800 */
    CHECK(near(c3, "sla_met_pct", 100));
    CHECK(near(c3, "fcr_pct", 50));
    CHECK(near(c3, "csat", 4.5));
    CHECK(near(c3, "complaints_per_100_orders", 15)); /* 3 per 20 */
    CHECK_COUNTS(i3, 1, 0, 0, 1, 0, 0);
    CHECK(is_null(i3, "complaints_per_100_orders")); /* only the complaint rows */
    CHECK_COUNTS(r3, 1, 3, 1, 0, 1, 0);
    CHECK(near(r3, "reopen_pct", 33.33));
    CHECK_COUNTS(c4, 1, 0, 0, 0, 0, 2);
    CHECK(is_null(c4, "reopen_pct") && is_null(c4, "resolve_p50_s"));
    CHECK(near(c4, "complaints_per_100_orders", 20)); /* T7 per 5 */
    CHECK_COUNTS(r4, 0, 0, 0, 0, 0, 0);
    cJSON_Delete(res);
}

static void test_errors(void)
{
    cJSON *res;
    int code;
    char param[64];
    static const struct {
        const char *params, *param;
    } bad[] = {
        {"{\"from\":\"2026-03-01T00:00:00Z\",\"to\":\"2026-04-01T00:00:00Z\",\"interval\":"
         "\"year\"}",
         "interval"},
        {"{\"from\":\"2026-03-01T00:00:00Z\",\"to\":\"2026-04-01T00:00:00Z\",\"group_by\":"
         "\"colour\"}",
         "group_by"},
        {"{\"from\":\"2026-04-01T00:00:00Z\",\"to\":\"2026-03-01T00:00:00Z\"}", "to"},
        {"{\"from\":\"2026-03-01T00:00:00Z\",\"to\":\"2026-03-01T00:00:00Z\"}", "to"},
        {"{\"from\":\"2000-01-01T00:00:00Z\",\"to\":\"2026-03-01T00:00:00Z\"}", "to"},
        {"{\"to\":\"2026-03-01T00:00:00Z\"}", "from"},
        {"{\"from\":\"yesterday\",\"to\":\"2026-03-01T00:00:00Z\"}", "from"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(metrics(bad[i].params, &res, &code, param) == NULL);
        CHECK_INT(code, -32602);
        CHECK_STR(param, bad[i].param);
    }
    /* Ten years of days is allowed. */
    CHECK(metrics("{\"from\":\"2016-03-03T00:00:00Z\",\"to\":\"2026-03-01T00:00:00Z\"}", &res,
                  &code, param) != NULL);
    cJSON_Delete(res);
    /* Readers only: no role, no metrics. */
    kith_session none = {.role = KITH_ROLE_NONE};
    cJSON_Delete(call_as(&none, "ticket.metrics",
                         "{\"from\":\"2026-03-01T00:00:00Z\",\"to\":\"2026-04-01T00:00:00Z\"}",
                         &code));
    CHECK(code != 0);
}

int main(void)
{
    kith_env env = {.default_currency = "EUR"};
    CHECK_INT(kith_store_open(":memory:", KITH_SYNC_OFF, &store), 0);
    d = kith_dispatch_new(store, &env);
    CHECK(d != NULL);
    CHECK_INT(kith_dispatch_register(d, kith_cmd_ticket_metrics), 0);
    d0 = kith_time_days_from_civil(2026, 3, 2);

    build_world();
    test_total();
    test_weeks();
    test_groups();
    test_errors();

    kith_dispatch_free(d);
    kith_store_close(store);
    return check_done();
}
