/*
 * report.list / report.run: the KPI reports (README "Measuring").  The
 * table of reports, the arguments every report shares (from, to, interval,
 * group_by), and the helpers that turn rollups into interval cells.  The
 * service and satisfaction reports are ticket.metrics and survey.results
 * in the reports' shape: one computation, two ways to ask for it.
 */
#include "commands/report.h"
#include "store/rollup.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY_MS 86400000LL

/* ---- helpers ---- */

cJSON *kith_report_table(cJSON *out, const char *const *names)
{
    cJSON *cols = cJSON_AddArrayToObject(out, "columns");
    for (size_t i = 0; names[i]; i++)
        cJSON_AddItemToArray(cols, cJSON_CreateString(names[i]));
    return cJSON_AddArrayToObject(out, "rows");
}

cJSON *kith_report_row(cJSON *rows)
{
    cJSON *row = cJSON_CreateArray();
    cJSON_AddItemToArray(rows, row);
    return row;
}

void kith_report_num(cJSON *row, double v, int places)
{
    if (!isfinite(v)) {
        cJSON_AddItemToArray(row, cJSON_CreateNull());
        return;
    }
    double k = pow(10, places);
    cJSON_AddItemToArray(row, cJSON_CreateNumber(round(v * k) / k));
}

void kith_report_label(const char *interval, int64_t day, char *buf, size_t len)
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    if (interval && strcmp(interval, "month") == 0)
        strftime(buf, len, "%Y-%m", &tm);
    else
        strftime(buf, len, "%Y-%m-%d", &tm);
}

void kith_report_month_label(int64_t m, char *buf, size_t len)
{
    snprintf(buf, len, "%04lld-%02lld", (long long)(m / 12), (long long)(m % 12 + 1));
}

struct sum_ctx {
    kith_report_sums *s;
};

static void sum_row(void *ud, const kith_rollup_row *r)
{
    kith_report_sums *s = ud;
    if (r->bucket != -1 || s->oom) return;
    int64_t start;
    if (kith_rollup_interval_start(s->interval, r->day, &start) < 0) return;
    const char *key = r->key ? r->key : "";
    for (size_t i = s->n; i-- > 0;) {
        kith_report_cell *c = &s->cells[i];
        if (c->start == start && strcmp(c->key, key) == 0) {
            c->n += r->n;
            c->sx += r->sx;
            return;
        }
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        kith_report_cell *more = realloc(s->cells, cap * sizeof(*more));
        if (!more) {
            s->oom = 1;
            return;
        }
        s->cells = more;
        s->cap = cap;
    }
    kith_report_cell *c = &s->cells[s->n++];
    snprintf(c->key, sizeof(c->key), "%s", key);
    c->start = start;
    c->n = r->n;
    c->sx = r->sx;
}

int kith_report_sum(kith_ctx *ctx, const kith_report_args *a, const char *metric, const char *dim,
                    const char *interval, kith_report_sums *sums)
{
    memset(sums, 0, sizeof(*sums));
    sums->interval = interval;
    int rc = kith_rollup_scan(ctx->store, metric, dim ? dim : "", kith_rollup_day(a->from),
                              kith_rollup_day(a->to - 1), sum_row, sums);
    if (rc >= 0 && sums->oom) rc = KITH_ENOMEM;
    if (rc < 0) {
        kith_report_sums_free(sums);
        return kith_cmd_store_fail(ctx, rc, "rollup");
    }
    return 0;
}

const kith_report_cell *kith_report_cell_of(const kith_report_sums *s, const char *key,
                                            int64_t start)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->cells[i].start == start && strcmp(s->cells[i].key, key) == 0) return &s->cells[i];
    return NULL;
}

void kith_report_sums_free(kith_report_sums *s)
{
    free(s->cells);
    s->cells = NULL;
    s->n = s->cap = 0;
}

/* ---- service and satisfaction: other methods' answers as tables ---- */

static const kith_command *find_command(const char *name)
{
    for (size_t t = 0; kith_command_tables[t]; t++)
        for (const kith_command *c = kith_command_tables[t]; c->name; c++)
            if (strcmp(c->name, name) == 0) return c;
    return NULL;
}

/* Calls `method` with the report's params and lays `list` (an array of
 * objects in its result; NULL: the result is the array) out as rows, the
 * columns being the first object's members. */
