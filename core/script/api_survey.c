/*
 * crm.survey: the rules' side of surveys.
 *
 *   crm.survey.invite{customer=, survey=, after=?, expires_in=?, context=?,
 *                     channel=?}
 *       survey.send for one customer; `after` and `expires_in` are
 *       durations ("7d") or milliseconds (7 * crm.DAY).  Returns send's
 *       reply ({invited, invitations, suppressed}).
 *   crm.survey.get(name)
 *       the survey, or nil.
 *   crm.survey.define{name=, title=, kind=, questions={...}, anonymous=?,
 *                     quiet_days=?, attrs=?}
 *       at load only: declares a survey kept in git.  After the rules load,
 *       every declared survey that does not exist yet is created and
 *       activated (survey.create + survey.activate, by rule:<file>); one
 *       that exists is left as it is, whatever its status, since a survey
 *       with answers never changes its questions: to change one, declare it
 *       under a new name.
 *
 * Writes go through the dispatcher like every crm.call, so they get the
 * same checks, events and hooks as a client's.
 */
#include "script/convert.h"
#include "script/engine.h"
#include "store/survey.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"
#include "util/timefmt.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#define DEFS_KEY "kith.survey.defs" /* registry: {{def=, file=, line=}, ...} */

/* Reads field `name` of the table at 1 as a duration: a string is kept as
 * is, milliseconds become "<n>s" (rounded up to whole seconds).  Adds it to
 * p under `key`.  Stack effect: 0. */
static void duration_field(lua_State *L, cJSON *p, const char *name, const char *key)
{
    lua_getfield(L, 1, name);
    if (lua_isinteger(L, -1)) {
        char d[32];
        long long ms = (long long)lua_tointeger(L, -1);
        snprintf(d, sizeof(d), "%llds", (ms + 999) / 1000);
        cJSON_AddStringToObject(p, key, d);
    } else if (lua_type(L, -1) == LUA_TSTRING) {
        cJSON_AddStringToObject(p, key, lua_tostring(L, -1));
    } else if (!lua_isnil(L, -1)) {
        cJSON_Delete(p);
        luaL_error(L, "crm.survey.invite: %s must be a duration like \"7d\" or milliseconds", name);
    }
    lua_pop(L, 1);
}

static int l_invite(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    cJSON *p = cJSON_CreateObject();
    if (!p) return luaL_error(L, "crm.survey.invite: out of memory");
    lua_getfield(L, 1, "survey");
    lua_getfield(L, 1, "customer");
    if (lua_type(L, -2) != LUA_TSTRING || !lua_isinteger(L, -1)) {
        cJSON_Delete(p);
        return luaL_error(L, "crm.survey.invite: needs survey = a name and customer = an id");
    }
    cJSON_AddStringToObject(p, "survey", lua_tostring(L, -2));
    cJSON_AddNumberToObject(p, "customer_id", (double)lua_tointeger(L, -1));
    lua_pop(L, 2);
    duration_field(L, p, "after", "send_at");
    duration_field(L, p, "expires_in", "expires_in");
    lua_getfield(L, 1, "channel");
    if (lua_type(L, -1) == LUA_TSTRING) cJSON_AddStringToObject(p, "channel", lua_tostring(L, -1));
    lua_pop(L, 1);
    lua_getfield(L, 1, "context");
    if (lua_istable(L, -1)) {
        char err[256];
        cJSON *c = NULL;
        if (kith_lua_to_json(L, lua_gettop(L), &c, err, sizeof(err)) < 0) {
            cJSON_Delete(p);
            return luaL_error(L, "crm.survey.invite: context: %s", err);
        }
        cJSON_AddItemToObject(p, "context", c);
    }
    lua_pop(L, 1);
    return kith_api_call(L, "survey.send", p);
}

static int l_get(lua_State *L)
{
    kith_script *sc = kith_gen_of(L)->engine;
    const char *name = luaL_checkstring(L, 1);
    if (!sc->ctx) return luaL_error(L, "crm.survey.get cannot be used while the rules load");
    cJSON *sv = NULL;
    int rc = kith_store_survey_get(sc->ctx->store, name, &sv);
    if (rc == KITH_ENOTFOUND) {
        lua_pushnil(L);
        return 1;
    }
    if (rc < 0) return luaL_error(L, "crm.survey.get: %s", kith_strerror(rc));
    kith_lua_push_json(L, sv);
    cJSON_Delete(sv);
    return 1;
}

