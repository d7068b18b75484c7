/*
 * survey.results: every number read from the survey's rollups (the metrics
 * survey_ops.h lists), never from the responses, so the cost is O(days x
 * groups) however many answered.  from/to select whole UTC days (a rollup
 * row is a day).
 *
 * How the headline numbers come out of the moments (n, Σx, Σx²):
 *   NPS        each response scores s = 100 (promoter, 9-10), 0 (passive,
 *              7-8) or -100 (detractor, 0-6); NPS = Σs / n, which is %
 *              promoters - % detractors.  Σs = 100 (P - D) and Σs² = 10000
 *              (P + D), so P = (Σs²/10⁴ + Σs/100) / 2, D = (Σs²/10⁴ -
 *              Σs/100) / 2 and passives = n - P - D, exactly.
 *   CSAT %     x = 1 when the overall rating is in its scale's top two
 *              values (4-5 of 1-5): 100 Σx / n.
 *   CES        the mean of the CES answers.
 *   drivers    per dimension: n, mean = Σx / n, and Pearson's r with the
 *              overall score of the same responses from n, Σx, Σy, Σx², Σy²,
 *              Σxy; quadrants by survey_model.h's split rule.
 *   response rate  answered invitations / sent invitations, each counted on
 *              the day it happened.
 */
#include "commands/commands.h"
#include "commands/survey_model.h"
#include "commands/survey_ops.h"
#include "store/rollup.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GROUPS 4096

typedef struct moments {
    double n, sx, sxx, sy, syy, sxy;
} moments;

typedef struct group {
    char key[256];
    int64_t period; /* interval start day, for the trend */
    moments m;
} group;

/* Sums of one metric: the total, and per key (a dim's groups) or per
 * period (the trend). */
typedef struct sums {
    moments total;
    group *g;
    size_t n, cap;
    const char *interval; /* set: group the total rows by period */
    int oom;
} sums;

static void add(moments *m, const kith_rollup_row *r)
{
    m->n += (double)r->n;
    m->sx += r->sx;
    m->sxx += r->sxx;
    m->sy += r->sy;
    m->syy += r->syy;
    m->sxy += r->sxy;
}

static group *group_of(sums *s, const char *key, int64_t period)
{
    for (size_t i = s->n; i-- > 0;)
        if (s->g[i].period == period && strcmp(s->g[i].key, key) == 0) return &s->g[i];
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        group *g = cap > MAX_GROUPS ? NULL : realloc(s->g, cap * sizeof(*g));
        if (!g) {
            s->oom = 1;
            return NULL;
        }
        s->g = g;
        s->cap = cap;
    }
    group *g = &s->g[s->n++];
    memset(g, 0, sizeof(*g));
    snprintf(g->key, sizeof(g->key), "%s", key);
    g->period = period;
    return g;
}

static void on_row(void *ud, const kith_rollup_row *r)
{
    sums *s = ud;
    if (r->bucket >= 0) return;
    group *g = NULL;
    if (!r->dim[0]) {
        add(&s->total, r);
        int64_t start = 0;
        if (s->interval && kith_rollup_interval_start(s->interval, r->day, &start) == 0)
            g = group_of(s, "", start);
    } else {
        g = group_of(s, r->key, 0);
    }
    if (g) add(&g->m, r);
}

typedef struct window {
    const char *survey;
    int64_t from_day, to_day;
} window;

/* Sums metric survey.<name>.<what> over the window: totals only (dim
 * NULL), by period (interval) or by the keys of `dim`. */
static int scan(kith_ctx *ctx, const window *w, const char *what, const char *dim,
                const char *interval, sums *out)
{
    char metric[200];
    memset(out, 0, sizeof(*out));
    out->interval = interval;
    kith_survey_metric(metric, sizeof(metric), w->survey, what);
    int rc =
        kith_rollup_scan(ctx->store, metric, dim ? dim : "", w->from_day, w->to_day, on_row, out);
    if (rc >= 0 && dim) {
        /* The total comes from the dim-less rows. */
        sums t;
        memset(&t, 0, sizeof(t));
        rc = kith_rollup_scan(ctx->store, metric, "", w->from_day, w->to_day, on_row, &t);
        out->total = t.total;
        free(t.g);
    }
    if (rc < 0) {
        free(out->g);
        return kith_cmd_store_fail(ctx, rc, "survey rollups");
    }
    if (out->oom) {
        free(out->g);
        return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "too many groups");
    }
    return 0;
}

