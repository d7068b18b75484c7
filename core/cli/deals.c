/*
 * `kith deals` and `kith forecast`: see deals.h.  `kith deals` is built on
 * listing.c like `kith tickets`; `kith forecast` prints deal.forecast.
 */
#include "cli/deals.h"
#include "cli/args.h"
#include "cli/listing.h"
#include "cli/render.h"
#include "cli/report.h"
#include "cli/when.h"
#include "util/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int report(int rc, const char *what)
{
    fprintf(stderr, "kith: %s\n", what);
    return rc;
}

static int deal_row(kith_cli_listing *l, const cJSON *d, cJSON *row)
{
    const char *label;
    int rc = kith_cli_listing_customer(l, d, &label);
    if (rc < 0) return rc;
    char prob[16] = "", close[64] = "";
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(d, "probability");
    if (cJSON_IsNumber(p)) snprintf(prob, sizeof(prob), "%.0f%%", p->valuedouble * 100);
    const char *ec = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "expected_close"));
    if (ec) kith_cli_when_relative(ec, l->now_ms, "ago", close, sizeof(close));
    int rotting = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "rotting"));
    const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "status"));
    const char *stage = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "stage"));
    if (!rc) rc = kith_cli_listing_copy(row, "id", d);
    if (!rc) rc = kith_cli_listing_text(row, "customer", label ? label : "");
    if (!rc) rc = kith_cli_listing_copy(row, "name", d);
    if (!rc)
        rc = kith_cli_listing_text(row, "stage",
                                   status && strcmp(status, "open") != 0 ? status : stage);
    if (!rc) rc = kith_cli_listing_copy(row, "amount", d);
    if (!rc) rc = kith_cli_listing_text(row, "prob", prob);
    if (!rc) rc = kith_cli_listing_text(row, "close", close);
    if (!rc) rc = kith_cli_listing_copy(row, "owner", d);
    if (!rc) rc = kith_cli_listing_text(row, "", rotting ? "rotting" : "");
    return rc;
}

int kith_cli_deals_run(kith_cli_session *s, int argc, char *const *argv)
{
    const char *status = NULL, *owner = NULL, *stage = NULL, *limit = NULL;
    int all = 0, json = s->json_output;
    long lim = KITH_CLI_LISTING_LIMIT;
    const kith_cli_listing_option opts[] = {
        {"--status", &status}, {"--owner", &owner}, {"--stage", &stage},
        {"--limit", &limit},   {NULL, NULL},
    };
    if (kith_cli_listing_options("deals", argc, argv, opts, &all, &json) < 0) return KITH_EPARAMS;
    if (status && all) return report(KITH_EPARAMS, "deals: --status and --all do not go together");
    if (!status && !all) status = "open";
    if (limit && kith_cli_listing_limit("deals", limit, &lim) < 0) return KITH_EPARAMS;
    cJSON *params = cJSON_CreateObject();
    if (!params) return report(KITH_ENOMEM, "out of memory");
    cJSON_AddNumberToObject(params, "limit", (double)lim);
    if (status) cJSON_AddStringToObject(params, "status", status);
    if (owner) cJSON_AddStringToObject(params, "owner", owner);
    if (stage) cJSON_AddStringToObject(params, "stage", stage);
    const kith_cli_listing_view view = {.method = "deal.list",
                                        .limit = lim,
                                        .json = json,
                                        .status = status,
                                        .noun = "deals",
                                        .owner = owner,
                                        .row = deal_row};
    return kith_cli_listing_run(s, &view, params);
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void money_line(const char *label, double v)
{
    if (isnan(v))
        printf("  %-12s -\n", label);
    else
        printf("  %-12s %14.2f\n", label, v);
}

int kith_cli_forecast_run(kith_cli_session *s, int argc, char *const *argv)
{
    const char *period = NULL, *by = NULL, *owner = NULL, *start = NULL;
    char err[200];
    int json = s->json_output;
    for (int i = 1; i < argc; i++) {
        int m = kith_cli_args_option(argc, argv, &i, "--period", &period, err, sizeof(err));
        if (!m) m = kith_cli_args_option(argc, argv, &i, "--by", &by, err, sizeof(err));
        if (!m) m = kith_cli_args_option(argc, argv, &i, "--owner", &owner, err, sizeof(err));
        if (!m) m = kith_cli_args_option(argc, argv, &i, "--start", &start, err, sizeof(err));
        if (m < 0) return report(m, err);
        if (m == 1) continue;
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
            continue;
        }
        snprintf(err, sizeof(err), "forecast: unexpected '%s' (see kith help deal.forecast)",
                 argv[i]);
        return report(KITH_EPARAMS, err);
    }
    cJSON *params = cJSON_CreateObject(), *res = NULL;
    if (!params) return report(KITH_ENOMEM, "out of memory");
    if (period) cJSON_AddStringToObject(params, "period", period);
    if (by) cJSON_AddStringToObject(params, "by", by);
    if (owner) cJSON_AddStringToObject(params, "owner", owner);
    if (start) cJSON_AddStringToObject(params, "start", start);
    int rc = kith_cli_session_call(s, "deal.forecast", params, &res);
    if (rc < 0) return rc;
    if (json) {
        rc = kith_cli_render_result(stdout, res, 1);
        cJSON_Delete(res);
        return rc;
    }
    char from[32] = "", to[32] = "";
    kith_cli_render_time(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "start")), 0,
                         from, sizeof(from));
    kith_cli_render_time(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "end")), 0, to,
                         sizeof(to));
    printf("forecast, %s from %s to %s%s%s\n",
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "period")), from, to,
           owner ? " for " : "", owner ? owner : "");
    money_line("pipeline", num(res, "pipeline"));
    money_line("weighted", num(res, "weighted"));
    money_line("best case", num(res, "best_case"));
    money_line("commit", num(res, "commit"));
    money_line("closed won", num(res, "closed_won"));
    money_line("target", num(res, "target"));
    money_line("gap", num(res, "gap"));
    double wr = num(res, "win_rate");
    char rate[16] = "-";
    if (!isnan(wr)) snprintf(rate, sizeof(rate), "%.0f%%", wr * 100);
    printf("  %-12s %14s  (%g won, %g lost, %g open)\n", "win rate", rate, num(res, "won"),
           num(res, "lost"), num(res, "open"));
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(res, "groups");
    if (cJSON_GetArraySize(groups) > 0) {
        static const char *const cols[] = {"group",  "pipeline",   "weighted",
                                           "commit", "closed_won", "win_rate"};
        cJSON *table = cJSON_CreateArray(), *bars = cJSON_CreateArray();
        const cJSON *g;
        cJSON_ArrayForEach(g, groups)
        {
            cJSON *row = cJSON_CreateObject(), *bar = cJSON_CreateArray();
            for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(g, cols[i]);
                cJSON_AddItemToObject(row, cols[i], v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
            }
            cJSON_AddItemToArray(table, row);
            cJSON_AddItemToArray(bar,
                                 cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(g, "group"), 1));
            cJSON_AddItemToArray(
                bar, cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(g, "weighted"), 1));
            cJSON_AddItemToArray(bars, bar);
        }
        printf("\n");
        rc = kith_cli_render_table(stdout, table);
        size_t width = kith_cli_render_term_width();
        printf("\nweighted\n");
        kith_cli_report_bars(stdout, bars, 1, 0, width ? width : 80);
        cJSON_Delete(table);
        cJSON_Delete(bars);
    }
    cJSON_Delete(res);
    return rc;
}
