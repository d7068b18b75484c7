/*
 * See sandbox.h.
 *
 * DESIGN NOTES
 *   1. The base environment lives in the registry and is reachable from
 *      scripts only through the __index of their own environment, whose
 *      metatable is locked (__metatable = false).  Libraries in it are
 *      read-only proxies, so no file can change what another file sees.
 *   2. The string metatable is locked too: ("").x reads the real string
 *      library, but nothing can replace it.
 *   3. The clock is armed by the outermost kith_lua_pcall and checked every
 *      KITH_HOOK_COUNT instructions.  Once a budget is spent the hook raises
 *      again at every check and the sandbox's pcall/xpcall re-raise, so the
 *      error reaches the host whatever the script does.
 *   4. The hook never fires inside a C function, so every library function
 *      that can run long in C is replaced by one that meters its work and
 *      calls kith_sandbox_check_cpu() as it goes: patterns (lpattern.c) and
 *      the rest (bounded.c).  Its overrun raises exactly like the hook's.
 *   5. A read-only proxy is an empty table whose metatable (locked) reads
 *      from the real one.  No path hands the real table out: pairs and
 *      next walk it through the proxy (safe_next), rawget/rawlen see the
 *      empty proxy, rawset is not offered, and tables inside a shared
 *      table are replaced by their own proxies when it is shared.  The
 *      registry maps each table to its proxy and back (weak keys).
 */
#include "script/sandbox.h"
#include "script/bounded.h"
#include "util/error.h"
#include "util/log.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KITH_HOOK_COUNT 1000

static const char BASE_KEY[] = "kith.base";
static const char PROXY_KEY[] = "kith.proxy_of";   /* table -> its proxy */
static const char TARGET_KEY[] = "kith.target_of"; /* proxy -> its table */
static const char CPU_MSG[] = "script exceeded its CPU budget";
static const char MEM_MSG[] = "script exceeded its memory budget";

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    kith_lua_budget *b = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        b->used -= old;
        return NULL;
    }
    if (nsize > old && b->used + (nsize - old) > b->limit) {
        /* Lua collects garbage and retries before it gives up, so this is
         * not yet an error: only a LUA_ERRMEM that reaches a protected call
         * is (see safe_pcall and kith_lua_pcall). */
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (!p) return NULL;
    b->used = b->used - old + nsize;
    return p;
}

kith_lua_budget *kith_sandbox_budget(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
}

static void budget_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    kith_sandbox_check_cpu(L);
}

int64_t kith_sandbox_deadline(lua_State *L)
{
    kith_lua_budget *b = kith_sandbox_budget(L);
    return b->deadline_ns ? b->deadline_ns : mono_ns() + b->limit_ms * 1000000;
}

int kith_sandbox_past(lua_State *L, int64_t deadline_ns)
{
    if (mono_ns() <= deadline_ns) return 0;
    kith_lua_budget *b = kith_sandbox_budget(L);
    if (b->deadline_ns) b->exceeded = KITH_BUDGET_CPU;
    return 1;
}

void kith_sandbox_check_cpu(lua_State *L)
{
    kith_lua_budget *b = kith_sandbox_budget(L);
    if (b->exceeded == KITH_BUDGET_MEM) luaL_error(L, MEM_MSG);
    if (b->exceeded == KITH_BUDGET_CPU || (b->deadline_ns && mono_ns() > b->deadline_ns)) {
        b->exceeded = KITH_BUDGET_CPU;
        luaL_error(L, "%s (%d ms)", CPU_MSG, (int)b->limit_ms);
    }
}

/* Re-raises when a budget was spent inside a protected call. */
static void reraise_if_spent(lua_State *L)
{
    kith_lua_budget *b = kith_sandbox_budget(L);
    if (b->exceeded) lua_error(L);
}

static int safe_pcall(lua_State *L)
{
    luaL_checkany(L, 1);
    int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    if (status == LUA_ERRMEM) kith_sandbox_budget(L)->exceeded = KITH_BUDGET_MEM;
    if (status != LUA_OK) reraise_if_spent(L);
    lua_pushboolean(L, status == LUA_OK);
    lua_insert(L, 1);
    return lua_gettop(L);
}

/* The user's message handler, wrapped: once a budget is spent the handler
 * is skipped, since Lua runs it where the count hook cannot interrupt it
 * (a handler that loops would otherwise hold the server forever). */
static int guarded_handler(lua_State *L)
{
    if (kith_sandbox_budget(L)->exceeded) return 1; /* the error as it is */
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int safe_xpcall(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, guarded_handler, 1);
    lua_replace(L, 2);
    lua_pushvalue(L, 1); /* f */
    lua_copy(L, 2, 1);   /* handler moves to 1 */
    lua_replace(L, 2);   /* f at 2 */
    int status = lua_pcall(L, n - 2, LUA_MULTRET, 1);
    if (status == LUA_ERRMEM) kith_sandbox_budget(L)->exceeded = KITH_BUDGET_MEM;
    if (status != LUA_OK) reraise_if_spent(L);
    lua_pushboolean(L, status == LUA_OK);
    lua_replace(L, 1); /* the handler's slot becomes the status */
    return lua_gettop(L);
}

