/*
 * `kith survey results`: see survey.h.  Tables go through render.c like
 * every other table the client prints.
 */
#include "cli/survey.h"
#include "cli/args.h"
#include "cli/render.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BAR_WIDTH 40

static int report(int rc, const char *what)
{
    fprintf(stderr, "kith: %s\n", what);
    return rc;
}

static double num(const cJSON *o, const char *key, int *has)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *has = cJSON_IsNumber(v);
    return *has ? v->valuedouble : 0;
}

int kith_cli_survey_nps_chart(FILE *out, const cJSON *dist, int colour)
{
    double max = 0;
    for (int v = 0; v <= 10; v++) {
        char k[4];
        snprintf(k, sizeof(k), "%d", v);
        double n = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(dist, k));
        if (n > max) max = n;
    }
    for (int v = 0; v <= 10; v++) {
        char k[4];
        snprintf(k, sizeof(k), "%d", v);
        double n = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(dist, k));
        if (n != n) n = 0; /* absent */
        int width = max > 0 ? (int)(n / max * BAR_WIDTH + 0.5) : 0;
        if (n > 0 && width == 0) width = 1;
        const char *paint = v <= 6 ? "\033[31m" : v <= 8 ? "\033[33m" : "\033[32m";
        fprintf(out, "%3d |%s", v, colour ? paint : "");
        for (int i = 0; i < width; i++)
            fputs(colour ? "\u2588" : "#", out);
        fprintf(out, "%s %.0f\n", colour ? "\033[0m" : "", n);
    }
    if (!colour) fputs("      0-6 detractors, 7-8 passives, 9-10 promoters\n", out);
    return 0;
}

static void print_headline(const cJSON *r)
{
    int has;
    const cJSON *nps = cJSON_GetObjectItemCaseSensitive(r, "nps");
    double n = num(r, "n", &has), sent = num(r, "sent", &has);
    double rate = num(r, "response_rate", &has);
    printf("survey %s: %.0f responses",
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "survey")), n);
    if (has)
        printf(", response rate %.1f%% (%.0f of %.0f sent)\n", 100 * rate, num(r, "answered", &has),
               sent);
    else
        printf("\n");
    double score = num(nps, "score", &has);
    if (has)
        printf("NPS   %+.1f  (promoters %.0f, passives %.0f, detractors %.0f)\n", score,
               num(nps, "promoters", &has), num(nps, "passives", &has),
               num(nps, "detractors", &has));
    double csat = num(r, "csat_pct", &has);
    if (has) printf("CSAT  %.1f%%\n", csat);
    double ces = num(r, "ces_mean", &has);
    if (has) printf("CES   %.2f\n", ces);
}

/* Adds from[fkey] as text with `decimals` places and `suffix` ("" when
 * null); `sign` shows a + on positive numbers. */
static int add_num(cJSON *row, const char *key, const cJSON *from, const char *fkey, int decimals,
                   const char *suffix, int sign)
{
    int has;
    double v = num(from, fkey, &has);
    char buf[64] = "";
    if (has && sign)
        snprintf(buf, sizeof(buf), "%+.*f%s", decimals, v, suffix);
    else if (has)
        snprintf(buf, sizeof(buf), "%.*f%s", decimals, v, suffix);
    return cJSON_AddStringToObject(row, key, buf) ? 0 : KITH_ENOMEM;
}

static int print_questions(const cJSON *r)
{
    const cJSON *q;
    cJSON *rows = cJSON_CreateArray();
    int rc = rows ? 0 : KITH_ENOMEM;
    cJSON_ArrayForEach(q, cJSON_GetObjectItemCaseSensitive(r, "questions"))
    {
        cJSON *row = cJSON_CreateObject();
        if (!row || !cJSON_AddItemToArray(rows, row)) {
            cJSON_Delete(row);
            rc = KITH_ENOMEM;
            break;
        }
        cJSON_AddStringToObject(row, "question", q->string);
        rc |= add_num(row, "n", q, "n", 0, "", 0);
        rc |= add_num(row, "mean", q, "mean", 2, "", 0);
        rc |= add_num(row, "top2", q, "top2_pct", 1, "%", 0);
    }
    if (!rc && cJSON_GetArraySize(rows)) {
        printf("\nquestions\n");
        rc = kith_cli_render_table(stdout, rows);
    }
    cJSON_Delete(rows);
    return rc;
}

