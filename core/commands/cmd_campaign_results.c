/*
 * campaign.results: what the campaign did, measured against its control
 * group.  One aggregate over the campaign's members (store/campaign.h note
 * 4); excluded members count in neither group (campaign_ops.h note 2) and
 * members still pending wait for their slice.
 *
 * The figures, with n_t, n_c the settled treated and control members and
 * x_t, x_c those of them who converted (an attributed order in the window,
 * or campaign.track converted):
 *   conversion.g      p_g = x_g / n_g
 *   uplift            p_t - p_c
 *   ci                uplift -/+ 1.96 se, se = sqrt(p_t(1-p_t)/n_t +
 *                     p_c(1-p_c)/n_c): the 95% normal (Wald) interval of
 *                     a difference of two independent proportions; null
 *                     while a group is empty
 *   significant       the interval excludes 0
 *   revenue.per_member.g   revenue_g / n_g (every attributed order)
 *   incremental_conversions   uplift * n_t
 *   incremental_revenue   (per_member.treated - per_member.control) * n_t
 *   roi               (incremental_revenue - cost) / cost, when cost > 0
 */
#include "commands/campaign_ops.h"
#include "commands/commands.h"
#include "store/campaign.h"
#include "util/error.h"
#include "util/json.h"

#include <math.h>

#define Z95 1.959963984540054

static int add_number(cJSON *o, const char *key, double v)
{
    return cJSON_AddNumberToObject(o, key, v) ? 0 : KITH_ENOMEM;
}

static int add_number_or_null(cJSON *o, const char *key, int have, double v)
{
    if (!have) return cJSON_AddNullToObject(o, key) ? 0 : KITH_ENOMEM;
    return add_number(o, key, v);
}

/* {treated: a, control: b} under `key`. */
static int add_pair(cJSON *o, const char *key, int have_t, double t, int have_c, double c)
{
    cJSON *p = cJSON_AddObjectToObject(o, key);
    if (!p) return KITH_ENOMEM;
    return add_number_or_null(p, "treated", have_t, t) |
           add_number_or_null(p, "control", have_c, c);
}

/* Money as a number rounded to the cent. */
static double cents_to_money(double cents)
{
    return round(cents) / 100.0;
}

