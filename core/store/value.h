/*
 * Customer value (README "Measuring"): the fitted BG/NBD and Gamma-Gamma
 * models with the RFM quintile cuts, and each customer's value computed
 * from her stats row when asked: value.get, value.list and the rules' view
 * read the same kith_value_of, so a prediction is never stale (it moves
 * with the clock and with every order) and the order path pays nothing.
 *
 * DESIGN NOTES
 *   1. The model is fitted off the loop (value.fit, a worker thread with
 *      its own read-only connection: kith_value_inputs_read), then handed
 *      to the store with kith_value_model_set.  The store keeps it in
 *      memory at once and writes it to value_models inside the next
 *      commit, as it does the deferred rollup counts; the minute upkeep
 *      commits even on an idle server.
 *   2. A customer's (x, t_x, T) come from her stats: x = order days - 1,
 *      t_x from the first to the last order day, T from the first order
 *      day to today, in the model's period (weeks by default); m_x is the
 *      mean of the repeat days' amounts, (total - first day) / x.
 */
#ifndef KITH_STORE_VALUE_H
#define KITH_STORE_VALUE_H

#include "store/stats.h"
#include "store/store.h"
#include "util/btyd.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kith_value_model {
    int fitted;              /* a BG/NBD model exists */
    int has_gg;              /* a Gamma-Gamma model exists */
    kith_bgnbd bg;           /*  */
    kith_gamgam gg;          /*  */
    double ll_bg;            /* the maximised log-likelihoods */
    double ll_gg;            /*  */
    int64_t n;               /* customers fitted */
    int64_t n_repeat;        /* ... of whom with a repeat purchase (Gamma-Gamma's) */
    double period_ms;        /* the time unit (a week) */
    int64_t fitted_at;       /* when */
    int64_t calibration_end; /* KITH_TIME_NONE: all orders to the fit's day */
    int has_rfm;             /* quintile cuts exist */
    double r_cuts[4];        /* days since the last order, ascending */
    double f_cuts[4];        /* orders */
    double m_cuts[4];        /* total spent, cents */
} kith_value_model;

/* Settings from crm.value{...}. */
typedef struct kith_value_settings {
    double discount_rate; /* a year (0.10) */
    double margin;        /* share of revenue that is value (1.0) */
} kith_value_settings;

typedef struct kith_value {
    int has_rfm;
    int r, f, m;
    char code[4];
    const char *label;
    int has_btyd;
    double x, t_x, T; /* the inputs, in periods */
    double p_alive, expected_90d, expected_365d, expected_avg_value, clv_12m;
} kith_value;

/* The customer's value under `m` at `now`.  No model: has_btyd = 0. */
void kith_value_of(const kith_value_model *m, const kith_value_settings *set,
                   const kith_customer_stats *st, int64_t now, kith_value *out);
/* The cheap part of kith_value_of (P(alive) and the 12-month CLV only), for
 * lists and the rules' view. */
void kith_value_brief(const kith_value_model *m, const kith_value_settings *set,
                      const kith_customer_stats *st, int64_t now, kith_value *out);

/* The current model (loaded from the store the first time): never NULL; an
 * unfitted one has fitted = 0. */
const kith_value_model *kith_value_model_current(kith_store *s);
/* Replaces the current model (note 1).  Returns 0 or KITH_ENOMEM. */
int kith_value_model_set(kith_store *s, const kith_value_model *m);
/* ---- for store.c only ---- */
/* Writes a model set since the last commit, inside the pass's transaction.
 * Returns 1 when it wrote, 0 when there was nothing to write, or a KITH_E*
 * code.  The model stays due until kith_value_model_saved: a COMMIT that
 * fails leaves it for the next one. */
int kith_value_model_flush(kith_store *s, void *slot);
void kith_value_model_saved(void *slot);

/* What a fit reads: one observation per customer with an order. */
typedef struct kith_value_inputs {
    kith_btyd_obs *obs;
    size_t n;
    double r_cuts[4], f_cuts[4], m_cuts[4];
    int has_rfm;
} kith_value_inputs;
/* Reads the inputs from the database at `db_path` on a connection of its
 * own (any thread): from the orders up to `calibration_end` (inclusive,
 * T running to it) or, when KITH_TIME_NONE, from the stats up to `now`;
 * same-day orders are one purchase; times in periods of `period_ms`.  The
 * RFM cuts are read from the stats as of `calibration_end` (or `now`).
 * Returns 0 or -1 with `why` filled. */
int kith_value_inputs_read(const char *db_path, int64_t calibration_end, int64_t now,
                           double period_ms, kith_value_inputs *out, char *why, size_t whylen);
void kith_value_inputs_free(kith_value_inputs *in);

#endif
