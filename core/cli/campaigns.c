/*
 * `kith campaigns` and `kith campaign results`: see campaigns.h.  The list
 * is a listing.c view; the results are printed here, the group table
 * through render.c like every other table.
 */
#include "cli/campaigns.h"
#include "cli/listing.h"
#include "cli/render.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int report(int rc, const char *what)
{
    fprintf(stderr, "kith: %s\n", what);
    return rc;
}

static const cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static const char *str(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(get(o, key));
}

static int campaign_row(kith_cli_listing *l, const cJSON *c, cJSON *row)
{
    (void)l;
    static const char *const copied[] = {"id", "name", "status", "kind", "channel", "segment"};
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof(copied) / sizeof(copied[0]); i++)
        rc = kith_cli_listing_copy(row, copied[i], c);
    char control[16], launched[16] = "";
    snprintf(control, sizeof(control), "%.0f%%", 100 * cJSON_GetNumberValue(get(c, "control_pct")));
    const char *at = str(c, "launched_at");
    if (at) snprintf(launched, sizeof(launched), "%.10s", at);
    if (!rc) rc = kith_cli_listing_text(row, "control", control);
    if (!rc) rc = kith_cli_listing_text(row, "launched", launched);
    return rc;
}

static int list_run(kith_cli_session *s, int argc, char *const *argv)
{
    const char *limit_text = NULL, *status = NULL;
    long limit = KITH_CLI_LISTING_LIMIT;
    int all = 0, json = s->json_output;
    const kith_cli_listing_option opts[] = {
        {"--status", &status}, {"--limit", &limit_text}, {NULL, NULL}};
    if (kith_cli_listing_options("campaigns", argc, argv, opts, &all, &json) < 0)
        return KITH_EPARAMS;
    if (limit_text && kith_cli_listing_limit("campaigns", limit_text, &limit) < 0)
        return KITH_EPARAMS;
    cJSON *params = cJSON_CreateObject();
    if (!params || !cJSON_AddNumberToObject(params, "limit", (double)limit) ||
        (status && !cJSON_AddStringToObject(params, "status", status))) {
        cJSON_Delete(params);
        return report(KITH_ENOMEM, kith_strerror(KITH_ENOMEM));
    }
    const kith_cli_listing_view view = {.method = "campaign.list",
                                        .limit = limit,
                                        .json = json,
                                        .status = status,
                                        .noun = "campaigns",
                                        .row = campaign_row};
    return kith_cli_listing_run(s, &view, params);
}

/* A number member as text: v * scale with two decimals, a + on positive
 * numbers when `sign`, then `suffix`; "-" when null. */
static void num_text(const cJSON *v, double scale, int sign, const char *suffix, char *out,
                     size_t size)
{
    if (!cJSON_IsNumber(v))
        snprintf(out, size, "-");
    else if (sign)
        snprintf(out, size, "%+.2f%s", v->valuedouble * scale, suffix);
    else
        snprintf(out, size, "%.2f%s", v->valuedouble * scale, suffix);
}

static int group_row(cJSON *rows, const cJSON *r, const char *group)
{
    char conv[32], rev[32], per[32];
    num_text(get(get(r, "conversion"), group), 100, 0, "%", conv, sizeof(conv));
    num_text(get(get(r, "revenue"), group), 1, 0, "", rev, sizeof(rev));
    num_text(get(get(get(r, "revenue"), "per_member"), group), 1, 0, "", per, sizeof(per));
    cJSON *row = cJSON_CreateObject();
    if (!row || !cJSON_AddItemToArray(rows, row)) {
        cJSON_Delete(row);
        return KITH_ENOMEM;
    }
    int bad = !cJSON_AddStringToObject(row, "group", group);
    bad |= !cJSON_AddNumberToObject(row, "members", cJSON_GetNumberValue(get(r, group)));
    bad |= !cJSON_AddNumberToObject(row, "converted",
                                    cJSON_GetNumberValue(get(get(r, "converted"), group)));
    bad |= !cJSON_AddStringToObject(row, "conversion", conv);
    bad |= !cJSON_AddStringToObject(row, "revenue", rev);
    bad |= !cJSON_AddStringToObject(row, "per member", per);
    return bad ? KITH_ENOMEM : 0;
}

