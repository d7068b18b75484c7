#include "util/btyd.h"

#include <math.h>
#include <string.h>

/* log(e^u + e^v) without overflow; v may be -INFINITY. */
static double log_add(double u, double v)
{
    if (v == -INFINITY) return u;
    double hi = u > v ? u : v, lo = u > v ? v : u;
    return hi + log1p(exp(lo - hi));
}

double kith_bgnbd_ll1(const kith_bgnbd *m, const kith_btyd_obs *o)
{
    double r = m->r, al = m->alpha, a = m->a, b = m->b, x = o->x;
    double a1 = lgamma(r + x) - lgamma(r) + r * log(al);
    double a2 = lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x);
    double a3 = -(r + x) * log(al + o->T);
    double a4 = x > 0 ? log(a) - log(b + x - 1) - (r + x) * log(al + o->t_x) : -INFINITY;
    return a1 + a2 + log_add(a3, a4);
}

#define X_CACHE 256 /* repeat counts whose lgamma terms are computed once per call */

double kith_bgnbd_ll(const kith_bgnbd *m, const kith_btyd_obs *obs, size_t n)
{
    /* The lgamma terms depend on x alone: computed once per distinct small
     * x, they leave a few logs per customer (a fit calls this thousands of
     * times over every customer). */
    double r = m->r, al = m->alpha, a = m->a, b = m->b;
    double head[X_CACHE], la = log(a), lal = log(al);
    double base = -lgamma(r) + r * lal + lgamma(a + b) - lgamma(b);
    for (int x = 0; x < X_CACHE; x++)
        head[x] = NAN;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        const kith_btyd_obs *o = &obs[i];
        double x = o->x;
        int xi = (int)x;
        if (xi < 0 || xi >= X_CACHE || (double)xi != x) {
            sum += kith_bgnbd_ll1(m, o);
            continue;
        }
        if (isnan(head[xi])) head[xi] = base + lgamma(r + x) + lgamma(b + x) - lgamma(a + b + x);
        double a3 = -(r + x) * log(al + o->T);
        double a4 = xi > 0 ? la - log(b + x - 1) - (r + x) * log(al + o->t_x) : -INFINITY;
        sum += head[xi] + log_add(a3, a4);
    }
    return sum;
}

/* log of the second term of P(alive)'s denominator: a / (b + x - 1) *
 * ((alpha + T) / (alpha + t_x))^(r + x), for x > 0. */
static double log_dead_odds(const kith_bgnbd *m, const kith_btyd_obs *o)
{
    return log(m->a) - log(m->b + o->x - 1) +
           (m->r + o->x) * (log(m->alpha + o->T) - log(m->alpha + o->t_x));
}

double kith_bgnbd_p_alive(const kith_bgnbd *m, const kith_btyd_obs *o)
{
    if (o->x <= 0) return 1.0;
    return 1.0 / (1.0 + exp(log_dead_odds(m, o)));
}

double kith_hyp2f1(double a, double b, double c, double z)
{
    double term = 1.0, sum = 1.0;
    for (int k = 0; k < 200000; k++) {
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
        sum += term;
        if (fabs(term) < 1e-15 * fabs(sum)) break;
    }
    return sum;
}

double kith_bgnbd_expected(const kith_bgnbd *m, const kith_btyd_obs *o, double t)
{
    double r = m->r, al = m->alpha, a = m->a, b = m->b, x = o->x, T = o->T;
    if (t <= 0) return 0;
    double z = t / (al + T + t);
    double head = (a + b + x - 1) / (a - 1);
    double tail = exp((r + x) * (log(al + T) - log(al + T + t))) *
                  kith_hyp2f1(r + x, b + x, a + b + x - 1, z);
    double den = x > 0 ? 1.0 + exp(log_dead_odds(m, o)) : 1.0;
    return head * (1.0 - tail) / den;
}

double kith_gamgam_ll1(const kith_gamgam *m, double x, double m_x)
{
    double p = m->p, q = m->q, g = m->gamma, px = p * x;
    return lgamma(px + q) - lgamma(px) - lgamma(q) + q * log(g) + (px - 1) * log(m_x) +
           px * log(x) - (px + q) * log(x * m_x + g);
}