/* Feeds a chunk to the parser in slices, checking the CPU budget between
 * them: compiling runs in C, where the hook never fires (note 4). */
typedef struct chunk_reader {
    const char *code;
    size_t left;
    int first;
} chunk_reader;

#define LOAD_SLICE (16 * 1024)

static const char *read_slice(lua_State *L, void *ud, size_t *size)
{
    chunk_reader *r = ud;
    if (!r->first) kith_sandbox_check_cpu(L);
    r->first = 0;
    *size = r->left < LOAD_SLICE ? r->left : LOAD_SLICE;
    const char *slice = r->code;
    r->code += *size;
    r->left -= *size;
    return *size ? slice : NULL;
}

/* load(chunk [, name [, mode [, env]]]) restricted to text chunks whose
 * default environment is the caller's base, never the real globals. */
static int safe_load(lua_State *L)
{
    size_t len;
    const char *code = luaL_checklstring(L, 1, &len);
    const char *name = luaL_optstring(L, 2, "=(load)");
    if (len > 0 && code[0] == LUA_SIGNATURE[0]) {
        luaL_pushfail(L);
        lua_pushliteral(L, "binary chunks are not allowed");
        return 2;
    }
    int has_env = !lua_isnone(L, 4);
    chunk_reader r = {code, len, 1};
    if (lua_load(L, read_slice, &r, name, "t") != LUA_OK) {
        /* The parser catches errors, the budget's too: raise it again. */
        if (kith_sandbox_budget(L)->exceeded) lua_error(L);
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    if (!has_env)
        kith_sandbox_push_env(L);
    else
        lua_pushvalue(L, 4);
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
    return 1;
}

/* setmetatable without finalizers: Lua runs __gc where no budget can stop
 * it, and __close during error unwinding; neither is worth that risk. */
static int safe_setmetatable(lua_State *L)
{
    if (lua_istable(L, 2)) {
        if (lua_getfield(L, 2, "__gc") != LUA_TNIL)
            return luaL_error(L, "setmetatable: __gc finalizers are not allowed in rules");
        if (lua_getfield(L, 2, "__close") != LUA_TNIL)
            return luaL_error(L, "setmetatable: __close is not allowed in rules");
        lua_pop(L, 2);
    }
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

static int print_to_log(lua_State *L)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
        if (i < n) luaL_addchar(&b, '\t');
    }
    luaL_pushresult(&b);
    kith_info("script: %s", lua_tostring(L, -1));
    return 0;
}

static int readonly_newindex(lua_State *L)
{
    return luaL_error(L, "attempt to change a read-only table (field '%s')",
                      lua_tostring(L, 2) ? lua_tostring(L, 2) : "?");
}

/* Pushes the table a proxy stands for, or nil when `idx` is no proxy
 * (note 4).  Stack effect: +1. */
static void push_target(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_getfield(L, LUA_REGISTRYINDEX, TARGET_KEY);
    lua_pushvalue(L, idx);
    lua_rawget(L, -2);
    lua_remove(L, -2);
}

/* next(t [, k]) that walks a proxy's table through the proxy: the keys and
 * values come out, the table itself never does (note 4). */
static int safe_next(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    push_target(L, 1);
    if (lua_istable(L, -1))
        lua_replace(L, 1);
    else
        lua_pop(L, 1);
    if (lua_next(L, 1)) return 2;
    lua_pushnil(L);
    return 1;
}

/* __pairs of a proxy: the iterator is safe_next and its state the proxy. */
static int readonly_pairs(lua_State *L)
{
    lua_pushcfunction(L, safe_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

void kith_sandbox_push_readonly(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_getfield(L, LUA_REGISTRYINDEX, PROXY_KEY);
    lua_pushvalue(L, idx);
    if (lua_rawget(L, -2) == LUA_TTABLE) { /* one proxy per table */
        lua_remove(L, -2);
        return;
    }
    lua_pop(L, 1);
    push_target(L, idx);
    if (!lua_isnil(L, -1)) { /* already a proxy */
        lua_pop(L, 2);
        lua_pushvalue(L, idx);
        return;
    }
    lua_pop(L, 1);
    lua_newtable(L);
    lua_createtable(L, 0, 4);
    lua_pushvalue(L, idx);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, readonly_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    /* Remember both ways before going deeper, so a table that contains
     * itself gets this proxy rather than a loop. */
    lua_pushvalue(L, idx);
    lua_pushvalue(L, -2);
    lua_rawset(L, -4);
    lua_remove(L, -2); /* PROXY_KEY's table */
    lua_getfield(L, LUA_REGISTRYINDEX, TARGET_KEY);
    lua_pushvalue(L, -2);
    lua_pushvalue(L, idx);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    /* Tables inside a shared table are shared too: each is replaced by
     * its proxy (changing existing fields while traversing is allowed). */
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_istable(L, -1)) {
            kith_sandbox_push_readonly(L, -1);
            lua_pushvalue(L, -3);
            lua_insert(L, -2);
            lua_rawset(L, idx);
        }
        lua_pop(L, 1);
    }
}