static int print_results(const cJSON *r)
{
    printf("campaign %.0f \"%s\" (%s), control group %.0f%%\n", cJSON_GetNumberValue(get(r, "id")),
           str(r, "name"), str(r, "status"), 100 * cJSON_GetNumberValue(get(r, "control_pct")));
    printf("audience: %.0f members, %.0f treated, %.0f control, %.0f excluded",
           cJSON_GetNumberValue(get(r, "members")), cJSON_GetNumberValue(get(r, "treated")),
           cJSON_GetNumberValue(get(r, "control")), cJSON_GetNumberValue(get(r, "excluded")));
    const cJSON *why;
    int first = 1;
    cJSON_ArrayForEach(why, get(r, "exclusions"))
    {
        printf("%s%s %.0f", first ? " (" : ", ", why->string, why->valuedouble);
        first = 0;
    }
    printf("%s\n", first ? "" : ")");
    if (cJSON_GetNumberValue(get(r, "pending")) > 0)
        printf("still settling: %.0f members pending\n", cJSON_GetNumberValue(get(r, "pending")));
    printf("\n");
    cJSON *rows = cJSON_CreateArray();
    int rc = rows ? 0 : KITH_ENOMEM;
    if (!rc) rc = group_row(rows, r, "treated");
    if (!rc) rc = group_row(rows, r, "control");
    if (!rc) rc = kith_cli_render_table(stdout, rows);
    cJSON_Delete(rows);
    if (rc) return rc;
    const cJSON *ci = get(r, "ci");
    if (!cJSON_IsNumber(get(r, "uplift")) || cJSON_GetArraySize(ci) != 2) {
        printf("\nuplift: - (a group is empty)\n");
        return 0;
    }
    printf("\nuplift: %+.2f pts, 95%% CI %+.2f to %+.2f pts: %s\n",
           100 * cJSON_GetNumberValue(get(r, "uplift")),
           100 * cJSON_GetNumberValue(cJSON_GetArrayItem(ci, 0)),
           100 * cJSON_GetNumberValue(cJSON_GetArrayItem(ci, 1)),
           cJSON_IsTrue(get(r, "significant")) ? "significant" : "not significant");
    char cost[32], roi[32];
    num_text(get(r, "cost"), 1, 0, "", cost, sizeof(cost));
    num_text(get(r, "roi"), 1, 1, "", roi, sizeof(roi));
    printf("incremental: %.1f conversions, revenue %.2f; cost %s, roi %s\n",
           cJSON_GetNumberValue(get(r, "incremental_conversions")),
           cJSON_GetNumberValue(get(r, "incremental_revenue")), cost, roi);
    return 0;
}

static int results_run(kith_cli_session *s, int argc, char *const *argv)
{
    const char *which = NULL;
    int json = s->json_output;
    if (argc < 2 || strcmp(argv[1], "results") != 0)
        return report(KITH_EPARAMS, "usage: kith campaign results ID|NAME [--json]");
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (!which && argv[i][0] != '-')
            which = argv[i];
        else
            return report(KITH_EPARAMS, "campaign results: unexpected argument (see kith help "
                                        "campaign)");
    }
    if (!which) return report(KITH_EPARAMS, "campaign results: which campaign? (ID or NAME)");
    cJSON *params = cJSON_CreateObject(), *res = NULL;
    if (!params) return report(KITH_ENOMEM, "out of memory");
    char *end;
    errno = 0;
    long long id = strtoll(which, &end, 10);
    if (*end || errno || id < 1)
        cJSON_AddStringToObject(params, "name", which);
    else
        cJSON_AddNumberToObject(params, "id", (double)id);
    int rc = kith_cli_session_call(s, "campaign.results", params, &res);
    if (rc < 0) return rc;
    rc = json ? kith_cli_render_result(stdout, res, 1) : print_results(res);
    cJSON_Delete(res);
    return rc;
}

int kith_cli_campaigns_run(kith_cli_session *s, int argc, char *const *argv)
{
    if (strcmp(argv[0], "campaigns") == 0) return list_run(s, argc, argv);
    return results_run(s, argc, argv);
}