static int as_table(kith_ctx *ctx, const kith_report_args *a, const char *method, const char *list,
                    cJSON *out)
{
    const kith_command *cmd = find_command(method);
    cJSON *params = cJSON_Duplicate(a->params, 1), *res = NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(params, "name");
    cJSON_DeleteItemFromObjectCaseSensitive(params, "from");
    cJSON_DeleteItemFromObjectCaseSensitive(params, "to");
    kith_json_add_time(params, "from", a->from);
    kith_json_add_time(params, "to", a->to);
    int rc =
        cmd ? cmd->handler(ctx, params, &res) : kith_ctx_fail(ctx, KITH_EIO, NULL, "no %s", method);
    cJSON_Delete(params);
    if (rc) return rc;
    const cJSON *items = list ? cJSON_GetObjectItemCaseSensitive(res, list) : res;
    if (cJSON_IsObject(res) && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(res, "rows")))
        items = cJSON_GetObjectItemCaseSensitive(res, "rows");
    cJSON *cols = cJSON_AddArrayToObject(out, "columns");
    cJSON *rows = cJSON_AddArrayToObject(out, "rows");
    const cJSON *first = cJSON_GetArrayItem(items, 0), *f, *it;
    cJSON_ArrayForEach(f, first) cJSON_AddItemToArray(cols, cJSON_CreateString(f->string));
    cJSON_ArrayForEach(it, items)
    {
        cJSON *row = kith_report_row(rows);
        cJSON_ArrayForEach(f, first)
        {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, f->string);
            cJSON_AddItemToArray(row, v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
        }
    }
    if (cJSON_IsObject(res) && list) {
        /* The rest of the answer (totals, nps) stays beside the table. */
        cJSON *rest = cJSON_Duplicate(res, 1);
        cJSON_DeleteItemFromObjectCaseSensitive(rest, list);
        cJSON_DeleteItemFromObjectCaseSensitive(rest, "rows");
        cJSON_AddItemToObject(out, "summary", rest);
    }
    cJSON_Delete(res);
    return 0;
}

static int report_service(kith_ctx *ctx, const kith_report_args *a, cJSON *out)
{
    return as_table(ctx, a, "ticket.metrics", NULL, out);
}

static int report_satisfaction(kith_ctx *ctx, const kith_report_args *a, cJSON *out)
{
    if (!kith_json_get_str(a->params, "survey"))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "survey",
                             "the satisfaction report needs survey (a survey's name)");
    return as_table(ctx, a, "survey.results", "trend", out);
}

/* ---- the table ---- */

static const char *const months[] = {"month", NULL};
static const char *const days[] = {"month", "week", "day", NULL};
static const char *const revenue_groups[] = {"tier", "class", "owner", "segment", NULL};
static const char *const ticket_groups[] = {"kind", "priority", "category",   "channel",
                                            "team", "owner",    "touchpoint", NULL};
static const char *const survey_groups[] = {"channel", "touchpoint", "class", NULL};

const kith_report kith_reports[] = {
    {"customers",
     "New, active, returning and retained customers per month; retention, churn and repeat "
     "purchase rates",
     "active(M) = customers with an order in M; new(M) = those whose first order is in M; "
     "returning = active - new; retained(M) = active in M and in M-1; "
     "retention_rate = retained(M) / active(M-1); churn_rate = 1 - retention_rate; "
     "repeat_purchase_rate = returning / active; purchase_frequency = orders / active",
     months, NULL, kith_report_customers},
    {"retention",
     "Cohort matrix: the share of each first-order month's customers who ordered k months later",
     "cell(cohort, k) = customers of the cohort with an order in month cohort + k / customers of "
     "the cohort; cohorts and months within [from, to)",
     months, NULL, kith_report_retention},
    {"funnel", "Lifecycle stages: customers in each stage now, entries, and time in stage",
     "current = customers in the stage now; entered = changes into it; median_days and "
     "p90_days = time spent in it by those who have left it (finished stays)",
     NULL, NULL, kith_report_funnel},
    {"revenue",
     "Orders, revenue and average order value per interval, by tier, class, owner or segment",
     "orders = count of orders placed in the interval; revenue = their sum; aov = revenue / "
     "orders; grouped by the customer's tier, class, owner or segments when the order was "
     "placed (an order counts in each segment she was in)",
     days, revenue_groups, kith_report_revenue},
    {"loyalty", "Points awarded, redeemed and expired per interval; members by tier now",
     "awarded = sum of award entries; redeemed = - sum of redeem entries; expired = - sum of "
     "expiry entries (on the day they lapse); net = awarded - redeemed - expired; "
     "snapshot: accounts by tier and points outstanding now",
     days, NULL, kith_report_loyalty},
    {"service",
     "Ticket metrics per interval: opened, resolved, backlog, response and resolution times, SLA "
     "met, FCR, reopen rate, CSAT (ticket.metrics)",
     "as ticket.metrics: medians and p90 from log-bucket histograms (within ~9%), sla_met_pct = "
     "met / with an SLA, fcr_pct = resolved at the first contact / resolved",
     days, ticket_groups, report_service},
    {"satisfaction",
     "A survey's NPS, CSAT and CES trend per interval (survey.results); needs survey",
     "nps = %promoters (9-10) - %detractors (0-6); csat_pct = share answering in the top two "
     "of the scale; ces_mean = mean effort score",
     days, survey_groups, report_satisfaction},
    {"owner_scorecard",
     "Per owner: revenue, orders, visits done, tickets resolved, SLA met, CSAT, against the "
     "revenue goal",
     "revenue and orders of the owner's customers in [from, to); visits_completed and "
     "tickets_resolved by the owner; sla_met_pct = mean of met (1) / missed (0) resolutions; "
     "csat = mean ticket satisfaction; revenue_target = the owner's revenue goal for the "
     "period holding from; attainment = revenue / target",
     NULL, NULL, kith_report_scorecard},
    {NULL},
};

