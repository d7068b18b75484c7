/*
 * visit.due: customers overdue for a visit by the rules' cadence
 * (crm.visits, script/api_visit.h) who have nothing planned.
 *
 * A customer is due when its first matching cadence entry's `every` has
 * passed since its last completed visit (stats.last_visit_at), or since it
 * was created when it was never visited; due_since is that moment.
 *
 * Cost: customers are read in id order, a page at a time, skipping in SQL
 * every customer with a planned or in-progress visit (visits_customer
 * index); each remaining customer costs one stats read and one run of the
 * cadence's match functions.  A call examines at most SCAN_MAX customers:
 * when it stops there it returns what it found with a next_cursor, so a
 * page may hold fewer than `limit` items (even none) and still have more.
 */
#include "commands/commands.h"
#include "commands/visit_ops.h"
#include "script/api_visit.h"
#include "store/customer.h"
#include "store/stats.h"
#include "store/visit.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <string.h>

#define SCAN_PAGE 200
#define SCAN_MAX  10000

/* `ms` as the shortest duration string that says it exactly: "30d", "4h". */
static void duration_text(int64_t ms, char *out, size_t len)
{
    static const struct {
        int64_t unit;
        const char *suffix;
    } units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (ms % units[i].unit == 0) {
            snprintf(out, len, "%lld%s", (long long)(ms / units[i].unit), units[i].suffix);
            return;
        }
    snprintf(out, len, "%lldms", (long long)ms);
}

/* Adds customer `id`'s row to items when it is due; *added says so. */
static int consider(kith_ctx *ctx, int64_t id, const char *only, cJSON *items, int *added)
{
    char cls[KITH_VISIT_CLASS_MAX], every_text[32];
    int64_t every;
    kith_customer_stats st;
    *added = 0;
    int rc = kith_script_visit_cadence(ctx, id, cls, sizeof(cls), &every);
    if (rc <= 0) return rc;
    if (only && strcmp(only, cls) != 0) return 0;
    if ((rc = kith_store_stats_get(ctx->store, id, &st)) == KITH_ENOTFOUND)
        kith_stats_init(&st);
    else if (rc < 0)
        return kith_cmd_store_fail(ctx, rc, "customer stats");
    cJSON *customer = NULL;
    if ((rc = kith_store_customer_get(ctx->store, id, &customer)) < 0)
        return rc == KITH_ENOTFOUND ? 0 : kith_cmd_store_fail(ctx, rc, "customer");
    int64_t since = st.last_visit_at, wait = every;
    if (since == KITH_TIME_NONE) {
        /* Never visited: due from the day the customer arrived. */
        const char *created = kith_json_get_str(customer, "created_at");
        if (!created || kith_time_parse_iso(created, &since) < 0) since = ctx->now;
        wait = 0;
    }
    int64_t due_since = since + wait;
    if (due_since > ctx->now) {
        cJSON_Delete(customer);
        return 0;
    }
    duration_text(every, every_text, sizeof(every_text));
    cJSON *row = cJSON_CreateObject();
    cJSON_AddItemToObject(row, "customer", customer);
    kith_json_add_str(row, "class", cls);
    if (st.last_visit_at == KITH_TIME_NONE)
        cJSON_AddNullToObject(row, "last_visit_at");
    else
        kith_json_add_time(row, "last_visit_at", st.last_visit_at);
    kith_json_add_time(row, "due_since", due_since);
    kith_json_add_str(row, "visit_every", every_text);
    cJSON_AddItemToArray(items, row);
    *added = 1;
    return 0;
}

int kith_visit_due_cmd(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    const char *only = kith_json_get_str(params, "class");
    const char *owner = kith_json_get_str(params, "owner");
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (rc) return rc;
    if (only && !kith_script_visit_has_class(ctx->env->script, only))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "class",
                             "the rules' visit cadence (crm.visits) has no class '%s'", only);
    cJSON *items = cJSON_CreateArray();
    if (!items) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    int64_t last = after ? after->id : 0, ids[SCAN_PAGE];
    int found = 0, scanned = 0, more = 0, n = SCAN_PAGE;
    /* Without a cadence nobody is due: skip the scan. */
    if (!kith_script_visit_has_cadence(ctx->env->script)) n = 0;
    while (!rc && n == SCAN_PAGE && !more) {
        rc = kith_store_visit_unplanned_customers(ctx->store, last, owner, SCAN_PAGE, ids, &n);
        if (rc < 0) {
            rc = kith_cmd_store_fail(ctx, rc, "customers");
            break;
        }
        for (int i = 0; !rc && i < n; i++) {
            if (found == limit || scanned == SCAN_MAX) {
                more = 1; /* a next page starts after `last` */
                break;
            }
            int added;
            rc = consider(ctx, ids[i], only, items, &added);
            found += added;
            scanned++;
            last = ids[i];
        }
    }
    if (rc) {
        cJSON_Delete(items);
        return rc;
    }
    next.key = next.id = last;
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}