static void add_mean(cJSON *o, const char *key, const moments *m, double scale)
{
    if (m->n > 0)
        cJSON_AddNumberToObject(o, key, scale * m->sx / m->n);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *nps_object(const moments *m)
{
    cJSON *o = cJSON_CreateObject();
    double p = round((m->sxx / 10000 + m->sx / 100) / 2);
    double d = round((m->sxx / 10000 - m->sx / 100) / 2);
    add_mean(o, "score", m, 1);
    cJSON_AddNumberToObject(o, "promoters", p);
    cJSON_AddNumberToObject(o, "passives", m->n - p - d);
    cJSON_AddNumberToObject(o, "detractors", d);
    return o;
}

/* {key: {n, mean, distribution, top2_pct}} for every question. */
static int questions_object(kith_ctx *ctx, const window *w, const cJSON *questions, cJSON *out)
{
    const cJSON *q;
    cJSON_ArrayForEach(q, questions)
    {
        const char *key = kith_json_get_str(q, "key"), *type = kith_json_get_str(q, "type");
        char what[80];
        sums m, v;
        snprintf(what, sizeof(what), "q.%s", key);
        int rc = scan(ctx, w, what, NULL, NULL, &m);
        if (rc) return rc;
        free(m.g);
        snprintf(what, sizeof(what), "v.%s", key);
        if ((rc = scan(ctx, w, what, "value", NULL, &v))) return rc;
        cJSON *qo = cJSON_AddObjectToObject(out, key);
        double lo, hi;
        int numeric = kith_survey_scale(q, &lo, &hi);
        cJSON_AddNumberToObject(qo, "n", m.total.n);
        if (numeric)
            add_mean(qo, "mean", &m.total, 1);
        else
            cJSON_AddNullToObject(qo, "mean");
        /* Every possible value shows, counted or not, in scale or option
         * order; then any other recorded value. */
        cJSON *dist = cJSON_AddObjectToObject(qo, "distribution");
        int scaled = numeric && strcmp(type, "number") != 0 && strcmp(type, "yesno") != 0;
        if (scaled) {
            for (double x = lo; x <= hi; x++) {
                char k[32];
                snprintf(k, sizeof(k), "%.15g", x);
                cJSON_AddNumberToObject(dist, k, 0);
            }
        } else if (strcmp(type, "yesno") == 0) {
            cJSON_AddNumberToObject(dist, "true", 0);
            cJSON_AddNumberToObject(dist, "false", 0);
        } else {
            const cJSON *opt;
            cJSON_ArrayForEach(opt, cJSON_GetObjectItemCaseSensitive(q, "options"))
            {
                if (cJSON_IsString(opt)) cJSON_AddNumberToObject(dist, opt->valuestring, 0);
            }
        }
        double top2 = 0;
        for (size_t i = 0; i < v.n; i++) {
            cJSON *slot = cJSON_GetObjectItemCaseSensitive(dist, v.g[i].key);
            if (slot)
                cJSON_SetNumberValue(slot, slot->valuedouble + v.g[i].m.n);
            else
                cJSON_AddNumberToObject(dist, v.g[i].key, v.g[i].m.n);
            double x = atof(v.g[i].key);
            if (scaled && x >= hi - 1) top2 += v.g[i].m.n;
        }
        free(v.g);
        if (scaled && m.total.n > 0)
            cJSON_AddNumberToObject(qo, "top2_pct", 100 * top2 / m.total.n);
        else
            cJSON_AddNullToObject(qo, "top2_pct");
    }
    return 0;
}

static int drivers_array(kith_ctx *ctx, const window *w, const cJSON *questions, cJSON *out)
{
    kith_driver d[100];
    size_t n = 0;
    const cJSON *q;
    cJSON_ArrayForEach(q, questions)
    {
        const char *dim = kith_json_get_str(q, "dimension");
        int seen = 0;
        for (size_t i = 0; dim && i < n; i++)
            seen |= strcmp(d[i].dimension, dim) == 0;
        if (!dim || seen || n == sizeof(d) / sizeof(d[0])) continue;
        char what[80];
        sums s;
        snprintf(what, sizeof(what), "driver.%s", dim);
        int rc = scan(ctx, w, what, NULL, NULL, &s);
        if (rc) return rc;
        free(s.g);
        if (s.total.n <= 0) continue;
        kith_driver *k = &d[n++];
        memset(k, 0, sizeof(*k));
        k->dimension = dim;
        k->n = (int64_t)s.total.n;
        k->mean = s.total.sx / s.total.n;
        kith_survey_scale(q, &k->low, &k->high);
        k->has_correlation = kith_survey_pearson(s.total.n, s.total.sx, s.total.sy, s.total.sxx,
                                                 s.total.syy, s.total.sxy, &k->correlation);
    }
    kith_survey_quadrants(d, n);
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "dimension", d[i].dimension);
        kith_json_add_int(o, "n", d[i].n);
        cJSON_AddNumberToObject(o, "mean", d[i].mean);
        if (d[i].has_correlation)
            cJSON_AddNumberToObject(o, "correlation", d[i].correlation);
        else
            cJSON_AddNullToObject(o, "correlation");
        kith_json_add_str(o, "quadrant", d[i].quadrant);
        cJSON_AddItemToArray(out, o);
    }
    return 0;
}

static group *find(sums *s, const char *key, int64_t period)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->g[i].period == period && strcmp(s->g[i].key, key) == 0) return &s->g[i];
    return NULL;
}

