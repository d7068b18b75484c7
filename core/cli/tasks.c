/*
 * `kith tasks`: see tasks.h.
 *
 * The table is built as rows of JSON objects and handed to render.c, so it
 * aligns and cuts long notes like every other table the client prints.
 * Customer names are looked up once per customer with customer.get on the
 * bare connection: a customer deleted since (not_found) is shown by id
 * alone rather than as an error.  Relative times count from this machine's
 * clock and are rounded to the minute.
 */
#include "cli/tasks.h"
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

#define MINUTE_MS (60 * 1000LL)

struct options {
    const char *owner; /* NULL: every owner */
    const char *status;
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
    o->status = "open";
    o->limit = DEFAULT_LIMIT;
    o->json = s->json_output;
    for (int i = 1; i < argc; i++) {
        int m = kith_cli_args_option(argc, argv, &i, "--owner", &owner, err, sizeof(err));
        if (!m) m = kith_cli_args_option(argc, argv, &i, "--status", &o->status, err, sizeof(err));
        if (!m) m = kith_cli_args_option(argc, argv, &i, "--limit", &limit, err, sizeof(err));
        if (m < 0) return report(m, err);
        if (m == 1) continue;
        if (strcmp(argv[i], "--all") == 0) {
            all = 1;
        } else if (strcmp(argv[i], "--json") == 0) {
            o->json = 1;
        } else {
            snprintf(err, sizeof(err), "tasks: unexpected '%s' (see kith help tasks)", argv[i]);
            return report(KITH_EPARAMS, err);
        }
    }
    if (owner && all) return report(KITH_EPARAMS, "tasks: --owner and --all do not go together");
    if (limit) {
        char *end;
        errno = 0;
        o->limit = strtol(limit, &end, 10);
        if (!*limit || *end || errno || o->limit < 1 || o->limit > MAX_LIMIT)
            return report(KITH_EPARAMS, "tasks: --limit wants a number from 1 to 1000");
    }
    /* A token's holder usually wants their own work first. */
    o->owner = owner ? owner : all ? NULL : s->auth_name;
    return 0;
}

/* Writes a span of minutes as one or two units: "45m", "1h 5m", "3d 4h". */
static void span(long long mins, char *out, size_t size)
{
    long long d = mins / (24 * 60), h = mins / 60 % 24, m = mins % 60;
    /* The second unit only while it still matters: "3d 4h", but "12d". */
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

/* Writes when `iso` is relative to now_ms: "in 2h" / "3d overdue" for a due
 * time (`past` NULL), "2h ago" otherwise; "now" within half a minute. */
static int relative(const char *iso, int64_t now_ms, const char *past, char *out, size_t size)
{
    int64_t at;
    if (!iso || kith_time_parse_iso(iso, &at) < 0) return KITH_EPARAMS;
    int64_t delta = at - now_ms;
    long long mins = (long long)((delta < 0 ? -delta : delta) + MINUTE_MS / 2) / MINUTE_MS;
    char text[48];
    span(mins, text, sizeof(text));
    if (mins == 0)
        snprintf(out, size, "now");
    else if (delta > 0)
        snprintf(out, size, "in %s", text);
    else
        snprintf(out, size, "%s %s", text, past ? past : "overdue");
    return 0;
}

/* Returns the label of customer `id` ("Ada Lovelace (#7)", or "#7" when it
 * cannot be read) in *label, borrowed from `cache`, which keeps each label
 * by id.  Returns 0, KITH_EIO (reported) or KITH_ENOMEM. */
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
        const cJSON *result = cJSON_GetObjectItemCaseSensitive(reply, "result");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(result, "name");
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

static int add_text(cJSON *row, const char *key, const char *text)
{
    cJSON *v = text ? cJSON_AddStringToObject(row, key, text) : cJSON_AddNullToObject(row, key);
    return v ? 0 : KITH_ENOMEM;
}

/* Copies member `key` of task into row (null when absent). */
static int add_copy(cJSON *row, const char *key, const cJSON *task)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(task, key);
    cJSON *copy = v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
    if (!copy || !cJSON_AddItemToObject(row, key, copy)) {
        cJSON_Delete(copy);
        return KITH_ENOMEM;
    }
    return 0;
}