double kith_gamgam_ll(const kith_gamgam *m, const kith_btyd_obs *obs, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        if (obs[i].x > 0 && obs[i].m_x > 0) sum += kith_gamgam_ll1(m, obs[i].x, obs[i].m_x);
    return sum;
}

double kith_gamgam_expected(const kith_gamgam *m, double x, double m_x)
{
    if (x <= 0 || m_x <= 0) return m->q > 1 ? m->p * m->gamma / (m->q - 1) : NAN;
    return m->p * (m->gamma + x * m_x) / (m->p * x + m->q - 1);
}

/* ---- Nelder-Mead (note 1) ---- */

#define NM_MAX   8
#define NM_ITERS 2000 /* per simplex: a flat likelihood must not run forever */
#define NM_RUNS  4    /* the first simplex and its restarts */
#define NM_EVALS 5000 /* evaluations per fit, all simplexes together */
#define LOG_MAX  15.0 /* |log parameter| beyond this is refused (e^15 = 3.3e6) */

static void centroid(double s[][NM_MAX], int dims, int worst, double *c)
{
    memset(c, 0, sizeof(double) * NM_MAX);
    for (int i = 0; i <= dims; i++)
        if (i != worst)
            for (int j = 0; j < dims; j++)
                c[j] += s[i][j] / dims;
}

/* The function being minimised, and the evaluations spent on it. */
struct nm {
    double (*f)(const double *, void *);
    void *ud;
    int evals;
};

static double eval(struct nm *b, const double *x)
{
    b->evals++;
    return b->f(x, b->ud);
}

/* Runs one simplex from x until it collapses (or the budget is spent);
 * returns its best value. */
static double nm_run(struct nm *b, double *x, int dims)
{
    double s[NM_MAX + 1][NM_MAX], fv[NM_MAX + 1], c[NM_MAX], xr[NM_MAX], xe[NM_MAX];
    for (int i = 0; i <= dims; i++) {
        memcpy(s[i], x, sizeof(double) * dims);
        if (i) s[i][i - 1] += 0.5;
        fv[i] = eval(b, s[i]);
    }
    for (int iter = 0; iter < NM_ITERS && b->evals < NM_EVALS; iter++) {
        int best = 0, worst = 0, second = -1;
        for (int i = 1; i <= dims; i++) {
            if (fv[i] < fv[best]) best = i;
            if (fv[i] > fv[worst]) worst = i;
        }
        for (int i = 0; i <= dims; i++)
            if (i != worst && (second < 0 || fv[i] > fv[second])) second = i;
        double size = 0;
        for (int i = 0; i <= dims; i++)
            for (int j = 0; j < dims; j++)
                size = fmax(size, fabs(s[i][j] - s[best][j]));
        if (fabs(fv[worst] - fv[best]) < 1e-12 * (1 + fabs(fv[best])) && size < 1e-9) break;
        if (fabs(fv[worst] - fv[best]) < 1e-14 * (1 + fabs(fv[best]))) break; /* flat */
        centroid(s, dims, worst, c);
        for (int j = 0; j < dims; j++)
            xr[j] = c[j] + (c[j] - s[worst][j]);
        double fr = eval(b, xr);
        if (fr < fv[best]) {
            for (int j = 0; j < dims; j++)
                xe[j] = c[j] + 2 * (c[j] - s[worst][j]);
            double fe = eval(b, xe);
            int take_e = fe < fr;
            memcpy(s[worst], take_e ? xe : xr, sizeof(double) * dims);
            fv[worst] = take_e ? fe : fr;
        } else if (fr < fv[second]) {
            memcpy(s[worst], xr, sizeof(double) * dims);
            fv[worst] = fr;
        } else {
            /* Contract towards the better of the worst point and its reflection. */
            int outside = fr < fv[worst];
            for (int j = 0; j < dims; j++)
                xe[j] = c[j] + 0.5 * ((outside ? xr[j] : s[worst][j]) - c[j]);
            double fc = eval(b, xe);
            if (fc < (outside ? fr : fv[worst])) {
                memcpy(s[worst], xe, sizeof(double) * dims);
                fv[worst] = fc;
            } else {
                for (int i = 0; i <= dims; i++) {
                    if (i == best) continue;
                    for (int j = 0; j < dims; j++)
                        s[i][j] = s[best][j] + 0.5 * (s[i][j] - s[best][j]);
                    fv[i] = eval(b, s[i]);
                }
            }
        }
    }
    int best = 0;
    for (int i = 1; i <= dims; i++)
        if (fv[i] < fv[best]) best = i;
    memcpy(x, s[best], sizeof(double) * dims);
    return fv[best];
}

