/*
 * See work.h.
 */
#include "work/work.h"
#include "commands/loyalty_ops.h"
#include "commands/due.h"
#include "commands/kpi.h"
#include "sched/sched.h"
#include "script/script.h"
#include "store/event.h"
#include "store/history.h"
#include "store/rules.h"
#include "util/log.h"

#define DAY_MS 86400000LL

/* Records of one due source fired per request. */
#define FIRE_BATCH 256

static void begin(const kith_work *w, kith_ctx *ctx, kith_call_error *err)
{
    kith_ctx_init(ctx, w->store, w->who, w->env, err);
}

/* Goals whose status moved, looked at once a second at most after a
 * commit (a goal's figures move only with writes, and the clock). */
static void watch_goals(const kith_work *w)
{
    static int64_t last;
    kith_ctx ctx;
    kith_call_error err;
    begin(w, &ctx, &err);
    int due = ctx.now - last >= 1000 || ctx.now < last;
    if (due) {
        last = ctx.now;
        if (kith_request_begin(&ctx) == 0 && kith_request_end(&ctx, kith_goal_watch(&ctx)) < 0)
            kith_warn("goals: %s", err.message);
    }
    kith_ctx_release(&ctx);
    if (due) w->commit(w->ud, "goals");
}

int kith_work_after_commit(const kith_work *w, int64_t budget_us)
{
    watch_goals(w);
    if (!w->env->script) return 0;
    kith_ctx ctx;
    kith_call_error err;
    begin(w, &ctx, &err);
    int more = kith_script_run_on(&ctx, 256);
    w->commit(w->ud, "rule handlers");
    kith_ctx_release(&ctx);
    begin(w, &ctx, &err);
    more |= kith_script_background(&ctx, budget_us);
    w->commit(w->ud, "background rules work");
    kith_ctx_release(&ctx);
    return more;
}

int kith_work_due(const kith_work *w)
{
    kith_ctx ctx;
    kith_call_error err;
    for (const kith_due_source *d = kith_due_sources; d->name; d++) {
        int n;
        do {
            begin(w, &ctx, &err);
            n = 0;
            if (kith_request_begin(&ctx) == 0) {
                int rc = kith_request_end(&ctx, d->fire(&ctx, FIRE_BATCH, &n));
                if (rc < 0) {
                    kith_warn("due: %s: %s", d->name, err.message);
                    n = 0; /* retried when the timer next fires */
                }
            }
            kith_ctx_release(&ctx);
            w->commit(w->ud, d->name);
        } while (n == FIRE_BATCH);
    }
    begin(w, &ctx, &err);
    int more = kith_sched_run_due(&ctx);
    kith_ctx_release(&ctx);
    w->commit(w->ud, "schedules");
    return more;
}

int kith_work_upkeep(const kith_work *w)
{
    kith_ctx ctx;
    kith_call_error err;
    int n = 0;
    begin(w, &ctx, &err);
    if (kith_request_begin(&ctx) == 0)
        kith_request_end(&ctx, kith_loyalty_expire(&ctx, KITH_WORK_EXPIRE_BATCH, &n));
    kith_script_save_cursor(&ctx);
    kith_ctx_release(&ctx);
    int64_t last = 0, handled = 0;
    kith_store_event_last_seq(w->store, &last);
    kith_store_meta_get(w->store, "on_seq", &handled, last);
    int64_t keep_from = last - w->keep_events + 1;
    if (keep_from > handled + 1) keep_from = handled + 1;
    int64_t min_at = ctx.now - w->keep_days * DAY_MS;
    /* Bookkeeping that touches no customer: the store's savepoint is enough
     * (request.h note 6). */
    if (kith_store_request_begin(w->store) == 0) {
        int a = kith_store_event_trim(w->store, keep_from, INT64_MAX, 10000);
        int b = kith_store_event_trim(w->store, handled + 1, min_at, 10000);
        int c = kith_store_audit_trim(w->store, ctx.now - w->keep_audit_days * DAY_MS, 10000);
        kith_store_request_end(w->store, a >= 0 && b >= 0 && c >= 0);
    }
    w->commit(w->ud, "upkeep");
    return n == KITH_WORK_EXPIRE_BATCH;
}
