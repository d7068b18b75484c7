/*
 * `kith report` and `kith value`: see report.h.
 */
#include "cli/report.h"
#include "cli/args.h"
#include "cli/render.h"
#include "util/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BAR_MAX 40

static int report(int rc, const char *what)
{
    fprintf(stderr, "kith: %s\n", what);
    return rc;
}

/* The column a report's chart shows unless --chart says otherwise. */
static const char *headline(const char *name)
{
    static const char *const map[][2] = {
        {"customers", "active"}, {"retention", "m1"},
        {"funnel", "current"},   {"revenue", "revenue"},
        {"loyalty", "awarded"},  {"service", "opened"},
        {"satisfaction", "nps"}, {"owner_scorecard", "revenue"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i][0], name) == 0) return map[i][1];
    return NULL;
}

static int column_of(const cJSON *cols, const char *name)
{
    int i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cols)
    {
        if (cJSON_IsString(c) && strcmp(c->valuestring, name) == 0) return i;
        i++;
    }
    return -1;
}

void kith_cli_report_bars(FILE *out, const cJSON *rows, int col, int two_labels, size_t width)
{
    double max = 0;
    size_t label_w = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        const cJSON *v = cJSON_GetArrayItem(row, col);
        if (cJSON_IsNumber(v) && fabs(v->valuedouble) > max) max = fabs(v->valuedouble);
        char label[64];
        const cJSON *a = cJSON_GetArrayItem(row, 0), *b = cJSON_GetArrayItem(row, 1);
        snprintf(label, sizeof(label), "%s%s%s", cJSON_IsString(a) ? a->valuestring : "",
                 two_labels ? " " : "", two_labels && cJSON_IsString(b) ? b->valuestring : "");
        if (strlen(label) > label_w) label_w = strlen(label);
    }
    if (label_w > 24) label_w = 24;
    size_t bar_w = width > label_w + 16 ? width - label_w - 16 : 10;
    if (bar_w > BAR_MAX) bar_w = BAR_MAX;
    cJSON_ArrayForEach(row, rows)
    {
        const cJSON *v = cJSON_GetArrayItem(row, col);
        const cJSON *a = cJSON_GetArrayItem(row, 0), *b = cJSON_GetArrayItem(row, 1);
        char label[64];
        snprintf(label, sizeof(label), "%s%s%s", cJSON_IsString(a) ? a->valuestring : "",
                 two_labels ? " " : "", two_labels && cJSON_IsString(b) ? b->valuestring : "");
        fprintf(out, "%-*.*s |", (int)label_w, (int)label_w, label);
        if (!cJSON_IsNumber(v)) {
            fprintf(out, "\n");
            continue;
        }
        size_t n = max > 0 ? (size_t)lround(fabs(v->valuedouble) / max * (double)bar_w) : 0;
        for (size_t i = 0; i < n; i++)
            fputc('#', out);
        fprintf(out, " %g\n", v->valuedouble);
    }
}

/* A short header for a long column name, so a report fits 80 columns. */
static const char *short_name(const char *name, int abbreviate)
{
    static const char *const map[][2] = {
        {"returning", "return"},
        {"retained", "retain"},
        {"retention_rate", "ret"},
        {"churn_rate", "churn"},
        {"repeat_purchase_rate", "repeat"},
        {"purchase_frequency", "freq"},
        {"visits_completed", "visits"},
        {"tickets_resolved", "tickets"},
        {"sla_met_pct", "sla%"},
        {"revenue_target", "target"},
        {"attainment", "attain"},
        {"median_days", "med_d"},
        {"p90_days", "p90_d"},
        {"won_amount", "won$"},
        {"deals_won", "deals"},
    };
    for (size_t i = 0; abbreviate && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i][0], name) == 0) return map[i][1];
    return name;
}

/* The retention matrix on a terminal: shares as whole percentages, and
 * only the month columns that fit `width` (the rest named on stderr). */
