/*
 * See convert.h.
 */
#include "script/convert.h"
#include "script/sandbox.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 32

static const char ARRAY_MT[] = "kith.array";
static char null_sentinel; /* its address is crm.null */

void kith_lua_convert_init(lua_State *L)
{
    luaL_newmetatable(L, ARRAY_MT);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable"); /* rules may not take it apart */
    lua_pop(L, 1);
}

void kith_lua_push_null(lua_State *L)
{
    lua_pushlightuserdata(L, &null_sentinel);
}

void kith_lua_push_array_mt(lua_State *L)
{
    luaL_getmetatable(L, ARRAY_MT);
}

static int is_time_key(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    return (n == 2 && strcmp(key, "at") == 0) || (n > 3 && strcmp(key + n - 3, "_at") == 0);
}

static void push_value(lua_State *L, const cJSON *v, const char *key, int depth)
{
    if (!v || cJSON_IsNull(v) || depth > MAX_DEPTH) {
        lua_pushnil(L);
    } else if (cJSON_IsBool(v)) {
        lua_pushboolean(L, cJSON_IsTrue(v));
    } else if (cJSON_IsNumber(v)) {
        if (kith_json_is_int(v->valuedouble))
            lua_pushinteger(L, (lua_Integer)v->valuedouble);
        else
            lua_pushnumber(L, v->valuedouble);
    } else if (cJSON_IsString(v)) {
        int64_t ms;
        if (is_time_key(key) && kith_time_parse_iso(v->valuestring, &ms) == 0)
            lua_pushinteger(L, ms);
        else
            lua_pushstring(L, v->valuestring);
    } else if (cJSON_IsArray(v)) {
        lua_createtable(L, cJSON_GetArraySize(v), 0);
        lua_Integer i = 1;
        for (const cJSON *e = v->child; e; e = e->next) {
            push_value(L, e, NULL, depth + 1);
            lua_rawseti(L, -2, i++);
        }
        luaL_setmetatable(L, ARRAY_MT);
    } else if (cJSON_IsObject(v)) {
        lua_createtable(L, 0, 8);
        for (const cJSON *e = v->child; e; e = e->next) {
            push_value(L, e, e->string, depth + 1);
            lua_setfield(L, -2, e->string);
        }
    } else if (cJSON_IsRaw(v)) {
        /* Text a command returned ready-made (the record cache). */
        cJSON *tree = cJSON_Parse(v->valuestring);
        push_value(L, tree, key, depth);
        cJSON_Delete(tree);
    } else {
        lua_pushnil(L);
    }
}

void kith_lua_push_json(lua_State *L, const cJSON *v)
{
    luaL_checkstack(L, MAX_DEPTH + 8, "nested JSON");
    push_value(L, v, NULL, 0);
}

static int valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return 0;
        }
        for (size_t k = 1; k <= need; k++) {
            if (i + k >= n) return 0;
            unsigned char d = s[i + k];
            if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xBF)) return 0;
        }
        i += need + 1;
    }
    return 1;
}

/* Classifies a table: 1 array (marked, or keys exactly 1..n with n >= 1),
 * 0 object (string keys only, or empty and unmarked), -1 mixed. */
static int table_kind(lua_State *L, int idx)
{
    if (lua_getmetatable(L, idx)) {
        luaL_getmetatable(L, ARRAY_MT);
        int marked = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
        if (marked) return 1;
    }
    lua_Integer n = 0, max = 0;
    int strings = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            strings++;
        } else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
            n++;
            if (lua_tointeger(L, -1) > max) max = lua_tointeger(L, -1);
        } else {
            lua_pop(L, 1);
            return -1;
        }
    }
    if (n && strings) return -1;
    if (n) return max == n ? 1 : -1;
    return 0;
}

/* A conversion walks every node, and a table may hold the same table many
 * times ({x, x} nested 30 deep is 2^30 nodes), all in C: it runs under the
 * CPU budget, checked every CHECK_NODES nodes. */
