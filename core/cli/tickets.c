/*
 * `kith tickets`: see tickets.h.  Built like `kith tasks` (tasks.c) on
 * listing.c and when.c; this file holds the options and what a ticket's
 * row shows, its SLA above all.
 */
#include "cli/tickets.h"
#include "cli/args.h"
#include "cli/listing.h"
#include "cli/when.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct options {
    const char *status; /* NULL: every status */
    const char *owner, *customer;
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
    const char *limit = NULL, *status = NULL;
    int all = 0;
    memset(o, 0, sizeof(*o));
    o->limit = KITH_CLI_LISTING_LIMIT;
    o->json = s->json_output;
    const kith_cli_listing_option opts[] = {
        {"--status", &status}, {"--owner", &o->owner}, {"--customer", &o->customer},
        {"--limit", &limit},   {NULL, NULL},
    };
    if (kith_cli_listing_options("tickets", argc, argv, opts, &all, &o->json) < 0)
        return KITH_EPARAMS;
    if (status && all)
        return report(KITH_EPARAMS, "tickets: --status and --all do not go together");
    o->status = status ? status : all ? NULL : "active";
    if (limit && kith_cli_listing_limit("tickets", limit, &o->limit) < 0) return KITH_EPARAMS;
    if (o->customer) {
        char *end;
        errno = 0;
        long long id = strtoll(o->customer, &end, 10);
        if (!*o->customer || *end || errno || id < 1)
            return report(KITH_EPARAMS, "tickets: --customer wants a customer id");
    }
    return 0;
}

static const char *str(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* Where the ticket's SLA stands: "" without one, "BREACHED ..." once a
 * deadline passed, "paused" while waiting, else the next deadline that
 * applies relative to now ("respond in 45m", "resolve 2h overdue"). */
static void sla_text(const cJSON *t, int64_t now, char *out, size_t size)
{
    const cJSON *sla = cJSON_GetObjectItemCaseSensitive(t, "sla");
    const char *status = str(t, "status");
    out[0] = '\0';
    if (!cJSON_IsObject(sla) || !status) return;
    const cJSON *breached = cJSON_GetObjectItemCaseSensitive(sla, "breached"), *b;
    if (cJSON_GetArraySize(breached) > 0) {
        size_t n = (size_t)snprintf(out, size, "BREACHED");
        cJSON_ArrayForEach(b, breached) if (cJSON_IsString(b) && n < size) n +=
            (size_t)snprintf(out + n, size - n, " %s", b->valuestring);
        return;
    }
    if (strcmp(status, "waiting") == 0) {
        snprintf(out, size, "paused");
        return;
    }
    int respond = strcmp(status, "new") == 0 && !str(sla, "responded_at") && str(sla, "respond_by");
    if (strcmp(status, "new") != 0 && strcmp(status, "open") != 0) return;
    const char *due = respond ? str(sla, "respond_by") : str(sla, "resolve_by");
    char rel[64];
    if (kith_cli_when_relative(due, now, "overdue", rel, sizeof(rel)) < 0) return;
    snprintf(out, size, "%s %s", respond ? "respond" : "resolve", rel);
}

static int ticket_row(kith_cli_listing *l, const cJSON *t, cJSON *row)
{
    const char *label;
    int rc = kith_cli_listing_customer(l, t, &label);
    if (rc < 0) return rc;
    char sla[96];
    sla_text(t, l->now_ms, sla, sizeof(sla));
    static const char *const first[] = {"id", "status", "priority", "kind"};
    for (int i = 0; !rc && i < 4; i++)
        rc = kith_cli_listing_copy(row, first[i], t);
    if (!rc) rc = kith_cli_listing_text(row, "customer", label ? label : "");
    if (!rc) rc = kith_cli_listing_copy(row, "subject", t);
    if (!rc) rc = kith_cli_listing_copy(row, "owner", t);
    if (!rc) rc = kith_cli_listing_text(row, "sla", sla);
    return rc;
}

int kith_cli_tickets_run(kith_cli_session *s, int argc, char *const *argv)
{
    struct options o;
    int rc = parse_options(s, argc, argv, &o);
    if (rc < 0) return rc;
    cJSON *params = cJSON_CreateObject();
    if (!params || !cJSON_AddNumberToObject(params, "limit", (double)o.limit) ||
        (o.status && !cJSON_AddStringToObject(params, "status", o.status)) ||
        (o.owner && !cJSON_AddStringToObject(params, "owner", o.owner)) ||
        (o.customer &&
         !cJSON_AddNumberToObject(params, "customer_id", (double)strtoll(o.customer, NULL, 10)))) {
        cJSON_Delete(params);
        return report(KITH_ENOMEM, kith_strerror(KITH_ENOMEM));
    }
    /* The owner is a filter here, not named when nothing matched. */
    const kith_cli_listing_view view = {.method = "ticket.list",
                                        .limit = o.limit,
                                        .json = o.json,
                                        .status = o.status,
                                        .noun = "tickets",
                                        .row = ticket_row};
    return kith_cli_listing_run(s, &view, params);
}
