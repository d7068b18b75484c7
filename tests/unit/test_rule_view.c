/*
 * Unit test for the customer and stats tables rule evaluation hands to
 * segment and churn functions (settle.c builds them straight from the row):
 * they must equal, value for value and type for type, the tables a JSON
 * round trip of customer.get's record gives (convert.c), which is what
 * hooks see.  Checked on a bare customer and on one with every field,
 * nested attrs with times in them, orders, complaints and lapsing points.
 */
#include "check.h"
#include "commands/commands.h"
#include "script/convert.h"
#include "script/engine.h"
#include "store/customer.h"
#include "util/timefmt.h"
#include "world.h"

#include <lauxlib.h>
#include <lualib.h>

/* Deep equality with integer/float subtypes and metatables compared. */
static const char *const SAME =
    "local function same(a, b, path)\n"
    "  if math.type(a) ~= math.type(b) or type(a) ~= type(b) then\n"
    "    return false, path .. ': ' .. tostring(a) .. ' vs ' .. tostring(b) end\n"
    "  if type(a) ~= 'table' then\n"
    "    if a == b then return true end\n"
    "    return false, path .. ': ' .. tostring(a) .. ' vs ' .. tostring(b) end\n"
    "  if getmetatable(a) ~= getmetatable(b) then return false, path .. ': metatable' end\n"
    "  for k, v in pairs(a) do\n"
    "    local ok, why = same(v, b[k], path .. '.' .. tostring(k))\n"
    "    if not ok then return false, why end\n"
    "  end\n"
    "  for k in pairs(b) do if a[k] == nil then return false, path .. '.' .. k .. ' extra' end "
    "end\n"
    "  return true\n"
    "end\n"
    "return same\n";

/* What evaluation used to push: customer.get's record through JSON. */
static void push_through_json(lua_State *L, int64_t id, int64_t now)
{
    cJSON *c = NULL;
    int64_t lifetime = 0;
    char tier[64];
    CHECK_INT(kith_store_customer_get_full(store, id, now, &c, &lifetime, tier, NULL), 0);
    cJSON *st = cJSON_DetachItemFromObjectCaseSensitive(c, "stats");
    cJSON_AddItemToObject(st, "points", cJSON_DetachItemFromObjectCaseSensitive(c, "points"));
    cJSON_AddNumberToObject(st, "lifetime_points", (double)lifetime);
    cJSON_DeleteItemFromObjectCaseSensitive(c, "segments");
    cJSON_DeleteItemFromObjectCaseSensitive(c, "churn_risk");
    cJSON_DeleteItemFromObjectCaseSensitive(c, "identities");
    kith_lua_push_json(L, c);
    kith_lua_push_json(L, st);
    cJSON_Delete(c);
    cJSON_Delete(st);
}

/* Pushes both versions of customer `id` and checks them with same(). */
static void compare(lua_State *L, kith_env *env, int64_t id)
{
    kith_generation g = {.L = L};
    kith_call_error err;
    kith_ctx ctx = {.store = store, .env = env, .now = kith_time_now_ms(), .err = &err};
    lua_settop(L, 0);
    CHECK_INT(kith_push_customer_and_stats(&g, &ctx, id), 0);
    push_through_json(L, id, ctx.now);
    CHECK_INT(lua_gettop(L), 4);
    for (int i = 0; i < 2; i++) {
        lua_getglobal(L, "same");
        lua_pushvalue(L, 1 + i);
        lua_pushvalue(L, 3 + i);
        lua_pushstring(L, i ? "stats" : "customer");
        lua_call(L, 3, 2);
        if (!lua_toboolean(L, -2))
            fprintf(stderr, "customer %lld: %s\n", (long long)id, lua_tostring(L, -1));
        CHECK(lua_toboolean(L, -2));
        lua_pop(L, 2);
    }
    lua_settop(L, 0);
}

static int64_t call_id(const char *method, const char *params)
{
    kith_session admin = {.role = KITH_ROLE_ADMIN, .local_trust = 1};
    int code;
    cJSON *r = call_as(&admin, method, params, &code);
    CHECK_INT(code, 0);
    int64_t id = r ? num(r, "id") : 0;
    cJSON_Delete(r);
    return id;
}

int main(void)
{
    kith_env env = {.default_currency = "EUR"};
    CHECK_INT(kith_store_open(":memory:", KITH_SYNC_OFF, &store), 0);
    d = kith_dispatch_new(store, &env);
    CHECK_INT(kith_dispatch_register(d, kith_cmd_customer), 0);
    CHECK_INT(kith_dispatch_register(d, kith_cmd_order), 0);
    CHECK_INT(kith_dispatch_register(d, kith_cmd_interaction), 0);
    CHECK_INT(kith_dispatch_register(d, kith_cmd_loyalty), 0);

    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    kith_lua_convert_init(L);
    CHECK_INT(luaL_dostring(L, SAME), 0);
    lua_setglobal(L, "same");

    int64_t bare = call_id("customer.create", "{\"name\":\"Bare\"}");
    int64_t full = call_id(
        "customer.create",
        "{\"name\":\"Full\",\"email\":\"f@example.com\",\"phone\":\"+1 555\",\"company\":\"Acme\","
        "\"external_id\":\"F-1\",\"owner\":\"sam\",\"stage\":\"lead\",\"tags\":[\"vip\",\"b2b\"],"
        "\"attrs\":{\"renewal_at\":\"2027-01-02T03:04:05.678Z\",\"score\":1.5,\"n\":3,"
        "\"nested\":{\"seen_at\":\"2026-05-06T00:00:00.000Z\",\"list\":[1,\"x\",true,null]}}}");
    call_id("order.create", "{\"customer_id\":2,\"amount\":10.5}");
    call_id("order.create", "{\"customer_id\":2,\"amount\":20,\"at\":\"2026-01-01T00:00:00Z\"}");
    call_id("interaction.log", "{\"customer_id\":2,\"type\":\"complaint\",\"summary\":\"late\"}");
    call_id("loyalty.award", "{\"customer_id\":2,\"points\":30,\"reason\":\"r\"}");
    call_id("loyalty.award",
            "{\"customer_id\":2,\"points\":7,\"reason\":\"r\",\"expires_in\":\"1d\"}");
    CHECK_INT(full, 2);

    for (int64_t id = bare; id <= full; id++)
        compare(L, &env, id);

    lua_close(L);
    kith_buf_release(&out);
    kith_dispatch_free(d);
    kith_store_close(store);
    return check_done();
}
