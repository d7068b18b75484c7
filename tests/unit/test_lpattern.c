/*
 * lpattern: Kith's pattern matcher against the real Lua string library, on
 * a table of patterns and subjects and on random ones (a differential
 * test: both run on the same inputs here, results and error messages must
 * be equal); a pathological pattern stops at the check; and the sandbox's
 * metered library functions (bounded.c) agree with Lua's too and stop at
 * a spent CPU budget.
 */
#include "check.h"
#include "script/bounded.h"
#include "script/lpattern.h"
#include "script/sandbox.h"
#include "util/error.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>

/* Runs `code` in L with `K` (ours) and `string` (Lua's) around; the chunk
 * returns a list of mismatch descriptions, and each is a failure. */
static void run_diff(lua_State *L, const char *name, const char *code)
{
    if (luaL_loadstring(L, code) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
        fprintf(stderr, "%s: %s\n", name, lua_tostring(L, -1));
        CHECK(0);
        lua_pop(L, 1);
        return;
    }
    lua_Integer n = luaL_len(L, -1);
    for (lua_Integer i = 1; i <= n && i <= 20; i++) {
        lua_geti(L, -1, i);
        fprintf(stderr, "%s: %s\n", name, lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    if (n > 20) fprintf(stderr, "%s: ... %lld mismatches in all\n", name, (long long)n);
    CHECK_INT(n, 0);
    lua_pop(L, 1);
}

/* Shared by the chunks: `show` writes any results as one string, `both`
 * calls a real and a Kith function the same way and records a mismatch. */
static const char PRELUDE[] =
    "local function show(ok, ...)\n"
    "  local out = {ok and 'ok' or 'error'}\n"
    "  for i = 1, select('#', ...) do\n"
    "    local v = select(i, ...)\n"
    "    if type(v) == 'string' then v = ('%q'):format(v):gsub('\\n', 'n') end\n"
    "    if type(v) == 'function' then v = 'function' end\n"
    "    out[#out + 1] = tostring(v)\n"
    "  end\n"
    "  local s = table.concat(out, ' ')\n"
    /* Argument errors name the function as it was reached ('string.find'
     * for Lua's, which it finds in package.loaded, 'find' for Kith's). */
    "  return (s:gsub(\"to '[^']*'\", 'to F'))\n"
    "end\n"
    "bad = {}\n"
    "function both(what, real, mine, ...)\n"
    "  local a = show(pcall(real, ...))\n"
    "  local b = show(pcall(mine, ...))\n"
    "  if a ~= b then\n"
    "    local args = {}\n"
    "    for i = 1, select('#', ...) do args[i] = ('%q'):format(tostring((select(i, ...)))) end\n"
    "    bad[#bad + 1] = what .. '(' .. table.concat(args, ', ') .. '): lua ' .. a .. ' / kith ' "
    ".. b\n"
    "  end\n"
    "end\n"
    "function all(...) local t = {} for a, b, c in ... do t[#t + 1] = tostring(a) .. ',' .. "
    "tostring(b) .. ',' .. tostring(c) if #t > 50 then break end end return table.concat(t, ';') "
    "end\n"
    "function gm(f) return function(...) return all(f(...)) end end\n";

static const char TABLE_CASES[] =
    "bad = {}\n"
    "local cases = {\n"
    "  {'hello world', 'o'}, {'hello world', 'l+'}, {'hello world', 'l*'}, {'hello', 'l-'},\n"
    "  {'hello', 'x*'}, {'hello', '^h'}, {'hello', '^e'}, {'hello', 'o$'}, {'hello', 'l$'},\n"
    "  {'hello', '$'}, {'hello', '^'}, {'', ''}, {'', '^$'}, {'', '.'}, {'a', '.-'},\n"
    "  {'a$b', 'a$b'}, {'a$', 'a$'}, {'x^y', 'x^y'}, {'abc', '[a-b]+'}, {'abc', '[^a]+'},\n"
    "  {'a]b', '[]]'}, {'a]b', '[^]]+'}, {'a-b', '[a-]+'}, {'a-b', '[-a]+'}, {'a^b', '[b^]+'},\n"
    "  {'12ab', '%d+'}, {'12ab', '%D+'}, {' \\t x', '%s*()'}, {'AbC', '%u'}, {'AbC', '%l'},\n"
    "  {'a.b', '%.'}, {'a%b', '%%'}, {'a1_', '%w+'}, {'a1_', '%W'}, {'x!?', '%p+'},\n"
    "  {'\\0a\\0', '%z'}, {'\\0a\\0', '\\0a'}, {'\\0a\\0', '[\\0]+'}, {'ff0AG', '%x+'},\n"
    "  {'\\1\\2x', '%c+'}, {'abc', '%g+'}, {'hello world', '(o)(r)'}, {'hello', '()ll()'},\n"
    "  {'hello', '(l)(l)'}, {'hello', '(h)(e)(l)(l)(o)'}, {'abcabc', '(abc)%1'},\n"
    "  {'abab', '(a)(b)%2'}, {'abab', '(a)%2'}, {'aa', '()%1'}, {'x', '%0'},\n"
    "  {'f(a(b)c)d', '%b()'}, {'f(a(b)c', '%b()'}, {'||x||', '%b||'}, {'x', '%b'}, {'x', '%bx'},\n"
    "  {'THE (quick) fox', '%f[%a]%a+'}, {'THE (quick) fox', '%f[%A]'}, {'x', '%f'},\n"
    "  {'x', '%fx'}, {'abc', '%f[%z]'}, {'a b', '%f[%S]'}, {'key=val', '(%w+)=(%w+)'},\n"
    "  {'abc', '(a'}, {'abc', 'a)'}, {'abc', '%'}, {'abc', '[a'}, {'abc', '[a%'}, {'abc', '[%'},\n"
    "  {'abc', '(()'}, {'aaa', 'a?a?a?aaa'}, {'aaab', 'a-b'}, {'aaab', 'a*b'}, {'b', 'a+b'},\n"
    "  {'ab', 'a?b?c?'}, {'ab', '[ab]?[ab]?'}, {'x', '[%a-z]'}, {'-', '[%a-z]'}, {'z', '[a-%%]'},\n"
    "  {'%', '[a-%%]'}, {'.', '[.]'}, {'a', '[.]'}, {'aXb', '%u'}, {'day', '[Dd]ay'},\n"
    "  {'  trim  ', '^%s*(.-)%s*$'}, {'2024-01-05', '(%d+)-(%d+)-(%d+)'}, {'a,b,,c', '([^,]*)'},\n"
    "  {'one two', '%a+', 5}, {'one two', '%a+', -3}, {'one two', '%a+', 100}, {'abc', 'b', "
    "-100},\n"
    "  {'abc', '', 4}, {'abc', '', 5}, {'abc', 'c', 0}, {'aaa', 'a-', 2}, {'x', '[]'},\n"
    "  {'x', '[^]'}, {'x', '[^'}, {'a', '(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)'},\n"
    "  {'a', string.rep('(', 33) .. 'a' .. string.rep(')', 33)},\n"
    "  {string.rep('a', 12), string.rep('a?', 12) .. string.rep('a', 12)},\n"
    "  {'x', string.rep('(', 200) .. 'x' .. string.rep(')', 200)},\n"
    "}\n"
    "for _, c in ipairs(cases) do\n"
    "  local s, p, i = c[1], c[2], c[3]\n"
    "  both('find', string.find, K.find, s, p, i)\n"
    "  both('find plain', string.find, K.find, s, p, i or 1, true)\n"
    "  both('match', string.match, K.match, s, p, i)\n"
    "  both('gmatch', gm(string.gmatch), gm(K.gmatch), s, p, i)\n"
    "  both('gsub', string.gsub, K.gsub, s, p, '<%0>')\n"
    "  both('gsub 1', string.gsub, K.gsub, s, p, '[%1]', 2)\n"
    "  both('gsub fn', string.gsub, K.gsub, s, p, function(...) return select('#', ...) .. "
    "tostring((...)) end)\n"
    "  both('gsub table', string.gsub, K.gsub, s, p, {a = 'A', l = false, [3] = 'three'})\n"
    "end\n"
    "local extra = {\n"
    "  {'gsub', 'abc', '%w', '%%%0%'}, {'gsub', 'abc', '%w', '%2'}, {'gsub', 'abc', '(%w)', "
    "'%2'},\n"
    "  {'gsub', 'abc', '%w', '%x'}, {'gsub', 'abc', '%w', 7}, {'gsub', 'abc', '%w', true},\n"
    "  {'gsub', 'abc', '%w', {a = {}}}, {'gsub', 'abc', '()', '%1'}, {'gsub', 'abc', '', '-'},\n"
    "  {'gsub', 'abc', '^', '-'}, {'gsub', 'abc', 'b*', '-'}, {'gsub', 'abc', '%w', '-', 0},\n"
    "  {'gsub', 'abc', '%w', '-', -1}, {'gsub', 'abc', '%w', '-', 2.5}, {'gsub', 'abc', '^a', "
    "''},\n"
    "  {'find', 'a.b', '.', 1, true}, {'find', 'abc', '', 10, true}, {'find', 'abc', 'bc', -2, "
    "true},\n"
    "  {'find', 'a+b', '+', 1, false}, {'find', 'aaab', 'aab', 1, true}, {'find', 12345, 34},\n"
    "  {'find', 'abc'}, {'find', nil, 'a'}, {'find', 'abc', 'b', 'x'}, {'match', 'abc', {}},\n"
    "  {'gsub', 'abc', 'b'}, {'gsub', 'abc', 'b', 'x', 'y'}, {'match', 'x', '%f[x'},\n"
    "}\n"
    "for _, c in ipairs(extra) do\n"
    "  both(c[1], string[c[1]], K[c[1]], table.unpack(c, 2, 5))\n"
    "end\n"
    "return bad\n";

/* Random patterns from pattern pieces over random short subjects. */
static const char RANDOM_CASES[] =
    "bad = {}\n"
    "local pieces = {'a', 'b', '.', '%a', '%d', '[ab]', '[^a]', '(', ')', '()', '*', '+', '-',\n"
    "  '?', '%b()', '%f[%w]', '^', '$', '%1', '[%a-]', '%', '[', ']', 'x', '%s', '[a-c]', '%2'}\n"
    "local letters = {'a', 'b', 'c', '(', ')', ' ', '1', 'x', '-', '%', ']'}\n"
    "math.randomseed(9)\n"
    "for n = 1, 6000 do\n"
    "  local p = {}\n"
    "  for i = 1, math.random(1, 7) do p[i] = pieces[math.random(#pieces)] end\n"
    "  local s = {}\n"
    "  for i = 1, math.random(0, 10) do s[i] = letters[math.random(#letters)] end\n"
    "  p, s = table.concat(p), table.concat(s)\n"
    "  both('find', string.find, K.find, s, p)\n"
    "  both('match', string.match, K.match, s, p, math.random(-3, 4))\n"
    "  both('gmatch', gm(string.gmatch), gm(K.gmatch), s, p)\n"
    "  both('gsub', string.gsub, K.gsub, s, p, '<%0%1>')\n"
    "  both('gsub fn', string.gsub, K.gsub, s, p, function(a, b) return b and a .. b or nil end)\n"
    "end\n"
    "return bad\n";

/* Kith's other metered functions (bounded.c) against Lua's. */
static const char BOUNDED_CASES[] =
    "bad = {}\n"
    "local S, T, U, O = KS, KT, KU, KO\n"
    "for _, c in ipairs({{'ab', 3}, {'ab', 3, ','}, {'', 5, ''}, {'x', 0}, {'x', -1},\n"
    "    {'x', 1, 'sep'}, {'', 3, '-'}, {'ab', 2^31}, {'x', 'y'}, {'x', 2.5}}) do\n"
    "  both('rep', string.rep, S.rep, table.unpack(c, 1, 3))\n"
    "end\n"
    "for _, s in ipairs({'', 'abC', 'Ω\\0z', string.rep('xY', 5000)}) do\n"
    "  both('upper', string.upper, S.upper, s) both('lower', string.lower, S.lower, s)\n"
    "  both('reverse', string.reverse, S.reverse, s)\n"
    "end\n"
    "local t = setmetatable({}, {__tostring = function() return 'T!' end})\n"
    "for _, c in ipairs({{'%d %s', 3, 'x'}, {'%5.2f|%-5d|%x', 3.14159, 42, 255}, {'%q', "
    "'a\\n\\0001\\r\"\\\\'},\n"
    "    {'%q', 1/3}, {'%q', 7}, {'%q', {}}, {'%10q', 'x'}, {'%s', t}, {'%d', 'x'}, {'%d', 1.5},\n"
    "    {'%d'}, {'%', 1}, {'%y', 1}, {'100%%'}, {'%c%c', 65, 66}, {'%i', 3}, {'%05d', -4},\n"
    "    {'%.3s', 'abcdef'}, {'%a', 1}, {'%s %s', 1}, {'%123d', 1}, {'%5', 1}, {'a%%b%'}, {'%e', "
    "'x'},\n"
    "    {'%' .. string.rep('-', 40) .. 'd', 1}, {'%q', '\\0009'}, {'%s', nil}, {'%p', 1}}) do\n"
    "  both('format', string.format, S.format, table.unpack(c, 1, 4))\n"
    "end\n"
    "for _, c in ipairs({{{'a', 'b', 'c'}}, {{'a', 'b', 'c'}, ', '}, {{'a', 'b', 'c'}, ',', 2},\n"
    "    {{'a', 'b', 'c'}, ',', 2, 3}, {{'a', {}, 'c'}}, {{1, 2.5, 'c'}, '-'}, {{}}, {{'a'}, ',', "
    "3, 2},\n"
    "    {'x'}, {{'a'}, ',', 1, 2}}) do\n"
    "  both('concat', table.concat, T.concat, table.unpack(c, 1, 4))\n"
    "end\n"
    "local function run(f, ...) local t = {10, 20, 30, 40} local ok, e = pcall(f, t, ...) "
    "  return table.concat(t, ','), ok, e end\n"
    "for _, c in ipairs({{5}, {1, 5}, {5, 5}, {6, 5}, {0, 5}, {1, 2, 3}, {'x', 5}}) do\n"
    "  both('insert', function(...) return run(table.insert, ...) end,\n"
    "    function(...) return run(T.insert, ...) end, table.unpack(c, 1, 3))\n"
    "end\n"
    "for _, c in ipairs({{}, {1}, {4}, {5}, {0}, {6}, {-1}}) do\n"
    "  both('remove', function(...) return run(table.remove, ...) end,\n"
    "    function(...) return run(T.remove, ...) end, table.unpack(c, 1, 1))\n"
    "end\n"
    "local function mv(f, ...) local a, b = {1, 2, 3, 4, 5}, {} local ok, e = pcall(f, a, ...) "
    "  return table.concat(a, ','), table.concat(b, ','), ok, type(e) end\n"
    "for _, c in ipairs({{1, 3, 2}, {2, 5, 1}, {1, 0, 3}, {1, 3, 3}, {-1, 2, 1},\n"
    "    {1, math.maxinteger, 2}, {math.mininteger, 1, 1}}) do\n"
    "  both('move', function(...) return mv(table.move, ...) end,\n"
    "    function(...) return mv(T.move, ...) end, table.unpack(c, 1, 3))\n"
    "end\n"
    "math.randomseed(3)\n"
    "for n = 1, 200 do\n"
    "  local a = {} for i = 1, math.random(0, 60) do a[i] = math.random(1, 20) end\n"
    "  local b = {table.unpack(a)}\n"
    "  local gt = function(x, y) return x > y end\n"
    "  local cmp = n % 2 == 0 and gt or nil\n"
    "  table.sort(a, cmp) T.sort(b, cmp)\n"
    "  if table.concat(a, ',') ~= table.concat(b, ',') then\n"
    "    bad[#bad + 1] = 'sort: ' .. table.concat(a, ',') .. ' / ' .. table.concat(b, ',') end\n"
    "end\n"
    "both('sort mixed', table.sort, T.sort, {1, 'x', 2})\n"
    "both('sort bad cmp', table.sort, T.sort, {1, 2}, 3)\n"
    "local utf = {'', 'abc', 'h\\xc3\\xa9llo', '\\xe2\\x82\\xac!', '\\xf0\\x9f\\x98\\x80x', "
    "'\\xff',\n"
    "  '\\xc3', 'a\\x80b', '\\xc0\\x80', '\\xed\\xa0\\x80', '\\xf4\\x90\\x80\\x80', "
    "'\\xf8\\x88\\x80\\x80\\x80',\n"
    "  '\\xfd\\xbf\\xbf\\xbf\\xbf\\xbf', '\\x80abc', 'ab\\xe2\\x82'}\n"
    "for _, s in ipairs(utf) do\n"
    "  for _, ij in ipairs({{}, {2}, {-2}, {1, -2}, {0}, {#s + 2}, {2, #s + 1}}) do\n"
    "    both('utf8.len', utf8.len, U.len, s, ij[1], ij[2])\n"
    "    both('utf8.len lax', utf8.len, U.len, s, ij[1] or 1, ij[2] or -1, true)\n"
    "  end\n"
    "  for _, c in ipairs({{0}, {1}, {2}, {3}, {-1}, {-2}, {1, 2}, {0, 3}, {2, #s + 1}, {-1, #s},\n"
    "      {0, #s + 2}, {5, -3}}) do\n"
    "    both('utf8.offset', utf8.offset, U.offset, s, c[1], c[2])\n"
    "  end\n"
    "  both('utf8.codes', gm(utf8.codes), gm(U.codes), s)\n"
    "  both('utf8.codes lax', function(s) return all(utf8.codes(s, true)) end,\n"
    "    function(s) return all(U.codes(s, true)) end, s)\n"
    "end\n"
    "for _, c in ipairs({{'%Y-%m-%d', 86400 * 400}, {'!%H:%M', 3600}, {'!*t', 0}, {'*t', 0},\n"
    "    {'!' .. string.rep('%Y-%m-%d %H %%|', 30), 1e9}, {string.rep('%c ', 40), 1e9},\n"
    "    {string.rep('x', 70) .. '%Ez', 0}, {string.rep('%H', 40) .. '%', 0}}) do\n"
    "  local function flat(f) return function(...) local r = f(...) if type(r) == 'table' then\n"
    "    return r.year, r.month, r.day, r.hour, r.min, r.sec, r.wday, r.yday, r.isdst end return r "
    "end end\n"
    "  both('os.date', flat(os.date), flat(O.date), c[1], c[2])\n"
    "end\n"
    "for _, c in ipairs({{'10', 2}, {'  ff  ', 16}, {'-zz', 36}, {'+7', 8}, {'8', 8}, {'', 10},\n"
    "    {' ', 10}, {'1 2', 10}, {'7fffffffffffffffff', 16}, {'10', 1}, {'10', 37}, {10, 10},\n"
    "    {'1e3'}, {' 0x10 '}, {'abc'}, {'12', 'x'}}) do\n"
    "  both('tonumber', tonumber, KB.tonumber, c[1], c[2])\n"
    "end\n"
    "for _, c in ipairs({{'i4', 7}, {'<i2 >i2', 1, 2}, {string.rep(' ', 60000)}, {'z', 'ab'}}) do\n"
    "  both('pack', string.pack, S.pack, table.unpack(c, 1, 3))\n"
    "  both('packsize', string.packsize, S.packsize, c[1])\n"
    "end\n"
    "both('unpack', string.unpack, S.unpack, '<i2', '\\1\\0')\n"
    "return bad\n";

static int stop_calls;

/* A check that stops any match after 50 checks. */
static void stop_after_50(lua_State *L)
{
    if (++stop_calls > 50) luaL_error(L, "stopped by the check");
}

static void test_differential(void)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    kith_lpattern_push_lib(L, NULL);
    lua_setglobal(L, "K");
    CHECK(luaL_dostring(L, PRELUDE) == LUA_OK);
    run_diff(L, "table", TABLE_CASES);
    run_diff(L, "random", RANDOM_CASES);
    lua_close(L);
}

static void test_pathological_pattern_stops(void)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    kith_lpattern_push_lib(L, stop_after_50);
    lua_setglobal(L, "K");
    static const char *const hostile[] = {
        "return K.find(string.rep('a', 2400), '.-.-b')",
        "return K.match(string.rep('a', 100000), '.-.-.-b')",
        "return K.gsub(string.rep('a', 3000), '.-.-b', '')",
        "for x in K.gmatch(string.rep('a', 3000), '.-.-b') do end",
        "return K.find(string.rep('a', 3000), '(.-)(.-)%2b')",
        "return K.find(string.rep('(', 100000), '%b()x')",
        "return K.find(string.rep('a', 200000), string.rep('a', 5000) .. 'b', 1, true)",
        "return K.find(string.rep('a', 4000), string.rep('a*', 20) .. 'b')",
    };
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        stop_calls = 0;
        int rc = luaL_dostring(L, hostile[i]);
        CHECK(rc != LUA_OK);
        const char *msg = lua_tostring(L, -1);
        if (!msg || !strstr(msg, "stopped by the check"))
            fprintf(stderr, "%s: %s\n", hostile[i], msg ? msg : "(no error)");
        CHECK(msg && strstr(msg, "stopped by the check"));
        lua_settop(L, 0);
    }
    lua_close(L);
}

