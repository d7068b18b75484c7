/*
 * Rules run outside a client's write: crm.on handlers after commit (each in
 * its own request, resuming from a cursor kept in the store so a restart
 * neither skips nor repeats a handled event), jobs, plugin methods and
 * script.eval.
 */
#include "script/convert.h"
#include "pubsub/pubsub.h"
#include "script/engine.h"
#include "store/event.h"
#include "store/rules.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

static int any_on_hooks(kith_generation *g)
{
    for (size_t i = 0; i < g->nhooks; i++)
        if (g->hooks[i].kind == KITH_HOOK_ON) return 1;
    return 0;
}

static int wants(kith_generation *g, const char *type)
{
    for (size_t i = 0; i < g->nhooks; i++)
        if (g->hooks[i].kind == KITH_HOOK_ON && kith_glob_match(g->hooks[i].event, type)) return 1;
    return 0;
}

/* Runs one event's on-handlers in their own request; the cursor is stored
 * in that same transaction, so a handled event is never handled again. */
static void handle_event(kith_ctx *ctx, const cJSON *ev)
{
    const char *type = kith_json_get_str(ev, "type");
    int64_t seq = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(ev, "seq"));
    int64_t saved_now = ctx->now;
    ctx->now = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(ev, "at"));
    if (kith_request_begin(ctx) < 0) {
        ctx->now = saved_now;
        return;
    }
    cJSON *payload = cJSON_Duplicate(cJSON_GetObjectItem(ev, "data"), 1);
    cJSON_AddNumberToObject(payload, "seq", (double)seq);
    int rc = kith_script_run_hooks_on(ctx, type, payload);
    if (!rc) rc = kith_store_meta_set(ctx->store, "on_seq", seq);
    rc = kith_request_end(ctx, rc);
    cJSON_Delete(payload);
    if (rc < 0) {
        /* The handler's writes are gone; the stream moves on, and the
         * failure is recorded where people look. */
        cJSON *err = cJSON_CreateObject();
        cJSON_AddStringToObject(err, "error", ctx->err->message);
        cJSON_AddStringToObject(err, "event", type);
        kith_json_add_int(err, "seq", seq);
        if (ctx->err->data) cJSON_AddItemToObject(err, "at", cJSON_Duplicate(ctx->err->data, 1));
        if (kith_store_request_begin(ctx->store) == 0) {
            int r = kith_store_meta_set(ctx->store, "on_seq", seq);
            if (!r) r = kith_store_event_append(ctx->store, "script.error", 0, err, ctx->now, NULL);
            kith_store_request_end(ctx->store, r == 0);
        }
        cJSON_Delete(err);
    }
    ctx->now = saved_now;
}

struct wanted_events {
    kith_generation *gen;
    cJSON *events;
    int64_t upto;
};

/* Keeps only the events some handler wants, parsing just those: most
 * events have no crm.on handler, and parsing every one showed in profiles. */
static int is_wanted(void *ud, int64_t seq, const char *type)
{
    struct wanted_events *w = ud;
    w->upto = seq;
    return wants(w->gen, type);
}

static void collect_wanted(void *ud, int64_t seq, const char *type, int64_t customer_id, int64_t at,
                           const char *data, size_t len)
{
    struct wanted_events *w = ud;
    cJSON *e = cJSON_CreateObject();
    kith_json_add_int(e, "seq", seq);
    cJSON_AddStringToObject(e, "type", type);
    kith_json_add_int(e, "customer_id", customer_id);
    kith_json_add_int(e, "at", at);
    cJSON *d = cJSON_ParseWithLength(data, len);
    cJSON_AddItemToObject(e, "data", d ? d : cJSON_CreateObject());
    cJSON_AddItemToArray(w->events, e);
}

