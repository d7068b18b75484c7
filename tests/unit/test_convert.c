/*
 * Values between cJSON and Lua (script/convert.c): a record's round trip,
 * time fields as milliseconds in Lua and ISO strings outside, and what
 * cannot be carried back (found by tests/fuzz/fuzz_convert.c: a float past
 * int64 in a time field was cast with undefined behaviour).
 */
#include "check.h"
#include "script/convert.h"
#include "script/sandbox.h"

#include <lauxlib.h>

static kith_lua_budget budget = {.limit = 64u << 20, .limit_ms = 2000};
static lua_State *L;

struct conv {
    const char *code; /* a Lua expression to convert */
    cJSON *out;
    char err[256];
};

static int convert_fn(lua_State *Ls)
{
    struct conv *c = lua_touserdata(Ls, 1);
    if (luaL_loadstring(Ls, c->code) != LUA_OK) return lua_error(Ls);
    lua_call(Ls, 0, 1);
    kith_lua_to_json(Ls, -1, &c->out, c->err, sizeof(c->err));
    return 0;
}

/* Converts the value of the Lua chunk `code` (a "return ..."); returns the
 * compact JSON (static buffer) or the error text prefixed with "error: ". */
static const char *to_json(const char *code)
{
    static char text[1024];
    struct conv c = {.code = code};
    kith_lua_error lerr;
    lua_pushcfunction(L, convert_fn);
    lua_pushlightuserdata(L, &c);
    if (kith_lua_pcall(L, 1, 0, &lerr) < 0) {
        snprintf(text, sizeof(text), "lua: %s", lerr.message);
        return text;
    }
    if (!c.out) {
        snprintf(text, sizeof(text), "error: %s", c.err);
        return text;
    }
    char *s = cJSON_PrintUnformatted(c.out);
    snprintf(text, sizeof(text), "%s", s);
    cJSON_free(s);
    cJSON_Delete(c.out);
    return text;
}

static int init_fn(lua_State *Ls)
{
    kith_lua_convert_init(Ls);
    return 0;
}

struct trip {
    const cJSON *in;
    cJSON *out;
};

static int trip_fn(lua_State *Ls)
{
    struct trip *t = lua_touserdata(Ls, 1);
    char err[256];
    kith_lua_push_json(Ls, t->in);
    kith_lua_to_json(Ls, -1, &t->out, err, sizeof(err));
    lua_pop(Ls, 1);
    return 0;
}

/* JSON text -> Lua -> JSON; returns 1 when the result equals `want` (key
 * order aside: Lua tables have none), else prints both and returns 0. */
static int round_trip(const char *json, const char *want)
{
    cJSON *in = cJSON_Parse(json), *expected = cJSON_Parse(want);
    struct trip t = {.in = in};
    kith_lua_error lerr;
    lua_pushcfunction(L, trip_fn);
    lua_pushlightuserdata(L, &t);
    int ok = kith_lua_pcall(L, 1, 0, &lerr) == 0 && t.out && cJSON_Compare(t.out, expected, 1);
    if (!ok) {
        char *got = t.out ? cJSON_PrintUnformatted(t.out) : NULL;
        fprintf(stderr, "round trip of %s: got %s, want %s\n", json, got ? got : "(error)", want);
        cJSON_free(got);
    }
    cJSON_Delete(t.out);
    cJSON_Delete(expected);
    cJSON_Delete(in);
    return ok;
}

int main(void)
{
    kith_lua_error lerr;
    L = kith_sandbox_new(&budget);
    CHECK(L != NULL);
    lua_pushcfunction(L, init_fn);
    CHECK_INT(kith_lua_pcall(L, 0, 0, &lerr), 0);

    CHECK(round_trip("{\"id\":7,\"tags\":[\"a\",\"b\"],\"attrs\":{\"x\":1.5,\"ok\":true}}",
                     "{\"id\":7,\"tags\":[\"a\",\"b\"],\"attrs\":{\"x\":1.5,\"ok\":true}}"));
    CHECK(round_trip("{\"created_at\":\"2026-11-23T16:31:57.25+02:00\"}",
                     "{\"created_at\":\"2026-11-23T14:31:57.250Z\"}"));
    CHECK(round_trip("{\"empty\":[],\"obj\":{}}", "{\"empty\":[],\"obj\":{}}"));

    /* Time fields: milliseconds in Lua, ISO outside, at any int64. */
    CHECK_STR(to_json("return {due_at = 1500.0}"), "{\"due_at\":\"1970-01-01T00:00:01.500Z\"}");
    CHECK_STR(to_json("return {at = math.mininteger}"),
              "{\"at\":\"-292275055-05-16T16:47:04.192Z\"}");
    /* A float beyond int64 is no time at all: refused, not cast. */
    CHECK_STR(to_json("return {due_at = 1e30}"), "error: due_at is out of range for a time");
    CHECK_STR(to_json("return {at = -2^63 * 2}"), "error: at is out of range for a time");
    CHECK_STR(to_json("return {due_at = 0/0}"), "error: due_at is not a finite number");
    CHECK_STR(to_json("return {x = 1e30}"), "{\"x\":1e+30}");

    kith_sandbox_close(L);
    return check_done();
}
