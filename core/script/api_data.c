/*
 * The data half of `crm`: reading customers and stats, writing through the
 * dispatcher (crm.call and the helpers built on it), publishing, logging and
 * time.  Writes always go through the dispatcher, so a rule's write gets the
 * same checks, hooks and events as a client's, inside the current request.
 */
#include "request/events.h"
#include "script/convert.h"
#include "script/engine.h"
#include "store/customer.h"
#include "store/loyalty.h"
#include "store/rules.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"
#include "util/timefmt.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

static kith_script *engine_of(lua_State *L)
{
    return kith_gen_of(L)->engine;
}

/* The request a rule runs in; raises when there is none (load time). */
static kith_ctx *ctx_of(lua_State *L, const char *what)
{
    kith_script *sc = engine_of(L);
    if (!sc->ctx) luaL_error(L, "%s cannot be used while the rules load", what);
    return sc->ctx;
}

static cJSON *arg_json(lua_State *L, int idx, const char *what)
{
    char err[256];
    cJSON *v = NULL;
    if (kith_lua_to_json(L, idx, &v, err, sizeof(err)) < 0) luaL_error(L, "%s: %s", what, err);
    return v;
}

/* Raises the failure of a call as a table {code, kind, message,
 * kith_code} that prints as "method: message". */
static int raise_call_error(lua_State *L, const char *method, const kith_call_error *e)
{
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, kith_error_rpc_code(e->code));
    lua_setfield(L, -2, "code");
    lua_pushinteger(L, e->code);
    lua_setfield(L, -2, "kith_code");
    lua_pushstring(L, kith_error_kind(e->code));
    lua_setfield(L, -2, "kind");
    /* Where the rule made the call, so the error names the line that
     * matters rather than only the hook's first line. */
    luaL_where(L, 1);
    lua_pushfstring(L, "%s%s: %s", lua_tostring(L, -1), method, e->message);
    lua_remove(L, -2);
    lua_setfield(L, -2, "message");
    lua_createtable(L, 0, 1);
    luaL_loadstring(L, "return (...).message");
    lua_setfield(L, -2, "__tostring");
    lua_setmetatable(L, -2);
    return lua_error(L);
}

int kith_api_call(lua_State *L, const char *method, cJSON *params)
{
    kith_script *sc = engine_of(L);
    ctx_of(L, "crm.call");
    if (!sc->call) {
        cJSON_Delete(params);
        return luaL_error(L, "crm.call: no dispatcher");
    }
    char by[KITH_ACTOR_MAX];
    snprintf(sc->rules_session.name, sizeof(sc->rules_session.name), "%s",
             kith_script_actor(sc->ctx, by, sizeof(by)));
    sc->rules_session.role = KITH_ROLE_ADMIN;
    sc->rules_session.authenticated = 1;
    cJSON *result = NULL;
    kith_call_error err;
    int rc = sc->call(sc->call_ud, &sc->rules_session, method, params, &result, &err);
    cJSON_Delete(params);
    if (rc < 0) {
        cJSON_Delete(err.data);
        return raise_call_error(L, method, &err);
    }
    kith_lua_push_json(L, result);
    cJSON_Delete(result);
    return 1;
}

static int l_call(lua_State *L)
{
    const char *method = luaL_checkstring(L, 1);
    cJSON *params = lua_isnoneornil(L, 2) ? cJSON_CreateObject() : arg_json(L, 2, "crm.call");
    return kith_api_call(L, method, params);
}

static int l_customer_get(lua_State *L)
{
    kith_ctx *ctx = ctx_of(L, "crm.customer.get");
    lua_Integer id = luaL_checkinteger(L, 1);
    cJSON *c = NULL;
    int rc = kith_store_customer_get(ctx->store, id, &c);
    if (rc == KITH_ENOTFOUND) {
        lua_pushnil(L);
        return 1;
    }
    if (rc < 0) return luaL_error(L, "crm.customer.get: %s", kith_strerror(rc));
    kith_lua_push_json(L, c);
    cJSON_Delete(c);
    return 1;
}