static void fit_matrix(cJSON *table, size_t width)
{
    size_t keep = width > 30 ? (width - 22) / 6 : 4, n = 0;
    cJSON *row;
    cJSON_ArrayForEach(row, table)
    {
        cJSON *cell = row->child;
        size_t k = 0;
        while (cell) {
            cJSON *next = cell->next;
            if (cell->string[0] == 'm' && cell->string[1] >= '0' && cell->string[1] <= '9') {
                if (k++ >= keep) {
                    cJSON_Delete(cJSON_DetachItemViaPointer(row, cell));
                } else if (cJSON_IsNumber(cell)) {
                    char pct[16];
                    snprintf(pct, sizeof(pct), "%.0f%%", cell->valuedouble * 100);
                    cJSON *v = cJSON_CreateString(pct);
                    if (v) v->string = strdup(cell->string); /* the key goes with it */
                    if (v && v->string)
                        cJSON_ReplaceItemViaPointer(row, cell, v);
                    else
                        cJSON_Delete(v);
                }
            }
            cell = next;
        }
        if (k > n) n = k;
    }
    if (n > keep)
        fprintf(stderr, "(months m%zu to m%zu do not fit: a wider terminal or --csv shows them)\n",
                keep, n - 1);
}

/* The report's rows as objects, for the table renderer; headers shortened
 * when a terminal's width limits the table. */
static cJSON *as_objects(const cJSON *res, int abbreviate)
{
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(res, "columns"), *row;
    cJSON *out = cJSON_CreateArray();
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(res, "rows"))
    {
        cJSON *o = cJSON_CreateObject();
        int i = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, cols)
        {
            const cJSON *v = cJSON_GetArrayItem(row, i++);
            cJSON_AddItemToObject(o, short_name(c->valuestring, abbreviate),
                                  v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
        }
        cJSON_AddItemToArray(out, o);
    }
    return out;
}

int kith_cli_report_run(kith_cli_session *s, int argc, char *const *argv)
{
    static const char *const opts[][2] = {{"--from", "from"},
                                          {"--to", "to"},
                                          {"--interval", "interval"},
                                          {"--group-by", "group_by"},
                                          {"--survey", "survey"}};
    const char *vals[5] = {NULL}, *name = NULL, *chart = NULL;
    char err[200];
    int json = s->json_output;
    for (int i = 1; i < argc; i++) {
        int m = 0;
        for (size_t k = 0; !m && k < 5; k++)
            m = kith_cli_args_option(argc, argv, &i, opts[k][0], &vals[k], err, sizeof(err));
        if (!m) m = kith_cli_args_option(argc, argv, &i, "--chart", &chart, err, sizeof(err));
        if (m < 0) return report(m, err);
        if (m == 1) continue;
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--csv") == 0) {
            kith_cli_render_set_csv(1);
        } else if (!name && argv[i][0] != '-') {
            name = argv[i];
        } else {
            snprintf(err, sizeof(err), "report: unexpected '%s' (see kith help report.run)",
                     argv[i]);
            return report(KITH_EPARAMS, err);
        }
    }
    if (!name)
        return report(KITH_EPARAMS, "usage: kith report NAME [--from T] [--to T] "
                                    "[--interval I] [--group-by G] [--chart COL]");
    cJSON *params = cJSON_CreateObject(), *res = NULL;
    if (!params) return report(KITH_ENOMEM, "out of memory");
    cJSON_AddStringToObject(params, "name", name);
    for (size_t k = 0; k < 5; k++)
        if (vals[k]) cJSON_AddStringToObject(params, opts[k][1], vals[k]);
    int rc = kith_cli_session_call(s, "report.run", params, &res);
    if (rc < 0) return rc;
    if (json) {
        rc = kith_cli_render_result(stdout, res, 1);
        cJSON_Delete(res);
        return rc;
    }
    /* CSV keeps every column whole and has no chart. */
    int csv = kith_cli_render_csv();
    size_t width = csv ? 0 : kith_cli_render_term_width();
    cJSON *table = as_objects(res, width > 0 && width < 160);
    if (width > 0 && strcmp(name, "retention") == 0) fit_matrix(table, width);
    rc = kith_cli_render_table(stdout, table);
    cJSON_Delete(table);
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(res, "rows");
    const char *col_name = chart ? chart : headline(name);
    int col = col_name ? column_of(cJSON_GetObjectItemCaseSensitive(res, "columns"), col_name) : -1;
    if (!rc && !csv && col > 0 && cJSON_GetArraySize(rows) > 0) {
        const cJSON *group = cJSON_GetObjectItemCaseSensitive(res, "group_by");
        printf("\n%s\n", col_name);
        kith_cli_report_bars(stdout, rows, col, cJSON_IsString(group), width ? width : 80);
    } else if (chart && col <= 0) {
        fprintf(stderr, "kith: report %s has no column %s\n", name, chart);
    }
    cJSON_Delete(res);
    return rc;
}

