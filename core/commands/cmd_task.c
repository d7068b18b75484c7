/*
 * task.create / list / complete / cancel / snooze, and the operations of
 * task_ops.h.  The store keeps a task's state transitions (store/task.h);
 * this file reads due times ("15m" or an ISO time), checks the customer and
 * emits the events.  Besides the contract's task.created and task.completed,
 * a cancelled task emits task.cancelled and a snoozed one task.snoozed, so
 * that every committed change has its event.
 */
#include "commands/commands.h"
#include "commands/task_ops.h"
#include "store/customer.h"
#include "store/stats.h"
#include "store/task.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <string.h>

#define MAX_NOTE      10000
#define MAX_OUTCOME   10000
#define MAX_OWNER     64
#define DUE_BATCH_MAX 1000

static const char *const statuses[] = {"open", "done", "cancelled", NULL};

/* Reads a KITH_T_DUE param: an ISO time, or a duration counted from
 * ctx->now.  *at keeps its value when the param is absent. */
static int due_arg(kith_ctx *ctx, const cJSON *params, const char *name, int64_t *at)
{
    const char *s = kith_json_get_str(params, name);
    int64_t d;
    if (!s) return 0;
    if (kith_time_parse_iso(s, at) == 0) return 0;
    if (kith_time_parse_duration(s, &d) == 0) {
        *at = ctx->now + d;
        return 0;
    }
    return kith_ctx_fail(ctx, KITH_EPARAMS, name,
                         "%s must be an ISO 8601 time or a duration like \"15m\"", name);
}

static int check_text(kith_ctx *ctx, const char *name, const char *s, size_t max, int required)
{
    size_t n = s ? strlen(s) : 0;
    if (!s && !required) return 0;
    if (n == 0 || strspn(s, " \t\r\n") == n)
        return kith_ctx_fail(ctx, KITH_EPARAMS, name, "%s must not be empty", name);
    if (n > max)
        return kith_ctx_fail(ctx, KITH_EPARAMS, name, "%s is longer than %zu bytes", name, max);
    return 0;
}

/* Loads the task's customer into *customer, or leaves it NULL when the task
 * has none. */
static int task_customer(kith_ctx *ctx, const cJSON *task, cJSON **customer)
{
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(task, "customer_id");
    *customer = NULL;
    if (!cJSON_IsNumber(cid)) return 0;
    int rc = kith_store_customer_get(ctx->store, (int64_t)cid->valuedouble, customer);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "customer") : 0;
}

/* Emits {task, customer?} on `channel`; customer may be NULL. */
static int emit_task(kith_ctx *ctx, const char *channel, const cJSON *task, const cJSON *customer)
{
    int64_t cid =
        (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(task, "customer_id"));
    return kith_cmd_emit_record(ctx, channel, customer ? cid : 0, "task", task, customer);
}

/* After hooks run inside the emit and may change the task (snooze it,
 * close it), so a reply is read again once they have run, as a later read
 * would show it.  Replaces *t (owned) unless a hook removed the task.
 * Returns 0 or a failure in ctx. */
static int reread_after_hooks(kith_ctx *ctx, cJSON **t)
{
    if (!ctx->env->script) return 0; /* no rules: nothing ran */
    int64_t id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(*t, "id"));
    cJSON *now = NULL;
    int rc = kith_store_task_get(ctx->store, id, &now);
    if (rc == KITH_ENOTFOUND) return 0;
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "task");
    cJSON_Delete(*t);
    *t = now;
    return 0;
}

