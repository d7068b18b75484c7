/*
 * See lpattern.h.
 *
 * DESIGN NOTES
 *   1. A match is a backtracking walk of the pattern, one pattern item per
 *      turn of the loop in match_here().  Items that may need to come back
 *      (captures, '?', '*', '+', '-') recurse for the rest of the pattern;
 *      plain items loop.  The recursion is bounded by MAX_DEPTH, as in Lua
 *      ("pattern too complex").
 *   2. Work is metered in steps: one per turn of the loop, per subject
 *      character a quantifier or %b looks at, and per byte compared by a
 *      back-reference or a plain find.  tick() runs the caller's check once
 *      every KITH_LPATTERN_CHECK_STEPS steps; the check may raise, which
 *      unwinds through here harmlessly since the matcher allocates nothing
 *      of its own (results go to the Lua stack or a luaL_Buffer).
 *   3. Subjects and patterns are Lua strings, so a byte exists at their end
 *      ('\0').  Lua's matcher reads it in a few places (a set or %b at the
 *      pattern's end, %f at the subject's end); this one does the same,
 *      which keeps the corner cases equal.
 */
#include "script/lpattern.h"

#include <ctype.h>
#include <lauxlib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ESC          '%'
#define SPECIALS     "^$*+?.([%-"
#define MAX_CAPTURES 32 /* Lua's LUA_MAXCAPTURES */
#define MAX_DEPTH    200
#define CAP_OPEN     (-1) /* a capture whose ')' is still to come */
#define CAP_POSITION (-2) /* a '()' capture: its value is the position */

typedef struct capture {
    const char *start;
    ptrdiff_t len; /* or CAP_OPEN / CAP_POSITION */
} capture;

typedef struct mstate {
    lua_State *L;
    const char *src, *src_end; /* the subject */
    const char *pat_end;
    int depth_left;      /* recursion left before "pattern too complex" */
    int level;           /* captures opened so far */
    uint32_t steps_left; /* until the next check (note 2) */
    kith_lpattern_check check;
    capture cap[MAX_CAPTURES];
} mstate;

static void tick_now(mstate *m)
{
    m->steps_left = KITH_LPATTERN_CHECK_STEPS;
    if (m->check) m->check(m->L);
}

/* Counts n steps of work (note 2). */
static inline void tick(mstate *m, size_t n)
{
    if (n >= m->steps_left)
        tick_now(m);
    else
        m->steps_left -= (uint32_t)n;
}

static void state_init(mstate *m, lua_State *L, const char *s, size_t ls, const char *p, size_t lp,
                       kith_lpattern_check check)
{
    m->L = L;
    m->src = s;
    m->src_end = s + ls;
    m->pat_end = p + lp;
    m->steps_left = KITH_LPATTERN_CHECK_STEPS;
    m->check = check;
    m->level = 0;
    m->depth_left = MAX_DEPTH;
}

/* Ready for a new attempt at another subject position. */
static void state_reset(mstate *m)
{
    m->level = 0;
    m->depth_left = MAX_DEPTH;
}

static const char *match_here(mstate *m, const char *s, const char *p);

/* Does byte c belong to class letter cl (%a, %D, ...)?  A letter that names
 * no class, or a punctuation mark, stands for itself. */
static int in_class(int c, int cl)
{
    int yes;
    switch (tolower(cl)) {
    case 'a': yes = isalpha(c); break;
    case 'c': yes = iscntrl(c); break;
    case 'd': yes = isdigit(c); break;
    case 'g': yes = isgraph(c); break;
    case 'l': yes = islower(c); break;
    case 'p': yes = ispunct(c); break;
    case 's': yes = isspace(c); break;
    case 'u': yes = isupper(c); break;
    case 'w': yes = isalnum(c); break;
    case 'x': yes = isxdigit(c); break;
    case 'z': yes = c == 0; break; /* deprecated in Lua 5.2, still there */
    default: return cl == c;
    }
    /* An upper-case class letter is the complement. */
    return isupper(cl) ? !yes : yes != 0;
}

/* Does byte c belong to the set that opens at `open` ('[') and closes at
 * `close` (its ']')? */
static int in_set(int c, const char *open, const char *close)
{
    const char *q = open + 1;
    int found = 1;
    if (*q == '^') {
        found = 0;
        q++;
    }
    for (; q < close; q++) {
        if (*q == ESC) {
            q++;
            if (in_class(c, (unsigned char)*q)) return found;
        } else if (q[1] == '-' && q + 2 < close) {
            if ((unsigned char)q[0] <= c && c <= (unsigned char)q[2]) return found;
            q += 2;
        } else if ((unsigned char)*q == c) {
            return found;
        }
    }
    return !found;
}

