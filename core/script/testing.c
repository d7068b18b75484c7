/*
 * Rule tests inside the engine: loading a *_test.lua file into the running
 * generation with `test` and `advance` in its environment, and running one of
 * its tests.  Creating a fresh store per test and moving the clock are the
 * runner's business (testrun/testrun.c); this file only speaks Lua.
 */
#include "script/convert.h"
#include "script/engine.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/timefmt.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int l_test(lua_State *L)
{
    kith_generation *g = kith_gen_of(L);
    luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_rawgeti(L, LUA_REGISTRYINDEX, g->tests_ref);
    lua_createtable(L, 2, 0);
    lua_pushvalue(L, 1);
    lua_rawseti(L, -2, 1);
    lua_pushvalue(L, 2);
    lua_rawseti(L, -2, 2);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    return 0;
}

static int l_advance(lua_State *L)
{
    kith_script *sc = kith_gen_of(L)->engine;
    int64_t ms;
    if (lua_isinteger(L, 1))
        ms = lua_tointeger(L, 1);
    else if (kith_time_parse_duration(luaL_checkstring(L, 1), &ms) < 0)
        return luaL_error(L, "advance: '%s' is not a duration like 3d", lua_tostring(L, 1));
    if (ms < 0) return luaL_error(L, "advance: time only moves forward");
    if (!sc->advance) return luaL_error(L, "advance is only available in rule tests");
    /* The runner commits and runs handlers: no request may be open around
     * it, and the rule context is the test's own. */
    kith_ctx *saved = sc->ctx;
    int rc = sc->advance(sc->advance_ud, ms);
    sc->ctx = saved;
    /* The test's own clock (crm.now) moves with the world's. */
    if (saved) saved->now += ms;
    if (rc < 0) return luaL_error(L, "advance failed: %s", kith_strerror(rc));
    return 0;
}

void kith_script_set_advance(kith_script *sc, int (*fn)(void *ud, int64_t ms), void *ud)
{
    sc->advance = fn;
    sc->advance_ud = ud;
}

struct load_args {
    const char *path;
    char *code;
    size_t len;
};

static int load_protected(lua_State *L)
{
    struct load_args *a = lua_touserdata(L, 1);
    kith_generation *g = kith_gen_of(L);
    if (g->tests_ref == LUA_NOREF) {
        lua_newtable(L);
        g->tests_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    kith_sandbox_push_env(L);
    lua_pushcfunction(L, l_test);
    lua_setfield(L, -2, "test");
    lua_pushcfunction(L, l_advance);
    lua_setfield(L, -2, "advance");
    char chunkname[600];
    snprintf(chunkname, sizeof(chunkname), "@%s", a->path);
    if (kith_sandbox_load(L, a->code, a->len, chunkname, -1) < 0) lua_error(L);
    lua_call(L, 0, 0);
    return 0;
}

int kith_script_load_tests(kith_script *sc, kith_ctx *ctx, const char *path, int *ntests, char *err,
                           size_t errlen)
{
    kith_generation *g = sc->gen;
    *ntests = 0;
    if (!g) {
        snprintf(err, errlen, "no rules are loaded");
        return KITH_ESCRIPT;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read the file", path);
        return KITH_ESCRIPT;
    }
    kith_buf b;
    kith_buf_init(&b);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        kith_buf_append(&b, chunk, n);
    fclose(f);
    struct load_args a = {path, b.data ? b.data : (char *)"", kith_buf_size(&b)};
    lua_pushcfunction(g->L, load_protected);
    lua_pushlightuserdata(g->L, &a);
    kith_ctx *saved = sc->ctx;
    sc->ctx = ctx;
    sc->running_file = path;
    kith_lua_error e;
    int64_t limit = g->budget.limit_ms;
    g->budget.limit_ms = limit * 10;
    int rc = kith_lua_pcall(g->L, 1, 0, &e);
    g->budget.limit_ms = limit;
    sc->ctx = saved;
    kith_buf_release(&b);
    if (rc < 0) {
        snprintf(err, errlen, "%s", e.message);
        return rc;
    }
    lua_rawgeti(g->L, LUA_REGISTRYINDEX, g->tests_ref);
    *ntests = (int)lua_rawlen(g->L, -1);
    lua_pop(g->L, 1);
    return 0;
}

int kith_script_run_test(kith_script *sc, kith_ctx *ctx, int index, char *name, size_t namelen,
                         char *err, size_t errlen)
{
    kith_generation *g = sc->gen;
    lua_State *L = g->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, g->tests_ref);
    lua_rawgeti(L, -1, index + 1);
    lua_rawgeti(L, -1, 1);
    snprintf(name, namelen, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
    lua_pop(L, 1);
    lua_rawgeti(L, -1, 2);
    lua_replace(L, -3);
    lua_pop(L, 1); /* the function is on top */
    kith_ctx *saved = sc->ctx;
    sc->ctx = ctx;
    kith_lua_error e;
    /* A test drives many requests: give it a hundred hook budgets. */
    int64_t limit = g->budget.limit_ms;
    g->budget.limit_ms = limit * 100;
    int rc = kith_lua_pcall(L, 0, 0, &e);
    g->budget.limit_ms = limit;
    sc->ctx = saved;
    if (rc < 0) snprintf(err, errlen, "%s", e.message);
    return rc;
}
