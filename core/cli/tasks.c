/*
 * `kith tasks`: see tasks.h.  The call, the table and customer names are
 * listing.c's, the relative times when.c's; this file holds the options and
 * what a task's row shows.
 */
#include "cli/tasks.h"
#include "cli/args.h"
#include "cli/listing.h"
#include "cli/when.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>

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
    const char *owner = NULL, *limit = NULL;
    int all = 0;
    o->status = "open";
    o->limit = KITH_CLI_LISTING_LIMIT;
    o->json = s->json_output;
    const kith_cli_listing_option opts[] = {
        {"--owner", &owner},
        {"--status", &o->status},
        {"--limit", &limit},
        {NULL, NULL},
    };
    if (kith_cli_listing_options("tasks", argc, argv, opts, &all, &o->json) < 0)
        return KITH_EPARAMS;
    if (owner && all) return report(KITH_EPARAMS, "tasks: --owner and --all do not go together");
    if (limit && kith_cli_listing_limit("tasks", limit, &o->limit) < 0) return KITH_EPARAMS;
    /* A token's holder usually wants their own work first. */
    o->owner = owner ? owner : all ? NULL : s->auth_name;
    return 0;
}

/* The row for one task: open tasks by when they are due, closed ones by
 * when they were closed, with their outcome. */
static int task_row(kith_cli_listing *l, const cJSON *task, cJSON *row)
{
    const struct options *o = l->options;
    int open = strcmp(o->status, "open") == 0;
    char when[64], rel[64];
    const char *due = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(task, "due_at"));
    const char *closed = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(task, "closed_at"));
    const char *label;
    int rc = kith_cli_listing_customer(l, task, &label);
    if (rc < 0) return rc;
    kith_cli_when_local(due, when, sizeof(when));
    if (open) {
        kith_cli_when_relative(due, l->now_ms, "overdue", rel, sizeof(rel));
        rc = kith_cli_listing_text(row, "due", rel);
        if (!rc) rc = kith_cli_listing_text(row, "at", when);
    } else {
        kith_cli_when_relative(closed, l->now_ms, "ago", rel, sizeof(rel));
        rc = kith_cli_listing_text(row, "closed", rel);
        if (!rc) rc = kith_cli_listing_text(row, "due", when);
    }
    if (!rc) rc = kith_cli_listing_copy(row, "id", task);
    if (!rc) rc = kith_cli_listing_text(row, "customer", label);
    if (!rc) rc = kith_cli_listing_copy(row, "owner", task);
    if (!rc) rc = kith_cli_listing_copy(row, "note", task);
    if (!rc && !open) rc = kith_cli_listing_copy(row, "outcome", task);
    return rc;
}

int kith_cli_tasks_run(kith_cli_session *s, int argc, char *const *argv)
{
    struct options o;
    int rc = parse_options(s, argc, argv, &o);
    if (rc < 0) return rc;
    cJSON *params = cJSON_CreateObject();
    if (!params || !cJSON_AddStringToObject(params, "status", o.status) ||
        !cJSON_AddNumberToObject(params, "limit", (double)o.limit) ||
        (o.owner && !cJSON_AddStringToObject(params, "owner", o.owner))) {
        cJSON_Delete(params);
        return report(KITH_ENOMEM, kith_strerror(KITH_ENOMEM));
    }
    const kith_cli_listing_view view = {.method = "task.list",
                                        .limit = o.limit,
                                        .json = o.json,
                                        .status = o.status,
                                        .noun = "tasks",
                                        .owner = o.owner,
                                        .row = task_row,
                                        .options = &o};
    return kith_cli_listing_run(s, &view, params);
}