/* Where the single-character class starting at p ends (one past it). */
static const char *class_end(mstate *m, const char *p)
{
    char c = *p++;
    if (c == ESC) {
        if (p == m->pat_end) luaL_error(m->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c != '[') return p;
    if (*p == '^') p++;
    /* The set's first member may be ']' itself: look for the end only
     * after taking one member. */
    do {
        if (p == m->pat_end) luaL_error(m->L, "malformed pattern (missing ']')");
        c = *p++;
        if (c == ESC && p < m->pat_end) p++;
    } while (*p != ']');
    return p + 1;
}

/* Does the subject byte at s match the class [p, ep)? */
static int single(const mstate *m, const char *s, const char *p, const char *ep)
{
    if (s >= m->src_end) return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.': return 1;
    case ESC: return in_class(c, (unsigned char)p[1]);
    case '[': return in_set(c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

/* %bxy at s: p points at x.  Returns the end of the balanced run or NULL. */
static const char *balanced(mstate *m, const char *s, const char *p)
{
    if (p >= m->pat_end - 1) luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= m->src_end || *s != p[0]) return NULL;
    const char open = p[0], close = p[1];
    size_t depth = 1;
    while (++s < m->src_end) {
        tick(m, 1);
        if (*s == close) {
            if (--depth == 0) return s + 1;
        } else if (*s == open) {
            depth++;
        }
    }
    return NULL;
}

/* %1-%9: the text of an earlier capture, again. */
static const char *back_reference(mstate *m, const char *s, int digit)
{
    int i = digit - '1';
    if (i < 0 || i >= m->level || m->cap[i].len == CAP_OPEN)
        luaL_error(m->L, "invalid capture index %%%d", i + 1);
    /* A position capture has no text: its length, as a size, is too big
     * to ever fit, so it never matches (as in Lua). */
    size_t len = (size_t)m->cap[i].len;
    if ((size_t)(m->src_end - s) < len) return NULL;
    tick(m, len);
    return memcmp(m->cap[i].start, s, len) == 0 ? s + len : NULL;
}

/* x* and x+ : take as many as possible, then give back one at a time. */
static const char *greedy(mstate *m, const char *s, const char *p, const char *ep)
{
    size_t n = 0;
    while (single(m, s + n, p, ep)) {
        tick(m, 1);
        n++;
    }
    for (;;) {
        const char *end = match_here(m, s + n, ep + 1);
        if (end) return end;
        if (n == 0) return NULL;
        n--;
    }
}

/* x- : take as few as possible, one more at a time. */
static const char *lazy(mstate *m, const char *s, const char *p, const char *ep)
{
    for (;;) {
        const char *end = match_here(m, s, ep + 1);
        if (end) return end;
        if (!single(m, s, p, ep)) return NULL;
        s++;
    }
}

static const char *open_capture(mstate *m, const char *s, const char *p, ptrdiff_t kind)
{
    if (m->level >= MAX_CAPTURES) luaL_error(m->L, "too many captures");
    m->cap[m->level].start = s;
    m->cap[m->level].len = kind;
    m->level++;
    const char *end = match_here(m, s, p);
    if (!end) m->level--;
    return end;
}

static const char *close_capture(mstate *m, const char *s, const char *p)
{
    int i = m->level - 1;
    while (i >= 0 && m->cap[i].len != CAP_OPEN)
        i--;
    if (i < 0) luaL_error(m->L, "invalid pattern capture");
    m->cap[i].len = s - m->cap[i].start;
    const char *end = match_here(m, s, p);
    if (!end) m->cap[i].len = CAP_OPEN;
    return end;
}

/* Matches the pattern from p against the subject from s.  Returns the end
 * of the match, or NULL. */
static const char *match_here(mstate *m, const char *s, const char *p)
{
    if (m->depth_left-- == 0) luaL_error(m->L, "pattern too complex");
    while (s && p < m->pat_end) {
        tick(m, 1);
        switch (*p) {
        case '(':
            if (p[1] == ')')
                s = open_capture(m, s, p + 2, CAP_POSITION);
            else
                s = open_capture(m, s, p + 1, CAP_OPEN);
            goto done;
        case ')': s = close_capture(m, s, p + 1); goto done;
        case '$':
            if (p + 1 == m->pat_end) {
                if (s != m->src_end) s = NULL;
                goto done;
            }
            break; /* anywhere else '$' is an ordinary character */
        case ESC:
            if (p[1] == 'b') {
                s = balanced(m, s, p + 2);
                p += 4;
                continue;
            }
            if (p[1] == 'f') {
                p += 2;
                if (*p != '[') luaL_error(m->L, "missing '[' after '%%f' in pattern");
                const char *ep = class_end(m, p);
                int before = s == m->src ? '\0' : (unsigned char)s[-1];
                int here = s < m->src_end ? (unsigned char)*s : '\0';
                if (in_set(before, p, ep - 1) || !in_set(here, p, ep - 1)) s = NULL;
                p = ep;
                continue;
            }
            if (isdigit((unsigned char)p[1])) {
                s = back_reference(m, s, (unsigned char)p[1]);
                p += 2;
                continue;
            }
            break;
        }
        /* A single-character class, perhaps with a quantifier after it. */
        const char *ep = class_end(m, p);
        if (!single(m, s, p, ep)) {
            if (*ep == '*' || *ep == '?' || *ep == '-')
                p = ep + 1; /* zero of them is fine */
            else
                s = NULL;
            continue;
        }
        switch (*ep) {
        case '?': {
            const char *end = match_here(m, s + 1, ep + 1);
            if (end) {
                s = end;
                goto done;
            }
            p = ep + 1;
            break;
        }
        case '+': s = greedy(m, s + 1, p, ep); goto done;
        case '*': s = greedy(m, s, p, ep); goto done;
        case '-': s = lazy(m, s, p, ep); goto done;
        default:
            s++;
            p = ep;
            break;
        }
    }
done:
    m->depth_left++;
    return s;
}

/* Pushes capture i of a match [s, e): its text or position, or the whole
 * match when the pattern has no captures and i is 0. */
static void push_capture(mstate *m, int i, const char *s, const char *e)
{
    if (i >= m->level) {
        if (i != 0) luaL_error(m->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(m->L, s, (size_t)(e - s));
        return;
    }
    const capture *c = &m->cap[i];
    if (c->len == CAP_OPEN) luaL_error(m->L, "unfinished capture");
    if (c->len == CAP_POSITION)
        lua_pushinteger(m->L, (c->start - m->src) + 1);
    else
        lua_pushlstring(m->L, c->start, (size_t)c->len);
}

/* Pushes every capture (or the whole match, when s is not NULL and there
 * are none); returns how many. */
static int push_captures(mstate *m, const char *s, const char *e)
{
    int n = (m->level == 0 && s) ? 1 : m->level;
    luaL_checkstack(m->L, n, "too many captures");
    for (int i = 0; i < n; i++)
        push_capture(m, i, s, e);
    return n;
}

/* A plain search for [p, p + lp) in [s, s + ls).  Comparisons are metered
 * since a subject and needle both made of one letter make it quadratic. */
static const char *plain_find(mstate *m, const char *s, size_t ls, const char *p, size_t lp)
{
    if (lp == 0) return s;
    if (lp > ls) return NULL;
    const char *last = s + (ls - lp); /* the last place it could start */
    while (s <= last) {
        const char *at = memchr(s, p[0], (size_t)(last - s) + 1);
        if (!at) return NULL;
        tick(m, lp);
        if (memcmp(at + 1, p + 1, lp - 1) == 0) return at;
        s = at + 1;
    }
    return NULL;
}

static int has_specials(const char *p, size_t lp)
{
    for (size_t i = 0; i < lp; i++)
        if (p[i] != '\0' && strchr(SPECIALS, p[i])) return 1;
    return 0;
}

/* A 1-based, possibly negative, start position as an offset + 1 (Lua's
 * rule: 0 and anything before the start mean the start). */
static size_t start_position(lua_Integer pos, size_t len)
{
    if (pos > 0) return (size_t)pos;
    if (pos == 0 || pos < -(lua_Integer)len) return 1;
    return len + (size_t)pos + 1;
}

static kith_lpattern_check check_of(lua_State *L)
{
    kith_lpattern_check *slot = lua_touserdata(L, lua_upvalueindex(1));
    return slot ? *slot : NULL;
}

/* find(s, p [, init [, plain]]) and match(s, p [, init]). */
static int find_or_match(lua_State *L, int find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_position(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    mstate m;
    state_init(&m, L, s, ls, p, lp, check_of(L));
    if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
        const char *at = plain_find(&m, s + init, ls - init, p, lp);
        if (at) {
            lua_pushinteger(L, (at - s) + 1);
            lua_pushinteger(L, (lua_Integer)((size_t)(at - s) + lp));
            return 2;
        }
    } else {
        int anchored = *p == '^';
        if (anchored) p++;
        const char *from = s + init;
        do {
            state_reset(&m);
            const char *end = match_here(&m, from, p);
            if (end) {
                if (!find) return push_captures(&m, from, end);
                lua_pushinteger(L, (from - s) + 1);
                lua_pushinteger(L, end - s);
                return push_captures(&m, NULL, NULL) + 2;
            }
        } while (from++ < m.src_end && !anchored);
    }
    luaL_pushfail(L);
    return 1;
}

static int l_find(lua_State *L)
{
    return find_or_match(L, 1);
}

static int l_match(lua_State *L)
{
    return find_or_match(L, 0);
}

/* The iterator's state between calls, as offsets into the subject. */
typedef struct gmatch_state {
    size_t next; /* where to try next */
    size_t last; /* the end of the last match, or SIZE_MAX */
} gmatch_state;

/* Upvalues: the check, the subject, the pattern, the state. */
static int gmatch_next(lua_State *L)
{
    size_t ls, lp;
    const char *s = lua_tolstring(L, lua_upvalueindex(2), &ls);
    const char *p = lua_tolstring(L, lua_upvalueindex(3), &lp);
    gmatch_state *g = lua_touserdata(L, lua_upvalueindex(4));
    mstate m;
    state_init(&m, L, s, ls, p, lp, check_of(L));
    for (size_t at = g->next; at <= ls; at++) {
        state_reset(&m);
        const char *end = match_here(&m, s + at, p);
        /* An empty match right where the last one ended is no new match. */
        if (end && (size_t)(end - s) != g->last) {
            g->next = g->last = (size_t)(end - s);
            return push_captures(&m, s + at, end);
        }
    }
    g->next = ls + 1;
    return 0;
}

static int l_gmatch(lua_State *L)
{
    size_t ls;
    luaL_checklstring(L, 1, &ls);
    luaL_checkstring(L, 2);
    size_t init = start_position(luaL_optinteger(L, 3, 1), ls) - 1;
    lua_settop(L, 2);
    gmatch_state *g = lua_newuserdatauv(L, sizeof(*g), 0);
    g->next = init > ls ? ls + 1 : init;
    g->last = SIZE_MAX;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_pushcclosure(L, gmatch_next, 4);
    return 1;
}

/* Adds gsub's replacement string (argument 3) for the match [s, e). */
static void add_template(mstate *m, luaL_Buffer *b, const char *s, const char *e)
{
    size_t len;
    const char *r = lua_tolstring(m->L, 3, &len);
    const char *end = r + len;
    for (;;) {
        const char *pct = memchr(r, ESC, (size_t)(end - r));
        if (!pct) break;
        luaL_addlstring(b, r, (size_t)(pct - r));
        int c = (unsigned char)pct[1]; /* '\0' when '%' ends it (note 3) */
        tick(m, 1);
        if (c == ESC) {
            luaL_addchar(b, ESC);
        } else if (c == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (isdigit(c)) {
            push_capture(m, c - '1', s, e);
            luaL_addvalue(b);
        } else {
            luaL_error(m->L, "invalid use of '%c' in replacement string", ESC);
        }
        r = pct + 2;
    }
    luaL_addlstring(b, r, (size_t)(end - r));
}

/* Adds the replacement of the match [s, e); returns whether it differs from
 * the match (a false or nil from a function or table keeps the match). */
static int add_replacement(mstate *m, luaL_Buffer *b, const char *s, const char *e, int how)
{
    lua_State *L = m->L;
    if (how == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = push_captures(m, s, e);
        lua_call(L, n, 1);
    } else if (how == LUA_TTABLE) {
        push_capture(m, 0, s, e);
        lua_gettable(L, 3);
    } else {
        add_template(m, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1))
        return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

static int l_gsub(lua_State *L)
{
    size_t ls, lp;
    const char *src = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    int how = lua_type(L, 3);
    lua_Integer max_n = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    luaL_argexpected(
        L, how == LUA_TNUMBER || how == LUA_TSTRING || how == LUA_TFUNCTION || how == LUA_TTABLE, 3,
        "string/function/table");
    mstate m;
    state_init(&m, L, src, ls, p, lp, check_of(L));
    int anchored = *p == '^';
    if (anchored) p++;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    const char *last = NULL;
    lua_Integer n = 0;
    int changed = 0;
    while (n < max_n) {
        state_reset(&m);
        const char *end = match_here(&m, src, p);
        if (end && end != last) {
            n++;
            changed |= add_replacement(&m, &b, src, end, how);
            src = last = end;
        } else if (src < m.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchored) break;
    }
    if (!changed) {
        lua_pushvalue(L, 1); /* the subject itself, no copy */
    } else {
        luaL_addlstring(&b, src, (size_t)(m.src_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

void kith_lpattern_push_lib(lua_State *L, kith_lpattern_check check)
{
    static const luaL_Reg fns[] = {
        {"find", l_find}, {"match", l_match}, {"gmatch", l_gmatch}, {"gsub", l_gsub}, {NULL, NULL},
    };
    lua_createtable(L, 0, 4);
    kith_lpattern_check *slot = lua_newuserdatauv(L, sizeof(*slot), 0);
    *slot = check;
    luaL_setfuncs(L, fns, 1);
}