int kith_task_create(kith_ctx *ctx, const cJSON *fields, const char *created_by, cJSON **task)
{
    const cJSON *due = cJSON_GetObjectItemCaseSensitive(fields, "due_at");
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(fields, "customer_id");
    const cJSON *owner = cJSON_GetObjectItemCaseSensitive(fields, "owner");
    *task = NULL;
    int rc = check_text(ctx, "note", kith_json_get_str(fields, "note"), MAX_NOTE, 1);
    if (!rc && !cJSON_IsNumber(due))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "due", "due must be a time");
    if (!rc && cid && !cJSON_IsNull(cid) &&
        (!cJSON_IsNumber(cid) || cid->valuedouble < 1 || !kith_json_is_int(cid->valuedouble)))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "customer_id",
                           "customer_id must be a positive integer id");
    if (!rc && owner && !cJSON_IsNull(owner) && !cJSON_IsString(owner))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "owner", "owner must be a string");
    if (!rc) rc = check_text(ctx, "owner", kith_json_get_str(fields, "owner"), MAX_OWNER, 0);
    if (rc) return rc;
    cJSON *customer = NULL, *t = NULL;
    if (cJSON_IsNumber(cid) &&
        (rc = kith_store_customer_get(ctx->store, (int64_t)cid->valuedouble, &customer)) < 0)
        return kith_cmd_store_fail(ctx, rc, "customer");
    rc = kith_store_task_insert(ctx->store, fields, (int64_t)due->valuedouble, created_by, ctx->now,
                                &t);
    if (rc < 0) rc = kith_cmd_store_fail(ctx, rc, "task");
    if (!rc) rc = emit_task(ctx, "task.created", t, customer);
    if (!rc) rc = reread_after_hooks(ctx, &t);
    cJSON_Delete(customer);
    if (rc) {
        cJSON_Delete(t);
        return rc;
    }
    *task = t;
    return 0;
}

int kith_task_fire_due(kith_ctx *ctx, int limit, int *fired)
{
    cJSON *due = cJSON_CreateArray();
    int n = 0;
    *fired = 0;
    if (!due) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    int rc = kith_store_task_due(ctx->store, ctx->now, limit, due, &n);
    if (rc < 0) rc = kith_cmd_store_fail(ctx, rc, "due tasks");
    const cJSON *d;
    cJSON_ArrayForEach(d, due)
    {
        if (rc) break;
        int64_t id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "id"));
        cJSON *t = NULL, *customer = NULL;
        if ((rc = kith_store_task_mark_fired(ctx->store, id, ctx->now)) == KITH_ENOTFOUND) {
            rc = 0; /* fired or closed since it was listed: nothing to do */
            continue;
        }
        if (!rc) rc = kith_store_task_get(ctx->store, id, &t);
        if (rc < 0) rc = kith_cmd_store_fail(ctx, rc, "task");
        if (!rc) rc = task_customer(ctx, t, &customer);
        if (!rc) rc = emit_task(ctx, "reminder.due", t, customer);
        if (!rc) ++*fired;
        cJSON_Delete(customer);
        cJSON_Delete(t);
    }
    cJSON_Delete(due);
    return rc;
}

/* ---- the commands ---- */

static int task_create(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t due_at = 0;
    int rc = due_arg(ctx, params, "due", &due_at);
    if (rc) return rc;
    cJSON *fields = cJSON_Duplicate(params, 1);
    cJSON *ms = cJSON_CreateNumber((double)due_at);
    if (!fields || !ms) {
        cJSON_Delete(fields);
        cJSON_Delete(ms);
        return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    }
    cJSON_AddItemToObject(fields, "due_at", ms);
    rc = kith_task_create(ctx, fields, ctx->session->name, result);
    cJSON_Delete(fields);
    return rc;
}

static int task_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    kith_task_filter f = {.owner = kith_json_get_str(params, "owner"),
                          .status = kith_json_get_str(params, "status"),
                          .due_after = KITH_TIME_NONE,
                          .due_before = KITH_TIME_NONE};
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more, rc = 0;
    if (cJSON_GetObjectItemCaseSensitive(params, "customer_id"))
        rc = kith_cmd_id_arg(ctx, params, "customer_id", &f.customer_id);
    if (!rc) rc = kith_cmd_check_enum(ctx, params, "status", statuses, 0);
    if (!rc) rc = due_arg(ctx, params, "due_after", &f.due_after);
    if (!rc) rc = due_arg(ctx, params, "due_before", &f.due_before);
    if (!rc) rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (rc) return rc;
    cJSON *items = cJSON_CreateArray();
    if (!items) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    if ((rc = kith_store_task_list(ctx->store, &f, limit, after, items, &more, &next)) < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "tasks");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}