static int print_drivers(const cJSON *r)
{
    const cJSON *d;
    cJSON *rows = cJSON_CreateArray();
    int rc = rows ? 0 : KITH_ENOMEM;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(r, "drivers"))
    {
        cJSON *row = cJSON_CreateObject();
        if (!row || !cJSON_AddItemToArray(rows, row)) {
            cJSON_Delete(row);
            rc = KITH_ENOMEM;
            break;
        }
        const char *quadrant =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "quadrant"));
        cJSON_AddStringToObject(
            row, "dimension",
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "dimension")));
        rc |= add_num(row, "n", d, "n", 0, "", 0);
        rc |= add_num(row, "mean", d, "mean", 2, "", 0);
        rc |= add_num(row, "r", d, "correlation", 2, "", 1);
        cJSON_AddStringToObject(row, "quadrant", quadrant ? quadrant : "");
    }
    if (!rc && cJSON_GetArraySize(rows)) {
        printf("\ndrivers (r: correlation with the overall score)\n");
        rc = kith_cli_render_table(stdout, rows);
    }
    cJSON_Delete(rows);
    return rc;
}

/* The key of the survey's NPS question: the overall one when it is of
 * type nps, else the first nps question; NULL when it has none. */
static const char *nps_key(const cJSON *survey)
{
    const cJSON *q, *first = NULL;
    cJSON_ArrayForEach(q, cJSON_GetObjectItemCaseSensitive(survey, "questions"))
    {
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(q, "type"));
        if (!t || strcmp(t, "nps") != 0) continue;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(q, "overall")))
            return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(q, "key"));
        if (!first) first = q;
    }
    return first ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(first, "key")) : NULL;
}

int kith_cli_survey_run(kith_cli_session *s, int argc, char *const *argv)
{
    char err[160];
    const char *from = NULL, *to = NULL, *name = NULL;
    int json = s->json_output;
    if (argc < 2 || strcmp(argv[1], "results") != 0)
        return report(KITH_EPARAMS, "usage: kith survey results NAME [--from T] [--to T] [--json]");
    for (int i = 2; i < argc; i++) {
        int m = kith_cli_args_option(argc, argv, &i, "--from", &from, err, sizeof(err));
        if (!m) m = kith_cli_args_option(argc, argv, &i, "--to", &to, err, sizeof(err));
        if (m < 0) return report(m, err);
        if (m == 1) continue;
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (!name && argv[i][0] != '-') {
            name = argv[i];
        } else {
            snprintf(err, sizeof(err), "survey: unexpected '%s' (see kith help survey)", argv[i]);
            return report(KITH_EPARAMS, err);
        }
    }
    if (!name)
        return report(KITH_EPARAMS, "survey results: which survey? (kith survey results NAME)");
    cJSON *params = cJSON_CreateObject(), *res = NULL, *sv = NULL;
    if (!params) return report(KITH_ENOMEM, "out of memory");
    cJSON_AddStringToObject(params, "survey", name);
    if (from) cJSON_AddStringToObject(params, "from", from);
    if (to) cJSON_AddStringToObject(params, "to", to);
    int rc = kith_cli_session_call(s, "survey.results", params, &res);
    if (rc < 0) return rc;
    if (json) {
        rc = kith_cli_render_result(stdout, res, 1);
        cJSON_Delete(res);
        return rc;
    }
    params = cJSON_CreateObject();
    if (params) cJSON_AddStringToObject(params, "name", name);
    if ((rc = kith_cli_session_call(s, "survey.get", params, &sv)) < 0) {
        cJSON_Delete(res);
        return rc;
    }
    print_headline(res);
    rc = print_questions(res);
    if (!rc) rc = print_drivers(res);
    const char *key = nps_key(sv);
    const cJSON *q = key ? cJSON_GetObjectItemCaseSensitive(
                               cJSON_GetObjectItemCaseSensitive(res, "questions"), key)
                         : NULL;
    if (!rc && q) {
        printf("\nNPS distribution (%s)\n", key);
        rc = kith_cli_survey_nps_chart(stdout, cJSON_GetObjectItemCaseSensitive(q, "distribution"),
                                       isatty(STDOUT_FILENO));
    }
    cJSON_Delete(res);
    cJSON_Delete(sv);
    if (rc < 0 && rc != KITH_EIO) return report(rc, kith_strerror(rc));
    return rc;
}
