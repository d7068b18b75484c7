/*
 * Values between cJSON and Lua.  Records keep their wire shape, with one
 * deliberate change: time fields (`at` and every key ending in `_at`) are
 * milliseconds since the epoch in Lua, so rules can do arithmetic on them, and
 * ISO strings again on the way back.  JSON null is nil in Lua, except where a
 * rule must say "null" explicitly: crm.null.  Tables that came from JSON
 * arrays, or were marked with crm.array(), encode as arrays even when empty.
 */
#ifndef KITH_SCRIPT_CONVERT_H
#define KITH_SCRIPT_CONVERT_H

#include <cJSON.h>
#include <lua.h>
#include <stddef.h>

/* Creates the registry entries the conversions rely on (the array marker
 * and the null sentinel).  Call once per state.  Stack effect: 0. */
void kith_lua_convert_init(lua_State *L);
/* Pushes `v` (NULL pushes nil).  Stack effect: +1. */
void kith_lua_push_json(lua_State *L, const cJSON *v);
/* Converts the value at `idx` to a new cJSON tree.  Returns 0 with *out
 * owned by the caller, or -1 with a reason in err (functions, userdata other
 * than crm.null, invalid UTF-8, non-finite numbers, a time field beyond the
 * 64-bit range of milliseconds, nesting past 32 levels, mixed tables), or
 * KITH_ESCRIPTLIMIT when the walk outlasts the CPU budget (marking it spent
 * inside a protected call).  Stack effect: 0. */
int kith_lua_to_json(lua_State *L, int idx, cJSON **out, char *err, size_t errlen);
/* Pushes crm.null.  Stack effect: +1. */
void kith_lua_push_null(lua_State *L);
/* Pushes the array marker metatable.  Stack effect: +1. */
void kith_lua_push_array_mt(lua_State *L);

#endif