/* Runs `code` in the sandbox state L as host code (real globals), under
 * kith_lua_pcall; returns its code. */
static int host_run(lua_State *L, const char *code, kith_lua_error *err)
{
    if (luaL_loadstring(L, code) != LUA_OK) {
        fprintf(stderr, "%s: %s\n", code, lua_tostring(L, -1));
        lua_pop(L, 1);
        return -1;
    }
    return kith_lua_pcall(L, 0, 0, err);
}

static void test_bounded_agree(void)
{
    kith_lua_budget b = {.limit = 256u << 20, .limit_ms = 60000};
    lua_State *L = kith_sandbox_new(&b);
    CHECK(L != NULL);
    if (!L) return;
    /* The sandbox's libraries (read-only proxies in the base) beside the
     * real ones (the host's globals). */
    lua_getfield(L, LUA_REGISTRYINDEX, "kith.base");
    static const char *const libs[] = {"string", "table", "utf8", "os", "tonumber"};
    static const char *const names[] = {"KS", "KT", "KU", "KO", "KB_tonumber"};
    for (int i = 0; i < 5; i++) {
        lua_getfield(L, -1, libs[i]);
        lua_setglobal(L, names[i]);
    }
    lua_pop(L, 1);
    kith_lua_error err;
    CHECK_INT(host_run(L, PRELUDE, &err), 0);
    CHECK_INT(host_run(L, "KB = {tonumber = KB_tonumber}", &err), 0);
    run_diff(L, "bounded", BOUNDED_CASES);
    kith_sandbox_close(L);
}