/* One row of the trend or of the groups: n, nps, csat_pct, ces_mean. */
static cJSON *row(sums *resp, sums *nps, sums *csat, sums *ces, const group *g)
{
    static const moments none;
    group *p = find(nps, g->key, g->period), *c = find(csat, g->key, g->period);
    group *e = ces ? find(ces, g->key, g->period) : NULL;
    cJSON *o = cJSON_CreateObject();
    (void)resp;
    cJSON_AddNumberToObject(o, "n", g->m.n);
    add_mean(o, "nps", p ? &p->m : &none, 1);
    add_mean(o, "csat_pct", c ? &c->m : &none, 100);
    if (ces) add_mean(o, "ces_mean", e ? &e->m : &none, 1);
    return o;
}

static void free_sums(sums *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(a[i].g);
}

/* Scans responses, nps, csat (and ces) by `dim` or `interval`. */
static int scan_four(kith_ctx *ctx, const window *w, const char *dim, const char *interval,
                     sums s[4])
{
    static const char *const what[] = {"responses", "nps", "csat", "ces"};
    for (int i = 0; i < 4; i++) {
        int rc = scan(ctx, w, what[i], dim, interval, &s[i]);
        if (rc) {
            free_sums(s, (size_t)i);
            return rc;
        }
    }
    return 0;
}

int kith_survey_cmd_results(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t from = INT64_MIN, to = INT64_MAX, probe;
    const char *interval = kith_json_get_str(params, "interval");
    const char *group_by = kith_json_get_str(params, "group_by");
    int rc = kith_cmd_time_arg(ctx, params, "from", &from);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "to", &to);
    if (!interval) interval = "month";
    if (!rc && kith_rollup_interval_start(interval, 0, &probe) < 0)
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "interval",
                           "interval must be day, week, month or all");
    if (!rc && group_by && strcmp(group_by, "channel") != 0)
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "group_by", "group_by must be channel");
    if (rc) return rc;
    cJSON *sv = NULL;
    if ((rc = kith_survey_load(ctx, kith_json_get_str(params, "survey"), &sv))) return rc;
    window w = {.survey = kith_json_get_str(sv, "name"),
                .from_day = from == INT64_MIN ? INT64_MIN / 2 : kith_rollup_day(from),
                .to_day = to == INT64_MAX ? INT64_MAX / 2 : kith_rollup_day(to)};
    const cJSON *questions = cJSON_GetObjectItemCaseSensitive(sv, "questions");
    sums t[4], sent, answered;
    cJSON *out = cJSON_CreateObject();
    if (!out) rc = kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    if (!rc) rc = scan_four(ctx, &w, NULL, interval, t);
    if (rc) {
        cJSON_Delete(out);
        cJSON_Delete(sv);
        return rc;
    }
    if (!(rc = scan(ctx, &w, "sent", NULL, NULL, &sent))) {
        free(sent.g);
        if (!(rc = scan(ctx, &w, "answered", NULL, NULL, &answered))) free(answered.g);
    }
    if (!rc) {
        kith_json_add_str(out, "survey", w.survey);
        cJSON_AddNumberToObject(out, "n", t[0].total.n);
        cJSON_AddNumberToObject(out, "sent", sent.total.n);
        cJSON_AddNumberToObject(out, "answered", answered.total.n);
        if (sent.total.n > 0)
            cJSON_AddNumberToObject(out, "response_rate", answered.total.n / sent.total.n);
        else
            cJSON_AddNullToObject(out, "response_rate");
        cJSON_AddItemToObject(out, "nps", nps_object(&t[1].total));
        add_mean(out, "csat_pct", &t[2].total, 100);
        add_mean(out, "ces_mean", &t[3].total, 1);
        rc = questions_object(ctx, &w, questions, cJSON_AddObjectToObject(out, "questions"));
    }
    if (!rc) rc = drivers_array(ctx, &w, questions, cJSON_AddArrayToObject(out, "drivers"));
    if (!rc) {
        cJSON *trend = cJSON_AddArrayToObject(out, "trend");
        for (size_t i = 0; i < t[0].n; i++) {
            cJSON *r = row(&t[0], &t[1], &t[2], NULL, &t[0].g[i]);
            if (t[0].g[i].period == INT64_MIN)
                cJSON_AddNullToObject(r, "period");
            else
                kith_json_add_time(r, "period", t[0].g[i].period * KITH_DAY_MS);
            cJSON_AddItemToArray(trend, r);
        }
    }
    free_sums(t, 4);
    if (!rc && group_by && !(rc = scan_four(ctx, &w, group_by, NULL, t))) {
        cJSON *groups = cJSON_AddArrayToObject(out, "groups");
        for (size_t i = 0; i < t[0].n; i++) {
            cJSON *r = row(&t[0], &t[1], &t[2], &t[3], &t[0].g[i]);
            kith_json_add_str(r, group_by, t[0].g[i].key);
            cJSON_AddItemToArray(groups, r);
        }
        free_sums(t, 4);
    }
    cJSON_Delete(sv);
    if (rc) {
        cJSON_Delete(out);
        return rc;
    }
    *result = out;
    return 0;
}
