/*
 * Running rules inside requests: before hooks, event emission with after
 * hooks, settling touched customers (segments and churn), crm.on handlers
 * after commit, jobs, plugin methods and script.eval.
 *
 * DESIGN NOTES
 *   1. Every entry into Lua goes through kith_call_ref (or kith_lua_pcall
 *      directly for eval), so budgets and tracebacks always apply.
 *   2. sc->ctx names the request rules run in; it is saved and restored
 *      around nested entries, so a rule's crm.call that triggers more hooks
 *      returns to the right request.
 *   3. sc->depth counts emit -> after-hook nesting; past max_hook_depth the
 *      request fails, which stops a rule that re-triggers itself.
 *   4. Touched customers are collected per outermost request and settled
 *      once at its end, in rounds until nothing new is touched.
 */
#include "pubsub/pubsub.h"
#include "script/convert.h"
#include "script/engine.h"
#include "store/customer.h"
#include "store/event.h"
#include "store/rules.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static uint64_t mono_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int kith_fail_lua(kith_ctx *ctx, const kith_lua_error *e, const char *file, int line,
                  const char *what)
{
    const char *script = e->script[0] ? e->script : file;
    int at = e->line ? e->line : line;
    int code = e->code;
    /* An error that came from a method a rule called keeps its own code. */
    if (code != KITH_ESCRIPT && code != KITH_ESCRIPTLIMIT) {
        kith_ctx_fail(ctx, code, NULL, "%s", e->message);
    } else if (e->script[0]) {
        kith_ctx_fail(ctx, code, NULL, "%s (in %s)", e->message, what);
    } else {
        kith_ctx_fail(ctx, code, NULL, "%s:%d: %s (in %s)", script ? script : "?", at, e->message,
                      what);
    }
    if (script && (code == KITH_ESCRIPT || code == KITH_ESCRIPTLIMIT)) {
        cJSON_Delete(ctx->err->data);
        ctx->err->data = cJSON_CreateObject();
        cJSON_AddStringToObject(ctx->err->data, "script", script);
        kith_json_add_int(ctx->err->data, "line", at);
    }
    kith_warn("script: %s: %s", what, ctx->err->message);
    return code;
}

int kith_call_ref(kith_generation *g, kith_ctx *ctx, int ref, int nargs, int nresults,
                  const char *file, int line, const char *what)
{
    kith_script *sc = g->engine;
    lua_State *L = g->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_insert(L, -nargs - 1);
    kith_ctx *saved = sc->ctx;
    const char *saved_file = sc->running_file, *saved_act = sc->act_name;
    int saved_kind = sc->act_kind;
    sc->ctx = ctx;
    sc->running_file = file;
    sc->act_kind = sc->enter_kind;
    sc->act_name = sc->enter_kind == KITH_ACT_JOB      ? sc->enter_name
                   : sc->enter_kind == KITH_ACT_CALLER ? NULL
                                                       : file;
    sc->enter_kind = KITH_ACT_RULE;
    kith_lua_error e;
    int rc = kith_lua_pcall(L, nargs, nresults, &e);
    sc->ctx = saved;
    sc->running_file = saved_file;
    sc->act_kind = saved_kind;
    sc->act_name = saved_act;
    if (rc < 0) return kith_fail_lua(ctx, &e, file, line, what);
    return 0;
}

void kith_touch(kith_script *sc, int64_t id, int record)
{
    if (id <= 0) return;
    for (int i = 0; i < sc->ntouched; i++)
        if (sc->touched[i] == id) {
            sc->rescore[i] |= (unsigned char)record;
            return;
        }
    if (sc->ntouched == KITH_MAX_TOUCHED) {
        sc->touched_overflow = 1;
        return;
    }
    sc->rescore[sc->ntouched] = (unsigned char)record;
    sc->touched[sc->ntouched++] = id;
}

/* Whether an event wrote the fields a duplicate score reads: the customer
 * record itself.  An order, points or a stage move (an update whose only
 * change is `stage`) leave the match keys and the score as they were, so
 * the order path does not score the customer's candidates again. */
static int writes_record(const char *type, const cJSON *data)
{
    if (strncmp(type, "customer.", 9) != 0) return 0;
    const char *what = type + 9;
    if (strcmp(what, "created") == 0 || strcmp(what, "merged") == 0) return 1;
    if (strcmp(what, "updated") != 0) return 0;
    const cJSON *changes = cJSON_GetObjectItemCaseSensitive(data, "changes");
    if (!cJSON_IsObject(changes)) return 1;
    for (const cJSON *ch = changes->child; ch; ch = ch->next)
        if (!ch->string || strcmp(ch->string, "stage") != 0) return 1;
    return 0;
}

