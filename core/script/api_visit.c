/*
 * crm.visits{...} (the visit cadence) and crm.visit.get: see api_visit.h.
 *
 * The cadence is kept as one table in the generation's registry:
 *   {lead = ms, grace = ms, file = "scripts/visits.lua", line = 12,
 *    [1] = {class = "key", every = ms, ref = <match fn ref or nil>}, ...}
 * so a reload drops it with the state and nothing outlives its generation.
 */
#include "script/api_visit.h"
#include "script/convert.h"
#include "script/engine.h"
#include "store/visit.h"
#include "util/error.h"
#include "util/timefmt.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#define CADENCE_KEY "kith.visits"
#define MAX_ENTRIES 64

/* A duration field of the table at `idx`: a string like "4h" or a number of
 * ms; `def` when absent.  Raises on anything else. */
static int64_t duration_field(lua_State *L, int idx, const char *key, int64_t def, int64_t min)
{
    int64_t ms = def;
    int t = lua_getfield(L, idx, key);
    if (t == LUA_TSTRING && !lua_isnumber(L, -1)) {
        if (kith_time_parse_duration(lua_tostring(L, -1), &ms) < 0)
            luaL_error(L, "crm.visits: %s '%s' is not a duration like 30d", key,
                       lua_tostring(L, -1));
    } else if (t == LUA_TNUMBER && lua_isinteger(L, -1)) {
        ms = lua_tointeger(L, -1);
    } else if (t != LUA_TNIL) {
        luaL_error(L, "crm.visits: %s must be a duration like \"1d\" or a number of ms", key);
    }
    if (ms < min) luaL_error(L, "crm.visits: %s must be at least %d ms", key, (int)min);
    lua_pop(L, 1);
    return ms;
}

static int l_visits(lua_State *L)
{
    kith_generation *g = kith_gen_of(L);
    if (!g->loading) return luaL_error(L, "crm.visits may only be called while a rule file loads");
    luaL_checktype(L, 1, LUA_TTABLE);
    if (lua_getfield(L, LUA_REGISTRYINDEX, CADENCE_KEY) == LUA_TTABLE) {
        lua_getfield(L, -1, "file");
        lua_getfield(L, -2, "line");
        return luaL_error(L, "crm.visits: the visit cadence is already defined at %s:%d",
                          lua_tostring(L, -2), (int)lua_tointeger(L, -1));
    }
    lua_pop(L, 1);
    lua_createtable(L, 4, 4);
    int out = lua_gettop(L);
    lua_pushinteger(L, duration_field(L, 1, "lead", KITH_VISIT_DEFAULT_LEAD, 0));
    lua_setfield(L, out, "lead");
    lua_pushinteger(L, duration_field(L, 1, "grace", KITH_VISIT_DEFAULT_GRACE, 0));
    lua_setfield(L, out, "grace");
    lua_Integer n = luaL_len(L, 1);
    if (n > MAX_ENTRIES) return luaL_error(L, "crm.visits: at most %d classes", MAX_ENTRIES);
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_geti(L, 1, i) != LUA_TTABLE)
            return luaL_error(L, "crm.visits: entry %d must be {class=, every=, match=}", (int)i);
        int e = lua_gettop(L);
        lua_getfield(L, e, "class");
        const char *cls = lua_tostring(L, -1);
        size_t len = cls ? strlen(cls) : 0;
        if (!cls || lua_type(L, -1) != LUA_TSTRING || len == 0 || len >= KITH_VISIT_CLASS_MAX)
            return luaL_error(L, "crm.visits: entry %d needs class, a name of 1-%d characters",
                              (int)i, KITH_VISIT_CLASS_MAX - 1);
        for (lua_Integer k = 1; k < i; k++) {
            lua_geti(L, out, k);
            lua_getfield(L, -1, "class");
            if (strcmp(lua_tostring(L, -1), cls) == 0)
                return luaL_error(L, "crm.visits: class '%s' appears twice", cls);
            lua_pop(L, 2);
        }
        lua_createtable(L, 0, 3);
        lua_pushvalue(L, -2);
        lua_setfield(L, -2, "class");
        if (lua_getfield(L, e, "every") == LUA_TNIL)
            return luaL_error(L, "crm.visits: class '%s' needs every, a duration like 30d", cls);
        lua_pop(L, 1);
        lua_pushinteger(L, duration_field(L, e, "every", 0, 1000));
        lua_setfield(L, -2, "every");
        int mt = lua_getfield(L, e, "match");
        if (mt == LUA_TFUNCTION) {
            lua_pushinteger(L, luaL_ref(L, LUA_REGISTRYINDEX));
            lua_setfield(L, -2, "ref");
        } else if (mt == LUA_TNIL) {
            lua_pop(L, 1);
        } else {
            return luaL_error(L, "crm.visits: match of class '%s' must be a function", cls);
        }
        lua_seti(L, out, i);
        lua_settop(L, out);
    }
    lua_Debug ar;
    char file[256] = "?";
    int line = 0;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar)) {
        snprintf(file, sizeof(file), "%s", ar.source[0] == '@' ? ar.source + 1 : ar.short_src);
        line = ar.currentline;
    }
    lua_pushstring(L, file);
    lua_setfield(L, out, "file");
    lua_pushinteger(L, line);
    lua_setfield(L, out, "line");
    lua_setfield(L, LUA_REGISTRYINDEX, CADENCE_KEY);
    return 0;
}