static int l_customer_update(lua_State *L)
{
    lua_Integer id = luaL_checkinteger(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    cJSON *params = arg_json(L, 2, "crm.customer.update");
    if (!cJSON_IsObject(params)) {
        cJSON_Delete(params);
        return luaL_error(L, "crm.customer.update: fields must be a table of field = value");
    }
    cJSON_DeleteItemFromObject(params, "id");
    cJSON_AddNumberToObject(params, "id", (double)id);
    return kith_api_call(L, "customer.update", params);
}

static int l_customer_find(lua_State *L)
{
    cJSON *filter =
        lua_isnoneornil(L, 1) ? cJSON_CreateObject() : arg_json(L, 1, "crm.customer.find");
    cJSON *params = cJSON_CreateObject();
    cJSON *limit = cJSON_DetachItemFromObject(filter, "limit");
    cJSON_AddItemToObject(params, "limit", limit ? limit : cJSON_CreateNumber(100));
    cJSON_AddItemToObject(params, "filter", filter);
    kith_api_call(L, "customer.list", params);
    lua_getfield(L, -1, "items");
    return 1;
}

static int l_stats(lua_State *L)
{
    kith_ctx *ctx = ctx_of(L, "crm.stats");
    lua_Integer id = luaL_checkinteger(L, 1);
    kith_customer_stats st;
    if (kith_store_stats_get(ctx->store, id, &st) < 0) {
        lua_pushnil(L);
        return 1;
    }
    kith_loyalty_account acct = {0};
    if (kith_store_loyalty_account_get(ctx->store, id, &acct) < 0) acct.points = acct.lifetime = 0;
    kith_push_stats(L, &st, acct.points, acct.lifetime);
    kith_push_value(L, ctx, &st);
    return 1;
}

static int l_segments(lua_State *L)
{
    kith_ctx *ctx = ctx_of(L, "crm.segments");
    lua_Integer id = luaL_checkinteger(L, 1);
    cJSON *names = cJSON_CreateArray();
    kith_store_segment_of(ctx->store, id, names);
    kith_lua_push_json(L, names);
    cJSON_Delete(names);
    return 1;
}

static int l_award(lua_State *L)
{
    lua_Integer id = luaL_checkinteger(L, 1);
    lua_Integer points = luaL_checkinteger(L, 2);
    const char *reason = luaL_checkstring(L, 3);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "customer_id", (double)id);
    cJSON_AddNumberToObject(p, "points", (double)points);
    cJSON_AddStringToObject(p, "reason", reason);
    if (lua_istable(L, 4)) {
        lua_getfield(L, 4, "expires_in");
        if (lua_isinteger(L, -1)) {
            char d[32];
            snprintf(d, sizeof(d), "%llds", (long long)(lua_tointeger(L, -1) / 1000));
            cJSON_AddStringToObject(p, "expires_in", d);
        } else if (lua_isstring(L, -1)) {
            cJSON_AddStringToObject(p, "expires_in", lua_tostring(L, -1));
        }
        lua_pop(L, 1);
    }
    return kith_api_call(L, "loyalty.award", p);
}

static int l_redeem(lua_State *L)
{
    lua_Integer id = luaL_checkinteger(L, 1);
    lua_Integer points = luaL_checkinteger(L, 2);
    const char *reason = luaL_checkstring(L, 3);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "customer_id", (double)id);
    cJSON_AddNumberToObject(p, "points", (double)points);
    cJSON_AddStringToObject(p, "reason", reason);
    return kith_api_call(L, "loyalty.redeem", p);
}

static int l_balance(lua_State *L)
{
    lua_Integer id = luaL_checkinteger(L, 1);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "customer_id", (double)id);
    return kith_api_call(L, "loyalty.balance", p);
}

static int l_remind(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    cJSON *p = cJSON_CreateObject();
    lua_getfield(L, 1, "note");
    cJSON_AddStringToObject(p, "note", luaL_optstring(L, -1, "follow up"));
    lua_getfield(L, 1, "customer");
    if (lua_isinteger(L, -1))
        cJSON_AddNumberToObject(p, "customer_id", (double)lua_tointeger(L, -1));
    lua_getfield(L, 1, "owner");
    if (lua_isstring(L, -1)) cJSON_AddStringToObject(p, "owner", lua_tostring(L, -1));
    lua_getfield(L, 1, "due");
    if (lua_isinteger(L, -1)) {
        char iso[KITH_TIME_BUFSZ];
        kith_time_format(lua_tointeger(L, -1), iso);
        cJSON_AddStringToObject(p, "due", iso);
    } else {
        cJSON_AddStringToObject(p, "due", luaL_optstring(L, -1, "1d"));
    }
    lua_pop(L, 4);
    return kith_api_call(L, "task.create", p);
}

/* Every event Kith emits (request/events.h), for is_builtin_channel. */
static const char *const builtin_events[] = {
#define EVENT_NAME(name, flags) name,
    KITH_EVENT_LIST(EVENT_NAME)
#undef EVENT_NAME
};

/* 1 when `c` is in a family of channels Kith publishes on itself: its part
 * up to the first dot is the family of an event in request/events.h, or
 * "plugin." (plugins publish as plugin.<name>.*).  Derived from the event
 * list so that a new family is refused to rules from its first event on:
 * a rule faking ticket.closed would mislead every subscriber. */
static int is_builtin_channel(const char *c)
{
    const char *dot = strchr(c, '.');
    if (!dot) return 0;
    size_t family = (size_t)(dot - c) + 1; /* with the dot */
    if (family == strlen("plugin.") && strncmp(c, "plugin.", family) == 0) return 1;
    for (size_t i = 0; i < sizeof(builtin_events) / sizeof(builtin_events[0]); i++)
        if (strncmp(builtin_events[i], c, family) == 0) return 1;
    return 0;
}

