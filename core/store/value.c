/*
 * See value.h.
 */
#include "store/value.h"
#include "util/error.h"
#include "util/json.h"

#include <cJSON.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000.0

static int64_t day_of(int64_t at)
{
    return at >= 0 ? at / 86400000 : -((-at + 86399999) / 86400000);
}

/* ---- RFM ---- */

/* 1..5: how many cuts v is above, plus one (f and m: more is better). */
static int score_up(const double *cuts, double v)
{
    int s = 1;
    for (int i = 0; i < 4; i++)
        s += v > cuts[i];
    return s;
}

/* The names of the usual RFM grid, by recency and frequency scores. */
static const char *rfm_label(int r, int f)
{
    if (r >= 4 && f >= 4) return "champions";
    if (r <= 2 && f >= 4) return "cant_lose_them";
    if (r >= 3 && f >= 3) return "loyal";
    if (r >= 4 && f == 1) return "new";
    if (r >= 3) return "potential_loyalist";
    if (f >= 2) return "at_risk";
    if (r == 2) return "hibernating";
    return "lost";
}

static void rfm_of(const kith_value_model *m, const kith_customer_stats *st, int64_t now,
                   kith_value *out)
{
    if (!m->has_rfm || st->orders == 0) return;
    double recency = (double)(now - st->last_order_at) / DAY_MS;
    out->r = 6 - score_up(m->r_cuts, recency); /* recent is better */
    out->f = score_up(m->f_cuts, (double)st->orders);
    out->m = score_up(m->m_cuts, (double)st->total_spent_cents);
    out->code[0] = (char)('0' + out->r);
    out->code[1] = (char)('0' + out->f);
    out->code[2] = (char)('0' + out->m);
    out->code[3] = '\0';
    out->label = rfm_label(out->r, out->f);
    out->has_rfm = 1;
}

/* ---- BG/NBD and Gamma-Gamma per customer ---- */

static void btyd_inputs(const kith_value_model *m, const kith_customer_stats *st, int64_t now,
                        kith_btyd_obs *o)
{
    double per = m->period_ms / DAY_MS; /* days per period */
    int64_t first = day_of(st->first_order_at), last = day_of(st->last_order_at);
    int64_t today = day_of(now);
    if (today < last) today = last;
    o->x = st->order_days > 0 ? (double)(st->order_days - 1) : 0;
    o->t_x = (double)(last - first) / per;
    o->T = (double)(today - first) / per;
    o->m_x = o->x > 0 ? (double)(st->total_spent_cents - st->first_day_cents) / 100.0 / o->x : 0;
}

static double avg_value(const kith_value_model *m, const kith_customer_stats *st,
                        const kith_btyd_obs *o)
{
    if (m->has_gg) return kith_gamgam_expected(&m->gg, o->x, o->m_x);
    return (double)st->total_spent_cents / 100.0 / (double)st->orders;
}

void kith_value_brief(const kith_value_model *m, const kith_value_settings *set,
                      const kith_customer_stats *st, int64_t now, kith_value *out)
{
    memset(out, 0, sizeof(*out));
    rfm_of(m, st, now, out);
    if (!m->fitted || st->orders == 0) return;
    kith_btyd_obs o;
    btyd_inputs(m, st, now, &o);
    out->x = o.x;
    out->t_x = o.t_x;
    out->T = o.T;
    out->p_alive = kith_bgnbd_p_alive(&m->bg, &o);
    double year = 365.0 * DAY_MS / m->period_ms;
    out->expected_365d = kith_bgnbd_expected(&m->bg, &o, year);
    out->expected_avg_value = avg_value(m, st, &o);
    /* A year's purchases, valued at the margin and discounted from the
     * middle of the year. */
    out->clv_12m =
        set->margin * out->expected_avg_value * out->expected_365d / sqrt(1.0 + set->discount_rate);
    out->has_btyd = 1;
}

void kith_value_of(const kith_value_model *m, const kith_value_settings *set,
                   const kith_customer_stats *st, int64_t now, kith_value *out)
{
    kith_value_brief(m, set, st, now, out);
    if (!out->has_btyd) return;
    kith_btyd_obs o = {out->x, out->t_x, out->T, 0};
    out->expected_90d = kith_bgnbd_expected(&m->bg, &o, 90.0 * DAY_MS / m->period_ms);
}

/* ---- the model, kept in memory and in value_models ---- */

struct value_slot {
    int loaded, dirty;
    kith_value_model m;
};