/* ---- kith value ID ---- */

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

int kith_cli_value_run(kith_cli_session *s, int argc, char *const *argv)
{
    int json = s->json_output;
    const char *id = NULL, *at = NULL;
    char err[200];
    for (int i = 1; i < argc; i++) {
        int m = kith_cli_args_option(argc, argv, &i, "--at", &at, err, sizeof(err));
        if (m < 0) return report(m, err);
        if (m == 1) continue;
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (!id && argv[i][0] != '-')
            id = argv[i];
        else
            return report(KITH_EPARAMS, "usage: kith value CUSTOMER_ID [--at T] [--json]");
    }
    char *end;
    long long cid = id ? strtoll(id, &end, 10) : 0;
    if (!id || *end || cid < 1)
        return report(KITH_EPARAMS, "usage: kith value CUSTOMER_ID [--json]");
    cJSON *params = cJSON_CreateObject(), *v = NULL;
    if (!params) return report(KITH_ENOMEM, "out of memory");
    cJSON_AddNumberToObject(params, "customer_id", (double)cid);
    if (at) cJSON_AddStringToObject(params, "at", at);
    int rc = kith_cli_session_call(s, "value.get", params, &v);
    if (rc < 0) return rc;
    if (json) {
        rc = kith_cli_render_result(stdout, v, 1);
        cJSON_Delete(v);
        return rc;
    }
    const cJSON *hist = cJSON_GetObjectItemCaseSensitive(v, "historic");
    const cJSON *rfm = cJSON_GetObjectItemCaseSensitive(v, "rfm");
    printf("customer %lld\n", cid);
    printf("  history     %g orders on %g days, %.2f spent\n", num(hist, "orders"),
           num(hist, "order_days"), num(hist, "revenue"));
    if (cJSON_IsObject(rfm))
        printf("  RFM         %s  %s  (recency %g, frequency %g, monetary %g of 5)\n",
               cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rfm, "code")),
               cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rfm, "label")), num(rfm, "r"),
               num(rfm, "f"), num(rfm, "m"));
    else
        printf("  RFM         -  (no orders, or no value.fit yet)\n");
    double p = num(v, "p_alive");
    if (isnan(p)) {
        printf("  P(alive)    -  (no model: run value.fit)\n");
    } else {
        printf("  P(alive)    %.2f  ", p);
        for (int i = 0; i < (int)lround(p * 30); i++)
            putchar('#');
        printf("\n  next 90d    %.2f orders expected\n", num(v, "expected_orders_90d"));
        printf("  next 365d   %.2f orders expected\n", num(v, "expected_orders_365d"));
        printf("  avg value   %.2f per order expected\n", num(v, "expected_avg_value"));
        printf("  CLV 12m     %.2f\n", num(v, "clv_12m"));
    }
    cJSON_Delete(v);
    return 0;
}