/* ---- before hooks ---- */

/* Pushes the event table: ev's members, plus type and at. */
static void push_event(lua_State *L, const char *type, int64_t at, const cJSON *ev)
{
    kith_lua_push_json(L, ev);
    lua_pushstring(L, type);
    lua_setfield(L, -2, "type");
    lua_pushinteger(L, at);
    lua_setfield(L, -2, "at");
}

struct before_args {
    kith_generation *g;
    kith_ctx *ctx;
    const char *type, *kind;
    cJSON *ev;
    int rc;
};

/* Inside protection: builds the event once, runs each matching before hook
 * on it, and reads the record back. */
static int before_protected(lua_State *L)
{
    struct before_args *a = lua_touserdata(L, 1);
    kith_generation *g = a->g;
    push_event(L, a->type, a->ctx->now, a->ev);
    int ev = lua_gettop(L);
    for (size_t i = 0; i < g->nhooks && a->rc == 0; i++) {
        kith_hook *h = &g->hooks[i];
        if (h->kind != KITH_HOOK_BEFORE || strcmp(h->event, a->type) != 0) continue;
        uint64_t t0 = mono_usec();
        g->engine->running_plugin = h->plugin;
        lua_pushvalue(L, ev);
        char what[512];
        snprintf(what, sizeof(what), "crm.before('%s') hook at %s:%d", h->event, h->file, h->line);
        a->rc = kith_call_ref(g, a->ctx, h->ref, 1, 0, h->file, h->line, what);
        g->engine->running_plugin = NULL;
        h->calls++;
        h->usec += mono_usec() - t0;
        if (a->rc) h->errors++;
    }
    if (a->rc == 0) {
        lua_getfield(L, ev, a->kind);
        char err[256];
        cJSON *rec = NULL;
        if (kith_lua_to_json(L, -1, &rec, err, sizeof(err)) < 0 || !cJSON_IsObject(rec)) {
            cJSON_Delete(rec);
            a->rc = kith_ctx_fail(a->ctx, KITH_ESCRIPT, NULL,
                                  "a before hook left ev.%s unusable: %s", a->kind, err);
        } else {
            cJSON_ReplaceItemInObjectCaseSensitive(a->ev, a->kind, rec);
        }
    }
    return 0;
}

static int has_hooks(kith_generation *g, int kind, const char *type)
{
    for (size_t i = 0; i < g->nhooks; i++)
        if (g->hooks[i].kind == kind && strcmp(g->hooks[i].event, type) == 0) return 1;
    return 0;
}

int kith_script_before(kith_ctx *ctx, const char *type, const char *kind, cJSON *ev)
{
    kith_script *sc = ctx->env->script;
    kith_generation *g = sc ? sc->gen : NULL;
    if (!g || !has_hooks(g, KITH_HOOK_BEFORE, type)) return 0;
    struct before_args a = {g, ctx, type, kind, ev, 0};
    lua_pushcfunction(g->L, before_protected);
    lua_pushlightuserdata(g->L, &a);
    kith_lua_error e;
    int rc = kith_lua_pcall(g->L, 1, 0, &e);
    if (rc < 0) return kith_fail_lua(ctx, &e, NULL, 0, "a before hook");
    return a.rc;
}

/* ---- emit and after hooks ---- */

struct after_args {
    kith_generation *g;
    kith_ctx *ctx;
    const char *type;
    const cJSON *data;
    int kind;
    int rc;
};

static int hook_matches(const kith_hook *h, int kind, const char *type)
{
    return h->kind == kind &&
           (kind == KITH_HOOK_ON ? kith_glob_match(h->event, type) : strcmp(h->event, type) == 0);
}

static int hooks_protected(lua_State *L)
{
    struct after_args *a = lua_touserdata(L, 1);
    kith_generation *g = a->g;
    push_event(L, a->type, a->ctx->now, a->data);
    int ev = lua_gettop(L);
    for (size_t i = 0; i < g->nhooks && a->rc == 0; i++) {
        kith_hook *h = &g->hooks[i];
        if (!hook_matches(h, a->kind, a->type)) continue;
        uint64_t t0 = mono_usec();
        g->engine->running_plugin = h->plugin;
        lua_pushvalue(L, ev);
        char what[512];
        snprintf(what, sizeof(what), "crm.%s('%s') hook at %s:%d",
                 a->kind == KITH_HOOK_ON ? "on" : "after", h->event, h->file, h->line);
        a->rc = kith_call_ref(g, a->ctx, h->ref, 1, 0, h->file, h->line, what);
        g->engine->running_plugin = NULL;
        h->calls++;
        h->usec += mono_usec() - t0;
        if (a->rc) h->errors++;
    }
    return 0;
}

