/*
 * crm.value{discount_rate, margin}: the settings of customer value
 * (README "Measuring"), kept in the generation that loaded them; and the
 * value fields the rules' stats table carries (p_alive, clv, rfm), computed
 * by the same kith_value_brief value.get uses.
 */
#include "script/engine.h"
#include "store/value.h"

#include <lauxlib.h>
#include <math.h>

static double setting(lua_State *L, const char *key, double dflt, double lo, double hi)
{
    lua_getfield(L, 1, key);
    double v = dflt;
    if (!lua_isnil(L, -1)) {
        if (!lua_isnumber(L, -1)) luaL_error(L, "crm.value: %s must be a number", key);
        v = lua_tonumber(L, -1);
        if (!(v >= lo && v <= hi)) luaL_error(L, "crm.value: %s must be in [%g, %g]", key, lo, hi);
    }
    lua_pop(L, 1);
    return v;
}

static int l_value(lua_State *L)
{
    kith_generation *g = kith_gen_of(L);
    if (!g->loading) return luaL_error(L, "crm.value may only be called while a rule file loads");
    luaL_checktype(L, 1, LUA_TTABLE);
    if (g->value_set) return luaL_error(L, "crm.value: the settings are given already");
    g->value.discount_rate = setting(L, "discount_rate", 0.10, 0, 10);
    g->value.margin = setting(L, "margin", 1.0, 0, 1);
    g->value_set = 1;
    return 0;
}

void kith_script_value_settings(const kith_script *sc, kith_value_settings *out)
{
    const kith_generation *g = sc ? sc->gen : NULL;
    if (g && g->value_set)
        *out = g->value;
    else
        *out = (kith_value_settings){.discount_rate = 0.10, .margin = 1.0};
}

void kith_push_value(lua_State *L, kith_ctx *ctx, const kith_customer_stats *st)
{
    const kith_value_model *m = kith_value_model_current(ctx->store);
    if (!m->fitted && !m->has_rfm) return;
    kith_value_settings set;
    kith_script_value_settings(ctx->env ? ctx->env->script : NULL, &set);
    kith_value v;
    kith_value_brief(m, &set, st, ctx->now, &v);
    if (v.has_btyd) {
        lua_pushnumber(L, v.p_alive);
        lua_setfield(L, -2, "p_alive");
        lua_pushnumber(L, round(v.clv_12m * 100) / 100);
        lua_setfield(L, -2, "clv");
    }
    if (v.has_rfm) {
        lua_createtable(L, 0, 5);
        lua_pushinteger(L, v.r);
        lua_setfield(L, -2, "r");
        lua_pushinteger(L, v.f);
        lua_setfield(L, -2, "f");
        lua_pushinteger(L, v.m);
        lua_setfield(L, -2, "m");
        lua_pushstring(L, v.code);
        lua_setfield(L, -2, "code");
        lua_pushstring(L, v.label);
        lua_setfield(L, -2, "label");
        lua_setfield(L, -2, "rfm");
    }
}

void kith_api_value(lua_State *L, int crm)
{
    lua_pushcfunction(L, l_value);
    lua_setfield(L, crm, "value");
}