void kith_sandbox_add_library(lua_State *L, const char *name)
{
    lua_getfield(L, LUA_REGISTRYINDEX, BASE_KEY);
    kith_sandbox_push_readonly(L, -2);
    lua_setfield(L, -2, name);
    lua_pop(L, 2);
}

typedef void (*metered_fn)(lua_State *L, int idx);

/* Copies the fields of global library `lib` into a new table (only those in
 * `allowed` when it is not NULL, never `banned`), lets `meter` replace the
 * functions that can run long in C (note 4), and adds the copy to the base,
 * read-only. */
static void add_library(lua_State *L, const char *lib, const char *const *allowed,
                        const char *banned, metered_fn meter)
{
    lua_getglobal(L, lib);
    lua_newtable(L);
    if (allowed) {
        for (int i = 0; allowed[i]; i++) {
            lua_getfield(L, -2, allowed[i]);
            lua_setfield(L, -2, allowed[i]);
        }
    } else {
        lua_pushnil(L);
        while (lua_next(L, -3)) {
            if (banned && lua_type(L, -2) == LUA_TSTRING &&
                strcmp(lua_tostring(L, -2), banned) == 0) {
                lua_pop(L, 1);
                continue;
            }
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_settable(L, -4);
        }
    }
    if (meter) meter(L, -1);
    kith_sandbox_add_library(L, lib);
    lua_pop(L, 1);
}

/* A registry table with weak keys, for the proxy maps (note 5). */
static void new_weak_registry_table(lua_State *L, const char *key)
{
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, key);
}

static int build_base(lua_State *L)
{
    luaL_openlibs(L);
    new_weak_registry_table(L, PROXY_KEY);
    new_weak_registry_table(L, TARGET_KEY);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, BASE_KEY);
    lua_getfield(L, LUA_REGISTRYINDEX, BASE_KEY);
    static const char *const base_fns[] = {
        "assert", "error",    "ipairs",   "pairs", "rawequal",     "rawget",   "rawlen",
        "select", "tonumber", "tostring", "type",  "getmetatable", "_VERSION", NULL};
    for (int i = 0; base_fns[i]; i++) {
        lua_getglobal(L, base_fns[i]);
        lua_setfield(L, -2, base_fns[i]);
    }
    kith_bounded_base(L, -1);
    lua_pushcfunction(L, safe_pcall);
    lua_setfield(L, -2, "pcall");
    lua_pushcfunction(L, safe_xpcall);
    lua_setfield(L, -2, "xpcall");
    lua_pushcfunction(L, safe_load);
    lua_setfield(L, -2, "load");
    lua_pushcfunction(L, safe_next);
    lua_setfield(L, -2, "next");
    lua_pushcfunction(L, print_to_log);
    lua_setfield(L, -2, "print");
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, safe_setmetatable, 1);
    lua_setfield(L, -2, "setmetatable");
    lua_pop(L, 1);
    add_library(L, "string", NULL, "dump", kith_bounded_string);
    add_library(L, "table", NULL, NULL, kith_bounded_table);
    add_library(L, "math", NULL, NULL, NULL);
    add_library(L, "utf8", NULL, NULL, kith_bounded_utf8);
    static const char *const os_fns[] = {"time", "date", "clock", NULL};
    add_library(L, "os", os_fns, NULL, kith_bounded_os);
    /* Lock the string metatable (note 2) and drop the real globals' reach:
     * nothing in the base refers back to _G. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    /* Methods on strings ("x"):rep() reach the sandbox's string library,
     * the one without dump. */
    lua_getfield(L, LUA_REGISTRYINDEX, BASE_KEY);
    lua_getfield(L, -1, "string");
    lua_setfield(L, -3, "__index");
    lua_pop(L, 3);
    return 0;
}

static int panic(lua_State *L)
{
    kith_error("script: unprotected Lua error: %s", lua_tostring(L, -1));
    abort();
}

lua_State *kith_sandbox_new(kith_lua_budget *b)
{
    b->used = 0;
    b->exceeded = KITH_BUDGET_OK;
    b->deadline_ns = 0;
    b->depth = 0;
    lua_State *L = lua_newstate(budget_alloc, b);
    if (!L) return NULL;
    lua_atpanic(L, panic);
    lua_pushcfunction(L, build_base);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        kith_error("script: cannot build the sandbox: %s", lua_tostring(L, -1));
        lua_close(L);
        return NULL;
    }
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, KITH_HOOK_COUNT);
    return L;
}

