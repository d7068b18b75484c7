/*
 * `kith visits`: see visits.h.  Modelled on tasks.c, on listing.c and
 * when.c; this file holds the options and what a visit's row shows.
 */
#include "cli/visits.h"
#include "cli/args.h"
#include "cli/listing.h"
#include "cli/when.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>

struct options {
    const char *owner, *status, *from, *to;
    long limit;
    int json;
};

static int report(int rc, const char *what)
{
    fprintf(stderr, "kith: %s\n", what);
    return rc;
}

static int parse_options(kith_cli_session *s, int argc, char *const *argv, struct options *o)
{
    const char *owner = NULL, *limit = NULL;
    int all = 0;
    memset(o, 0, sizeof(*o));
    o->status = "planned";
    o->limit = KITH_CLI_LISTING_LIMIT;
    o->json = s->json_output;
    const kith_cli_listing_option opts[] = {
        {"--owner", &owner}, {"--status", &o->status}, {"--from", &o->from},
        {"--to", &o->to},    {"--limit", &limit},      {NULL, NULL},
    };
    if (kith_cli_listing_options("visits", argc, argv, opts, &all, &o->json) < 0)
        return KITH_EPARAMS;
    if (owner && all) return report(KITH_EPARAMS, "visits: --owner and --all do not go together");
    if (limit && kith_cli_listing_limit("visits", limit, &o->limit) < 0) return KITH_EPARAMS;
    o->owner = owner ? owner : all ? NULL : s->auth_name;
    return 0;
}

static int visit_row(kith_cli_listing *l, const cJSON *visit, cJSON *row)
{
    char when[64], rel[64];
    const char *at = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(visit, "planned_at"));
    const char *label;
    int rc = kith_cli_listing_customer(l, visit, &label);
    if (rc < 0) return rc;
    kith_cli_when_local(at, when, sizeof(when));
    kith_cli_when_relative(at, l->now_ms, "ago", rel, sizeof(rel));
    rc = kith_cli_listing_text(row, "when", rel);
    if (!rc) rc = kith_cli_listing_text(row, "at", when);
    if (!rc) rc = kith_cli_listing_copy(row, "id", visit);
    if (!rc) rc = kith_cli_listing_text(row, "customer", label);
    if (!rc) rc = kith_cli_listing_copy(row, "owner", visit);
    if (!rc) rc = kith_cli_listing_copy(row, "purpose", visit);
    if (!rc) rc = kith_cli_listing_copy(row, "status", visit);
    if (!rc) rc = kith_cli_listing_copy(row, "location", visit);
    return rc;
}

int kith_cli_visits_run(kith_cli_session *s, int argc, char *const *argv)
{
    struct options o;
    int rc = parse_options(s, argc, argv, &o);
    if (rc < 0) return rc;
    cJSON *params = cJSON_CreateObject();
    int ok =
        params && cJSON_AddNumberToObject(params, "limit", (double)o.limit) &&
        (strcmp(o.status, "all") == 0 || cJSON_AddStringToObject(params, "status", o.status)) &&
        (!o.owner || cJSON_AddStringToObject(params, "owner", o.owner)) &&
        (!o.from || cJSON_AddStringToObject(params, "from", o.from)) &&
        (!o.to || cJSON_AddStringToObject(params, "to", o.to));
    if (!ok) {
        cJSON_Delete(params);
        return report(KITH_ENOMEM, kith_strerror(KITH_ENOMEM));
    }
    const kith_cli_listing_view view = {.method = "visit.list",
                                        .limit = o.limit,
                                        .json = o.json,
                                        .status = o.status,
                                        .noun = "visits",
                                        .owner = o.owner,
                                        .row = visit_row};
    return kith_cli_listing_run(s, &view, params);
}
