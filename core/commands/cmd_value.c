/*
 * value.get / value.list / value.fit / value.model: customer value
 * (README "Measuring").  A customer's value is computed from her stats row
 * and the fitted model when read (store/value.h), so it moves with the clock
 * and every order and the order path pays nothing for it.
 *
 * value.fit reads and fits on a worker thread (kith_ctx_offload) with a
 * read-only connection of its own; the loop goes on serving.  One fit runs
 * at a time.  The new model serves reads as soon as the reply leaves and is
 * saved with the next commit.
 */
#include "commands/commands.h"
#include "script/script.h"
#include "store/value.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"
#include "util/timefmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY_MS 86400000.0

static double round_to(double v, double unit)
{
    return round(v / unit) * unit;
}

static void add_num(cJSON *o, const char *key, double v, double unit)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, key, unit > 0 ? round_to(v, unit) : v);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *rfm_json(const kith_value *v)
{
    if (!v->has_rfm) return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "r", v->r);
    cJSON_AddNumberToObject(o, "f", v->f);
    cJSON_AddNumberToObject(o, "m", v->m);
    cJSON_AddStringToObject(o, "code", v->code);
    cJSON_AddStringToObject(o, "label", v->label);
    return o;
}

static const char *period_name(double ms)
{
    return ms == DAY_MS ? "day" : ms == 7 * DAY_MS ? "week" : "month";
}

static void settings_of(kith_ctx *ctx, kith_value_settings *set)
{
    kith_script_value_settings(ctx->env ? ctx->env->script : NULL, set);
}

static int value_get(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    int64_t at = ctx->now;
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", &id);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "at", &at);
    if (rc) return rc;
    kith_customer_stats st;
    if ((rc = kith_store_stats_get(ctx->store, id, &st)) < 0)
        return rc == KITH_ENOTFOUND
                   ? kith_ctx_fail(ctx, rc, "customer_id", "customer %lld not found", (long long)id)
                   : kith_cmd_store_fail(ctx, rc, "customer");
    const kith_value_model *m = kith_value_model_current(ctx->store);
    kith_value_settings set;
    settings_of(ctx, &set);
    kith_value v;
    kith_value_of(m, &set, &st, at, &v);
    cJSON *o = cJSON_CreateObject();
    kith_json_add_int(o, "customer_id", id);
    cJSON *hist = cJSON_AddObjectToObject(o, "historic");
    kith_json_add_int(hist, "orders", st.orders);
    kith_json_add_int(hist, "order_days", st.order_days);
    kith_json_add_money(hist, "revenue", st.total_spent_cents);
    cJSON_AddItemToObject(o, "rfm", rfm_json(&v));
    double nan = NAN;
    add_num(o, "p_alive", v.has_btyd ? v.p_alive : nan, 0);
    add_num(o, "expected_orders_90d", v.has_btyd ? v.expected_90d : nan, 0);
    add_num(o, "expected_orders_365d", v.has_btyd ? v.expected_365d : nan, 0);
    add_num(o, "expected_avg_value", v.has_btyd ? v.expected_avg_value : nan, 0.01);
    add_num(o, "clv_12m", v.has_btyd ? v.clv_12m : nan, 0.01);
    if (v.has_btyd) {
        /* The model's inputs, so a user (or a test) can check the figures. */
        cJSON *in = cJSON_AddObjectToObject(o, "inputs");
        cJSON_AddNumberToObject(in, "x", v.x);
        cJSON_AddNumberToObject(in, "t_x", v.t_x);
        cJSON_AddNumberToObject(in, "T", v.T);
        cJSON_AddStringToObject(in, "period", period_name(m->period_ms));
        kith_json_add_time(o, "model_fitted_at", m->fitted_at);
    }
    *result = o;
    return 0;
}

/* ---- value.list ---- */

struct ranked {
    int64_t id;
    kith_value v;
};

struct list_state {
    const kith_value_model *m;
    kith_value_settings set;
    int64_t now;
    double min_p_alive;
    struct ranked *items;
    size_t n, cap;
    int oom;
};

