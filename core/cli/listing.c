/*
 * The list views' shared half: see listing.h.
 */
#include "cli/listing.h"
#include "cli/args.h"
#include "cli/render.h"
#include "util/error.h"
#include "util/timefmt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int report(int rc, const char *what)
{
    fprintf(stderr, "kith: %s\n", what);
    return rc;
}

int kith_cli_listing_options(const char *command, int argc, char *const *argv,
                             const kith_cli_listing_option *opts, int *all, int *json)
{
    char err[160];
    for (int i = 1; i < argc; i++) {
        int m = 0;
        for (const kith_cli_listing_option *o = opts; !m && o->name; o++)
            m = kith_cli_args_option(argc, argv, &i, o->name, o->value, err, sizeof(err));
        if (m < 0) return report(m, err);
        if (m == 1) continue;
        if (strcmp(argv[i], "--all") == 0) {
            *all = 1;
        } else if (strcmp(argv[i], "--json") == 0) {
            *json = 1;
        } else {
            snprintf(err, sizeof(err), "%s: unexpected '%s' (see kith help %s)", command, argv[i],
                     command);
            return report(KITH_EPARAMS, err);
        }
    }
    return 0;
}

int kith_cli_listing_limit(const char *command, const char *text, long *limit)
{
    char *end;
    errno = 0;
    *limit = strtol(text, &end, 10);
    if (!*text || *end || errno || *limit < 1 || *limit > KITH_CLI_LISTING_MAX_LIMIT) {
        fprintf(stderr, "kith: %s: --limit wants a number from 1 to %d\n", command,
                KITH_CLI_LISTING_MAX_LIMIT);
        return KITH_EPARAMS;
    }
    return 0;
}

int kith_cli_listing_customer(kith_cli_listing *l, const cJSON *item, const char **label)
{
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(item, "customer_id");
    *label = NULL;
    if (!cJSON_IsNumber(cid)) return 0;
    long long id = (long long)cid->valuedouble;
    char key[32], text[320];
    snprintf(key, sizeof(key), "%lld", id);
    const cJSON *hit = cJSON_GetObjectItemCaseSensitive(l->customers, key);
    if (!hit) {
        cJSON *params = cJSON_CreateObject(), *reply = NULL;
        if (!params || !cJSON_AddNumberToObject(params, "id", (double)id)) {
            cJSON_Delete(params);
            return KITH_ENOMEM;
        }
        /* The bare connection, not kith_cli_session_call: a customer that
         * cannot be read is a row without a name, not an error. */
        int rc = kith_cli_conn_call(&l->s->conn, "customer.get", params, &reply);
        if (rc == KITH_EIO) return report(rc, l->s->conn.err);
        if (rc < 0) return rc;
        const cJSON *result = cJSON_GetObjectItemCaseSensitive(reply, "result");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(result, "name");
        if (cJSON_IsString(name))
            snprintf(text, sizeof(text), "%s (#%lld)", name->valuestring, id);
        else
            snprintf(text, sizeof(text), "#%lld", id);
        cJSON_Delete(reply);
        if (!(hit = cJSON_AddStringToObject(l->customers, key, text))) return KITH_ENOMEM;
    }
    *label = hit->valuestring;
    return 0;
}

int kith_cli_listing_copy(cJSON *row, const char *key, const cJSON *item)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, key);
    cJSON *copy = v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
    if (!copy || !cJSON_AddItemToObject(row, key, copy)) {
        cJSON_Delete(copy);
        return KITH_ENOMEM;
    }
    return 0;
}

int kith_cli_listing_text(cJSON *row, const char *key, const char *text)
{
    cJSON *v = text ? cJSON_AddStringToObject(row, key, text) : cJSON_AddNullToObject(row, key);
    return v ? 0 : KITH_ENOMEM;
}

static int print_table(kith_cli_session *s, const kith_cli_listing_view *v, const cJSON *list)
{
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items"), *item;
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(list, "next_cursor");
    if (!cJSON_GetArraySize(items)) {
        printf("no %s %s%s%s\n", v->status ? v->status : "", v->noun, v->owner ? " for " : "",
               v->owner ? v->owner : "");
        return 0;
    }
    kith_cli_listing l = {s, cJSON_CreateObject(), kith_time_now_ms(), v->options};
    cJSON *rows = cJSON_CreateArray();
    int rc = rows && l.customers ? 0 : KITH_ENOMEM;
    cJSON_ArrayForEach(item, items)
    {
        cJSON *row = rc == 0 ? cJSON_CreateObject() : NULL;
        if (rc == 0 && (!row || !cJSON_AddItemToArray(rows, row))) {
            cJSON_Delete(row);
            rc = KITH_ENOMEM;
        }
        if (rc == 0) rc = v->row(&l, item, row);
    }
    if (rc == 0) rc = kith_cli_render_table(stdout, rows);
    if (rc == 0 && next && !cJSON_IsNull(next))
        printf("(more than %ld; see more with --limit)\n", v->limit);
    cJSON_Delete(rows);
    cJSON_Delete(l.customers);
    if (rc < 0 && rc != KITH_EIO) return report(rc, kith_strerror(rc));
    return rc;
}

int kith_cli_listing_run(kith_cli_session *s, const kith_cli_listing_view *v, cJSON *params)
{
    cJSON *list;
    int rc = kith_cli_session_call(s, v->method, params, &list);
    if (rc < 0) return rc;
    if (v->json)
        rc = kith_cli_render_result(stdout, list, 1);
    else
        rc = print_table(s, v, list);
    cJSON_Delete(list);
    if (rc == KITH_ENOMEM) return report(rc, kith_strerror(rc));
    return rc;
}
