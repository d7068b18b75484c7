/*
 * The Lua<->JSON conversion (script/convert.c), inside a sandboxed state
 * like the rules' own: JSON -> Lua -> JSON, twice.
 *
 * Input: a JSON value.  Invariants:
 *   1. The first trip fails only for what Lua cannot carry back: a string
 *      that is not UTF-8, a number that is not finite (cJSON reads 1e999 as
 *      infinity), or a time field beyond int64 milliseconds.
 *   2. The trip is stable: a second trip of its output succeeds and gives
 *      the same JSON again.
 *   3. JSON without the documented changes (no nulls, no time keys `at` and
 *      `*_at`, no repeated keys, at most 32 levels deep, text all UTF-8,
 *      numbers finite) comes back equal to the input.
 *   4. Conversions leave the Lua stack as they found it.
 */
#include "fuzz.h"
#include "script/convert.h"
#include "script/sandbox.h"

#include <lauxlib.h>
#include <math.h>

static kith_lua_budget budget = {.limit = 256u << 20, .limit_ms = 2000};
static lua_State *L;

struct trip {
    const cJSON *in;
    cJSON *out;
    char err[256];
};

/* Protected: a Lua error (out of memory) must not panic the state. */
static int trip_fn(lua_State *Ls)
{
    struct trip *t = lua_touserdata(Ls, 1);
    int top = lua_gettop(Ls);
    kith_lua_push_json(Ls, t->in);
    kith_lua_to_json(Ls, -1, &t->out, t->err, sizeof(t->err));
    lua_pop(Ls, 1);
    FUZZ_CHECK(lua_gettop(Ls) == top, "stack %d after a trip, want %d", lua_gettop(Ls), top);
    return 0;
}

static int init_fn(lua_State *Ls)
{
    kith_lua_convert_init(Ls);
    return 0;
}

/* Returns 0 with t->out set, or -1 with t->err. */
static int trip(struct trip *t)
{
    kith_lua_error lerr;
    t->out = NULL;
    t->err[0] = '\0';
    lua_pushcfunction(L, trip_fn);
    lua_pushlightuserdata(L, t);
    int rc = kith_lua_pcall(L, 1, 0, &lerr);
    FUZZ_CHECK(lua_gettop(L) == 0, "stack %d after pcall", lua_gettop(L));
    if (rc < 0) snprintf(t->err, sizeof(t->err), "lua: %s", lerr.message);
    return t->out ? 0 : -1;
}

static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int need = *p < 0x80                  ? 0
                   : *p >= 0xC2 && *p <= 0xDF ? 1
                   : *p >= 0xE0 && *p <= 0xEF ? 2
                   : *p >= 0xF0 && *p <= 0xF4 ? 3
                                              : -1;
        if (need < 0) return 0;
        unsigned cp = need == 0 ? *p : *p & (0x3F >> need);
        for (int k = 1; k <= need; k++) {
            if ((p[k] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (p[k] & 0x3F);
        }
        static const unsigned min[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[need] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        p += need + 1;
    }
    return 1;
}

static int time_key(const char *k)
{
    size_t n = k ? strlen(k) : 0;
    return (n == 2 && strcmp(k, "at") == 0) || (n > 3 && strcmp(k + n - 3, "_at") == 0);
}

/* 1 when v (at `depth`) has none of the documented changes.  Sets
 * *carriable to 0 (never to 1) for what the trip may legitimately refuse. */
static int plain(const cJSON *v, int depth, int *carriable)
{
    if (cJSON_IsNumber(v) && !isfinite(v->valuedouble)) *carriable = 0;
    if (cJSON_IsString(v) && !valid_utf8(v->valuestring)) *carriable = 0;
    /* Keys are strings too: Lua -> JSON refuses invalid UTF-8 in either. */
    if (v->string && !valid_utf8(v->string)) *carriable = 0;
    if (cJSON_IsNumber(v) && time_key(v->string) &&
        !(v->valuedouble >= -0x1p63 && v->valuedouble < 0x1p63))
        *carriable = 0;
    int ok = !cJSON_IsNull(v) && depth <= 32 && !time_key(v->string);
    for (const cJSON *c = v->child; c; c = c->next) {
        if (!plain(c, depth + 1, carriable)) ok = 0;
        if (cJSON_IsObject(v))
            for (const cJSON *d = c->next; d; d = d->next)
                if (strcmp(c->string, d->string) == 0) ok = 0;
    }
    return ok && *carriable;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!L) {
        kith_lua_error lerr;
        L = kith_sandbox_new(&budget);
        lua_pushcfunction(L, init_fn);
        if (!L || kith_lua_pcall(L, 0, 0, &lerr) < 0) abort();
    }
    cJSON *json = cJSON_ParseWithLength((const char *)data, size);
    if (!json) return 0;
    int carriable = 1;
    int is_plain = plain(json, 0, &carriable);

    struct trip first = {.in = json}, second;
    if (trip(&first) < 0) {
        /* The reason is checked only when the message was not cut short
         * (a long key names the place of the fault first). */
        int cut = strlen(first.err) >= sizeof(first.err) - 1;
        FUZZ_CHECK(!carriable &&
                       (cut || strstr(first.err, "UTF-8") || strstr(first.err, "finite") ||
                        strstr(first.err, "out of range for a time")),
                   "trip refused: %s (carriable %d)", first.err, carriable);
        cJSON_Delete(json);
        return 0;
    }
    second.in = first.out;
    FUZZ_CHECK(trip(&second) == 0, "second trip refused: %s", second.err);
    if (!cJSON_Compare(first.out, second.out, 1)) {
        char *a = cJSON_PrintUnformatted(first.out), *b = cJSON_PrintUnformatted(second.out);
        FUZZ_CHECK(0, "unstable trip:\n  first:  %s\n  second: %s", a, b);
    }
    if (is_plain) {
        char *a = cJSON_PrintUnformatted(json), *b = cJSON_PrintUnformatted(first.out);
        FUZZ_CHECK(cJSON_Compare(json, first.out, 1), "changed:\n  in:  %s\n  out: %s", a, b);
        cJSON_free(a);
        cJSON_free(b);
    }
    cJSON_Delete(first.out);
    cJSON_Delete(second.out);
    cJSON_Delete(json);
    return 0;
}
