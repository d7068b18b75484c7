/*
 * See sched.h.
 */
#include "sched/sched.h"
#include "commands/due.h"
#include "script/script.h"
#include "store/event.h"
#include "store/schedule.h"
#include "store/stats.h"
#include "util/cron.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/tz.h"

#include <stdio.h>
#include <string.h>

#define DUE_BATCH 16

static void on_timer(uv_timer_t *t)
{
    kith_sched *s = t->data;
    s->armed_for = 0;
    s->fire(s->ud);
}

void kith_sched_init(kith_sched *s, uv_loop_t *loop, void (*fire)(void *ud), void *ud)
{
    memset(s, 0, sizeof(*s));
    s->loop = loop;
    s->fire = fire;
    s->ud = ud;
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
}

void kith_sched_close(kith_sched *s)
{
    if (!uv_is_closing((uv_handle_t *)&s->timer)) uv_close((uv_handle_t *)&s->timer, NULL);
}

int kith_sched_next_due(kith_store *store, int64_t *at)
{
    int64_t due_at = 0, sched_at = 0;
    int has_due = kith_due_next(store, &due_at) == 0;
    int has_sched = kith_store_schedule_next(store, &sched_at) == 0;
    if (!has_due && !has_sched) return KITH_ENOTFOUND;
    *at = !has_due ? sched_at : !has_sched ? due_at : due_at < sched_at ? due_at : sched_at;
    return 0;
}

void kith_sched_arm(kith_sched *s, kith_store *store, int64_t now)
{
    int64_t at;
    if (kith_sched_next_due(store, &at) < 0) {
        uv_timer_stop(&s->timer);
        s->armed_for = 0;
        return;
    }
    if (s->armed_for == at && uv_is_active((uv_handle_t *)&s->timer)) return;
    s->armed_for = at;
    uv_update_time(s->loop);
    /* Never 0: libuv 1.44 runs a zero-delay timer started from its own
     * callback again in the same pass, which would run the slices of a job
     * back to back without serving anyone in between. */
    uv_timer_start(&s->timer, on_timer, at > now + 1 ? (uint64_t)(at - now) : 1, 0);
}

int kith_sched_next_run(const char *kind, const char *spec, const char *tz_name, int64_t anchor,
                        int64_t after, int64_t *next, char *err, size_t errlen)
{
    *next = KITH_TIME_NONE;
    if (strcmp(kind, "at") == 0) {
        int64_t at;
        if (kith_time_parse_iso(spec, &at) < 0) {
            snprintf(err, errlen, "at must be an ISO 8601 time");
            return KITH_EPARAMS;
        }
        if (at > after) *next = at;
        return 0;
    }
    if (strcmp(kind, "every") == 0) {
        int64_t period;
        if (kith_time_parse_duration(spec, &period) < 0 || period < 1000) {
            snprintf(err, errlen, "every must be a duration of at least 1s, like 15m or 1d");
            return KITH_EPARAMS;
        }
        return kith_every_next(anchor, period, after, next);
    }
    const kith_tz *tz = NULL;
    if (tz_name && strcmp(tz_name, "UTC") != 0) {
        tz = kith_tz_get(tz_name, err, errlen);
        if (!tz) return KITH_EPARAMS;
    }
    kith_cron cron;
    int rc = kith_cron_parse(spec, &cron, err, errlen);
    if (rc < 0) return KITH_EPARAMS;
    rc = kith_cron_next(&cron, tz, after, next);
    if (rc == KITH_ENOTFOUND) {
        *next = KITH_TIME_NONE;
        return 0;
    }
    return rc;
}

/* Emits schedule.ran with the schedule as it now stands. */
static int emit_ran(kith_ctx *ctx, const char *name, const char *status, const char *error,
                    const cJSON *result)
{
    cJSON *data = cJSON_CreateObject(), *sched = NULL;
    if (kith_store_schedule_get(ctx->store, name, &sched) == 0)
        cJSON_AddItemToObject(data, "schedule", sched);
    cJSON_AddStringToObject(data, "status", status);
    kith_json_add_str(data, "error", error);
    if (result) cJSON_AddItemToObject(data, "result", cJSON_Duplicate(result, 1));
    int rc = kith_script_emit(ctx, "schedule.ran", 0, data);
    cJSON_Delete(data);
    return rc;
}

