/*
 * `kith visits`: see visits.h.  Modelled on tasks.c: rows of JSON objects
 * handed to render.c, customer names looked up once per customer (a
 * customer deleted since shows by id alone), relative times from this
 * machine's clock rounded to the minute.
 */
#include "cli/visits.h"
#include "cli/args.h"
#include "cli/render.h"
#include "util/error.h"
#include "util/timefmt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINUTE_MS (60 * 1000LL)

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
    char err[160];
    const char *owner = NULL, *limit = NULL;
    int all = 0;
    memset(o, 0, sizeof(*o));
    o->status = "planned";
    o->limit = 50;
    o->json = s->json_output;
    for (int i = 1; i < argc; i++) {
        int m = kith_cli_args_option(argc, argv, &i, "--owner", &owner, err, sizeof(err));
        if (!m) m = kith_cli_args_option(argc, argv, &i, "--status", &o->status, err, sizeof(err));
        if (!m) m = kith_cli_args_option(argc, argv, &i, "--from", &o->from, err, sizeof(err));
        if (!m) m = kith_cli_args_option(argc, argv, &i, "--to", &o->to, err, sizeof(err));
        if (!m) m = kith_cli_args_option(argc, argv, &i, "--limit", &limit, err, sizeof(err));
        if (m < 0) return report(m, err);
        if (m == 1) continue;
        if (strcmp(argv[i], "--all") == 0) {
            all = 1;
        } else if (strcmp(argv[i], "--json") == 0) {
            o->json = 1;
        } else {
            snprintf(err, sizeof(err), "visits: unexpected '%s' (see kith help visits)", argv[i]);
            return report(KITH_EPARAMS, err);
        }
    }
    if (owner && all) return report(KITH_EPARAMS, "visits: --owner and --all do not go together");
    if (limit) {
        char *end;
        errno = 0;
        o->limit = strtol(limit, &end, 10);
        if (!*limit || *end || errno || o->limit < 1 || o->limit > 1000)
            return report(KITH_EPARAMS, "visits: --limit wants a number from 1 to 1000");
    }
    o->owner = owner ? owner : all ? NULL : s->auth_name;
    return 0;
}

/* "in 2d 3h", "45m ago" or "now", from `iso` and now_ms. */
static void relative(const char *iso, int64_t now_ms, char *out, size_t size)
{
    int64_t at;
    out[0] = '\0';
    if (!iso || kith_time_parse_iso(iso, &at) < 0) return;
    int64_t delta = at - now_ms;
    long long mins = (long long)((delta < 0 ? -delta : delta) + MINUTE_MS / 2) / MINUTE_MS;
    long long d = mins / (24 * 60), h = mins / 60 % 24, m = mins % 60;
    char text[48];
    if (mins < 60)
        snprintf(text, sizeof(text), "%lldm", mins);
    else if (mins < 24 * 60)
        snprintf(text, sizeof(text), m ? "%lldh %lldm" : "%lldh", mins / 60, m);
    else
        snprintf(text, sizeof(text), d < 7 && h ? "%lldd %lldh" : "%lldd", d, h);
    if (mins == 0)
        snprintf(out, size, "now");
    else if (delta > 0)
        snprintf(out, size, "in %s", text);
    else
        snprintf(out, size, "%s ago", text);
}

/* The label of customer `id`, "Ada (#7)" or "#7", cached by id in `cache`. */
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
        const cJSON *name =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(reply, "result"), "name");
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

static int add_copy(cJSON *row, const char *key, const cJSON *visit)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(visit, key);
    cJSON *copy = v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
    if (!copy || !cJSON_AddItemToObject(row, key, copy)) {
        cJSON_Delete(copy);
        return KITH_ENOMEM;
    }
    return 0;
}

static int visit_row(kith_cli_session *s, cJSON *cache, const cJSON *visit, int64_t now, cJSON *row)
{
    char when[64], rel[64];
    const char *at = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(visit, "planned_at"));
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(visit, "customer_id");
    const char *label = NULL;
    int rc =
        cJSON_IsNumber(cid) ? customer_label(s, cache, (long long)cid->valuedouble, &label) : 0;
    if (rc < 0) return rc;
    if (kith_cli_render_time(at, 0, when, sizeof(when)) < 0)
        snprintf(when, sizeof(when), "%s", at ? at : "");
    relative(at, now, rel, sizeof(rel));
    if (!cJSON_AddStringToObject(row, "when", rel) || !cJSON_AddStringToObject(row, "at", when))
        return KITH_ENOMEM;
    rc = add_copy(row, "id", visit);
    if (!rc && !(label ? cJSON_AddStringToObject(row, "customer", label)
                       : cJSON_AddNullToObject(row, "customer")))
        rc = KITH_ENOMEM;
    if (!rc) rc = add_copy(row, "owner", visit);
    if (!rc) rc = add_copy(row, "purpose", visit);
    if (!rc) rc = add_copy(row, "status", visit);
    if (!rc) rc = add_copy(row, "location", visit);
    return rc;
}

static int print_table(kith_cli_session *s, const cJSON *list, const struct options *o)
{
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items"), *visit;
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(list, "next_cursor");
    if (!cJSON_GetArraySize(items)) {
        printf("no %s visits%s%s\n", o->status, o->owner ? " for " : "", o->owner ? o->owner : "");
        return 0;
    }
    cJSON *rows = cJSON_CreateArray(), *cache = cJSON_CreateObject();
    int rc = rows && cache ? 0 : KITH_ENOMEM;
    int64_t now = kith_time_now_ms();
    cJSON_ArrayForEach(visit, items)
    {
        cJSON *row = rc == 0 ? cJSON_CreateObject() : NULL;
        if (rc == 0 && (!row || !cJSON_AddItemToArray(rows, row))) {
            cJSON_Delete(row);
            rc = KITH_ENOMEM;
        }
        if (rc == 0) rc = visit_row(s, cache, visit, now, row);
    }
    if (rc == 0) rc = kith_cli_render_table(stdout, rows);
    if (rc == 0 && next && !cJSON_IsNull(next))
        printf("(more than %ld; see more with --limit)\n", o->limit);
    cJSON_Delete(rows);
    cJSON_Delete(cache);
    if (rc < 0 && rc != KITH_EIO) return report(rc, kith_strerror(rc));
    return rc;
}

int kith_cli_visits_run(kith_cli_session *s, int argc, char *const *argv)
{
    struct options o;
    int rc = parse_options(s, argc, argv, &o);
    if (rc < 0) return rc;
    cJSON *params = cJSON_CreateObject(), *list;
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
    if ((rc = kith_cli_session_call(s, "visit.list", params, &list)) < 0) return rc;
    if (o.json)
        rc = kith_cli_render_result(stdout, list, 1);
    else
        rc = print_table(s, list, &o);
    cJSON_Delete(list);
    if (rc == KITH_ENOMEM) return report(rc, kith_strerror(rc));
    return rc;
}