static int run_hooks(kith_generation *g, kith_ctx *ctx, int kind, const char *type,
                     const cJSON *data)
{
    int any = 0;
    for (size_t i = 0; i < g->nhooks && !any; i++)
        any = hook_matches(&g->hooks[i], kind, type);
    if (!any) return 0;
    struct after_args a = {g, ctx, type, data, kind, 0};
    lua_pushcfunction(g->L, hooks_protected);
    lua_pushlightuserdata(g->L, &a);
    kith_lua_error e;
    int rc = kith_lua_pcall(g->L, 1, 0, &e);
    if (rc < 0) return kith_fail_lua(ctx, &e, NULL, 0, "a hook");
    return a.rc;
}

/* A rule file as users name it: its name inside the scripts folder
 * ("loyalty.lua"), or "<plugin>/plugin.lua" for a plugin's file. */
static const char *file_name(const char *path)
{
    const char *base = strrchr(path, '/');
    if (!base) return path;
    if (strcmp(base, "/plugin.lua") != 0) return base + 1;
    const char *dir = base;
    while (dir > path && dir[-1] != '/')
        dir--;
    return dir;
}

const char *kith_script_actor(const kith_ctx *ctx, char *buf, size_t len)
{
    const kith_script *sc = ctx->env ? ctx->env->script : NULL;
    if (!sc || !sc->act_name) return ctx->session ? ctx->session->name : "system";
    if (sc->act_kind == KITH_ACT_JOB)
        snprintf(buf, len, "job:%s", sc->act_name);
    else
        snprintf(buf, len, "rule:%s", file_name(sc->act_name));
    return buf;
}

/* Appends the event with `by` (who acted) added to its data unless the
 * writer named one itself; the caller's object is left as it was. */
static int append_event(kith_ctx *ctx, const char *type, int64_t customer_id, const cJSON *data)
{
    cJSON *d = (cJSON *)data, *by = NULL;
    if (cJSON_IsObject(d) && !cJSON_GetObjectItemCaseSensitive(d, "by")) {
        char buf[KITH_ACTOR_MAX];
        by = cJSON_CreateString(kith_script_actor(ctx, buf, sizeof(buf)));
        if (!by) return KITH_ENOMEM;
        cJSON_AddItemToObject(d, "by", by);
    }
    int rc = kith_store_event_append(ctx->store, type, customer_id, d, ctx->now, NULL);
    if (by) cJSON_Delete(cJSON_DetachItemViaPointer(d, by));
    return rc;
}

int kith_script_emit(kith_ctx *ctx, const char *type, int64_t customer_id, const cJSON *data)
{
    int rc = append_event(ctx, type, customer_id, data);
    if (rc < 0) return kith_ctx_fail(ctx, rc, NULL, "cannot record the %s event", type);
    kith_script *sc = ctx->env->script;
    if (!sc || !sc->gen) return 0;
    /* Segment and churn events are what settling produces; touching their
     * customer again would only repeat the evaluation. */
    if (strcmp(type, "customer.deleted") != 0 && strncmp(type, "segment.", 8) != 0 &&
        strncmp(type, "churn.", 6) != 0)
        kith_touch(sc, customer_id, writes_record(type, data));
    if (sc->depth >= sc->opt.max_hook_depth)
        return kith_ctx_fail(ctx, KITH_ESCRIPT, NULL,
                             "rules triggered each other more than %d levels deep (at %s); "
                             "a hook probably re-triggers itself",
                             sc->opt.max_hook_depth, type);
    sc->depth++;
    rc = run_hooks(sc->gen, ctx, KITH_HOOK_AFTER, type, data);
    sc->depth--;
    return rc;
}

int kith_script_run_hooks_on(kith_ctx *ctx, const char *type, const cJSON *data)
{
    kith_script *sc = ctx->env->script;
    if (!sc || !sc->gen) return 0;
    return run_hooks(sc->gen, ctx, KITH_HOOK_ON, type, data);
}
