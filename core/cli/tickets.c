/*
 * `kith tickets`: see tickets.h.  Built like `kith tasks` (tasks.c): rows
 * of JSON objects handed to render.c, customer names looked up once each,
 * relative times from this machine's clock rounded to the minute.
 */
#include "cli/tickets.h"
#include "cli/args.h"
#include "cli/render.h"
#include "util/error.h"
#include "util/timefmt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LIMIT 50
#define MAX_LIMIT     1000
#define MINUTE_MS     (60 * 1000LL)

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
    char err[160];
    const char *limit = NULL, *status = NULL;
    int all = 0;
    memset(o, 0, sizeof(*o));
    o->limit = DEFAULT_LIMIT;
    o->json = s->json_output;
    for (int i = 1; i < argc; i++) {
        int m = kith_cli_args_option(argc, argv, &i, "--status", &status, err, sizeof(err));
        if (!m) m = kith_cli_args_option(argc, argv, &i, "--owner", &o->owner, err, sizeof(err));
        if (!m)
            m = kith_cli_args_option(argc, argv, &i, "--customer", &o->customer, err, sizeof(err));
        if (!m) m = kith_cli_args_option(argc, argv, &i, "--limit", &limit, err, sizeof(err));
        if (m < 0) return report(m, err);
        if (m == 1) continue;
        if (strcmp(argv[i], "--all") == 0) {
            all = 1;
        } else if (strcmp(argv[i], "--json") == 0) {
            o->json = 1;
        } else {
            snprintf(err, sizeof(err), "tickets: unexpected '%s' (see kith help tickets)", argv[i]);
            return report(KITH_EPARAMS, err);
        }
    }
    if (status && all)
        return report(KITH_EPARAMS, "tickets: --status and --all do not go together");
    o->status = status ? status : all ? NULL : "active";
    if (limit) {
        char *end;
        errno = 0;
        o->limit = strtol(limit, &end, 10);
        if (!*limit || *end || errno || o->limit < 1 || o->limit > MAX_LIMIT)
            return report(KITH_EPARAMS, "tickets: --limit wants a number from 1 to 1000");
    }
    if (o->customer) {
        char *end;
        errno = 0;
        long long id = strtoll(o->customer, &end, 10);
        if (!*o->customer || *end || errno || id < 1)
            return report(KITH_EPARAMS, "tickets: --customer wants a customer id");
    }
    return 0;
}

/* "45m", "1h 5m", "3d 4h": a span of minutes in one or two units. */
static void span(long long mins, char *out, size_t size)
{
    long long d = mins / (24 * 60), h = mins / 60 % 24, m = mins % 60;
    if (mins < 60)
        snprintf(out, size, "%lldm", mins);
    else if (mins < 24 * 60 && m)
        snprintf(out, size, "%lldh %lldm", mins / 60, m);
    else if (mins < 24 * 60)
        snprintf(out, size, "%lldh", mins / 60);
    else if (d < 7 && h)
        snprintf(out, size, "%lldd %lldh", d, h);
    else
        snprintf(out, size, "%lldd", d);
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
    int64_t at;
    if (!due || kith_time_parse_iso(due, &at) < 0) return;
    int64_t delta = at - now;
    long long mins = (long long)((delta < 0 ? -delta : delta) + MINUTE_MS / 2) / MINUTE_MS;
    char text[48];
    span(mins, text, sizeof(text));
    const char *what = respond ? "respond" : "resolve";
    if (mins == 0)
        snprintf(out, size, "%s now", what);
    else if (delta > 0)
        snprintf(out, size, "%s in %s", what, text);
    else
        snprintf(out, size, "%s %s overdue", what, text);
}

/* "Ada Lovelace (#7)", or "#7" when the customer cannot be read, cached by
 * id in `cache` (the label is borrowed from it). */
