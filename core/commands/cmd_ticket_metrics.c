/*
 * ticket.metrics: what a service manager reads — volume, backlog, speed,
 * SLA, first-contact resolution, reopen rate, CSAT and complaints per 100
 * orders — per interval and per group, computed from the ticket rollups
 * alone (store/rollup.h; the metrics and their dims are listed under
 * "Ticket rollups" in the family brief and in the README).  It never reads a
 * ticket row, so its cost is O(days x groups) whatever the history holds.
 * The ticket writes record the rollups (cmd_ticket.c); order.create records
 * order.created (cmd_order.c).
 *
 * DESIGN NOTES
 *   1. Rollups are per UTC day, so the range is whole days: every day that
 *      holds some instant of [from, to) counts in full.  A period is the
 *      interval's first day even when the range starts later in it.
 *   2. A row is a (period, group) cell.  Counts are 0 when nothing happened;
 *      every ratio, mean and quantile is null when its denominator is 0.
 *   3. Quantiles stream: a scan yields a group's days in order, so one
 *      histogram accumulates a (group, period) and is read when the scan
 *      moves on; memory is one histogram, not one per cell.
 *   4. The backlog is a running sum of ticket.backlog's +1/-1 from the first
 *      day ever recorded to each period's last day in the range.
 *   5. Orders have no dims, so complaints per 100 orders exists in the total
 *      rows and in group_by=kind's `complaint` rows only; elsewhere it is null.
 */
#include "commands/commands.h"
#include "store/rollup.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DAYS  3660   /* about ten years of days */
#define MAX_CELLS 100000 /* rows of one answer: periods x groups */

static const char *const intervals[] = {"day", "week", "month", NULL};
static const char *const group_dims[] = {"kind",  "category", "channel",    "team",
                                         "owner", "priority", "touchpoint", NULL};

/* What a metric adds to a cell. */
enum field {
    F_OPENED,
    F_RESOLVED, /* count, and the resolve-time histogram */
    F_CLOSED,
    F_REJECTED,
    F_REOPENED,
    F_RESPONDED, /* the first-response histogram */
    F_RESPOND_SLA,
    F_RESOLVE_SLA,
    F_FCR,
    F_CSAT,
    F_BACKLOG,
    F_COMPLAINTS, /* ticket.opened of kind=complaint, into the total rows */
    F_ORDERS,     /* order.created, per period */
};

/* One (period, group) row.  A mean is sum / n; a quantile is -1 for none. */
typedef struct cell {
    int64_t opened, resolved, closed, rejected, reopened, backlog, complaints;
    int64_t respond_sla_n, resolve_sla_n, fcr_n, csat_n;
    double respond_sla_sum, resolve_sla_sum, fcr_sum, csat_sum;
    double respond_p50, resolve_p50, resolve_p90;
} cell;

typedef struct group {
    char *key;              /* owned; "" for the total */
    cell *cells;            /* one per period, owned */
    int64_t backlog_before; /* Σ backlog n before the range (note 4) */
} group;

typedef struct metrics {
    const char *interval, *group_by; /* NULL: one period / the total only */
    int64_t first_day, last_day;
    int64_t *starts; /* each period's first day, ascending */
    size_t nperiods;
    int64_t *orders; /* order.created per period */
    group *groups;   /* sorted by key */
    size_t ngroups, cap;
    int failed; /* 0, or KITH_EPARAMS (too many rows) or KITH_ENOMEM */
    /* The scan in progress. */
    enum field field;
    size_t hist_group, hist_period; /* whose histogram `hist` holds (note 3) */
    int hist_used;
    int64_t hist[KITH_ROLLUP_BUCKETS];
} metrics;

static void cell_init(cell *c)
{
    memset(c, 0, sizeof(*c));
    c->respond_p50 = c->resolve_p50 = c->resolve_p90 = -1;
}