/* Runs `code` as a rule would, in a fresh environment that also holds the
 * host's globals BIG, PCT and DATES. */
static int sandbox_run(lua_State *L, const char *code, kith_lua_error *err)
{
    kith_sandbox_push_env(L);
    static const char *const given[] = {"BIG", "PCT", "DATES"};
    for (int i = 0; i < 3; i++) {
        lua_getglobal(L, given[i]);
        lua_setfield(L, -2, given[i]);
    }
    if (kith_sandbox_load(L, code, strlen(code), "=hostile", -1) < 0) {
        fprintf(stderr, "%s: %s\n", code, lua_tostring(L, -1));
        lua_pop(L, 2);
        return -1;
    }
    lua_remove(L, -2);
    return kith_lua_pcall(L, 0, 0, err);
}

/* A sandbox with a 30 ms budget: each hostile call ends in the budget
 * error, and the same functions on ordinary input agree with Lua's. */
static void test_budget_stops(void)
{
    kith_lua_budget b = {.limit = 512u << 20, .limit_ms = 60000};
    lua_State *L = kith_sandbox_new(&b);
    CHECK(L != NULL);
    if (!L) return;
    /* Big inputs are made first, under a roomy budget. */
    kith_lua_error setup;
    CHECK_INT(host_run(L,
                       "BIG = string.rep('a', 1e8) PCT = string.rep('%%', 2.5e7)"
                       " DATES = string.rep('%c', 1e6)",
                       &setup),
              0);
    b.limit_ms = 30;
    static const char *const hostile[] = {
        "return string.find(string.rep('a', 2400), '.-.-b')",
        "return ('x'):rep(100000):match('.-.-.-y')",
        "return string.rep('x', 1e8, '')",
        "local t = setmetatable({}, {__index = tostring}) return table.concat(t, '', 1, 1e12)",
        "return table.move({}, 1, 1e12, 2)",
        "local t = setmetatable({}, {__len = function() return 1e12 end}) table.insert(t, 1, 0)",
        "local t = setmetatable({}, {__len = function() return 1e12 end}) return table.remove(t, "
        "1)",
        "local t = setmetatable({}, {__len = function() return 2^31 - 2 end})"
        " table.sort(t, rawequal)",
        "return pcall(string.find, string.rep('a', 2400), '.-.-b')",
        "return string.format(PCT)",
        "return utf8.len(BIG)",
        "return os.date(DATES)",
        "return BIG:upper()",
    };
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        kith_lua_error err;
        int rc = sandbox_run(L, hostile[i], &err);
        if (rc != KITH_ESCRIPTLIMIT || !strstr(err.message, "CPU budget"))
            fprintf(stderr, "%s: rc %d: %s\n", hostile[i], rc, rc ? err.message : "");
        CHECK_INT(rc, KITH_ESCRIPTLIMIT);
        CHECK(strstr(err.message, "CPU budget") != NULL);
    }
    kith_sandbox_close(L);
}

int main(void)
{
    test_differential();
    test_pathological_pattern_stops();
    test_bounded_agree();
    test_budget_stops();
    return check_done();
}