#define CHECK_NODES 4096

typedef struct walk {
    int64_t deadline_ns;
    unsigned nodes;
    int over; /* the budget ran out */
} walk;

static cJSON *to_json(lua_State *L, int idx, const char *key, int depth, char *err, size_t errlen,
                      walk *w)
{
    idx = lua_absindex(L, idx);
    if (++w->nodes % CHECK_NODES == 0 && kith_sandbox_past(L, w->deadline_ns)) {
        snprintf(err, errlen, "script exceeded its CPU budget converting a value to JSON");
        w->over = 1;
        return NULL;
    }
    if (depth > MAX_DEPTH) {
        snprintf(err, errlen, "value nested deeper than %d levels (a cycle?)", MAX_DEPTH);
        return NULL;
    }
    switch (lua_type(L, idx)) {
    case LUA_TNIL: return cJSON_CreateNull();
    case LUA_TBOOLEAN: return cJSON_CreateBool(lua_toboolean(L, idx));
    case LUA_TNUMBER: {
        if (lua_isinteger(L, idx)) {
            lua_Integer i = lua_tointeger(L, idx);
            if (is_time_key(key)) return kith_json_time((int64_t)i);
            return cJSON_CreateNumber((double)i);
        }
        double d = lua_tonumber(L, idx);
        if (!isfinite(d)) {
            snprintf(err, errlen, "%s is not a finite number", key ? key : "value");
            return NULL;
        }
        if (is_time_key(key)) {
            /* Outside int64 the cast is undefined; no such time exists. */
            if (!(d >= -0x1p63 && d < 0x1p63)) {
                snprintf(err, errlen, "%s is out of range for a time", key);
                return NULL;
            }
            return kith_json_time((int64_t)d);
        }
        return cJSON_CreateNumber(d);
    }
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        if (!valid_utf8((const unsigned char *)s, n) || strlen(s) != n) {
            snprintf(err, errlen, "%s is not valid UTF-8 text", key ? key : "string");
            return NULL;
        }
        return cJSON_CreateString(s);
    }
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == &null_sentinel) return cJSON_CreateNull();
        break;
    case LUA_TTABLE: {
        luaL_checkstack(L, 4, "to_json");
        int kind = table_kind(L, idx);
        if (kind < 0) {
            snprintf(err, errlen, "%s mixes array and object keys", key ? key : "table");
            return NULL;
        }
        cJSON *out = kind ? cJSON_CreateArray() : cJSON_CreateObject();
        if (kind) {
            lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
            for (lua_Integer i = 1; i <= n; i++) {
                lua_rawgeti(L, idx, i);
                cJSON *e = to_json(L, -1, NULL, depth + 1, err, errlen, w);
                lua_pop(L, 1);
                if (!e) {
                    cJSON_Delete(out);
                    return NULL;
                }
                cJSON_AddItemToArray(out, e);
            }
            return out;
        }
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            const char *k = lua_tostring(L, -2);
            cJSON *e = to_json(L, -1, k, depth + 1, err, errlen, w);
            lua_pop(L, 1);
            if (!e) {
                lua_pop(L, 1);
                cJSON_Delete(out);
                return NULL;
            }
            cJSON_AddItemToObject(out, k, e);
        }
        return out;
    }
    default: break;
    }
    snprintf(err, errlen, "%s: a %s cannot be turned into JSON", key ? key : "value",
             luaL_typename(L, idx));
    return NULL;
}

int kith_lua_to_json(lua_State *L, int idx, cJSON **out, char *err, size_t errlen)
{
    walk w = {kith_sandbox_deadline(L), 0, 0};
    *out = to_json(L, idx, NULL, 0, err, errlen, &w);
    if (!*out && w.over) return KITH_ESCRIPTLIMIT;
    return *out ? 0 : -1;
}