/* The index of the period holding `day` (the last one starting at or before it). */
static size_t period_of(const metrics *m, int64_t day)
{
    size_t lo = 0, hi = m->nperiods;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (m->starts[mid] <= day)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* The group of `key`, created (sorted in) when new; NULL with m->failed set
 * when out of memory or past MAX_CELLS. */
static group *group_of(metrics *m, const char *key)
{
    size_t lo = 0, hi = m->ngroups;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(m->groups[mid].key, key);
        if (c == 0) return &m->groups[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if ((m->ngroups + 1) * m->nperiods > MAX_CELLS) {
        m->failed = KITH_EPARAMS;
        return NULL;
    }
    m->failed = KITH_ENOMEM; /* until the group is in */
    if (m->ngroups == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;
        group *g = realloc(m->groups, cap * sizeof(*g));
        if (!g) return NULL;
        m->groups = g;
        m->cap = cap;
    }
    group g = {strdup(key), calloc(m->nperiods, sizeof(cell)), 0};
    if (!g.key || !g.cells) {
        free(g.key);
        free(g.cells);
        return NULL;
    }
    for (size_t p = 0; p < m->nperiods; p++)
        cell_init(&g.cells[p]);
    memmove(&m->groups[lo + 1], &m->groups[lo], (m->ngroups - lo) * sizeof(group));
    m->groups[lo] = g;
    m->ngroups++;
    m->failed = 0;
    return &m->groups[lo];
}

/* Reads the histogram gathered so far into its cell and empties it (note 3). */
static void hist_flush(metrics *m)
{
    if (!m->hist_used) return;
    cell *c = &m->groups[m->hist_group].cells[m->hist_period];
    if (m->field == F_RESPONDED) {
        c->respond_p50 = kith_rollup_quantile(m->hist, 0.5);
    } else {
        c->resolve_p50 = kith_rollup_quantile(m->hist, 0.5);
        c->resolve_p90 = kith_rollup_quantile(m->hist, 0.9);
    }
    memset(m->hist, 0, sizeof(m->hist));
    m->hist_used = 0;
}

static void add_hist(metrics *m, size_t gi, size_t p, const kith_rollup_row *r)
{
    if (m->hist_used && (m->hist_group != gi || m->hist_period != p)) hist_flush(m);
    m->hist_group = gi;
    m->hist_period = p;
    m->hist_used = 1;
    m->hist[r->bucket] += r->n;
}

static void on_row(void *ud, const kith_rollup_row *r)
{
    metrics *m = ud;
    if (m->failed) return;
    int in_range = r->day >= m->first_day;
    size_t p = in_range ? period_of(m, r->day) : 0;
    if (m->field == F_ORDERS) {
        if (r->bucket < 0) m->orders[p] += r->n;
        return;
    }
    if (m->field == F_COMPLAINTS && strcmp(r->key, "complaint") != 0) return;
    /* A new key may be sorted in before the histogram's group: read it first. */
    if (m->hist_used && strcmp(m->groups[m->hist_group].key, r->key) != 0) hist_flush(m);
    group *g = group_of(m, m->field == F_COMPLAINTS ? "" : r->key);
    if (!g) return;
    if (r->bucket >= 0) {
        if ((m->field == F_RESPONDED || m->field == F_RESOLVED) && r->bucket < KITH_ROLLUP_BUCKETS)
            add_hist(m, (size_t)(g - m->groups), p, r);
        return;
    }
    if (!in_range) { /* only the backlog scan reaches before the range */
        g->backlog_before += r->n;
        return;
    }
    cell *c = &g->cells[p];
    switch (m->field) {
    case F_OPENED: c->opened += r->n; break;
    case F_RESOLVED: c->resolved += r->n; break;
    case F_CLOSED: c->closed += r->n; break;
    case F_REJECTED: c->rejected += r->n; break;
    case F_REOPENED: c->reopened += r->n; break;
    case F_BACKLOG: c->backlog += r->n; break;
    case F_COMPLAINTS: c->complaints += r->n; break;
    case F_RESPOND_SLA:
        c->respond_sla_n += r->n;
        c->respond_sla_sum += r->sx;
        break;
    case F_RESOLVE_SLA:
        c->resolve_sla_n += r->n;
        c->resolve_sla_sum += r->sx;
        break;
    case F_FCR:
        c->fcr_n += r->n;
        c->fcr_sum += r->sx;
        break;
    case F_CSAT:
        c->csat_n += r->n;
        c->csat_sum += r->sx;
        break;
    default: break;
    }
}

/* Scans `metric` of dimension `dim` into m as `field`.  Returns 0 or a
 * failure in ctx. */
static int scan(kith_ctx *ctx, metrics *m, const char *metric, const char *dim, enum field field)
{
    m->field = field;
    int64_t from = field == F_BACKLOG ? INT64_MIN : m->first_day;
    int rc = kith_rollup_scan(ctx->store, metric, dim, from, m->last_day, on_row, m);
    hist_flush(m);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "rollups");
    if (m->failed == KITH_ENOMEM) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    if (m->failed)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "interval",
                             "the answer would exceed %d rows; choose a longer interval, a "
                             "shorter range or a coarser group_by",
                             MAX_CELLS);
    return 0;
}