static int customer_label(kith_cli_session *s, cJSON *cache, long long id, const char **label)
{
    char key[32], text[320];
    snprintf(key, sizeof(key), "%lld", id);
    const cJSON *hit = cJSON_GetObjectItemCaseSensitive(cache, key);
    if (!hit) {
        cJSON *params = cJSON_CreateObject(), *reply = NULL;
        if (!params || !cJSON_AddNumberToObject(params, "id", (double)id)) {
            cJSON_Delete(params);
            return KITH_ENOMEM;
        }
        int rc = kith_cli_conn_call(&s->conn, "customer.get", params, &reply);
        if (rc == KITH_EIO) return report(rc, s->conn.err);
        if (rc < 0) return rc;
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(reply, "result"), "name");
        if (cJSON_IsString(name))
            snprintf(text, sizeof(text), "%s (#%lld)", name->valuestring, id);
        else
            snprintf(text, sizeof(text), "#%lld", id);
        cJSON_Delete(reply);
        if (!(hit = cJSON_AddStringToObject(cache, key, text))) return KITH_ENOMEM;
    }
    *label = hit->valuestring;
    return 0;
}

static int add_copy(cJSON *row, const char *key, const cJSON *t)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, key);
    cJSON *copy = v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
    if (!copy || !cJSON_AddItemToObject(row, key, copy)) {
        cJSON_Delete(copy);
        return KITH_ENOMEM;
    }
    return 0;
}

static int ticket_row(kith_cli_session *s, cJSON *cache, const cJSON *t, int64_t now, cJSON *row)
{
    const char *label = NULL;
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(t, "customer_id");
    int rc =
        cJSON_IsNumber(cid) ? customer_label(s, cache, (long long)cid->valuedouble, &label) : 0;
    if (rc < 0) return rc;
    char sla[96];
    sla_text(t, now, sla, sizeof(sla));
    static const char *const first[] = {"id", "status", "priority", "kind"};
    for (int i = 0; !rc && i < 4; i++)
        rc = add_copy(row, first[i], t);
    if (!rc && !cJSON_AddStringToObject(row, "customer", label ? label : "")) rc = KITH_ENOMEM;
    if (!rc) rc = add_copy(row, "subject", t);
    if (!rc) rc = add_copy(row, "owner", t);
    if (!rc && !cJSON_AddStringToObject(row, "sla", sla)) rc = KITH_ENOMEM;
    return rc;
}

static int print_table(kith_cli_session *s, const cJSON *list, const struct options *o)
{
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items"), *t;
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(list, "next_cursor");
    if (!cJSON_GetArraySize(items)) {
        printf("no %s tickets\n", o->status ? o->status : "");
        return 0;
    }
    cJSON *rows = cJSON_CreateArray(), *cache = cJSON_CreateObject();
    int rc = rows && cache ? 0 : KITH_ENOMEM;
    int64_t now = kith_time_now_ms();
    cJSON_ArrayForEach(t, items)
    {
        cJSON *row = rc == 0 ? cJSON_CreateObject() : NULL;
        if (rc == 0 && (!row || !cJSON_AddItemToArray(rows, row))) {
            cJSON_Delete(row);
            rc = KITH_ENOMEM;
        }
        if (rc == 0) rc = ticket_row(s, cache, t, now, row);
    }
    if (rc == 0) rc = kith_cli_render_table(stdout, rows);
    if (rc == 0 && next && !cJSON_IsNull(next))
        printf("(more than %ld; see more with --limit)\n", o->limit);
    cJSON_Delete(rows);
    cJSON_Delete(cache);
    if (rc < 0 && rc != KITH_EIO) return report(rc, kith_strerror(rc));
    return rc;
}

int kith_cli_tickets_run(kith_cli_session *s, int argc, char *const *argv)
{
    struct options o;
    int rc = parse_options(s, argc, argv, &o);
    if (rc < 0) return rc;
    cJSON *params = cJSON_CreateObject(), *list;
    if (!params || !cJSON_AddNumberToObject(params, "limit", (double)o.limit) ||
        (o.status && !cJSON_AddStringToObject(params, "status", o.status)) ||
        (o.owner && !cJSON_AddStringToObject(params, "owner", o.owner)) ||
        (o.customer &&
         !cJSON_AddNumberToObject(params, "customer_id", (double)strtoll(o.customer, NULL, 10)))) {
        cJSON_Delete(params);
        return report(KITH_ENOMEM, kith_strerror(KITH_ENOMEM));
    }
    if ((rc = kith_cli_session_call(s, "ticket.list", params, &list)) < 0) return rc;
    if (o.json)
        rc = kith_cli_render_result(stdout, list, 1);
    else
        rc = print_table(s, list, &o);
    cJSON_Delete(list);
    if (rc == KITH_ENOMEM) return report(rc, kith_strerror(rc));
    return rc;
}
