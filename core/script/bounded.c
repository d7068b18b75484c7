/*
 * See bounded.h.
 *
 * Work is counted in units of about one byte copied; one table access or
 * comparison counts TABLE_OP units.  meter_add() calls the budget check
 * every CHECK_UNITS units, a few microseconds of work.  Where a function
 * only needs slicing to become interruptible (format, os.date), the slices
 * are handed to Lua's own function, kept as an upvalue.
 */
#include "script/bounded.h"
#include "script/lpattern.h"
#include "script/sandbox.h"

#include <ctype.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CHECK_UNITS  (64 * 1024)
#define TABLE_OP     64
#define MAX_REP      ((size_t)INT_MAX) /* Lua's limit on string.rep */
#define DATE_SLICE   64                /* bytes of os.date format per call */
#define FORMAT_FLAGS "-+ #0123456789."

typedef struct meter {
    lua_State *L;
    size_t left;
} meter;

static void meter_init(meter *m, lua_State *L)
{
    m->L = L;
    m->left = CHECK_UNITS;
}

static void meter_add(meter *m, size_t units)
{
    if (units < m->left) {
        m->left -= units;
        return;
    }
    m->left = CHECK_UNITS;
    kith_sandbox_check_cpu(m->L);
}

/* Does message m start with a place, "chunk:line:"? */
static int has_place(const char *m)
{
    const char *colon = strchr(m, ':');
    if (!colon || !isdigit((unsigned char)colon[1])) return 0;
    const char *q = colon + 1;
    while (isdigit((unsigned char)*q))
        q++;
    return *q == ':';
}

/* Calls Lua's own function (below its nargs arguments) for one slice of
 * the work, with one result.  Its errors are raised again as if it had
 * been called from the rule directly: with the rule's place in front, and
 * its argument `arg_as` (2, the value, for format) renumbered to `arg`. */
