/*
 * crm.company: the company family's read accessor for rules, so a segment
 * or churn function can ask about a contact's account ("contacts of
 * enterprise accounts", "accounts spending over X") through c.company_id.
 * Writes go through crm.call("company.update", {...}).  Also crm.consent,
 * the question campaigns and invitations ask before contacting anyone.
 */
#include "script/convert.h"
#include "script/engine.h"
#include "store/company.h"
#include "store/consent.h"
#include "util/error.h"

#include <lauxlib.h>

/* crm.company.get(id) -> the company with `stats` rolled up from its
 * contacts, or nil when there is none. */
static int l_company_get(lua_State *L)
{
    kith_script *sc = kith_gen_of(L)->engine;
    lua_Integer id = luaL_checkinteger(L, 1);
    if (!sc->ctx) return luaL_error(L, "crm.company.get cannot be used while the rules load");
    cJSON *c = NULL, *stats = NULL;
    int rc = kith_store_company_get(sc->ctx->store, id, &c);
    if (rc == KITH_ENOTFOUND) {
        lua_pushnil(L);
        return 1;
    }
    if (!rc) rc = kith_store_company_stats(sc->ctx->store, id, &stats);
    if (rc < 0) {
        cJSON_Delete(c);
        return luaL_error(L, "crm.company.get: %s", kith_strerror(rc));
    }
    cJSON_AddItemToObject(c, "stats", stats);
    kith_lua_push_json(L, c);
    cJSON_Delete(c);
    return 1;
}

void kith_api_company(lua_State *L, int crm)
{
    static const luaL_Reg fns[] = {{"get", l_company_get}, {NULL, NULL}};
    luaL_newlib(L, fns);
    kith_sandbox_push_readonly(L, -1);
    lua_setfield(L, crm, "company");
    lua_pop(L, 1);
}

/* crm.consent(id, purpose, channel) -> allowed, reason: consent.check for
 * rules (reason "granted", "no_consent" or "default"). */
static int l_consent(lua_State *L)
{
    kith_script *sc = kith_gen_of(L)->engine;
    lua_Integer id = luaL_checkinteger(L, 1);
    const char *purpose = luaL_checkstring(L, 2), *channel = luaL_optstring(L, 3, "any");
    if (!sc->ctx) return luaL_error(L, "crm.consent cannot be used while the rules load");
    int allowed = 0;
    const char *reason = NULL;
    int64_t at = 0;
    int rc =
        kith_store_consent_allowed(sc->ctx->store, id, purpose, channel, &allowed, &reason, &at);
    if (rc < 0) return luaL_error(L, "crm.consent: %s", kith_strerror(rc));
    lua_pushboolean(L, allowed);
    lua_pushstring(L, reason);
    return 2;
}

void kith_api_consent(lua_State *L, int crm)
{
    lua_pushcfunction(L, l_consent);
    lua_setfield(L, crm, "consent");
}
