/*
 * crm.ticket: the ticket family's read accessor for rules.  Writes go
 * through crm.call("ticket.accept", {...}) and friends, so a rule's change
 * gets the same checks, hooks and events as a client's.
 */
#include "script/convert.h"
#include "script/engine.h"
#include "store/ticket.h"
#include "util/error.h"

#include <lauxlib.h>

/* crm.ticket.get(id) -> the ticket, or nil when there is none. */
static int l_ticket_get(lua_State *L)
{
    kith_script *sc = kith_gen_of(L)->engine;
    lua_Integer id = luaL_checkinteger(L, 1);
    if (!sc->ctx) return luaL_error(L, "crm.ticket.get cannot be used while the rules load");
    cJSON *t = NULL;
    int rc = kith_store_ticket_get(sc->ctx->store, id, &t, NULL);
    if (rc == KITH_ENOTFOUND) {
        lua_pushnil(L);
        return 1;
    }
    if (rc < 0) return luaL_error(L, "crm.ticket.get: %s", kith_strerror(rc));
    kith_lua_push_json(L, t);
    cJSON_Delete(t);
    return 1;
}

void kith_api_ticket(lua_State *L, int crm)
{
    static const luaL_Reg fns[] = {{"get", l_ticket_get}, {NULL, NULL}};
    luaL_newlib(L, fns);
    kith_sandbox_push_readonly(L, -1);
    lua_setfield(L, crm, "ticket");
    lua_pop(L, 1);
}
