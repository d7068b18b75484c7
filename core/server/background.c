/*
 * Work no client asked for, run by the server between client passes: the
 * rules engine's start and reloads, crm.on handlers and background slices
 * after each commit, reminders and schedule runs when the scheduler's timer
 * fires, and the minute upkeep (loyalty expiry, event retention).  The work
 * itself is work/ (shared with `kithd test-scripts`); this file keeps the
 * server's plumbing around it: when it runs (the scheduler's timer, the
 * idle handle, the upkeep), how it is committed (relaxed, synced by
 * durable.c) and the rules engine's life.
 */
#include "server/server_int.h"
#include "commands/commands.h"
#include "store/event.h"
#include "work/work.h"
#include "util/error.h"
#include "util/log.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Who work no client asked for acts as: admin, under the name "system". */
static kith_session *system_session(struct kith_server *srv)
{
    srv->system_session.role = KITH_ROLE_ADMIN;
    srv->system_session.authenticated = 1;
    snprintf(srv->system_session.name, sizeof(srv->system_session.name), "system");
    return &srv->system_session;
}

/* A context for that work outside work/: reloads, start and stop. */
static void system_ctx(struct kith_server *srv, kith_ctx *ctx, kith_call_error *err)
{
    kith_ctx_init(ctx, srv->store, system_session(srv), &srv->env, err);
}

/* Commits work no client waits for like a client pass: relaxed, its
 * events published once the WAL sync covers it (durable.c). */
static void commit_background(struct kith_server *srv, const char *what)
{
    if (!kith_store_in_txn(srv->store)) return;
    int wrote = 0;
    if (kith_store_commit_relaxed(srv->store, &wrote) < 0) {
        kith_error("server: commit of %s failed; it will be retried", what);
        return;
    }
    if (wrote) kith_server_committed(srv, 0);
}

/* The work module (work/) as the server runs it: acting as "system",
 * committing the background way. */
static void commit_work(void *ud, const char *what)
{
    commit_background(ud, what);
}

static kith_work work_of(struct kith_server *srv)
{
    return (kith_work){.store = srv->store,
                       .env = &srv->env,
                       .who = system_session(srv),
                       .commit = commit_work,
                       .ud = srv,
                       .keep_events = srv->cfg->event_retention_count,
                       .keep_days = srv->cfg->event_retention_days,
                       .keep_audit_days = srv->cfg->audit_retention_days};
}

/* Runs crm.on handlers for what just committed, then a slice of background
 * work, each committed on its own; keeps the idle handle on while more is
 * queued, so it goes on between client passes. */
int kith_server_rules_work(struct kith_server *srv)
{
    if (!srv->script) return 0;
    kith_work w = work_of(srv);
    return kith_work_after_commit(&w, 3000);
}

static int dispatch_call(void *ud, kith_session *s, const char *method, const cJSON *params,
                         cJSON **result, kith_call_error *err)
{
    return kith_dispatch_call(ud, s, method, params, result, err);
}

/* After a new generation is in: swap the plugin methods in the command
 * table and the tiers loyalty uses. */
static void on_reload(void *ud, const kith_command *old_methods)
{
    struct kith_server *srv = ud;
    if (old_methods) kith_dispatch_unregister(srv->dispatch, old_methods);
    const kith_command *methods = kith_script_methods(srv->script);
    if (methods && methods->name && kith_dispatch_register(srv->dispatch, methods) < 0)
        kith_error("server: a plugin method clashes with an existing method; plugin methods "
                   "are not served until that is fixed");
    srv->env.tiers = kith_script_tiers(srv->script, &srv->env.ntiers);
}

void kith_server_reload_rules(struct kith_server *srv, int force, const char *why)
{
    kith_ctx ctx;
    kith_call_error err;
    system_ctx(srv, &ctx, &err);
    char msg[1024];
    int changed = 0;
    if (kith_script_reload(srv->script, &ctx, force, &changed, msg, sizeof(msg)) == 0 && changed)
        kith_info("server: rules reloaded (%s): generation %lld", why,
                  (long long)kith_script_generation(srv->script));
    kith_ctx_release(&ctx);
    commit_background(srv, "the reload");
}

/* Time-driven work: reminders that fell due, then a slice of every due
 * schedule (a sliced job's next slice comes with the next timer). */
static void due_work(struct kith_server *srv)
{
    kith_work w = work_of(srv);
    kith_work_due(&w);
}

/* The value model's daily refresh, on a worker like value.fit's. */
struct refit {
    uv_work_t work;
    kith_offload *job;
};