static int collect(void *ud, int64_t id, const kith_customer_stats *st)
{
    struct list_state *ls = ud;
    struct ranked r = {.id = id};
    kith_value_brief(ls->m, &ls->set, st, ls->now, &r.v);
    if (!r.v.has_btyd || r.v.p_alive < ls->min_p_alive) return 0;
    if (ls->n == ls->cap) {
        size_t cap = ls->cap ? ls->cap * 2 : 256;
        struct ranked *more = realloc(ls->items, cap * sizeof(*more));
        if (!more) return ls->oom = 1;
        ls->items = more;
        ls->cap = cap;
    }
    ls->items[ls->n++] = r;
    return 0;
}

static int by_clv(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->v.clv_12m != y->v.clv_12m) return x->v.clv_12m < y->v.clv_12m ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

static int by_p_alive(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->v.p_alive != y->v.p_alive) return x->v.p_alive < y->v.p_alive ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

static int value_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    static const char *const orders[] = {"clv", "p_alive", NULL};
    int rc = kith_cmd_check_enum(ctx, params, "order_by", orders, 0);
    if (rc) return rc;
    const char *order_by = kith_json_get_str(params, "order_by");
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(params, "limit");
    int limit = cJSON_IsNumber(lim) ? (int)lim->valuedouble : 50;
    if (limit < 1 || limit > 1000)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "limit", "limit must be between 1 and 1000");
    const cJSON *mp = cJSON_GetObjectItemCaseSensitive(params, "min_p_alive");
    int64_t at = ctx->now;
    if ((rc = kith_cmd_time_arg(ctx, params, "at", &at))) return rc;
    struct list_state ls = {.m = kith_value_model_current(ctx->store),
                            .now = at,
                            .min_p_alive = cJSON_IsNumber(mp) ? mp->valuedouble : 0};
    if (!ls.m->fitted)
        return kith_cmd_conflict(ctx, "no_model", NULL, "no value model yet: run value.fit");
    settings_of(ctx, &ls.set);
    rc = kith_store_stats_each(ctx->store, kith_json_get_str(params, "segment"),
                               kith_json_get_str(params, "class"), collect, &ls);
    if (!rc && ls.oom) rc = KITH_ENOMEM;
    if (rc) {
        free(ls.items);
        return kith_cmd_store_fail(ctx, rc, "customer values");
    }
    qsort(ls.items, ls.n, sizeof(*ls.items),
          order_by && strcmp(order_by, "p_alive") == 0 ? by_p_alive : by_clv);
    cJSON *items = cJSON_CreateArray();
    for (size_t i = 0; i < ls.n && i < (size_t)limit; i++) {
        cJSON *o = cJSON_CreateObject();
        kith_json_add_int(o, "customer_id", ls.items[i].id);
        add_num(o, "p_alive", ls.items[i].v.p_alive, 0);
        add_num(o, "expected_orders_365d", ls.items[i].v.expected_365d, 0);
        add_num(o, "clv_12m", ls.items[i].v.clv_12m, 0.01);
        cJSON_AddItemToObject(o, "rfm", rfm_json(&ls.items[i].v));
        cJSON_AddItemToArray(items, o);
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "items", items);
    kith_json_add_int(out, "total", (int64_t)ls.n);
    free(ls.items);
    *result = out;
    return 0;
}

/* ---- value.model ---- */