static int build(cJSON *out, const cJSON *campaign, int64_t id, const kith_campaign_tally *t,
                 cJSON *exclusions)
{
    const kith_campaign_group *tr = &t->treated, *co = &t->control;
    double nt = (double)tr->members, nc = (double)co->members;
    int ht = tr->members > 0, hc = co->members > 0, both = ht && hc;
    double pt = ht ? tr->converted / nt : 0, pc = hc ? co->converted / nc : 0;
    double uplift = pt - pc, se = both ? sqrt(pt * (1 - pt) / nt + pc * (1 - pc) / nc) : 0;
    double rpm_t = ht ? tr->revenue_cents / nt : 0, rpm_c = hc ? co->revenue_cents / nc : 0;
    double incremental = both ? (rpm_t - rpm_c) * nt : 0;
    const cJSON *cost = cJSON_GetObjectItemCaseSensitive(campaign, "cost");
    double cost_cents = cJSON_IsNumber(cost) ? round(cost->valuedouble * 100) : 0;

    int rc = kith_json_add_int(out, "id", id);
    rc |= kith_json_add_str(out, "name", kith_json_get_str(campaign, "name"));
    rc |= kith_json_add_str(out, "status", kith_json_get_str(campaign, "status"));
    rc |=
        add_number(out, "control_pct",
                   cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(campaign, "control_pct")));
    rc |= kith_json_add_int(out, "members", tr->members + co->members + t->excluded + t->pending);
    rc |= kith_json_add_int(out, "treated", tr->members);
    rc |= kith_json_add_int(out, "control", co->members);
    rc |= kith_json_add_int(out, "excluded", t->excluded);
    rc |= kith_json_add_int(out, "pending", t->pending);
    rc |= add_pair(out, "drawn", 1, (double)t->drawn_treated, 1, (double)t->drawn_control);
    cJSON_AddItemToObject(out, "exclusions", exclusions);
    rc |= add_pair(out, "converted", 1, (double)tr->converted, 1, (double)co->converted);
    rc |= add_pair(out, "responded", 1, (double)tr->responded, 1, (double)co->responded);
    rc |= add_pair(out, "conversion", ht, pt, hc, pc);
    rc |= add_number_or_null(out, "uplift", both, uplift);
    if (both) {
        cJSON *ci = cJSON_AddArrayToObject(out, "ci");
        if (!ci) return KITH_ENOMEM;
        cJSON_AddItemToArray(ci, cJSON_CreateNumber(uplift - Z95 * se));
        cJSON_AddItemToArray(ci, cJSON_CreateNumber(uplift + Z95 * se));
        rc |= add_number(out, "se", se);
        rc |= cJSON_AddBoolToObject(out, "significant",
                                    uplift - Z95 * se > 0 || uplift + Z95 * se < 0)
                  ? 0
                  : KITH_ENOMEM;
    } else {
        rc |= cJSON_AddNullToObject(out, "ci") ? 0 : KITH_ENOMEM;
        rc |= cJSON_AddNullToObject(out, "se") ? 0 : KITH_ENOMEM;
        rc |= cJSON_AddNullToObject(out, "significant") ? 0 : KITH_ENOMEM;
    }
    cJSON *rev = cJSON_AddObjectToObject(out, "revenue");
    if (!rev) return KITH_ENOMEM;
    rc |= kith_json_add_money(rev, "treated", tr->revenue_cents);
    rc |= kith_json_add_money(rev, "control", co->revenue_cents);
    rc |= add_pair(rev, "per_member", ht, cents_to_money(rpm_t), hc, cents_to_money(rpm_c));
    rc |= add_number_or_null(out, "incremental_conversions", both, uplift * nt);
    rc |= add_number_or_null(out, "incremental_revenue", both, cents_to_money(incremental));
    rc |= add_number_or_null(out, "cost", cJSON_IsNumber(cost), cost_cents / 100.0);
    rc |= add_number_or_null(out, "roi", both && cost_cents > 0,
                             (incremental - cost_cents) / (cost_cents > 0 ? cost_cents : 1));
    return rc ? KITH_ENOMEM : 0;
}

static int campaign_results(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    cJSON *campaign = NULL;
    int rc = kith_campaign_load(ctx, params, &id, &campaign);
    if (rc) return rc;
    kith_campaign_tally t;
    cJSON *exclusions = cJSON_CreateObject(), *out = cJSON_CreateObject();
    if (!exclusions || !out) rc = kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    if (!rc && ((rc = kith_store_campaign_tally(ctx->store, id, &t)) < 0 ||
                (rc = kith_store_campaign_exclusions(ctx->store, id, exclusions)) < 0))
        rc = kith_cmd_store_fail(ctx, rc, "campaign members");
    if (!rc) {
        rc = build(out, campaign, id, &t, exclusions);
        exclusions = NULL; /* out owns it now */
        if (rc) rc = kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    }
    cJSON_Delete(exclusions);
    cJSON_Delete(campaign);
    if (rc) {
        cJSON_Delete(out);
        return rc;
    }
    *result = out;
    return 0;
}

static const kith_param results_params[] = {
    {"id", KITH_T_INT, 0, "campaign id"},
    {"name", KITH_T_STRING, 0, "or the campaign's name"},
    {NULL},
};

const kith_command kith_cmd_campaign_results[] = {
    {"campaign.results", campaign_results, results_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Treated vs control conversion, uplift with its 95% interval, revenue and roi",
     "{treated, control, conversion: {treated, control}, uplift, ci, revenue, "
     "incremental_revenue, roi, ...}"},
    {NULL},
};