static void call_original(lua_State *L, int nargs, int arg_as, int arg)
{
    if (lua_pcall(L, nargs, 1, 0) == LUA_OK) return;
    const char *m = lua_tostring(L, -1);
    if (m && !has_place(m)) {
        char from[32], to[32];
        snprintf(from, sizeof(from), "bad argument #%d ", arg_as);
        snprintf(to, sizeof(to), "bad argument #%d ", arg);
        if (arg_as != arg && strncmp(m, from, strlen(from)) == 0) {
            lua_pushstring(L, to);
            lua_pushstring(L, m + strlen(from));
            lua_concat(L, 2);
            lua_replace(L, -2);
        }
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    lua_error(L);
}

/* Starts a buffer of `size` bytes.  Lua allocates a large buffer straight
 * through the allocator, without the full collection it makes before
 * giving up on any other allocation: make that collection here when the
 * buffer would not fit the memory budget, so garbage never counts against
 * it. */
static char *buffer_of(lua_State *L, luaL_Buffer *b, size_t size)
{
    kith_lua_budget *budget = kith_sandbox_budget(L);
    if (size > LUAL_BUFFERSIZE && budget->used + size > budget->limit) lua_gc(L, LUA_GCCOLLECT);
    return luaL_buffinitsize(L, b, size);
}

/* ---- string ------------------------------------------------------------ */

static int b_rep(lua_State *L)
{
    size_t l, lsep;
    const char *s = luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    const char *sep = luaL_optlstring(L, 3, "", &lsep);
    /* rep('', 1e15) would turn 1e15 times copying nothing. */
    if (n <= 0 || l + lsep == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    if (l + lsep < l || l + lsep > MAX_REP / (size_t)n)
        return luaL_error(L, "resulting string too large");
    size_t total = (size_t)n * l + (size_t)(n - 1) * lsep;
    luaL_Buffer b;
    char *p = buffer_of(L, &b, total);
    meter m;
    meter_init(&m, L);
    for (lua_Integer i = 0; i < n; i++) {
        if (i > 0 && lsep > 0) {
            memcpy(p, sep, lsep);
            p += lsep;
        }
        memcpy(p, s, l);
        p += l;
        meter_add(&m, l + lsep + 8);
    }
    luaL_pushresultsize(&b, total);
    return 1;
}

/* upper, lower and reverse: one byte in, one byte out. */
static int map_bytes(lua_State *L, int how)
{
    size_t l;
    const char *s = luaL_checklstring(L, 1, &l);
    luaL_Buffer b;
    char *p = buffer_of(L, &b, l);
    meter m;
    meter_init(&m, L);
    for (size_t i = 0; i < l; i++) {
        unsigned char c = (unsigned char)s[i];
        if (how == 'u')
            p[i] = (char)toupper(c);
        else if (how == 'l')
            p[i] = (char)tolower(c);
        else
            p[i] = s[l - 1 - i];
        if ((i & 0xfff) == 0xfff) meter_add(&m, 0x1000);
    }
    luaL_pushresultsize(&b, l);
    return 1;
}

static int b_upper(lua_State *L)
{
    return map_bytes(L, 'u');
}

static int b_lower(lua_State *L)
{
    return map_bytes(L, 'l');
}

static int b_reverse(lua_State *L)
{
    return map_bytes(L, 'r');
}

/* %q of a string, as Lua writes it, metered: the only format item whose
 * work grows with its argument byte by byte. */
static void add_quoted(luaL_Buffer *b, meter *m, const char *s, size_t len)
{
    luaL_addchar(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c == '\n') {
            luaL_addchar(b, '\\');
            luaL_addchar(b, (char)c);
        } else if (iscntrl(c)) {
            /* A digit after the escape would be read as part of it. */
            char esc[8];
            int digit_next = i + 1 < len && isdigit((unsigned char)s[i + 1]);
            snprintf(esc, sizeof(esc), digit_next ? "\\%03d" : "\\%d", c);
            luaL_addstring(b, esc);
        } else {
            luaL_addchar(b, (char)c);
        }
        if ((i & 0xfff) == 0xfff) meter_add(m, 0x4000);
    }
    luaL_addchar(b, '"');
}

/* string.format, one item at a time: literal text is copied here, each
 * conversion is handed to Lua's format (upvalue 1) with its one argument,
 * after the argument checks Lua would make (so errors name the right
 * argument). */
static int b_format(lua_State *L)
{
    size_t len;
    const char *f = luaL_checklstring(L, 1, &len);
    const char *end = f + len;
    int top = lua_gettop(L), arg = 1;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    meter m;
    meter_init(&m, L);
    while (f < end) {
        const char *pct = memchr(f, '%', (size_t)(end - f));
        size_t lit = pct ? (size_t)(pct - f) : (size_t)(end - f);
        luaL_addlstring(&b, f, lit);
        meter_add(&m, lit);
        if (!pct) break;
        f = pct + 1;
        if (f < end && *f == '%') {
            luaL_addchar(&b, '%');
            f++;
            meter_add(&m, 16);
            continue;
        }
        /* The item: flags, width and precision, then the conversion.  A
         * malformed one goes to Lua's format as it is, for Lua's error. */
        size_t span = strspn(f, FORMAT_FLAGS);
        if (span > 32) span = 32;
        const char *conv = f + span;
        size_t item = (size_t)(conv - pct) + (conv < end ? 1 : 0);
        if (++arg > top) return luaL_argerror(L, arg, "no value");
        switch (conv < end ? *conv : '\0') {
        case 'c':
        case 'd':
        case 'i':
        case 'o':
        case 'x':
        case 'X': luaL_checkinteger(L, arg); break;
        case 'a':
        case 'A':
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G': luaL_checknumber(L, arg); break;
        case 'q':
            if (item == 2 && lua_type(L, arg) == LUA_TSTRING) {
                size_t sl;
                const char *sv = lua_tolstring(L, arg, &sl);
                add_quoted(&b, &m, sv, sl);
                f = conv + 1;
                continue;
            }
            break;
        default: break;
        }
        lua_pushvalue(L, lua_upvalueindex(1));
        lua_pushlstring(L, pct, item);
        lua_pushvalue(L, arg);
        call_original(L, 2, 2, arg);
        luaL_addvalue(&b);
        meter_add(&m, 256);
        f = pct + item;
    }
    luaL_pushresult(&b);
    return 1;
}

/* string.pack, packsize and unpack (upvalue 1: Lua's) with a format of at
 * most MAX_PACK_FORMAT bytes: their work grows with the format, which Lua
 * walks in one go, and a real format is a few dozen bytes. */
#define MAX_PACK_FORMAT 65536

static int b_pack_any(lua_State *L)
{
    size_t len;
    luaL_checklstring(L, 1, &len);
    luaL_argcheck(L, len <= MAX_PACK_FORMAT, 1, "format longer than 65536 bytes");
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* The budget check as lpattern.h wants it. */
static void pattern_check(lua_State *L)
{
    kith_sandbox_check_cpu(L);
}

void kith_bounded_string(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    static const luaL_Reg fns[] = {
        {"rep", b_rep},         {"upper", b_upper}, {"lower", b_lower},
        {"reverse", b_reverse}, {NULL, NULL},
    };
    lua_pushvalue(L, idx);
    luaL_setfuncs(L, fns, 0);
    lua_getfield(L, idx, "format");
    lua_pushcclosure(L, b_format, 1);
    lua_setfield(L, idx, "format");
    static const char *const packs[] = {"pack", "packsize", "unpack", NULL};
    for (int i = 0; packs[i]; i++) {
        lua_getfield(L, idx, packs[i]);
        lua_pushcclosure(L, b_pack_any, 1);
        lua_setfield(L, idx, packs[i]);
    }
    kith_lpattern_push_lib(L, pattern_check);
    static const char *const patterns[] = {"find", "match", "gmatch", "gsub", NULL};
    for (int i = 0; patterns[i]; i++) {
        lua_getfield(L, -1, patterns[i]);
        lua_setfield(L, idx, patterns[i]);
    }
    lua_pop(L, 2);
}

/* ---- table ------------------------------------------------------------- */

enum { TAB_R = 1, TAB_W = 2, TAB_L = 4 };

/* Argument `arg` must be a table, or behave as one for `what` through its
 * metatable, as Lua's table library requires. */
static void check_table(lua_State *L, int arg, int what)
{
    if (lua_type(L, arg) == LUA_TTABLE) return;
    if (lua_getmetatable(L, arg)) {
        int mt = lua_gettop(L);
        int ok = (!(what & TAB_R) || lua_getfield(L, mt, "__index") != LUA_TNIL) &&
                 (!(what & TAB_W) || lua_getfield(L, mt, "__newindex") != LUA_TNIL) &&
                 (!(what & TAB_L) || lua_getfield(L, mt, "__len") != LUA_TNIL);
        lua_settop(L, mt - 1);
        if (ok) return;
    }
    luaL_checktype(L, arg, LUA_TTABLE);
}

static lua_Integer length_of(lua_State *L, int arg, int what)
{
    check_table(L, arg, what | TAB_L);
    return luaL_len(L, arg);
}

static int b_concat(lua_State *L)
{
    size_t lsep;
    lua_Integer last = length_of(L, 1, TAB_R);
    const char *sep = luaL_optlstring(L, 2, "", &lsep);
    lua_Integer i = luaL_optinteger(L, 3, 1);
    last = luaL_optinteger(L, 4, last);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    meter m;
    meter_init(&m, L);
    for (; i <= last; i++) {
        lua_geti(L, 1, i);
        if (!lua_isstring(L, -1))
            return luaL_error(L, "invalid value (%s) at index %I in table for 'concat'",
                              luaL_typename(L, -1), (LUAI_UACINT)i);
        size_t vl;
        lua_tolstring(L, -1, &vl);
        luaL_addvalue(&b);
        meter_add(&m, vl + lsep + TABLE_OP);
        if (i == last) break; /* last may be LUA_MAXINTEGER */
        luaL_addlstring(&b, sep, lsep);
    }
    luaL_pushresult(&b);
    return 1;
}

static int b_insert(lua_State *L)
{
    lua_Integer pos, e = length_of(L, 1, TAB_R | TAB_W);
    e = (lua_Integer)((lua_Unsigned)e + 1u); /* first empty element */
    switch (lua_gettop(L)) {
    case 2: pos = e; break;
    case 3: {
        pos = luaL_checkinteger(L, 2);
        /* pos - 1 < e, unsigned, rules out pos < 1 as well */
        luaL_argcheck(L, (lua_Unsigned)pos - 1u < (lua_Unsigned)e, 2, "position out of bounds");
        meter m;
        meter_init(&m, L);
        for (lua_Integer i = e; i > pos; i--) {
            lua_geti(L, 1, i - 1);
            lua_seti(L, 1, i);
            meter_add(&m, TABLE_OP);
        }
        break;
    }
    default: return luaL_error(L, "wrong number of arguments to 'insert'");
    }
    lua_seti(L, 1, pos);
    return 0;
}

static int b_remove(lua_State *L)
{
    lua_Integer size = length_of(L, 1, TAB_R | TAB_W);
    lua_Integer pos = luaL_optinteger(L, 2, size);
    if (pos != size)
        luaL_argcheck(L, (lua_Unsigned)pos - 1u <= (lua_Unsigned)size, 1, "position out of bounds");
    lua_geti(L, 1, pos);
    meter m;
    meter_init(&m, L);
    for (; pos < size; pos++) {
        lua_geti(L, 1, pos + 1);
        lua_seti(L, 1, pos);
        meter_add(&m, TABLE_OP);
    }
    lua_pushnil(L);
    lua_seti(L, 1, pos);
    return 1;
}

static int b_move(lua_State *L)
{
    lua_Integer f = luaL_checkinteger(L, 2);
    lua_Integer e = luaL_checkinteger(L, 3);
    lua_Integer t = luaL_checkinteger(L, 4);
    int tt = !lua_isnoneornil(L, 5) ? 5 : 1;
    check_table(L, 1, TAB_R);
    check_table(L, tt, TAB_W);
    if (e >= f) {
        luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
        lua_Integer n = e - f + 1;
        luaL_argcheck(L, t <= LUA_MAXINTEGER - n + 1, 4, "destination wrap around");
        meter m;
        meter_init(&m, L);
        /* Copy upwards unless the ranges overlap with the destination
         * after the source, which must be copied from the top down. */
        int upward = t > e || t <= f || (tt != 1 && !lua_compare(L, 1, tt, LUA_OPEQ));
        for (lua_Integer i = 0; i < n; i++) {
            lua_Integer k = upward ? i : n - 1 - i;
            lua_geti(L, 1, f + k);
            lua_seti(L, tt, t + k);
            meter_add(&m, TABLE_OP);
        }
    }
    lua_pushvalue(L, tt);
    return 1;
}

/* a < b for sort: the comparator at 2, or Lua's '<'.  a, b are absolute
 * stack indices. */
static int sort_less(lua_State *L, int a, int b)
{
    if (lua_isnil(L, 2)) return lua_compare(L, a, b, LUA_OPLT);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, a);
    lua_pushvalue(L, b);
    lua_call(L, 2, 1);
    int less = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return less;
}

/* Moves t[root] down the heap t[1..end] to where it belongs. */
static void sift_down(lua_State *L, meter *m, lua_Integer root, lua_Integer end)
{
    lua_geti(L, 1, root);
    int v = lua_gettop(L);
    for (;;) {
        lua_Integer child = 2 * root;
        if (child > end) break;
        lua_geti(L, 1, child);
        if (child < end) {
            lua_geti(L, 1, child + 1);
            if (sort_less(L, v + 1, v + 2)) {
                lua_remove(L, v + 1);
                child++;
            } else {
                lua_pop(L, 1);
            }
        }
        meter_add(m, 2 * TABLE_OP);
        if (!sort_less(L, v, v + 1)) {
            lua_pop(L, 1);
            break;
        }
        lua_seti(L, 1, root); /* the larger child moves up */
        root = child;
    }
    lua_seti(L, 1, root);
}

/* table.sort as a heapsort: n log n comparisons whatever the comparator
 * answers, each one metered (Lua's quicksort is not interruptible when the
 * comparator is a C function, or when there is none). */
static int b_sort(lua_State *L)
{
    lua_Integer n = length_of(L, 1, TAB_R | TAB_W);
    if (n > 1) {
        luaL_argcheck(L, n < INT_MAX, 1, "array too big");
        if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
        lua_settop(L, 2);
        meter m;
        meter_init(&m, L);
        for (lua_Integer i = n / 2; i >= 1; i--)
            sift_down(L, &m, i, n);
        for (lua_Integer end = n; end > 1; end--) {
            lua_geti(L, 1, 1);
            lua_geti(L, 1, end);
            lua_seti(L, 1, 1);
            lua_seti(L, 1, end);
            sift_down(L, &m, 1, end - 1);
        }
    }
    return 0;
}

void kith_bounded_table(lua_State *L, int idx)
{
    static const luaL_Reg fns[] = {
        {"concat", b_concat}, {"insert", b_insert}, {"remove", b_remove},
        {"move", b_move},     {"sort", b_sort},     {NULL, NULL},
    };
    lua_pushvalue(L, idx);
    luaL_setfuncs(L, fns, 0);
    lua_pop(L, 1);
}

/* ---- utf8 -------------------------------------------------------------- */

#define MAX_UNICODE 0x10FFFFu

static int is_continuation(const char *p)
{
    return ((unsigned char)*p & 0xC0) == 0x80;
}

/* Decodes the sequence at s (the string's '\0' follows its end); returns
 * the byte after it, or NULL when it is not valid UTF-8 (strict: no
 * surrogates and nothing past U+10FFFF; lax: up to 2^31 - 1, as Lua). */
static const char *decode(const char *s, uint32_t *cp, int strict)
{
    static const uint32_t smallest[6] = {0, 0x80, 0x800, 0x10000, 0x200000, 0x4000000};
    unsigned c = (unsigned char)s[0];
    if (c < 0x80) {
        if (cp) *cp = c;
        return s + 1;
    }
    if (c < 0xC0 || c >= 0xFE) return NULL;
    int more = c >= 0xFC ? 5 : c >= 0xF8 ? 4 : c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
    uint32_t v = c & (0x3Fu >> more);
    for (int i = 1; i <= more; i++) {
        unsigned cc = (unsigned char)s[i];
        if ((cc & 0xC0) != 0x80) return NULL;
        v = (v << 6) | (cc & 0x3F);
    }
    if (v < smallest[more]) return NULL; /* an overlong form */
    if (strict && (v > MAX_UNICODE || (v >= 0xD800 && v <= 0xDFFF))) return NULL;
    if (cp) *cp = v;
    return s + more + 1;
}

static lua_Integer relative(lua_Integer pos, size_t len)
{
    if (pos >= 0) return pos;
    if (0u - (size_t)pos > len) return 0;
    return (lua_Integer)len + pos + 1;
}

static int b_utf8_len(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    lua_Integer i = relative(luaL_optinteger(L, 2, 1), len);
    lua_Integer j = relative(luaL_optinteger(L, 3, -1), len);
    int strict = !lua_toboolean(L, 4);
    luaL_argcheck(L, 1 <= i && --i <= (lua_Integer)len, 2, "initial position out of bounds");
    luaL_argcheck(L, --j < (lua_Integer)len, 3, "final position out of bounds");
    lua_Integer n = 0;
    meter m;
    meter_init(&m, L);
    while (i <= j) {
        const char *next = decode(s + i, NULL, strict);
        if (!next) {
            luaL_pushfail(L);
            lua_pushinteger(L, i + 1);
            return 2;
        }
        i = next - s;
        n++;
        meter_add(&m, 4);
    }
    lua_pushinteger(L, n);
    return 1;
}

static int b_utf8_offset(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    lua_Integer n = luaL_checkinteger(L, 2);
    lua_Integer i = relative(luaL_optinteger(L, 3, n >= 0 ? 1 : (lua_Integer)len + 1), len);
    luaL_argcheck(L, 1 <= i && --i <= (lua_Integer)len, 3, "position out of bounds");
    meter m;
    meter_init(&m, L);
    if (n == 0) { /* the start of the character holding byte i */
        while (i > 0 && is_continuation(s + i)) {
            i--;
            meter_add(&m, 1);
        }
    } else {
        if (is_continuation(s + i)) return luaL_error(L, "initial position is a continuation byte");
        if (n < 0) {
            for (; n < 0 && i > 0; n++) {
                do {
                    i--;
                    meter_add(&m, 1);
                } while (i > 0 && is_continuation(s + i));
            }
        } else {
            for (n--; n > 0 && i < (lua_Integer)len; n--) {
                do {
                    i++;
                    meter_add(&m, 1);
                } while (is_continuation(s + i));
            }
        }
    }
    if (n == 0)
        lua_pushinteger(L, i + 1);
    else
        luaL_pushfail(L);
    return 1;
}

/* The iterator of utf8.codes: (s, byte position of the last code) ->
 * position, code of the next one.  Upvalue 1: strict. */
static int codes_next(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    lua_Unsigned i = (lua_Unsigned)lua_tointeger(L, 2);
    int strict = lua_toboolean(L, lua_upvalueindex(1));
    meter m;
    meter_init(&m, L);
    if (i < len) {
        while (is_continuation(s + i)) { /* past the rest of the last code */
            i++;
            meter_add(&m, 1);
        }
    }
    if (i >= len) return 0;
    uint32_t cp;
    const char *next = decode(s + i, &cp, strict);
    if (!next) return luaL_error(L, "invalid UTF-8 code");
    lua_pushinteger(L, (lua_Integer)i + 1);
    lua_pushinteger(L, cp);
    return 2;
}

static int b_utf8_codes(lua_State *L)
{
    int lax = lua_toboolean(L, 2);
    luaL_checkstring(L, 1);
    lua_pushvalue(L, lua_upvalueindex(lax ? 2 : 1));
    lua_pushvalue(L, 1);
    lua_pushinteger(L, 0);
    return 3;
}

void kith_bounded_utf8(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_pushcfunction(L, b_utf8_len);
    lua_setfield(L, idx, "len");
    lua_pushcfunction(L, b_utf8_offset);
    lua_setfield(L, idx, "offset");
    /* One iterator per mode, made once, so codes() allocates nothing. */
    lua_pushboolean(L, 1);
    lua_pushcclosure(L, codes_next, 1);
    lua_pushboolean(L, 0);
    lua_pushcclosure(L, codes_next, 1);
    lua_pushcclosure(L, b_utf8_codes, 2);
    lua_setfield(L, idx, "codes");
}

/* ---- base -------------------------------------------------------------- */

/* tonumber(s, base) converts digit by digit: metered here; everything else
 * goes to Lua's tonumber (upvalue 1). */
static int b_tonumber(lua_State *L)
{
    if (lua_isnoneornil(L, 2)) {
        lua_pushvalue(L, lua_upvalueindex(1));
        lua_insert(L, 1);
        lua_call(L, lua_gettop(L) - 1, 1);
        return 1;
    }
    lua_Integer base = luaL_checkinteger(L, 2);
    luaL_checktype(L, 1, LUA_TSTRING); /* no numbers as strings */
    size_t len;
    const char *s = lua_tolstring(L, 1, &len), *end = s + len;
    luaL_argcheck(L, 2 <= base && base <= 36, 2, "base out of range");
    meter m;
    meter_init(&m, L);
    while (s < end && isspace((unsigned char)*s)) {
        s++;
        meter_add(&m, 1);
    }
    int negative = s < end && *s == '-';
    if (s < end && (*s == '-' || *s == '+')) s++;
    lua_Unsigned n = 0;
    int digits = 0;
    for (; s < end && isalnum((unsigned char)*s); s++, digits++) {
        int c = (unsigned char)*s;
        int d = isdigit(c) ? c - '0' : toupper(c) - 'A' + 10;
        if (d >= base) break;
        n = n * (lua_Unsigned)base + (lua_Unsigned)d;
        meter_add(&m, 4);
    }
    while (s < end && isspace((unsigned char)*s)) {
        s++;
        meter_add(&m, 1);
    }
    if (digits == 0 || s != end) {
        luaL_pushfail(L);
        return 1;
    }
    lua_pushinteger(L, (lua_Integer)(negative ? 0u - n : n));
    return 1;
}

void kith_bounded_base(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_getfield(L, idx, "tonumber");
    lua_pushcclosure(L, b_tonumber, 1);
    lua_setfield(L, idx, "tonumber");
}

/* ---- os ---------------------------------------------------------------- */

/* os.date with a long format: Lua's os.date (upvalue 1) on slices of at
 * most DATE_SLICE bytes, cut between conversions, checking the budget after
 * each. */
static int b_date(lua_State *L)
{
    size_t len;
    const char *f = luaL_optlstring(L, 1, "%c", &len);
    int has_time = !lua_isnoneornil(L, 2);
    int utc = f[0] == '!';
    if (len <= DATE_SLICE || f[utc] == '*') {
        lua_pushvalue(L, lua_upvalueindex(1));
        lua_insert(L, 1);
        call_original(L, lua_gettop(L) - 1, 1, 1);
        return 1;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t i = (size_t)utc;
    while (i < len) {
        size_t j = i;
        while (j < len && j - i < DATE_SLICE) {
            if (f[j] == '%' && j + 1 < len) {
                j++;
                if ((f[j] == 'E' || f[j] == 'O') && j + 1 < len) j++;
            }
            j++;
        }
        lua_pushvalue(L, lua_upvalueindex(1));
        if (utc) {
            lua_pushliteral(L, "!");
            lua_pushlstring(L, f + i, j - i);
            lua_concat(L, 2);
        } else {
            lua_pushlstring(L, f + i, j - i);
        }
        if (has_time) lua_pushvalue(L, 2);
        call_original(L, has_time ? 2 : 1, 1, 1);
        luaL_addvalue(&b);
        kith_sandbox_check_cpu(L);
        i = j;
    }
    luaL_pushresult(&b);
    return 1;
}

void kith_bounded_os(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_getfield(L, idx, "date");
    lua_pushcclosure(L, b_date, 1);
    lua_setfield(L, idx, "date");
}