static cJSON *model_json(const kith_value_model *m)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "fitted", m->fitted);
    if (!m->fitted) return o;
    cJSON *p = cJSON_AddObjectToObject(o, "params");
    cJSON_AddNumberToObject(p, "r", m->bg.r);
    cJSON_AddNumberToObject(p, "alpha", m->bg.alpha);
    cJSON_AddNumberToObject(p, "a", m->bg.a);
    cJSON_AddNumberToObject(p, "b", m->bg.b);
    if (m->has_gg) {
        cJSON_AddNumberToObject(p, "p", m->gg.p);
        cJSON_AddNumberToObject(p, "q", m->gg.q);
        cJSON_AddNumberToObject(p, "gamma", m->gg.gamma);
    }
    cJSON *ll = cJSON_AddObjectToObject(o, "ll");
    cJSON_AddNumberToObject(ll, "bgnbd", m->ll_bg);
    if (m->has_gg) cJSON_AddNumberToObject(ll, "gamma_gamma", m->ll_gg);
    kith_json_add_int(o, "n", m->n);
    kith_json_add_int(o, "n_repeat", m->n_repeat);
    cJSON_AddStringToObject(o, "period", period_name(m->period_ms));
    kith_json_add_time(o, "fitted_at", m->fitted_at);
    if (m->calibration_end != KITH_TIME_NONE)
        kith_json_add_time(o, "calibration_end", m->calibration_end);
    else
        cJSON_AddNullToObject(o, "calibration_end");
    if (m->has_rfm) {
        cJSON *cuts = cJSON_AddObjectToObject(o, "rfm_cuts");
        cJSON_AddItemToObject(cuts, "recency_days", cJSON_CreateDoubleArray(m->r_cuts, 4));
        cJSON_AddItemToObject(cuts, "orders", cJSON_CreateDoubleArray(m->f_cuts, 4));
        double money[4];
        for (int i = 0; i < 4; i++)
            money[i] = m->m_cuts[i] / 100.0;
        cJSON_AddItemToObject(cuts, "spent", cJSON_CreateDoubleArray(money, 4));
    }
    return o;
}

static int value_model(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    (void)params;
    *result = model_json(kith_value_model_current(ctx->store));
    return 0;
}

/* ---- value.fit ---- */

struct fit_job {
    kith_offload base; /* first: the dispatcher sees only this */
    kith_store *store; /* touched only by finish, on the loop */
    char db[4200];
    int64_t calibration_end, now;
    int gamma_gamma;
    kith_value_model m;
    int rc;
    char why[300];
    long ms;
};

/* Only the loop thread reads or writes it (handler and finish). */
static int fit_running;

static void fit_run(kith_offload *base)
{
    struct fit_job *job = (struct fit_job *)base;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    kith_value_inputs in;
    job->rc = kith_value_inputs_read(job->db, job->calibration_end, job->now, job->m.period_ms, &in,
                                     job->why, sizeof(job->why));
    if (job->rc) return;
    kith_value_model *m = &job->m;
    m->n = (int64_t)in.n;
    for (size_t i = 0; i < in.n; i++)
        m->n_repeat += in.obs[i].x > 0;
    if (kith_bgnbd_fit(in.obs, in.n, &m->bg, &m->ll_bg) < 0) {
        job->rc = -1;
        snprintf(job->why, sizeof(job->why),
                 "nothing to fit: %zu customers, none with a repeat purchase", in.n);
    } else {
        m->fitted = 1;
        if (job->gamma_gamma) m->has_gg = kith_gamgam_fit(in.obs, in.n, &m->gg, &m->ll_gg) == 0;
    }
    m->has_rfm = in.has_rfm;
    memcpy(m->r_cuts, in.r_cuts, sizeof(m->r_cuts));
    memcpy(m->f_cuts, in.f_cuts, sizeof(m->f_cuts));
    memcpy(m->m_cuts, in.m_cuts, sizeof(m->m_cuts));
    kith_value_inputs_free(&in);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    job->ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
}

static int fit_finish(kith_offload *base, int status, cJSON **result, kith_call_error *err)
{
    struct fit_job *job = (struct fit_job *)base;
    fit_running = 0;
    int rc = status < 0 ? status : job->rc;
    if (rc < 0) {
        err->code = status < 0 ? KITH_EIO : KITH_ECONFLICT;
        snprintf(err->message, sizeof(err->message), "value.fit: %s",
                 status < 0 ? "it could not be started" : job->why);
        rc = err->code;
    } else {
        kith_value_model_set(job->store, &job->m);
        kith_info("value: fitted BG/NBD%s over %lld customers in %ld ms",
                  job->m.has_gg ? " and Gamma-Gamma" : "", (long long)job->m.n, job->ms);
        cJSON *o = model_json(&job->m);
        kith_json_add_int(o, "ms", job->ms);
        *result = o;
    }
    free(job);
    return rc;
}