static const kith_report *find_report(const char *name)
{
    for (const kith_report *r = kith_reports; r->name; r++)
        if (strcmp(r->name, name) == 0) return r;
    return NULL;
}

static cJSON *strings(const char *const *v)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; v && v[i]; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

static int report_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    (void)ctx;
    (void)params;
    cJSON *out = cJSON_CreateArray();
    for (const kith_report *r = kith_reports; r->name; r++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", r->name);
        cJSON_AddStringToObject(o, "description", r->description);
        cJSON_AddStringToObject(o, "formula", r->formula);
        cJSON_AddItemToObject(o, "intervals", strings(r->intervals));
        cJSON_AddItemToObject(o, "group_by", strings(r->group_by));
        cJSON_AddItemToArray(out, o);
    }
    *result = out;
    return 0;
}

/* The first ms of the month 11 months before `now`'s: a year of months. */
static int64_t year_ago(int64_t now)
{
    time_t t = (time_t)(now / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    tm.tm_mon -= 11;
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    return (int64_t)timegm(&tm) * 1000;
}

static int report_run(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    const char *name = kith_json_get_str(params, "name");
    const kith_report *r = find_report(name);
    if (!r)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "name",
                             "no report named '%s' (report.list has them)", name);
    kith_report_args a = {.from = year_ago(ctx->now), .to = ctx->now + 1, .params = params};
    int rc = 0;
    if (cJSON_GetObjectItemCaseSensitive(params, "from"))
        rc = kith_cmd_time_arg(ctx, params, "from", &a.from);
    if (!rc && cJSON_GetObjectItemCaseSensitive(params, "to"))
        rc = kith_cmd_time_arg(ctx, params, "to", &a.to);
    if (rc) return rc;
    if (a.to <= a.from) return kith_ctx_fail(ctx, KITH_EPARAMS, "to", "to must be after from");
    if (a.to - a.from > 3660 * DAY_MS)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "to", "a report covers at most ten years");
    a.interval = kith_json_get_str(params, "interval");
    a.group_by = kith_json_get_str(params, "group_by");
    if (a.interval && !r->intervals)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "interval", "report %s has no interval", name);
    if (r->intervals && kith_cmd_check_enum(ctx, params, "interval", r->intervals, 0))
        return KITH_EPARAMS;
    if (!a.interval && r->intervals) a.interval = r->intervals[0];
    if (a.group_by && !r->group_by)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "group_by", "report %s has no grouping", name);
    if (r->group_by && kith_cmd_check_enum(ctx, params, "group_by", r->group_by, 0))
        return KITH_EPARAMS;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "name", r->name);
    cJSON_AddStringToObject(out, "formula", r->formula);
    kith_json_add_time(out, "from", a.from);
    kith_json_add_time(out, "to", a.to);
    if (a.interval) cJSON_AddStringToObject(out, "interval", a.interval);
    if (a.group_by) cJSON_AddStringToObject(out, "group_by", a.group_by);
    if ((rc = r->run(ctx, &a, out))) {
        cJSON_Delete(out);
        return rc;
    }
    *result = out;
    return 0;
}

static const kith_param run_params[] = {
    {"name", KITH_T_STRING, 1, "the report (report.list)"},
    {"from", KITH_T_TIME, 0, "start (default: the first of the month 11 months ago)"},
    {"to", KITH_T_TIME, 0, "end, exclusive (default: now)"},
    {"interval", KITH_T_STRING, 0, "day, week or month, as the report allows"},
    {"group_by", KITH_T_STRING, 0, "a dimension, as the report allows"},
    {"survey", KITH_T_STRING, 0, "satisfaction: the survey"},
    {NULL},
};

static const kith_param no_params[] = {{NULL}};

const kith_command kith_cmd_report[] = {
    {"report.list", report_list, no_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "The KPI reports, each with its formula",
     "[{name, description, formula, intervals, group_by}]"},
    {"report.run", report_run, run_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Run a KPI report over [from, to) from the rollups",
     "{name, formula, from, to, interval, columns, rows}"},
    {NULL},
};