/* Runs one slice of schedule `name`.  Returns 1 when it wants another. */
static int run_one(kith_ctx *ctx, const char *name)
{
    kith_schedule_row r;
    if (kith_store_schedule_row(ctx->store, name, &r) < 0) return 0;
    cJSON *args = r.args ? cJSON_Parse(r.args) : NULL;
    if (!args) args = cJSON_CreateObject();
    cJSON *state = r.state ? cJSON_Parse(r.state) : NULL;
    int64_t started = ctx->now;
    cJSON *result = NULL;
    int more = 0;
    /* The slice's writes: one request, rolled back if the job fails. */
    int rc = kith_request_begin(ctx);
    if (!rc) {
        rc = kith_script_run_job(ctx, r.job, args, state, r.name, &result);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(result, "more");
        more = rc == 0 && cJSON_IsTrue(m);
        if (more) {
            char *next_state =
                cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(result, "state"));
            rc =
                kith_store_schedule_set_state(ctx->store, r.name, next_state ? next_state : "null");
            cJSON_free(next_state);
        }
        rc = kith_request_end(ctx, rc);
        /* A slice that failed to settle failed: the run ends with it. */
        if (rc < 0) more = 0;
    }
    char error[512] = "";
    if (rc < 0)
        snprintf(error, sizeof(error), "%s",
                 ctx->err->message[0] ? ctx->err->message : kith_strerror(rc));
    if (!more) {
        /* The run is over: record it (note 1), in a request of its own so a
         * failed job's rollback does not take the record with it. */
        int64_t next = KITH_TIME_NONE;
        char why[256];
        if (kith_sched_next_run(r.kind, r.spec, r.tz, r.anchor, started, &next, why, sizeof(why)) <
            0)
            next = KITH_TIME_NONE;
        kith_ctx_release(ctx);
        if (kith_request_begin(ctx) == 0) {
            int rr = kith_store_schedule_finish(ctx->store, r.name, started, rc ? "error" : "ok",
                                                rc ? error : NULL, next);
            if (!rr) rr = emit_ran(ctx, r.name, rc ? "error" : "ok", rc ? error : NULL, result);
            kith_request_end(ctx, rr);
        }
        if (rc) kith_warn("sched: schedule %s: job %s failed: %s", r.name, r.job, error);
    }
    cJSON_Delete(result);
    cJSON_Delete(args);
    cJSON_Delete(state);
    kith_schedule_row_release(&r);
    return more;
}

int kith_sched_run_due(kith_ctx *ctx)
{
    char names[DUE_BATCH][128];
    int n = 0, more = 0;
    if (kith_store_schedule_due(ctx->store, ctx->now, names, DUE_BATCH, &n) < 0) return 0;
    for (int i = 0; i < n; i++)
        more |= run_one(ctx, names[i]);
    return more || n == DUE_BATCH;
}

struct start_args {
    kith_ctx *ctx;
    int skip;
};

static void start_one(void *ud, kith_schedule_row *r)
{
    struct start_args *a = ud;
    if (r->next_run == KITH_TIME_NONE || r->next_run > a->ctx->now) return;
    if (!a->skip) {
        kith_info("sched: schedule %s missed a run while stopped; running it once now", r->name);
        return;
    }
    int64_t next;
    char err[256];
    if (kith_sched_next_run(r->kind, r->spec, r->tz, r->anchor, a->ctx->now, &next, err,
                            sizeof(err)) == 0 &&
        kith_store_request_begin(a->ctx->store) == 0) {
        int rc = kith_store_schedule_set_next(a->ctx->store, r->name, next);
        kith_store_request_end(a->ctx->store, rc == 0);
        kith_info("sched: schedule %s missed a run while stopped; skipped to the next", r->name);
    }
}

void kith_sched_start(kith_ctx *ctx, int skip)
{
    struct start_args a = {ctx, skip};
    kith_store_schedule_each(ctx->store, start_one, &a);
}