/* Four ascending numbers of `cuts` under `key` into out.  Returns 0 or -1. */
static int read_cuts(const cJSON *cuts, const char *key, double scale, double *out)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(cuts, key);
    if (cJSON_GetArraySize(a) != 4) return -1;
    for (int i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetArrayItem(a, i);
        if (!cJSON_IsNumber(v) || (i && v->valuedouble < out[i - 1] / scale)) return -1;
        out[i] = v->valuedouble * scale;
    }
    return 0;
}

/* value.fit {params: {...}[, rfm_cuts]}: a model fitted elsewhere (or for a
 * rule test, which has no worker thread) is taken as given. */
static int value_set(kith_ctx *ctx, const cJSON *given, const cJSON *cuts, cJSON **result)
{
    static const char *const bg[] = {"r", "alpha", "a", "b"}, *const gg[] = {"p", "q", "gamma"};
    kith_value_model m = *kith_value_model_current(ctx->store);
    double v[7];
    int ngg = 0;
    for (int i = 0; i < 7; i++) {
        const char *k = i < 4 ? bg[i] : gg[i - 4];
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(given, k);
        if (!x && i >= 4) continue;
        if (!cJSON_IsNumber(x) || !(x->valuedouble > 0))
            return kith_ctx_fail(ctx, KITH_EPARAMS, "params", "params.%s must be a positive number",
                                 k);
        v[i] = x->valuedouble;
        ngg += i >= 4;
    }
    if (ngg != 0 && ngg != 3)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "params", "give all of p, q and gamma, or none");
    m.fitted = 1;
    m.bg = (kith_bgnbd){v[0], v[1], v[2], v[3]};
    m.has_gg = ngg == 3;
    if (m.has_gg) m.gg = (kith_gamgam){v[4], v[5], v[6]};
    m.ll_bg = m.ll_gg = NAN;
    m.n = m.n_repeat = 0;
    m.period_ms = 7 * DAY_MS;
    m.fitted_at = ctx->now;
    m.calibration_end = KITH_TIME_NONE;
    if (cuts) {
        if (read_cuts(cuts, "recency_days", 1, m.r_cuts) ||
            read_cuts(cuts, "orders", 1, m.f_cuts) || read_cuts(cuts, "spent", 100, m.m_cuts))
            return kith_ctx_fail(ctx, KITH_EPARAMS, "rfm_cuts",
                                 "rfm_cuts needs recency_days, orders and spent: 4 ascending "
                                 "numbers each");
        m.has_rfm = 1;
    }
    if (kith_value_model_set(ctx->store, &m) < 0)
        return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    *result = model_json(&m);
    return 0;
}

static int value_fit(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    const cJSON *given = cJSON_GetObjectItemCaseSensitive(params, "params");
    if (given)
        return value_set(ctx, given, cJSON_GetObjectItemCaseSensitive(params, "rfm_cuts"), result);
    static const char *const models[] = {"bgnbd", NULL};
    static const char *const spending[] = {"gamma_gamma", "none", NULL};
    static const char *const periods[] = {"day", "week", "month", NULL};
    int rc = kith_cmd_check_enum(ctx, params, "model", models, 0);
    if (!rc) rc = kith_cmd_check_enum(ctx, params, "spending", spending, 0);
    if (!rc) rc = kith_cmd_check_enum(ctx, params, "period", periods, 0);
    int64_t cal = KITH_TIME_NONE;
    if (!rc && cJSON_GetObjectItemCaseSensitive(params, "calibration_end"))
        rc = kith_cmd_time_arg(ctx, params, "calibration_end", &cal);
    if (rc) return rc;
    if (!ctx->env || !ctx->env->data_dir)
        return kith_ctx_fail(ctx, KITH_EINVREQ, NULL, "value.fit needs the server's database");
    if (fit_running) return kith_cmd_conflict(ctx, "fit_running", NULL, "a fit is running already");
    const char *period = kith_json_get_str(params, "period");
    const char *spend = kith_json_get_str(params, "spending");
    struct fit_job *job = calloc(1, sizeof(*job));
    if (!job) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    job->base.run = fit_run;
    job->base.finish = fit_finish;
    job->store = ctx->store;
    snprintf(job->db, sizeof(job->db), "%s/kith.db", ctx->env->data_dir);
    job->calibration_end = cal;
    job->now = ctx->now;
    job->gamma_gamma = !spend || strcmp(spend, "gamma_gamma") == 0;
    job->m.period_ms = !period || strcmp(period, "week") == 0 ? 7 * DAY_MS
                       : strcmp(period, "day") == 0           ? DAY_MS
                                                              : 365.25 / 12 * DAY_MS;
    job->m.calibration_end = cal;
    job->m.fitted_at = ctx->now;
    fit_running = 1;
    return kith_ctx_offload(ctx, &job->base);
}