/* The row for one task: open tasks by when they are due, closed ones by
 * when they were closed, with their outcome. */
static int task_row(kith_cli_session *s, cJSON *cache, const cJSON *task, int open, int64_t now,
                    cJSON *row)
{
    char when[64], rel[64];
    const char *due = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(task, "due_at"));
    const char *closed = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(task, "closed_at"));
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(task, "customer_id");
    const char *label = NULL;
    int rc = 0;
    if (cJSON_IsNumber(cid)) rc = customer_label(s, cache, (long long)cid->valuedouble, &label);
    if (rc < 0) return rc;
    if (kith_cli_render_time(due, 0, when, sizeof(when)) < 0)
        snprintf(when, sizeof(when), "%s", due ? due : "");
    if (open) {
        if (relative(due, now, NULL, rel, sizeof(rel)) < 0) rel[0] = '\0';
        rc = add_text(row, "due", rel);
        if (!rc) rc = add_text(row, "at", when);
    } else {
        if (relative(closed, now, "ago", rel, sizeof(rel)) < 0) rel[0] = '\0';
        rc = add_text(row, "closed", rel);
        if (!rc) rc = add_text(row, "due", when);
    }
    if (!rc) rc = add_copy(row, "id", task);
    if (!rc) rc = add_text(row, "customer", label);
    if (!rc) rc = add_copy(row, "owner", task);
    if (!rc) rc = add_copy(row, "note", task);
    if (!rc && !open) rc = add_copy(row, "outcome", task);
    return rc;
}

static int print_table(kith_cli_session *s, const cJSON *list, const struct options *o)
{
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items"), *task;
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(list, "next_cursor");
    if (!cJSON_GetArraySize(items)) {
        printf("no %s tasks%s%s\n", o->status, o->owner ? " for " : "", o->owner ? o->owner : "");
        return 0;
    }
    cJSON *rows = cJSON_CreateArray(), *cache = cJSON_CreateObject();
    int rc = rows && cache ? 0 : KITH_ENOMEM;
    int open = strcmp(o->status, "open") == 0;
    int64_t now = kith_time_now_ms();
    cJSON_ArrayForEach(task, items)
    {
        cJSON *row = rc == 0 ? cJSON_CreateObject() : NULL;
        if (rc == 0 && (!row || !cJSON_AddItemToArray(rows, row))) {
            cJSON_Delete(row);
            rc = KITH_ENOMEM;
        }
        if (rc == 0) rc = task_row(s, cache, task, open, now, row);
    }
    if (rc == 0) rc = kith_cli_render_table(stdout, rows);
    if (rc == 0 && next && !cJSON_IsNull(next))
        printf("(more than %ld; see more with --limit)\n", o->limit);
    cJSON_Delete(rows);
    cJSON_Delete(cache);
    if (rc < 0 && rc != KITH_EIO) return report(rc, kith_strerror(rc));
    return rc;
}

int kith_cli_tasks_run(kith_cli_session *s, int argc, char *const *argv)
{
    struct options o;
    int rc = parse_options(s, argc, argv, &o);
    if (rc < 0) return rc;
    cJSON *params = cJSON_CreateObject(), *list;
    if (!params || !cJSON_AddStringToObject(params, "status", o.status) ||
        !cJSON_AddNumberToObject(params, "limit", (double)o.limit) ||
        (o.owner && !cJSON_AddStringToObject(params, "owner", o.owner))) {
        cJSON_Delete(params);
        return report(KITH_ENOMEM, kith_strerror(KITH_ENOMEM));
    }
    if ((rc = kith_cli_session_call(s, "task.list", params, &list)) < 0) return rc;
    if (o.json)
        rc = kith_cli_render_result(stdout, list, 1);
    else
        rc = print_table(s, list, &o);
    cJSON_Delete(list);
    if (rc == KITH_ENOMEM) return report(rc, kith_strerror(rc));
    return rc;
}