/* Sets the periods of [first_day, last_day].  Returns 0 or KITH_ENOMEM. */
static int make_periods(metrics *m)
{
    size_t cap = m->interval ? (size_t)(m->last_day - m->first_day + 1) : 1;
    m->starts = malloc(cap * sizeof(int64_t));
    if (!m->starts) return KITH_ENOMEM;
    for (int64_t day = m->first_day; day <= m->last_day; day++) {
        int64_t start;
        kith_rollup_interval_start(m->interval, day, &start);
        if (m->nperiods == 0 || m->starts[m->nperiods - 1] != start)
            m->starts[m->nperiods++] = start;
    }
    m->orders = calloc(m->nperiods, sizeof(int64_t));
    return m->orders ? 0 : KITH_ENOMEM;
}

static void metrics_release(metrics *m)
{
    for (size_t i = 0; i < m->ngroups; i++) {
        free(m->groups[i].key);
        free(m->groups[i].cells);
    }
    free(m->groups);
    free(m->starts);
    free(m->orders);
}

/* Adds `v` rounded to `step`, or null when `ok` is 0 (note 2). */
static void add_ratio(cJSON *o, const char *name, int ok, double v, double step)
{
    if (ok)
        cJSON_AddNumberToObject(o, name, round(v / step) * step);
    else
        cJSON_AddNullToObject(o, name);
}

/* Whether a group has nothing to show: no activity in the range and no
 * backlog (a team whose tickets were all done long ago). */
static int group_empty(const group *g, size_t nperiods)
{
    for (size_t p = 0; p < nperiods; p++) {
        const cell *c = &g->cells[p];
        if (c->opened || c->resolved || c->closed || c->rejected || c->reopened || c->backlog ||
            c->respond_sla_n || c->resolve_sla_n || c->fcr_n || c->csat_n || c->respond_p50 >= 0)
            return 0;
    }
    return 1;
}

static cJSON *row_json(const metrics *m, const group *g, size_t p)
{
    const cell *c = &g->cells[p];
    cJSON *o = cJSON_CreateObject();
    if (m->interval) {
        char day[KITH_TIME_BUFSZ];
        kith_time_format(m->starts[p] * KITH_DAY_MS, day);
        day[10] = '\0'; /* the date */
        cJSON_AddStringToObject(o, "period", day);
    }
    if (m->group_by) cJSON_AddStringToObject(o, "group", g->key);
    kith_json_add_int(o, "opened", c->opened);
    kith_json_add_int(o, "resolved", c->resolved);
    kith_json_add_int(o, "closed", c->closed);
    kith_json_add_int(o, "rejected", c->rejected);
    kith_json_add_int(o, "reopened", c->reopened);
    kith_json_add_int(o, "backlog", c->backlog);
    add_ratio(o, "respond_p50_s", c->respond_p50 >= 0, c->respond_p50, 1);
    add_ratio(o, "resolve_p50_s", c->resolve_p50 >= 0, c->resolve_p50, 1);
    add_ratio(o, "resolve_p90_s", c->resolve_p90 >= 0, c->resolve_p90, 1);
    double resolve_pct = c->resolve_sla_n ? 100.0 * c->resolve_sla_sum / c->resolve_sla_n : 0;
    add_ratio(o, "sla_met_pct", c->resolve_sla_n > 0, resolve_pct, 0.01);
    add_ratio(o, "respond_sla_met_pct", c->respond_sla_n > 0,
              c->respond_sla_n ? 100.0 * c->respond_sla_sum / c->respond_sla_n : 0, 0.01);
    add_ratio(o, "resolve_sla_met_pct", c->resolve_sla_n > 0, resolve_pct, 0.01);
    add_ratio(o, "fcr_pct", c->fcr_n > 0, c->fcr_n ? 100.0 * c->fcr_sum / c->fcr_n : 0, 0.01);
    add_ratio(o, "reopen_pct", c->resolved > 0,
              c->resolved ? 100.0 * (double)c->reopened / (double)c->resolved : 0, 0.01);
    add_ratio(o, "csat", c->csat_n > 0, c->csat_n ? c->csat_sum / c->csat_n : 0, 0.01);
    /* Note 5: the total's complaints are gathered apart; kind=complaint's are its opened. */
    int has_orders = !m->group_by || strcmp(g->key, "complaint") == 0;
    int64_t complaints = m->group_by ? c->opened : c->complaints;
    add_ratio(o, "complaints_per_100_orders", has_orders && m->orders[p] > 0,
              m->orders[p] ? 100.0 * (double)complaints / (double)m->orders[p] : 0, 0.01);
    return o;
}