kith_offload *kith_value_refit_job(kith_store *s, const char *data_dir, int64_t now)
{
    const kith_value_model *m = kith_value_model_current(s);
    if (fit_running || !data_dir || !m->fitted || m->n == 0 ||
        m->calibration_end != KITH_TIME_NONE || now - m->fitted_at < (int64_t)DAY_MS)
        return NULL;
    struct fit_job *job = calloc(1, sizeof(*job));
    if (!job) return NULL;
    job->base.run = fit_run;
    job->base.finish = fit_finish;
    job->base.method = "value.fit";
    job->store = s;
    snprintf(job->db, sizeof(job->db), "%s/kith.db", data_dir);
    job->calibration_end = KITH_TIME_NONE;
    job->now = now;
    job->gamma_gamma = m->has_gg;
    job->m.period_ms = m->period_ms;
    job->m.calibration_end = KITH_TIME_NONE;
    job->m.fitted_at = now;
    fit_running = 1;
    return &job->base;
}

static const kith_param get_params[] = {
    {"customer_id", KITH_T_INT, 1, "the customer"},
    {"at", KITH_T_TIME, 0, "as of this time (default now): T and recency run to it"},
    {NULL},
};

static const kith_param list_params[] = {
    {"order_by", KITH_T_STRING, 0, "clv (default) or p_alive, highest first"},
    {"segment", KITH_T_STRING, 0, "only members of this segment"},
    {"class", KITH_T_STRING, 0, "only customers of this class"},
    {"min_p_alive", KITH_T_NUMBER, 0, "only customers at least this likely alive"},
    {"limit", KITH_T_INT, 0, "at most this many (default 50, at most 1000)"},
    {"at", KITH_T_TIME, 0, "as of this time (default now)"},
    {NULL},
};

static const kith_param fit_params[] = {
    {"model", KITH_T_STRING, 0, "bgnbd (the default and only one)"},
    {"spending", KITH_T_STRING, 0, "gamma_gamma (default) or none"},
    {"period", KITH_T_STRING, 0, "the time unit: week (default), day or month"},
    {"calibration_end", KITH_T_TIME, 0,
     "fit on the orders at or before this time, T running to it; default: all orders, to now"},
    {"params", KITH_T_OBJECT, 0,
     "take this model instead of fitting: {r, alpha, a, b[, p, q, gamma]} (weeks)"},
    {"rfm_cuts", KITH_T_OBJECT, 0,
     "with params: {recency_days, orders, spent}, four ascending quintile cuts each"},
    {NULL},
};

static const kith_param no_params[] = {{NULL}};

const kith_command kith_cmd_value[] = {
    {"value.get", value_get, get_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "A customer's value: RFM, P(alive), expected orders and spend, 12-month CLV",
     "{customer_id, historic, rfm, p_alive, expected_orders_90d, expected_orders_365d, "
     "expected_avg_value, clv_12m, inputs}"},
    {"value.list", value_list, list_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Customers ranked by 12-month CLV or P(alive)",
     "{items: [{customer_id, p_alive, expected_orders_365d, clv_12m, rfm}], total}"},
    {"value.fit", value_fit, fit_params, KITH_CMD_READ | KITH_CMD_ADMIN, KITH_ROLE_ADMIN,
     "Fit BG/NBD and Gamma-Gamma to the orders off the loop, and refresh the RFM quintiles",
     "{fitted, params: {r, alpha, a, b, p, q, gamma}, ll: {bgnbd, gamma_gamma}, n, ...}"},
    {"value.model", value_model, no_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "The fitted value model: parameters, likelihoods, when, RFM cuts",
     "{fitted, params, ll, n, period, fitted_at, calibration_end, rfm_cuts}"},
    {NULL},
};
