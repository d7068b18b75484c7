/*
 * `kith timeline`: see timeline.h.  Built like visits.c on listing.c and
 * when.c; this file holds the options and what an entry's row shows.
 */
#include "cli/timeline.h"
#include "cli/listing.h"
#include "cli/when.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int report(int rc, const char *what)
{
    fprintf(stderr, "kith: %s\n", what);
    return rc;
}

/* The summary cut to fit 80 columns beside when, kind and id (at most
 * SUMMARY_MAX characters, counted in UTF-8 code points, "..." when cut). */
#define SUMMARY_MAX 50

static void clip(const char *text, char *out, size_t size)
{
    size_t chars = 0, i = 0, cut = 0;
    for (; text[i]; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80 && chars++ == SUMMARY_MAX - 3) cut = i;
    if (chars <= SUMMARY_MAX) cut = i;
    snprintf(out, size, "%.*s%s", (int)(cut < size - 4 ? cut : size - 4), text,
             cut < i ? "..." : "");
}

static int entry_row(kith_cli_listing *l, const cJSON *e, cJSON *row)
{
    char summary[4 * SUMMARY_MAX + 4];
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "summary"));
    clip(text ? text : "", summary, sizeof(summary));
    char rel[64];
    const char *at = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "at"));
    kith_cli_when_relative(at, l->now_ms, "ago", rel, sizeof(rel));
    int rc = kith_cli_listing_text(row, "when", rel);
    if (!rc) rc = kith_cli_listing_copy(row, "kind", e);
    if (!rc) rc = kith_cli_listing_copy(row, "id", e);
    if (!rc) rc = kith_cli_listing_text(row, "summary", summary);
    return rc;
}

/* "order,stage" as ["order", "stage"] in params.kinds. */
static int add_kinds(cJSON *params, const char *list)
{
    cJSON *a = cJSON_AddArrayToObject(params, "kinds");
    if (!a) return KITH_ENOMEM;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        char kind[64];
        snprintf(kind, sizeof(kind), "%.*s", (int)(n < sizeof(kind) ? n : sizeof(kind) - 1), p);
        if (n && !cJSON_AddItemToArray(a, cJSON_CreateString(kind))) return KITH_ENOMEM;
        p += n + (p[n] == ',');
    }
    return 0;
}

int kith_cli_timeline_run(kith_cli_session *s, int argc, char *const *argv)
{
    if (argc < 2 || argv[1][0] == '-')
        return report(KITH_EPARAMS, "timeline: which customer? (kith timeline ID)");
    char *end;
    long long id = strtoll(argv[1], &end, 10);
    if (*end || id < 1) return report(KITH_EPARAMS, "timeline: ID must be a customer id");
    const char *kinds = NULL, *from = NULL, *to = NULL, *limit_text = NULL;
    long limit = KITH_CLI_LISTING_LIMIT;
    int all = 0, json = s->json_output;
    const kith_cli_listing_option opts[] = {
        {"--kinds", &kinds},      {"--from", &from}, {"--to", &to},
        {"--limit", &limit_text}, {NULL, NULL},
    };
    /* The options after the id, as if the id were not there. */
    char *rest[64];
    int n = 0;
    rest[n++] = argv[0];
    for (int i = 2; i < argc && n < 64; i++)
        rest[n++] = argv[i];
    if (kith_cli_listing_options("timeline", n, rest, opts, &all, &json) < 0 || all)
        return KITH_EPARAMS;
    if (limit_text && kith_cli_listing_limit("timeline", limit_text, &limit) < 0)
        return KITH_EPARAMS;
    cJSON *params = cJSON_CreateObject();
    int ok = params && cJSON_AddNumberToObject(params, "customer_id", (double)id) &&
             cJSON_AddNumberToObject(params, "limit", (double)limit) &&
             (!kinds || add_kinds(params, kinds) == 0) &&
             (!from || cJSON_AddStringToObject(params, "from", from)) &&
             (!to || cJSON_AddStringToObject(params, "to", to));
    if (!ok) {
        cJSON_Delete(params);
        return report(KITH_ENOMEM, kith_strerror(KITH_ENOMEM));
    }
    const kith_cli_listing_view view = {.method = "customer.timeline",
                                        .limit = limit,
                                        .json = json,
                                        .noun = "entries",
                                        .row = entry_row};
    return kith_cli_listing_run(s, &view, params);
}
