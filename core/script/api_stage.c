/*
 * crm.stage(id, to, reason): moves a customer to a lifecycle stage with a
 * reason, through customer.set_stage, so the change gets the same checks,
 * hooks, stage history row, customer.stage_changed event and audit row as
 * a client's.  Returns the customer.
 */
#include "script/engine.h"

#include <lauxlib.h>

static int l_stage(lua_State *L)
{
    lua_Integer id = luaL_checkinteger(L, 1);
    const char *to = luaL_checkstring(L, 2);
    const char *reason = luaL_optstring(L, 3, NULL);
    cJSON *p = cJSON_CreateObject();
    if (!p || !cJSON_AddNumberToObject(p, "id", (double)id) ||
        !cJSON_AddStringToObject(p, "stage", to) ||
        (reason && !cJSON_AddStringToObject(p, "reason", reason))) {
        cJSON_Delete(p);
        return luaL_error(L, "crm.stage: out of memory");
    }
    return kith_api_call(L, "customer.set_stage", p);
}

void kith_api_stage(lua_State *L, int crm)
{
    lua_pushcfunction(L, l_stage);
    lua_setfield(L, crm, "stage");
}