int kith_script_run_on(kith_ctx *ctx, int max_events)
{
    kith_script *sc = ctx->env->script;
    if (!sc) return 0;
    int64_t last = 0;
    if (kith_store_event_last_seq(ctx->store, &last) < 0) return 0;
    if (sc->on_cursor < 0 && kith_script_start_cursor(ctx) < 0) return 0;
    if (sc->on_cursor >= last) return 0;
    if (!sc->gen || !any_on_hooks(sc->gen)) {
        /* Nothing listens: nothing is owed for these events.  The cursor
         * moves in memory; upkeep stores it now and then. */
        sc->on_cursor = last;
        return 0;
    }
    struct wanted_events w = {sc->gen, cJSON_CreateArray(), sc->on_cursor};
    if (kith_store_event_scan_filtered(ctx->store, sc->on_cursor, max_events, is_wanted,
                                       collect_wanted, &w) < 0) {
        cJSON_Delete(w.events);
        return 0;
    }
    const cJSON *ev;
    cJSON_ArrayForEach(ev, w.events) handle_event(ctx, ev);
    cJSON_Delete(w.events);
    sc->on_cursor = w.upto;
    return w.upto < last;
}

int kith_script_start_cursor(kith_ctx *ctx)
{
    kith_script *sc = ctx->env->script;
    if (!sc || sc->on_cursor >= 0) return 0;
    int64_t stored = -1, last = 0;
    int rc = kith_store_meta_get(ctx->store, "on_seq", &stored, -1);
    if (rc < 0) return rc;
    if (stored >= 0) {
        sc->on_cursor = stored;
        return 0;
    }
    /* A store that never had a cursor starts at the present, and stores
     * that at once: kept in memory only, a kill -9 would let the next start
     * pick a later present and skip what was committed in between (and
     * what due sources fire as it starts). */
    if ((rc = kith_store_event_last_seq(ctx->store, &last)) < 0) return rc;
    if ((rc = kith_store_request_begin(ctx->store)) < 0) return rc;
    rc = kith_store_meta_set(ctx->store, "on_seq", last);
    int end = kith_store_request_end(ctx->store, rc == 0);
    if (!rc) rc = end;
    if (!rc) sc->on_cursor = last;
    return rc;
}

int kith_script_save_cursor(kith_ctx *ctx)
{
    kith_script *sc = ctx->env->script;
    if (!sc || sc->on_cursor < 0) return 0;
    int64_t stored = -1;
    kith_store_meta_get(ctx->store, "on_seq", &stored, -1);
    if (stored >= sc->on_cursor) return 0;
    int rc = kith_store_request_begin(ctx->store);
    if (rc < 0) return rc;
    rc = kith_store_meta_set(ctx->store, "on_seq", sc->on_cursor);
    kith_store_request_end(ctx->store, rc == 0);
    return rc;
}

/* ---- jobs, methods, eval ---- */

int kith_script_has_job(const kith_script *sc, const char *name)
{
    for (size_t i = 0; sc && sc->gen && i < sc->gen->njobs; i++)
        if (strcmp(sc->gen->jobs[i].name, name) == 0) return 1;
    return 0;
}

int kith_script_run_job(kith_ctx *ctx, const char *name, const cJSON *args, const cJSON *state,
                        const char *schedule, cJSON **result)
{
    kith_script *sc = ctx->env->script;
    kith_generation *g = sc ? sc->gen : NULL;
    kith_jobdef *j = NULL;
    for (size_t i = 0; g && i < g->njobs; i++)
        if (strcmp(g->jobs[i].name, name) == 0) j = &g->jobs[i];
    if (!j)
        return kith_ctx_fail(ctx, KITH_ENOTFOUND, "job", "no rule registered the job '%s'", name);
    lua_State *L = g->L;
    if (!lua_checkstack(L, 4)) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    cJSON *c = cJSON_CreateObject();
    cJSON_AddItemToObject(c, "args", args ? cJSON_Duplicate(args, 1) : cJSON_CreateObject());
    if (state) cJSON_AddItemToObject(c, "state", cJSON_Duplicate(state, 1));
    kith_json_add_str(c, "schedule", schedule);
    kith_json_add_int(c, "now", ctx->now);
    kith_lua_push_json(L, c);
    cJSON_Delete(c);
    sc->running_plugin = j->plugin;
    char what[512];
    snprintf(what, sizeof(what), "job '%s'", name);
    sc->enter_kind = KITH_ACT_JOB;
    sc->enter_name = j->name;
    int rc = kith_call_ref(g, ctx, j->ref, 1, 1, j->file, j->line, what);
    sc->running_plugin = NULL;
    if (rc) return rc;
    char err[256];
    if (kith_lua_to_json(L, -1, result, err, sizeof(err)) < 0) *result = cJSON_CreateNull();
    lua_pop(L, 1);
    return 0;
}

