/*
 * schedule.create / list / pause / resume / delete / run: admin-managed
 * automations that run a rule job (crm.job) at cron times in a time zone,
 * every period, or once.  The scheduler (sched/) runs them.
 */
#include "commands/commands.h"
#include "sched/sched.h"
#include "script/script.h"
#include "store/schedule.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <string.h>

static int schedule_reply(kith_ctx *ctx, const char *name, cJSON **result)
{
    int rc = kith_store_schedule_get(ctx->store, name, result);
    if (rc == KITH_ENOTFOUND) return kith_ctx_fail(ctx, rc, "name", "no schedule named '%s'", name);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "schedule") : 0;
}

static int schedule_create(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    kith_schedule_row r;
    memset(&r, 0, sizeof(r));
    const char *name = kith_json_get_str(params, "name");
    const char *cron = kith_json_get_str(params, "cron");
    const char *every = kith_json_get_str(params, "every");
    const char *at = kith_json_get_str(params, "at");
    const char *tz = kith_json_get_str(params, "tz");
    const char *job = kith_json_get_str(params, "job");
    if (!!cron + !!every + !!at != 1)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "cron", "give exactly one of cron, every or at");
    if (strlen(name) == 0 || strlen(name) >= sizeof(r.name))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "name", "name must be 1-127 bytes");
    const char *spec = cron ? cron : every ? every : at;
    if (strlen(spec) >= sizeof(r.spec))
        return kith_ctx_fail(ctx, KITH_EPARAMS, cron ? "cron" : every ? "every" : "at", "too long");
    if (tz && strlen(tz) >= sizeof(r.tz))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "tz", "tz is too long");
    if (strlen(job) >= sizeof(r.job))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "job", "job is too long");
    if (!kith_script_has_job(ctx->env->script, job))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "job",
                             "no rule registers a job named '%s' (crm.job)", job);
    snprintf(r.name, sizeof(r.name), "%s", name);
    snprintf(r.kind, sizeof(r.kind), "%s", cron ? "cron" : every ? "every" : "at");
    snprintf(r.tz, sizeof(r.tz), "%s", tz ? tz : "UTC");
    snprintf(r.job, sizeof(r.job), "%s", job);
    /* `at` also takes a duration from now, like task due times. */
    int64_t ms;
    if (at && kith_time_parse_iso(at, &ms) < 0) {
        if (kith_time_parse_duration(at, &ms) < 0)
            return kith_ctx_fail(ctx, KITH_EPARAMS, "at",
                                 "at must be an ISO 8601 time or a duration");
        char iso[KITH_TIME_BUFSZ];
        kith_time_format(ctx->now + ms, iso);
        snprintf(r.spec, sizeof(r.spec), "%s", iso);
    } else {
        snprintf(r.spec, sizeof(r.spec), "%s", spec);
    }
    r.anchor = ctx->now;
    char why[256];
    if (kith_sched_next_run(r.kind, r.spec, r.tz, r.anchor, ctx->now, &r.next_run, why,
                            sizeof(why)) < 0)
        return kith_ctx_fail(ctx, KITH_EPARAMS, tz && strstr(why, "zone") ? "tz" : r.kind, "%s",
                             why);
    if (r.next_run == KITH_TIME_NONE)
        return kith_ctx_fail(ctx, KITH_EPARAMS, r.kind, "this schedule would never run");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(params, "args");
    char *args_text = args ? cJSON_PrintUnformatted(args) : NULL;
    r.args = args_text;
    int rc = kith_store_schedule_insert(ctx->store, &r, ctx->now, ctx->session->name);
    cJSON_free(args_text);
    if (rc == KITH_ECONFLICT)
        return kith_ctx_fail(ctx, rc, "name", "a schedule named '%s' exists", name);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "schedule");
    return schedule_reply(ctx, name, result);
}

static int schedule_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    cJSON *items = cJSON_CreateArray();
    int rc = kith_store_schedule_list(ctx->store, items);
    if (rc < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "schedules");
    }
    *result = kith_cmd_page_result(items, 0, NULL);
    return 0;
}