double kith_nelder_mead(double (*f)(const double *x, void *ud), void *ud, double *x, int dims)
{
    struct nm b = {f, ud, 0};
    double best = nm_run(&b, x, dims);
    for (int restart = 1; restart < NM_RUNS; restart++) {
        if (b.evals >= NM_EVALS) break;
        double again = nm_run(&b, x, dims);
        int better = again < best - 1e-12 * (1 + fabs(best));
        best = fmin(best, again);
        if (!better) break;
    }
    return best;
}

/* ---- the fits, on log-parameters ---- */

struct fit_data {
    const kith_btyd_obs *obs;
    size_t n;
};

/* 1 when every log-parameter is within +-LOG_MAX: data that carry no
 * information about a parameter (no one ever drops out) would otherwise
 * send it off to infinity one slow step at a time. */
static int in_range(const double *lp, int n)
{
    for (int i = 0; i < n; i++)
        if (!(fabs(lp[i]) <= LOG_MAX)) return 0;
    return 1;
}

static double bgnbd_cost(const double *lp, void *ud)
{
    const struct fit_data *d = ud;
    if (!in_range(lp, 4)) return HUGE_VAL;
    kith_bgnbd m = {exp(lp[0]), exp(lp[1]), exp(lp[2]), exp(lp[3])};
    double ll = kith_bgnbd_ll(&m, d->obs, d->n);
    return isfinite(ll) ? -ll : HUGE_VAL;
}

int kith_bgnbd_fit(const kith_btyd_obs *obs, size_t n, kith_bgnbd *out, double *ll)
{
    int repeats = 0;
    for (size_t i = 0; i < n && !repeats; i++)
        repeats = obs[i].x > 0;
    if (!n || !repeats) return -1;
    struct fit_data d = {obs, n};
    double lp[4] = {0, 0, 0, 0}; /* r = alpha = a = b = 1 */
    double cost = kith_nelder_mead(bgnbd_cost, &d, lp, 4);
    if (!isfinite(cost)) return -1;
    *out = (kith_bgnbd){exp(lp[0]), exp(lp[1]), exp(lp[2]), exp(lp[3])};
    *ll = -cost;
    return 0;
}

static double gamgam_cost(const double *lp, void *ud)
{
    const struct fit_data *d = ud;
    if (!in_range(lp, 3)) return HUGE_VAL;
    kith_gamgam m = {exp(lp[0]), exp(lp[1]), exp(lp[2])};
    double ll = kith_gamgam_ll(&m, d->obs, d->n);
    return isfinite(ll) ? -ll : HUGE_VAL;
}

int kith_gamgam_fit(const kith_btyd_obs *obs, size_t n, kith_gamgam *out, double *ll)
{
    size_t usable = 0;
    for (size_t i = 0; i < n; i++)
        usable += obs[i].x > 0 && obs[i].m_x > 0;
    if (usable < 2) return -1;
    struct fit_data d = {obs, n};
    double lp[3] = {0, 0, 0};
    double cost = kith_nelder_mead(gamgam_cost, &d, lp, 3);
    if (!isfinite(cost)) return -1;
    *out = (kith_gamgam){exp(lp[0]), exp(lp[1]), exp(lp[2])};
    *ll = -cost;
    return 0;
}