static int ticket_metrics(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t from = 0, to = 0;
    int rc = kith_cmd_time_arg(ctx, params, "from", &from);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "to", &to);
    if (rc) return rc;
    metrics m = {.interval = kith_json_get_str(params, "interval"),
                 .group_by = kith_json_get_str(params, "group_by")};
    if (kith_cmd_check_enum(ctx, params, "interval", intervals, 0) ||
        kith_cmd_check_enum(ctx, params, "group_by", group_dims, 0))
        return KITH_EPARAMS;
    if (to <= from) return kith_ctx_fail(ctx, KITH_EPARAMS, "to", "to must be after from");
    /* Note 1: whole UTC days, `to` exclusive. */
    m.first_day = kith_rollup_day(from);
    m.last_day = kith_rollup_day(to - 1);
    if (m.last_day - m.first_day + 1 > MAX_DAYS)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "to",
                             "the range spans more than %d days; ask for a shorter one", MAX_DAYS);
    if (make_periods(&m) < 0) {
        metrics_release(&m);
        return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    }
    static const struct {
        const char *metric;
        enum field field;
    } metric_fields[] = {
        {"ticket.opened", F_OPENED},
        {"ticket.resolved", F_RESOLVED},
        {"ticket.closed", F_CLOSED},
        {"ticket.rejected", F_REJECTED},
        {"ticket.reopened", F_REOPENED},
        {"ticket.responded", F_RESPONDED},
        {"ticket.respond_sla", F_RESPOND_SLA},
        {"ticket.resolve_sla", F_RESOLVE_SLA},
        {"ticket.fcr", F_FCR},
        {"ticket.csat", F_CSAT},
        {"ticket.backlog", F_BACKLOG},
    };
    const char *dim = m.group_by ? m.group_by : "";
    /* The total row exists even when nothing was recorded. */
    if (!m.group_by && !group_of(&m, ""))
        rc = kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; !rc && i < sizeof(metric_fields) / sizeof(metric_fields[0]); i++)
        rc = scan(ctx, &m, metric_fields[i].metric, dim, metric_fields[i].field);
    if (!rc && !m.group_by) rc = scan(ctx, &m, "ticket.opened", "kind", F_COMPLAINTS);
    if (!rc && (!m.group_by || strcmp(m.group_by, "kind") == 0))
        rc = scan(ctx, &m, "order.created", "", F_ORDERS);
    if (rc) {
        metrics_release(&m);
        return rc;
    }
    cJSON *out = cJSON_CreateObject(), *rows = cJSON_CreateArray();
    kith_json_add_time(out, "from", from);
    kith_json_add_time(out, "to", to);
    if (m.interval)
        cJSON_AddStringToObject(out, "interval", m.interval);
    else
        cJSON_AddNullToObject(out, "interval");
    if (m.group_by)
        cJSON_AddStringToObject(out, "group_by", m.group_by);
    else
        cJSON_AddNullToObject(out, "group_by");
    /* Note 4: each period's backlog becomes the running sum up to its end. */
    for (size_t i = 0; i < m.ngroups; i++) {
        group *g = &m.groups[i];
        int64_t backlog = g->backlog_before;
        for (size_t p = 0; p < m.nperiods; p++) {
            backlog += g->cells[p].backlog;
            g->cells[p].backlog = backlog;
        }
    }
    /* Rows by period, then by group key; the total row always shows. */
    for (size_t p = 0; p < m.nperiods; p++)
        for (size_t i = 0; i < m.ngroups; i++)
            if (!m.group_by || !group_empty(&m.groups[i], m.nperiods))
                cJSON_AddItemToArray(rows, row_json(&m, &m.groups[i], p));
    cJSON_AddItemToObject(out, "rows", rows);
    metrics_release(&m);
    *result = out;
    return 0;
}

static const kith_param metrics_params[] = {
    {"from", KITH_T_TIME, 1, "start of the range (its whole UTC day counts)"},
    {"to", KITH_T_TIME, 1, "end of the range, exclusive (a day it reaches into counts whole)"},
    {"interval", KITH_T_STRING, 0, "day, week (Mondays) or month; absent: one row for the range"},
    {"group_by", KITH_T_STRING, 0,
     "kind, category, channel, team, owner, priority or touchpoint; absent: the total"},
    {NULL},
};

const kith_command kith_cmd_ticket_metrics[] = {
    {"ticket.metrics", ticket_metrics, metrics_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Service metrics from the ticket rollups, per interval and group",
     "{from, to, interval, group_by, rows: [{period, group, opened, resolved, closed, rejected, "
     "reopened, backlog, respond_p50_s, resolve_p50_s, resolve_p90_s, sla_met_pct, "
     "respond_sla_met_pct, resolve_sla_met_pct, fcr_pct, reopen_pct, csat, "
     "complaints_per_100_orders}]}"},
    {NULL},
};