static int l_publish(lua_State *L)
{
    kith_ctx *ctx = ctx_of(L, "crm.publish");
    kith_script *sc = engine_of(L);
    const char *channel = luaL_checkstring(L, 1);
    size_t n = strlen(channel);
    for (size_t i = 0; i < n; i++)
        if (!((channel[i] >= 'a' && channel[i] <= 'z') ||
              (channel[i] >= '0' && channel[i] <= '9') || channel[i] == '.' || channel[i] == '_' ||
              channel[i] == '-'))
            n = 0;
    if (n == 0 || n > 100)
        return luaL_error(L, "crm.publish: channel must be 1-100 of a-z 0-9 . _ -");
    char full[160];
    if (sc->running_plugin && sc->running_plugin[0])
        snprintf(full, sizeof(full), "plugin.%s.%s", sc->running_plugin, channel);
    else if (is_builtin_channel(channel))
        return luaL_error(L,
                          "crm.publish: '%s' is a built-in channel; rules publish their own "
                          "names (for example custom.%s)",
                          channel, channel);
    else
        snprintf(full, sizeof(full), "%s", channel);
    cJSON *data = lua_isnoneornil(L, 2) ? cJSON_CreateObject() : arg_json(L, 2, "crm.publish");
    int rc = kith_script_emit(ctx, full, 0, data);
    cJSON_Delete(data);
    if (rc < 0) return luaL_error(L, "crm.publish: %s", ctx->err->message);
    return 0;
}

static int l_log(lua_State *L)
{
    const char *level = luaL_checkstring(L, 1);
    const char *msg = luaL_checkstring(L, 2);
    int lv;
    if (kith_log_parse_level(level, &lv) < 0)
        return luaL_error(L, "crm.log: level must be debug, info, warn or error");
    kith_script *sc = engine_of(L);
    kith_log(lv, "rule %s: %s", sc->running_file ? sc->running_file : "?", msg);
    return 0;
}

static int l_now(lua_State *L)
{
    kith_script *sc = engine_of(L);
    lua_pushinteger(L, sc->ctx ? sc->ctx->now : kith_time_now_ms());
    return 1;
}

static int l_time(lua_State *L)
{
    int64_t ms;
    if (kith_time_parse_iso(luaL_checkstring(L, 1), &ms) < 0)
        return luaL_error(L, "crm.time: '%s' is not an ISO 8601 time", lua_tostring(L, 1));
    lua_pushinteger(L, ms);
    return 1;
}

static int l_iso(lua_State *L)
{
    char buf[KITH_TIME_BUFSZ];
    kith_time_format(luaL_checkinteger(L, 1), buf);
    lua_pushstring(L, buf);
    return 1;
}

static int l_duration(lua_State *L)
{
    int64_t ms;
    if (kith_time_parse_duration(luaL_checkstring(L, 1), &ms) < 0)
        return luaL_error(L, "crm.duration: '%s' is not a duration like 30d", lua_tostring(L, 1));
    lua_pushinteger(L, ms);
    return 1;
}

static int l_array(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) lua_newtable(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    kith_lua_push_array_mt(L);
    lua_setmetatable(L, 1);
    return 1;
}

void kith_api_data(lua_State *L, int crm)
{
    static const luaL_Reg fns[] = {
        {"call", l_call},         {"stats", l_stats},     {"segments", l_segments},
        {"remind", l_remind},     {"publish", l_publish}, {"log", l_log},
        {"now", l_now},           {"time", l_time},       {"iso", l_iso},
        {"duration", l_duration}, {"array", l_array},     {NULL, NULL},
    };
    static const luaL_Reg customer[] = {{"get", l_customer_get},
                                        {"update", l_customer_update},
                                        {"find", l_customer_find},
                                        {NULL, NULL}};
    static const luaL_Reg loyalty[] = {
        {"award", l_award}, {"redeem", l_redeem}, {"balance", l_balance}, {NULL, NULL}};
    lua_pushvalue(L, crm);
    luaL_setfuncs(L, fns, 0);
    luaL_newlib(L, customer);
    kith_sandbox_push_readonly(L, -1);
    lua_setfield(L, -3, "customer");
    lua_pop(L, 1);
    luaL_newlib(L, loyalty);
    kith_sandbox_push_readonly(L, -1);
    lua_setfield(L, -3, "loyalty");
    lua_pop(L, 1);
    kith_lua_push_null(L);
    lua_setfield(L, -2, "null");
    lua_pushinteger(L, 86400000);
    lua_setfield(L, -2, "DAY");
    lua_pushinteger(L, 3600000);
    lua_setfield(L, -2, "HOUR");
    lua_pop(L, 1);
}