static void cuts_from_json(const cJSON *a, double *cuts)
{
    for (int i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetArrayItem(a, i);
        cuts[i] = cJSON_IsNumber(v) ? v->valuedouble : 0;
    }
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void model_from_json(const cJSON *j, kith_value_model *m)
{
    m->fitted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "fitted"));
    m->has_gg = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "has_gg"));
    m->has_rfm = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "has_rfm"));
    m->bg = (kith_bgnbd){num(j, "r"), num(j, "alpha"), num(j, "a"), num(j, "b")};
    m->gg = (kith_gamgam){num(j, "p"), num(j, "q"), num(j, "gamma")};
    m->ll_bg = num(j, "ll_bg");
    m->ll_gg = num(j, "ll_gg");
    m->n = (int64_t)num(j, "n");
    m->n_repeat = (int64_t)num(j, "n_repeat");
    m->period_ms = num(j, "period_ms");
    m->fitted_at = (int64_t)num(j, "fitted_at");
    double ce = num(j, "calibration_end");
    m->calibration_end = isnan(ce) ? KITH_TIME_NONE : (int64_t)ce;
    cuts_from_json(cJSON_GetObjectItemCaseSensitive(j, "r_cuts"), m->r_cuts);
    cuts_from_json(cJSON_GetObjectItemCaseSensitive(j, "f_cuts"), m->f_cuts);
    cuts_from_json(cJSON_GetObjectItemCaseSensitive(j, "m_cuts"), m->m_cuts);
}

static char *model_to_json(const kith_value_model *m)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddBoolToObject(j, "fitted", m->fitted);
    cJSON_AddBoolToObject(j, "has_gg", m->has_gg);
    cJSON_AddBoolToObject(j, "has_rfm", m->has_rfm);
    const char *keys[] = {"r", "alpha", "a", "b", "p", "q", "gamma", "ll_bg", "ll_gg"};
    double vals[] = {m->bg.r, m->bg.alpha, m->bg.a,  m->bg.b, m->gg.p,
                     m->gg.q, m->gg.gamma, m->ll_bg, m->ll_gg};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (isfinite(vals[i])) cJSON_AddNumberToObject(j, keys[i], vals[i]);
    cJSON_AddNumberToObject(j, "n", (double)m->n);
    cJSON_AddNumberToObject(j, "n_repeat", (double)m->n_repeat);
    cJSON_AddNumberToObject(j, "period_ms", m->period_ms);
    cJSON_AddNumberToObject(j, "fitted_at", (double)m->fitted_at);
    if (m->calibration_end != KITH_TIME_NONE)
        cJSON_AddNumberToObject(j, "calibration_end", (double)m->calibration_end);
    cJSON_AddItemToObject(j, "r_cuts", cJSON_CreateDoubleArray(m->r_cuts, 4));
    cJSON_AddItemToObject(j, "f_cuts", cJSON_CreateDoubleArray(m->f_cuts, 4));
    cJSON_AddItemToObject(j, "m_cuts", cJSON_CreateDoubleArray(m->m_cuts, 4));
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return text;
}

static struct value_slot *slot_of(kith_store *s)
{
    void **p = kith_store_value_slot(s);
    if (!*p) *p = calloc(1, sizeof(struct value_slot));
    return *p;
}

const kith_value_model *kith_value_model_current(kith_store *s)
{
    static const kith_value_model none = {.period_ms = 7 * DAY_MS};
    struct value_slot *v = slot_of(s);
    if (!v) return &none;
    if (!v->loaded) {
        v->m = none;
        sqlite3_stmt *st = kith_store_stmt(s, "SELECT body FROM value_models WHERE name = 'btyd'");
        if (st && sqlite3_step(st) == SQLITE_ROW) {
            cJSON *j = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
            if (j) model_from_json(j, &v->m);
            cJSON_Delete(j);
        }
        if (st) sqlite3_reset(st);
        v->loaded = 1;
    }
    return &v->m;
}

int kith_value_model_set(kith_store *s, const kith_value_model *m)
{
    struct value_slot *v = slot_of(s);
    if (!v) return KITH_ENOMEM;
    v->m = *m;
    v->loaded = v->dirty = 1;
    return 0;
}

int kith_value_model_flush(kith_store *s, void *slot)
{
    struct value_slot *v = slot;
    if (!v || !v->dirty) return 0;
    char *body = model_to_json(&v->m);
    if (!body) return KITH_ENOMEM;
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT OR REPLACE INTO value_models(name, body, at) VALUES ('btyd', ?, ?)");
    int rc = KITH_EIO;
    if (st) {
        sqlite3_bind_text(st, 1, body, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, v->m.fitted_at);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : kith_store_error(s, "save the value model");
        sqlite3_reset(st);
    }
    free(body);
    /* Still dirty until the COMMIT holding it succeeds (kith_value_model_saved). */
    return rc ? rc : 1;
}

void kith_value_model_saved(void *slot)
{
    struct value_slot *v = slot;
    if (v) v->dirty = 0;
}