int kith_script_method_handler(kith_ctx *ctx, const cJSON *params, cJSON **result);

int kith_script_method_handler(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    kith_script *sc = ctx->env->script;
    kith_generation *g = sc ? sc->gen : NULL;
    kith_methoddef *m = NULL;
    for (size_t i = 0; g && i < g->nmethods; i++)
        if (strcmp(g->methods[i].name, ctx->cmd->name) == 0) m = &g->methods[i];
    if (!m)
        return kith_ctx_fail(ctx, KITH_ENOMETHOD, NULL, "%s is gone (rules reloaded)",
                             ctx->cmd->name);
    lua_State *L = g->L;
    if (!lua_checkstack(L, 4)) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    kith_lua_push_json(L, params);
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "caller", ctx->session->name);
    cJSON_AddStringToObject(c, "role", kith_role_name(ctx->session->role));
    kith_lua_push_json(L, c);
    cJSON_Delete(c);
    sc->running_plugin = m->plugin;
    sc->enter_kind = KITH_ACT_CALLER;
    int rc = kith_call_ref(g, ctx, m->ref, 2, 1, m->name, 0, m->name);
    sc->running_plugin = NULL;
    if (rc) return rc;
    char err[256];
    int crc = kith_lua_to_json(L, -1, result, err, sizeof(err));
    if (crc < 0) {
        lua_pop(L, 1);
        return kith_ctx_fail(ctx, crc == KITH_ESCRIPTLIMIT ? crc : KITH_ESCRIPT, NULL,
                             "%s returned a value JSON cannot hold: %s", m->name, err);
    }
    lua_pop(L, 1);
    return 0;
}

struct eval_args {
    const char *code;
    const cJSON *args;
};

static int eval_protected(lua_State *L)
{
    struct eval_args *a = lua_touserdata(L, 1);
    kith_sandbox_push_env(L);
    if (kith_sandbox_load(L, a->code, strlen(a->code), "=script.eval", -1) < 0) lua_error(L);
    kith_lua_push_json(L, a->args);
    lua_call(L, 1, 1);
    return 1;
}

int kith_script_eval(kith_ctx *ctx, const char *code, const cJSON *args, cJSON **result)
{
    kith_script *sc = ctx->env->script;
    kith_generation *g = sc ? sc->gen : NULL;
    if (!g) return kith_ctx_fail(ctx, KITH_ESCRIPT, NULL, "no rules are loaded");
    struct eval_args a = {code, args};
    lua_State *L = g->L;
    lua_pushcfunction(L, eval_protected);
    lua_pushlightuserdata(L, &a);
    kith_ctx *saved = sc->ctx;
    sc->ctx = ctx;
    sc->running_file = "script.eval";
    kith_lua_error e;
    int rc = kith_lua_pcall(L, 1, 1, &e);
    sc->ctx = saved;
    sc->running_file = NULL;
    if (rc < 0) return kith_fail_lua(ctx, &e, "script.eval", 0, "script.eval");
    char err[256];
    int crc = kith_lua_to_json(L, -1, result, err, sizeof(err));
    if (crc < 0) {
        lua_pop(L, 1);
        return kith_ctx_fail(ctx, crc == KITH_ESCRIPTLIMIT ? crc : KITH_ESCRIPT, NULL,
                             "the result cannot be JSON: %s", err);
    }
    lua_pop(L, 1);
    return 0;
}
