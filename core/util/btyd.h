/*
 * Customer-base models of the "buy till you die" family, in pure C: the
 * BG/NBD model of how often a customer buys and when she quietly leaves
 * (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way") and
 * the Gamma-Gamma model of how much she spends per purchase (Fader &
 * Hardie 2013, "The Gamma-Gamma Model of Monetary Value").  value.fit
 * fits them; value.get and the rules read the per-customer predictions.
 *
 * A customer is summarised by (x, t_x, T) in one time unit (weeks in the
 * literature): x repeat purchases (purchase days after the first; purchases
 * on one day count as one), t_x the time of the last purchase and T the
 * length of observation, both from the first purchase.  Gamma-Gamma adds
 * m_x, the mean value of the x repeat purchases.
 *
 * DESIGN NOTES
 *   1. Fitting maximises the log-likelihood by Nelder-Mead over the logs of
 *      the parameters, so every trial point is positive and no gradient is
 *      needed; the simplex restarts at its best point until a restart no
 *      longer improves, the usual guard against a collapsed simplex.  Each
 *      simplex stops after 2,000 steps, the fit after 4 of them or 5,000
 *      evaluations in all, and a log-parameter beyond +-15 is refused: data that say nothing about
 * a parameter (nobody ever drops out) would otherwise walk it towards infinity for ever.  Such a
 * fit ends at the bound, and says so by its parameters, not by running on.
 *   2. The likelihoods need only lgamma, log and exp.  BG/NBD's expected
 *      purchases need the Gauss hypergeometric 2F1(a, b; c; z), summed as
 *      its series: z = t / (alpha + T + t) < 1 always, so it converges.
 *   3. Nothing here allocates except the fit's copy-free callbacks; a fit
 *      over 23,570 customers takes about a second, so callers run it off
 *      the event loop (value.fit uses a worker thread).
 */
#ifndef KITH_UTIL_BTYD_H
#define KITH_UTIL_BTYD_H

#include <stddef.h>

typedef struct kith_btyd_obs {
    double x;   /* repeat purchases */
    double t_x; /* time of the last purchase from the first */
    double T;   /* time observed from the first purchase */
    double m_x; /* mean value of the repeat purchases (Gamma-Gamma; 0 when x = 0) */
} kith_btyd_obs;

typedef struct kith_bgnbd {
    double r, alpha, a, b;
} kith_bgnbd;

typedef struct kith_gamgam {
    double p, q, gamma;
} kith_gamgam;

/* The BG/NBD log-likelihood of one customer, and of n. */
double kith_bgnbd_ll1(const kith_bgnbd *m, const kith_btyd_obs *o);
double kith_bgnbd_ll(const kith_bgnbd *m, const kith_btyd_obs *obs, size_t n);
/* Fits BG/NBD to obs[0..n-1]; *out gets the parameters, *ll the maximum.
 * Returns 0, or -1 when there is nothing to fit (n = 0 or no repeat
 * purchase at all) or the optimiser found no finite likelihood. */
int kith_bgnbd_fit(const kith_btyd_obs *obs, size_t n, kith_bgnbd *out, double *ll);

/* P(alive | x, t_x, T): the probability the customer has not left. */
double kith_bgnbd_p_alive(const kith_bgnbd *m, const kith_btyd_obs *o);
/* E[Y(t) | x, t_x, T]: the purchases she is expected to make in the next t. */
double kith_bgnbd_expected(const kith_bgnbd *m, const kith_btyd_obs *o, double t);

/* The Gamma-Gamma log-likelihood of one customer with x > 0, and of the
 * customers of obs[0..n-1] with x > 0. */
double kith_gamgam_ll1(const kith_gamgam *m, double x, double m_x);
double kith_gamgam_ll(const kith_gamgam *m, const kith_btyd_obs *obs, size_t n);
/* Fits Gamma-Gamma to the customers with x > 0 and m_x > 0.  Returns 0, or
 * -1 when fewer than two such customers exist. */
int kith_gamgam_fit(const kith_btyd_obs *obs, size_t n, kith_gamgam *out, double *ll);
/* E[M | x, m_x]: the expected value of her future purchases (the
 * population mean p gamma / (q - 1) when x = 0). */
double kith_gamgam_expected(const kith_gamgam *m, double x, double m_x);

/* 2F1(a, b; c; z) for |z| < 1, by its series. */
double kith_hyp2f1(double a, double b, double c, double z);

/* Minimises f over dims <= 8 parameters by Nelder-Mead from x[] (changed in
 * place to the minimum); returns the minimum value. */
double kith_nelder_mead(double (*f)(const double *x, void *ud), void *ud, double *x, int dims);

#endif
