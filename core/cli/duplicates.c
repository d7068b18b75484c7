/*
 * `kith duplicates`: see duplicates.h.  The call, the table and customer
 * names are listing.c's; this file holds the options and a pair's row.
 */
#include "cli/duplicates.h"
#include "cli/listing.h"
#include "util/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct options {
    const char *status;
    const char *min_score;
    long limit;
    long long customer;
    int json;
};

static int report(int rc, const char *what)
{
    fprintf(stderr, "kith: %s\n", what);
    return rc;
}

static int is_id(const char *w)
{
    if (!*w) return 0;
    for (; *w; w++)
        if (!isdigit((unsigned char)*w)) return 0;
    return 1;
}

/* The label of customer `id`, through listing.c's name cache. */
static int label_of(kith_cli_listing *l, const cJSON *id, const char **label)
{
    cJSON *item = cJSON_CreateObject();
    if (!item || !cJSON_AddItemToObject(item, "customer_id", cJSON_Duplicate(id, 0))) {
        cJSON_Delete(item);
        return KITH_ENOMEM;
    }
    int rc = kith_cli_listing_customer(l, item, label);
    cJSON_Delete(item);
    return rc;
}

static int pair_row(kith_cli_listing *l, const cJSON *pair, cJSON *row)
{
    const char *a = NULL, *b = NULL;
    int rc = label_of(l, cJSON_GetObjectItemCaseSensitive(pair, "a"), &a);
    if (!rc) rc = label_of(l, cJSON_GetObjectItemCaseSensitive(pair, "b"), &b);
    char score[16], reasons[256];
    snprintf(score, sizeof(score), "%.2f",
             cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(pair, "score")));
    size_t n = 0;
    reasons[0] = '\0';
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(pair, "reasons"))
    {
        if (!cJSON_IsString(r) || n >= sizeof(reasons) - 1) continue;
        n += (size_t)snprintf(reasons + n, sizeof(reasons) - n, "%s%s", n ? ", " : "",
                              r->valuestring);
    }
    if (!rc) rc = kith_cli_listing_text(row, "score", score);
    if (!rc) rc = kith_cli_listing_text(row, "customer", a);
    if (!rc) rc = kith_cli_listing_text(row, "and", b);
    if (!rc) rc = kith_cli_listing_text(row, "reasons", reasons);
    return rc;
}

int kith_cli_duplicates_run(kith_cli_session *s, int argc, char *const *argv)
{
    struct options o = {.status = "open", .limit = KITH_CLI_LISTING_LIMIT, .json = s->json_output};
    /* An optional customer id first: kith duplicates 42 */
    char *args[64];
    int n = 0;
    for (int i = 0; i < argc && n < 64; i++) {
        if (i > 0 && !o.customer && is_id(argv[i]))
            o.customer = atoll(argv[i]);
        else
            args[n++] = argv[i];
    }
    const char *limit = NULL;
    int all = 0;
    const kith_cli_listing_option opts[] = {
        {"--status", &o.status},
        {"--min-score", &o.min_score},
        {"--limit", &limit},
        {NULL, NULL},
    };
    if (kith_cli_listing_options("duplicates", n, args, opts, &all, &o.json) < 0)
        return KITH_EPARAMS;
    if (limit && kith_cli_listing_limit("duplicates", limit, &o.limit) < 0) return KITH_EPARAMS;
    cJSON *params = cJSON_CreateObject();
    int ok = params && cJSON_AddStringToObject(params, "status", o.status) &&
             cJSON_AddNumberToObject(params, "limit", (double)o.limit);
    if (ok && o.customer) ok = !!cJSON_AddNumberToObject(params, "customer_id", (double)o.customer);
    if (ok && o.min_score) ok = !!cJSON_AddNumberToObject(params, "min_score", atof(o.min_score));
    if (!ok) {
        cJSON_Delete(params);
        return report(KITH_ENOMEM, kith_strerror(KITH_ENOMEM));
    }
    const kith_cli_listing_view view = {.method = "customer.duplicates",
                                        .limit = o.limit,
                                        .json = o.json,
                                        .status = o.status,
                                        .noun = "duplicate pairs",
                                        .row = pair_row,
                                        .options = &o};
    return kith_cli_listing_run(s, &view, params);
}