static void refit_run(uv_work_t *w)
{
    struct refit *r = w->data;
    r->job->run(r->job);
}

static void refit_done(uv_work_t *w, int status)
{
    struct refit *r = w->data;
    cJSON *result = NULL;
    kith_call_error err = {0};
    if (r->job->finish(r->job, status < 0 ? KITH_EIO : 0, &result, &err) < 0)
        kith_warn("value: the daily refit failed: %s", err.message);
    cJSON_Delete(result);
    cJSON_Delete(err.data);
    free(r);
}

static void start_refit(struct kith_server *srv)
{
    kith_offload *job = kith_value_refit_job(srv->store, srv->env.data_dir, kith_time_now_ms());
    if (!job) return;
    struct refit *r = calloc(1, sizeof(*r));
    if (r) {
        r->job = job;
        r->work.data = r;
        if (uv_queue_work(&srv->loop, &r->work, refit_run, refit_done) == 0) return;
        free(r);
    }
    cJSON *result = NULL;
    kith_call_error err = {0};
    job->finish(job, KITH_EIO, &result, &err); /* frees the job */
    cJSON_Delete(result);
    cJSON_Delete(err.data);
}

/* Every minute: a batch of expired loyalty points, the event log past its
 * retention, and the value model's refit once it is a day old. */
void kith_server_upkeep(struct kith_server *srv)
{
    kith_work w = work_of(srv);
    kith_work_upkeep(&w);
    start_refit(srv);
}

static void on_due(void *ud)
{
    struct kith_server *srv = ud;
    due_work(srv);
    int more = kith_server_publish(srv);
    kith_server_flush_dirty(srv);
    more |= kith_server_rules_work(srv);
    more |= kith_server_publish(srv);
    kith_server_flush_dirty(srv);
    kith_server_want_more(srv, more);
    /* A sliced job still running is due again at once: the timer's minimum
     * delay (1 ms) leaves the loop to clients between slices. */
    kith_sched_arm(&srv->sched, srv->store, kith_time_now_ms() + srv->env.clock_offset_ms);
}

static void on_rules_changed(void *ud)
{
    kith_server_reload_rules(ud, 0, "files changed");
}

int kith_server_rules_start(struct kith_server *srv)
{
    const kith_config *cfg = srv->cfg;
    kith_script_options so;
    kith_config_script_options(cfg, &so);
    srv->script = kith_script_new(&so);
    if (!srv->script) return KITH_ENOMEM;
    srv->env.script = srv->script;
    srv->env.hooks = &kith_script_request_hooks;
    srv->env.settle_times = kith_script_settle_times();
    kith_script_set_caller(srv->script, dispatch_call, srv->dispatch);
    kith_script_set_on_reload(srv->script, on_reload, srv);
    kith_server_reload_rules(srv, 1, "start");
    /* Rules that do not load (a syntax error, a bad plugin setting) stop
     * the start like a bad option: serving with none would take orders
     * that earn no points and put no one in a segment. */
    if (kith_script_generation(srv->script) == 0) {
        kith_error("server: the rules do not load, so kithd does not start: %s",
                   kith_script_last_error(srv->script));
        return KITH_ESCRIPT;
    }
    kith_sched_init(&srv->sched, &srv->loop, on_due, srv);
    kith_ctx ctx;
    kith_call_error err;
    system_ctx(srv, &ctx, &err);
    /* The crm.on cursor is fixed before anything below or a client commits
     * an event, so the reminders that fire at start are owed to handlers. */
    if (kith_script_start_cursor(&ctx) < 0)
        kith_warn("server: the crm.on cursor was not loaded; the first handler pass retries");
    kith_sched_start(&ctx, (int)cfg->schedule_skip_missed);
    kith_ctx_release(&ctx);
    commit_background(srv, "schedule start");
    srv->last_upkeep = uv_now(&srv->loop);
    /* Reminders and runs that fell due while stopped fire right away. */
    kith_sched_arm(&srv->sched, srv->store, kith_time_now_ms());
    if (cfg->watch_scripts) {
        kith_watch_start(&srv->watch, &srv->loop, cfg->scripts, cfg->plugins, on_rules_changed,
                         srv);
        srv->watch_on = 1;
    }
    return 0;
}

void kith_server_rules_stop(struct kith_server *srv)
{
    kith_ctx ctx;
    kith_call_error err;
    system_ctx(srv, &ctx, &err);
    kith_script_save_cursor(&ctx);
    kith_ctx_release(&ctx);
}