static int l_visit_get(lua_State *L)
{
    kith_script *sc = kith_gen_of(L)->engine;
    lua_Integer id = luaL_checkinteger(L, 1);
    if (!sc->ctx) return luaL_error(L, "crm.visit.get cannot be used while the rules load");
    cJSON *v = NULL;
    int rc = kith_store_visit_get(sc->ctx->store, id, &v);
    if (rc == KITH_ENOTFOUND) {
        lua_pushnil(L);
        return 1;
    }
    if (rc < 0) return luaL_error(L, "crm.visit.get: %s", kith_strerror(rc));
    kith_lua_push_json(L, v);
    cJSON_Delete(v);
    return 1;
}

void kith_api_visit(lua_State *L, int crm)
{
    static const luaL_Reg visit[] = {{"get", l_visit_get}, {NULL, NULL}};
    lua_pushcfunction(L, l_visits);
    lua_setfield(L, crm, "visits");
    luaL_newlib(L, visit);
    kith_sandbox_push_readonly(L, -1);
    lua_setfield(L, crm, "visit");
    lua_pop(L, 1);
}

/* Pushes the running cadence table (or nil).  Stack effect: +1. */
static int push_cadence(const kith_script *sc)
{
    if (!sc || !sc->gen) return 0;
    return lua_getfield(sc->gen->L, LUA_REGISTRYINDEX, CADENCE_KEY) == LUA_TTABLE ? 1 : -1;
}

void kith_script_visit_timing(const kith_script *sc, int64_t *lead, int64_t *grace)
{
    *lead = KITH_VISIT_DEFAULT_LEAD;
    *grace = KITH_VISIT_DEFAULT_GRACE;
    int got = push_cadence(sc);
    if (!got) return;
    lua_State *L = sc->gen->L;
    if (got > 0) {
        lua_getfield(L, -1, "lead");
        lua_getfield(L, -2, "grace");
        *lead = lua_tointeger(L, -2);
        *grace = lua_tointeger(L, -1);
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
}

int kith_script_visit_has_cadence(const kith_script *sc)
{
    int got = push_cadence(sc);
    if (got) lua_pop(sc->gen->L, 1);
    return got > 0;
}

int kith_script_visit_has_class(const kith_script *sc, const char *cls)
{
    int got = push_cadence(sc), found = 0;
    if (!got) return 0;
    lua_State *L = sc->gen->L;
    for (lua_Integer i = 1; got > 0 && !found; i++) {
        if (lua_geti(L, -1, i) != LUA_TTABLE) {
            lua_pop(L, 1);
            break;
        }
        lua_getfield(L, -1, "class");
        found = strcmp(lua_tostring(L, -1), cls) == 0;
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    return found;
}

struct cadence_args {
    kith_generation *g;
    kith_ctx *ctx;
    int64_t id;
    char *cls;
    size_t len;
    int64_t *every;
    int rc; /* 1 matched, 0 none, < 0 failure in ctx */
};

/* Runs under kith_lua_pcall: the customer and stats, then each entry in
 * order until one matches.  A rule's error is recorded in ctx, not raised. */
static int cadence_protected(lua_State *L)
{
    struct cadence_args *a = lua_touserdata(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, CADENCE_KEY);
    int cad = lua_gettop(L);
    char file[256];
    lua_getfield(L, cad, "file");
    snprintf(file, sizeof(file), "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
    lua_getfield(L, cad, "line");
    int line = (int)lua_tointeger(L, -1);
    lua_settop(L, cad);
    int rc = kith_push_customer_and_stats(a->g, a->ctx, a->id);
    if (rc == KITH_ENOTFOUND) return 0; /* a->rc stays 0: nothing matches */
    if (rc < 0) {
        a->rc = kith_ctx_fail(a->ctx, rc, NULL, "cannot load customer %lld", (long long)a->id);
        return 0;
    }
    int cust = cad + 1, stats = cad + 2;
    for (lua_Integer i = 1; lua_geti(L, cad, i) == LUA_TTABLE; i++) {
        int e = lua_gettop(L);
        lua_getfield(L, e, "class");
        const char *cls = lua_tostring(L, -1);
        int match;
        if (lua_getfield(L, e, "ref") == LUA_TNUMBER) {
            int ref = (int)lua_tointeger(L, -1);
            char what[128];
            snprintf(what, sizeof(what), "the visit cadence's match of '%s'", cls);
            lua_pushvalue(L, cust);
            lua_pushvalue(L, stats);
            if ((rc = kith_call_ref(a->g, a->ctx, ref, 2, 1, file, line, what)) < 0) {
                a->rc = rc;
                return 0;
            }
            match = lua_toboolean(L, -1);
        } else {
            lua_getfield(L, cust, "class");
            match = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), cls) == 0;
        }
        if (match) {
            snprintf(a->cls, a->len, "%s", cls);
            lua_getfield(L, e, "every");
            *a->every = lua_tointeger(L, -1);
            a->rc = 1;
            return 0;
        }
        lua_settop(L, stats);
    }
    return 0;
}

int kith_script_visit_cadence(kith_ctx *ctx, int64_t id, char *cls, size_t len, int64_t *every)
{
    kith_script *sc = ctx->env->script;
    if (!kith_script_visit_has_cadence(sc)) return 0;
    struct cadence_args a = {sc->gen, ctx, id, cls, len, every, 0};
    lua_State *L = sc->gen->L;
    lua_pushcfunction(L, cadence_protected);
    lua_pushlightuserdata(L, &a);
    kith_lua_error e;
    int rc = kith_lua_pcall(L, 1, 0, &e);
    if (rc < 0) return kith_fail_lua(ctx, &e, NULL, 0, "the visit cadence");
    return a.rc;
}