/* Explains a transition refused because task `id` is no longer open. */
static int not_open(kith_ctx *ctx, int64_t id)
{
    cJSON *t = NULL;
    const char *status = "closed";
    if (kith_store_task_get(ctx->store, id, &t) == 0 && kith_json_get_str(t, "status"))
        status = kith_json_get_str(t, "status");
    kith_ctx_fail(ctx, KITH_ECONFLICT, "id", "task %lld is %s; only open tasks change",
                  (long long)id, status);
    cJSON_Delete(t);
    return KITH_ECONFLICT;
}

/* Runs a state change on task `id` that yielded `rc` and *t, then emits
 * `channel` about it. */
static int finish_change(kith_ctx *ctx, int64_t id, int rc, const char *channel, cJSON *t,
                         cJSON **result)
{
    cJSON *customer = NULL;
    if (rc == KITH_ECONFLICT)
        rc = not_open(ctx, id);
    else if (rc < 0)
        rc = kith_cmd_store_fail(ctx, rc, "task");
    if (!rc) rc = task_customer(ctx, t, &customer);
    if (!rc) rc = emit_task(ctx, channel, t, customer);
    if (!rc) rc = reread_after_hooks(ctx, &t);
    cJSON_Delete(customer);
    if (rc) {
        cJSON_Delete(t);
        return rc;
    }
    *result = t;
    return 0;
}

static int close_task(kith_ctx *ctx, const cJSON *params, const char *status, const char *channel,
                      cJSON **result)
{
    int64_t id;
    const char *outcome = kith_json_get_str(params, "outcome");
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (!rc) rc = check_text(ctx, "outcome", outcome, MAX_OUTCOME, 0);
    if (rc) return rc;
    cJSON *t = NULL;
    rc = kith_store_task_close(ctx->store, id, status, outcome, ctx->now, &t);
    return finish_change(ctx, id, rc, channel, t, result);
}

static int task_complete(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    return close_task(ctx, params, "done", "task.completed", result);
}

static int task_cancel(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    return close_task(ctx, params, "cancelled", "task.cancelled", result);
}

static int task_snooze(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id, until = 0;
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (!rc) rc = due_arg(ctx, params, "until", &until);
    if (rc) return rc;
    cJSON *t = NULL;
    rc = kith_store_task_snooze(ctx->store, id, until, &t);
    return finish_change(ctx, id, rc, "task.snoozed", t, result);
}

static const kith_param create_params[] = {
    {"note", KITH_T_STRING, 1, "what to do"},
    {"due", KITH_T_DUE, 1, "when: an ISO 8601 time, or a duration from now like \"2d\""},
    {"customer_id", KITH_T_INT, 0, "the customer it is about"},
    {"owner", KITH_T_STRING, 0, "who should do it"},
    {NULL},
};
static const kith_param list_params[] = {
    {"owner", KITH_T_STRING, 0, "only this owner's tasks"},
    {"status", KITH_T_STRING, 0, "open, done or cancelled"},
    {"customer_id", KITH_T_INT, 0, "only tasks about this customer"},
    {"due_before", KITH_T_DUE, 0, "only tasks due before this time (or duration from now)"},
    {"due_after", KITH_T_DUE, 0, "only tasks due at or after this time (or duration from now)"},
    KITH_LIST_PARAMS,
    {NULL},
};
static const kith_param close_params[] = {
    {"id", KITH_T_INT, 1, "task id"},
    {"outcome", KITH_T_STRING, 0, "what came of it"},
    {NULL},
};
static const kith_param snooze_params[] = {
    {"id", KITH_T_INT, 1, "task id"},
    {"until", KITH_T_DUE, 1, "the new due time, or a duration from now"},
    {NULL},
};

const kith_command kith_cmd_task[] = {
    {"task.create", task_create, create_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Create a follow-up task; its reminder fires when it is due", "the task"},
    {"task.list", task_list, list_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Tasks by due time, soonest first", "{items: [task], next_cursor}"},
    {"task.complete", task_complete, close_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Mark an open task done", "the task"},
    {"task.cancel", task_cancel, close_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Cancel an open task", "the task"},
    {"task.snooze", task_snooze, snooze_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Move an open task's due time; its reminder fires again then", "the task"},
    {NULL},
};