static int l_define(lua_State *L)
{
    kith_generation *g = kith_gen_of(L);
    if (!g->loading)
        return luaL_error(L, "crm.survey.define may only be called while a rule file loads");
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "name");
    lua_getfield(L, 1, "questions");
    if (lua_type(L, -2) != LUA_TSTRING || !lua_istable(L, -1))
        return luaL_error(L, "crm.survey.define: needs name = a string and questions = a table");
    const char *name = lua_tostring(L, -2);
    lua_getfield(L, LUA_REGISTRYINDEX, DEFS_KEY);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, DEFS_KEY);
    }
    int defs = lua_gettop(L);
    lua_Integer n = luaL_len(L, defs);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, defs, i);
        lua_getfield(L, -1, "def");
        lua_getfield(L, -1, "name");
        if (strcmp(lua_tostring(L, -1), name) == 0)
            return luaL_error(L, "crm.survey.define: survey '%s' is defined twice", name);
        lua_pop(L, 3);
    }
    lua_Debug ar;
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "def");
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar)) {
        lua_pushstring(L, ar.source[0] == '@' ? ar.source + 1 : ar.short_src);
        lua_setfield(L, -2, "file");
        lua_pushinteger(L, ar.currentline);
        lua_setfield(L, -2, "line");
    }
    lua_seti(L, defs, n + 1);
    lua_settop(L, 1);
    return 0;
}

void kith_api_survey(lua_State *L, int crm)
{
    static const luaL_Reg fns[] = {
        {"invite", l_invite}, {"get", l_get}, {"define", l_define}, {NULL, NULL}};
    lua_pushvalue(L, crm);
    luaL_newlib(L, fns);
    kith_sandbox_push_readonly(L, -1);
    lua_setfield(L, -3, "survey");
    lua_pop(L, 2);
}

/* Calls `method` {name} or with `params` as rule `file`; logs a failure.
 * Returns 0 or the code. */
static int call_as_rule(kith_script *sc, const char *file, int line, const char *method,
                        const cJSON *params)
{
    kith_session who = {.role = KITH_ROLE_ADMIN, .authenticated = 1};
    snprintf(who.name, sizeof(who.name), "rule:%s", file);
    cJSON *result = NULL;
    kith_call_error err;
    int rc = sc->call(sc->call_ud, &who, method, params, &result, &err);
    cJSON_Delete(result);
    if (rc < 0)
        kith_error("script: %s:%d: crm.survey.define: %s: %s", file, line, method, err.message);
    cJSON_Delete(err.data);
    return rc;
}

int kith_api_survey_sync(kith_script *sc, kith_ctx *ctx)
{
    lua_State *L = sc->gen->L;
    int top = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, DEFS_KEY);
    lua_Integer n = lua_istable(L, -1) ? luaL_len(L, -1) : 0;
    for (lua_Integer i = 1; sc->call && i <= n; i++) {
        lua_geti(L, top + 1, i);
        lua_getfield(L, -1, "file");
        lua_getfield(L, -2, "line");
        char file[256];
        snprintf(file, sizeof(file), "%s", lua_isstring(L, -2) ? lua_tostring(L, -2) : "?");
        int line = (int)lua_tointeger(L, -1);
        lua_getfield(L, -3, "def");
        char err[256];
        cJSON *def = NULL, *sv = NULL;
        if (kith_lua_to_json(L, lua_gettop(L), &def, err, sizeof(err)) < 0) {
            kith_error("script: %s:%d: crm.survey.define: %s", file, line, err);
        } else {
            const char *name = kith_json_get_str(def, "name");
            int rc = kith_store_survey_get(ctx->store, name, &sv);
            cJSON_Delete(sv);
            if (rc == KITH_ENOTFOUND && call_as_rule(sc, file, line, "survey.create", def) == 0) {
                cJSON *p = cJSON_CreateObject();
                cJSON_AddStringToObject(p, "name", name);
                call_as_rule(sc, file, line, "survey.activate", p);
                cJSON_Delete(p);
            }
        }
        cJSON_Delete(def);
        lua_settop(L, top + 1);
    }
    lua_settop(L, top);
    return 0;
}