void kith_sandbox_push_env(lua_State *L)
{
    lua_newtable(L);
    lua_createtable(L, 0, 2);
    lua_getfield(L, LUA_REGISTRYINDEX, BASE_KEY);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
}

int kith_sandbox_load(lua_State *L, const char *code, size_t len, const char *chunkname,
                      int env_idx)
{
    env_idx = lua_absindex(L, env_idx);
    if (luaL_loadbufferx(L, code, len, chunkname, "t") != LUA_OK) return -1;
    lua_pushvalue(L, env_idx);
    lua_setupvalue(L, -2, 1);
    return 0;
}

void kith_lua_error_set(kith_lua_error *err, int code, const char *message)
{
    err->code = code;
    snprintf(err->message, sizeof(err->message), "%s", message ? message : "error");
    err->script[0] = '\0';
    err->line = 0;
    /* Lua places errors as "chunkname:line: text"; chunk names are the
     * script's path.  An error that travelled up through crm.call carries
     * one such place per level ("a.lua:6: customer.update: b.lua:5: no"):
     * the last one is where it started, the rule that raised it. */
    const char *colon = strchr(err->message, ':');
    while (colon) {
        char *end;
        long line = strtol(colon + 1, &end, 10);
        if (end != colon + 1 && *end == ':' && line > 0) {
            const char *start = colon;
            while (start > err->message && start[-1] != ' ')
                start--;
            size_t n = (size_t)(colon - start);
            if (n > 0 && n < sizeof(err->script)) {
                memcpy(err->script, start, n);
                err->script[n] = '\0';
                err->line = (int)line;
            }
        }
        colon = strchr(colon + 1, ':');
    }
}

static int traceback(lua_State *L)
{
    /* An error raised by crm.call is a table carrying the method's error
     * code: keep it, so a rule that lets a conflict through reports a
     * conflict rather than a script error. */
    if (lua_istable(L, 1)) {
        lua_getfield(L, 1, "kith_code");
        if (lua_isinteger(L, -1)) kith_sandbox_budget(L)->error_code = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    const char *msg = lua_tostring(L, 1);
    if (!msg) msg = luaL_tolstring(L, 1, NULL);
    luaL_traceback(L, L, msg, 1);
    /* Keep the plain message first, the traceback second. */
    lua_pushstring(L, msg);
    lua_insert(L, -2);
    lua_pushliteral(L, "\n");
    lua_insert(L, -2);
    lua_concat(L, 3);
    return 1;
}

int kith_lua_pcall(lua_State *L, int nargs, int nresults, kith_lua_error *err)
{
    kith_lua_budget *b = kith_sandbox_budget(L);
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, traceback);
    lua_insert(L, base);
    b->error_code = 0;
    /* Each entry gets its own budget, never more than what is left of the
     * call it is nested in. */
    int64_t outer = b->deadline_ns;
    int64_t mine = mono_ns() + b->limit_ms * 1000000;
    if (b->depth++ == 0) b->exceeded = KITH_BUDGET_OK;
    b->deadline_ns = outer && outer < mine ? outer : mine;
    int status = lua_pcall(L, nargs, nresults, base);
    if (status == LUA_ERRMEM) b->exceeded = KITH_BUDGET_MEM;
    int spent = b->exceeded;
    b->deadline_ns = outer;
    if (--b->depth == 0) {
        b->deadline_ns = 0;
        b->exceeded = KITH_BUDGET_OK;
    }
    if (status == LUA_OK) {
        lua_remove(L, base);
        return 0;
    }
    const char *text = lua_tostring(L, -1);
    if (status == LUA_ERRMEM || spent == KITH_BUDGET_MEM) text = MEM_MSG;
    char msg[2048];
    snprintf(msg, sizeof(msg), "%s", text ? text : "error object is not a string");
    char *nl = strchr(msg, '\n');
    if (nl) *nl = '\0';
    kith_lua_error_set(err,
                       spent           ? KITH_ESCRIPTLIMIT
                       : b->error_code ? b->error_code
                                       : KITH_ESCRIPT,
                       msg);
    snprintf(err->traceback, sizeof(err->traceback), "%s", text && nl ? text + (nl - msg) + 1 : "");
    lua_settop(L, base - 1);
    return err->code;
}

void kith_sandbox_close(lua_State *L)
{
    if (!L) return;
    kith_lua_budget *b = kith_sandbox_budget(L);
    b->limit = SIZE_MAX; /* the collector must never fail for lack of budget */
    lua_gc(L, LUA_GCCOLLECT);
    lua_close(L);
}