static int set_paused(kith_ctx *ctx, const cJSON *params, cJSON **result, int paused)
{
    const char *name = kith_json_get_str(params, "name");
    int rc = kith_store_schedule_pause(ctx->store, name, paused);
    if (rc == KITH_ENOTFOUND) return kith_ctx_fail(ctx, rc, "name", "no schedule named '%s'", name);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "schedule");
    if (!paused) {
        /* Resuming does not replay what was missed while paused. */
        kith_schedule_row r;
        if (kith_store_schedule_row(ctx->store, name, &r) == 0) {
            int64_t next;
            char why[256];
            if (r.next_run != KITH_TIME_NONE && r.next_run <= ctx->now &&
                kith_sched_next_run(r.kind, r.spec, r.tz, r.anchor, ctx->now, &next, why,
                                    sizeof(why)) == 0)
                kith_store_schedule_set_next(ctx->store, name, next);
            kith_schedule_row_release(&r);
        }
    }
    return schedule_reply(ctx, name, result);
}

static int schedule_pause(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    return set_paused(ctx, params, result, 1);
}

static int schedule_resume(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    return set_paused(ctx, params, result, 0);
}

static int schedule_delete(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    const char *name = kith_json_get_str(params, "name");
    int rc = schedule_reply(ctx, name, result);
    if (rc) return rc;
    if ((rc = kith_store_schedule_delete(ctx->store, name)) < 0) {
        cJSON_Delete(*result);
        *result = NULL;
        return kith_cmd_store_fail(ctx, rc, "schedule");
    }
    cJSON_ReplaceItemInObject(*result, "status", cJSON_CreateString("deleted"));
    return 0;
}

static int schedule_run(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    const char *name = kith_json_get_str(params, "name");
    /* Due now: the scheduler runs it right after this request commits. */
    int rc = kith_store_schedule_set_next(ctx->store, name, ctx->now);
    if (rc == KITH_ENOTFOUND) return kith_ctx_fail(ctx, rc, "name", "no schedule named '%s'", name);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "schedule");
    return schedule_reply(ctx, name, result);
}

static const kith_param create_params[] = {
    {"name", KITH_T_STRING, 1, "a unique name"},
    {"cron", KITH_T_STRING, 0, "five fields: minute hour day month weekday (names, ranges, steps)"},
    {"every", KITH_T_STRING, 0, "or: a period like 15m, 1d"},
    {"at", KITH_T_STRING, 0, "or: once, at an ISO 8601 time or after a duration"},
    {"tz", KITH_T_STRING, 0, "IANA time zone for cron (default UTC)"},
    {"job", KITH_T_STRING, 1, "a job registered by the rules with crm.job"},
    {"args", KITH_T_ANY, 0, "passed to the job as ctx.args"},
    {NULL},
};
static const kith_param name_params[] = {{"name", KITH_T_STRING, 1, "schedule name"}, {NULL}};
static const kith_param no_params[] = {{NULL}};

const kith_command kith_cmd_schedule[] = {
    {"schedule.create", schedule_create, create_params, KITH_CMD_WRITE, KITH_ROLE_ADMIN,
     "Schedule a rule job: cron in a time zone, every period, or once", "the schedule"},
    {"schedule.list", schedule_list, no_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Schedules with next run, last run, last status and last error",
     "{items: [schedule], next_cursor}"},
    {"schedule.pause", schedule_pause, name_params, KITH_CMD_WRITE, KITH_ROLE_ADMIN,
     "Stop a schedule from running", "the schedule"},
    {"schedule.resume", schedule_resume, name_params, KITH_CMD_WRITE, KITH_ROLE_ADMIN,
     "Let a paused schedule run again (missed runs are not replayed)", "the schedule"},
    {"schedule.delete", schedule_delete, name_params, KITH_CMD_WRITE, KITH_ROLE_ADMIN,
     "Delete a schedule", "the schedule as it was"},
    {"schedule.run", schedule_run, name_params, KITH_CMD_WRITE, KITH_ROLE_ADMIN,
     "Run a schedule's job now (then on as planned)", "the schedule"},
    {NULL},
};
