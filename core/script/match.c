/*
 * crm.match: the duplicate rule.  Registration (one per generation, checked
 * on load), evaluation of the customers a request wrote (called when the
 * request settles, next to segments and churn), and the sliced background
 * scan "duplicates.scan" that evaluates everyone once after the rule's
 * definition changes.
 *
 *   crm.match { keys = { "email_norm", "phone_norm", "name_company",
 *                        function(c) return c.attrs.wechat end },
 *               score = function(a, b) return 0.93, { "same phone" } end,
 *               threshold = 0.8 }
 *
 * DESIGN NOTES
 *   1. Blocking keeps scoring cheap: a written customer is scored only
 *      against the customers sharing one of its key values (store/
 *      duplicate.h note 1), at most MAX_CANDIDATES of them.
 *   2. The rule sees customers as segments do (the record's fields) plus
 *      email_norm and phone_norm, the forms core compares (util/
 *      contact_norm.h).  score(a, b) gets the lower id first.
 *   3. Whether the backlog is current is decided by the rule's identity
 *      (its file's hash, line and threshold) stored in meta
 *      "duplicates_rules" when a scan completes: a restart with the same
 *      rule does not scan again.
 */
#include "script/convert.h"
#include "script/engine.h"
#include "store/duplicate.h"
#include "store/rules.h"
#include "util/contact_norm.h"
#include "util/error.h"
#include "util/log.h"
#include "util/sha256.h"

#include <ctype.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_KEYS       8
#define MAX_CANDIDATES 50
#define MAX_KEY_BYTES  300

typedef struct kith_match_rule {
    int score_ref;
    double threshold;
    int nkeys;
    struct {
        char name[32]; /* a field, or "fn<i>" for a function */
        int ref;       /* the function, or LUA_NOREF */
    } keys[MAX_KEYS];
    char file[256];
    int line;
    int64_t rules_id;
    int scan_checked, scan_pending;
    int64_t scan_cursor;
} kith_match_rule;

static const char *const fields[] = {"email_norm", "phone_norm",   "external_id",
                                     "name",       "name_company", "email",
                                     "phone",      "company",      NULL};

void kith_match_rule_free(struct kith_match_rule *m)
{
    free(m);
}

/* Where the calling Lua code is: the file (chunk source) and line. */
static void caller_place(lua_State *L, char *file, size_t len, int *line)
{
    lua_Debug ar;
    file[0] = '\0';
    *line = 0;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar)) {
        snprintf(file, len, "%s", ar.source[0] == '@' ? ar.source + 1 : ar.short_src);
        *line = ar.currentline;
    }
}

static int64_t rule_id(const kith_generation *g, const kith_match_rule *m)
{
    char text[512];
    snprintf(text, sizeof(text), "%s:%d:%g:%s", m->file, m->line, m->threshold,
             g->loading_file ? g->loading_file->hash : "");
    uint8_t h[KITH_SHA256_LEN];
    kith_sha256(text, strlen(text), h);
    int64_t id = 0;
    for (int i = 0; i < 7; i++)
        id = (id << 8) | h[i];
    return id;
}

static int l_match(lua_State *L)
{
    kith_generation *g = kith_gen_of(L);
    if (!g->loading) return luaL_error(L, "crm.match may only be called while a rule file loads");
    luaL_checktype(L, 1, LUA_TTABLE);
    if (g->match)
        return luaL_error(L, "crm.match: the duplicate rule is already defined at %s:%d",
                          g->match->file, g->match->line);
    lua_getfield(L, 1, "threshold");
    int isnum;
    double t = lua_isnil(L, -1) ? 0.8 : lua_tonumberx(L, -1, &isnum);
    if (!lua_isnil(L, -1) && (!isnum || t <= 0 || t > 1))
        return luaL_error(L, "crm.match: threshold must be in (0, 1]");
    lua_pop(L, 1);
    lua_getfield(L, 1, "keys");
    if (!lua_istable(L, -1) || luaL_len(L, -1) < 1 || luaL_len(L, -1) > MAX_KEYS)
        return luaL_error(L, "crm.match: keys must be a list of 1 to %d field names or functions",
                          MAX_KEYS);
    int keys = lua_gettop(L);
    lua_getfield(L, 1, "score");
    if (!lua_isfunction(L, -1)) return luaL_error(L, "crm.match: score must be a function");
    int score = lua_gettop(L);
    kith_match_rule *m = calloc(1, sizeof(*m));
    if (!m) return luaL_error(L, "crm.match: out of memory");
    g->match = m; /* freed with the generation, even if the checks below fail */
    m->threshold = t;
    m->nkeys = (int)luaL_len(L, keys);
    for (int i = 0; i < m->nkeys; i++) {
        lua_rawgeti(L, keys, i + 1);
        m->keys[i].ref = LUA_NOREF;
        if (lua_isfunction(L, -1)) {
            snprintf(m->keys[i].name, sizeof(m->keys[i].name), "fn%d", i + 1);
            m->keys[i].ref = luaL_ref(L, LUA_REGISTRYINDEX);
            continue;
        }
        const char *name = lua_tostring(L, -1);
        int known = 0;
        for (int f = 0; name && fields[f]; f++)
            if (strcmp(fields[f], name) == 0) known = 1;
        if (!known) {
            g->match = NULL;
            free(m);
            return luaL_error(L,
                              "crm.match: key %d must be a function or one of email_norm, "
                              "phone_norm, external_id, name, name_company, email, phone, company",
                              i + 1);
        }
        snprintf(m->keys[i].name, sizeof(m->keys[i].name), "%s", name);
        lua_pop(L, 1);
    }
    lua_pushvalue(L, score);
    m->score_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    caller_place(L, m->file, sizeof(m->file), &m->line);
    m->rules_id = rule_id(g, m);
    return 0;
}

void kith_api_match(lua_State *L, int crm)
{
    lua_pushcfunction(L, l_match);
    lua_setfield(L, crm, "match");
}

/* ---- evaluation ---- */

static void set_norm(lua_State *L, int t, const char *from, const char *to,
                     int (*norm)(const char *, char *, size_t))
{
    lua_getfield(L, t, from);
    const char *v = lua_tostring(L, -1);
    char out[KITH_NORM_MAX];
    if (v && norm(v, out, sizeof(out)) == 0) {
        lua_pushstring(L, out);
        lua_setfield(L, t, to);
    }
    lua_pop(L, 1);
}

/* Pushes customer `id` as the rule sees it (note 2); 0, KITH_ENOTFOUND or a
 * failure in ctx.  Stack effect: +1 on success. */
static int push_customer(kith_generation *g, kith_ctx *ctx, int64_t id)
{
    int rc = kith_push_customer_and_stats(g, ctx, id);
    if (rc < 0) return rc;
    lua_pop(g->L, 1); /* the stats */
    int t = lua_gettop(g->L);
    set_norm(g->L, t, "email", "email_norm", kith_norm_email);
    set_norm(g->L, t, "phone", "phone_norm", kith_norm_phone);
    return 0;
}

/* Lower-cased, trimmed copy of a field of table `t` into out; 0 when empty. */
static size_t folded(lua_State *L, int t, const char *field, char *out, size_t cap)
{
    lua_getfield(L, t, field);
    const char *v = lua_tostring(L, -1);
    size_t n = 0;
    while (v && isspace((unsigned char)*v))
        v++;
    for (; v && *v && n + 1 < cap; v++)
        out[n++] = (char)tolower((unsigned char)*v);
    while (n && isspace((unsigned char)out[n - 1]))
        n--;
    out[n] = '\0';
    lua_pop(L, 1);
    return n;
}

/* The value of key `k` for the customer at `t` into out (0: none). */
static int key_value(kith_generation *g, kith_ctx *ctx, kith_match_rule *m, int k, int t, char *out,
                     size_t cap, int *rc)
{
    lua_State *L = g->L;
    const char *name = m->keys[k].name;
    if (m->keys[k].ref != LUA_NOREF) {
        lua_pushvalue(L, t);
        if ((*rc =
                 kith_call_ref(g, ctx, m->keys[k].ref, 1, 1, m->file, m->line, "a duplicate key")))
            return 0;
        const char *v = lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER
                            ? lua_tostring(L, -1)
                            : NULL;
        int ok = v && *v;
        if (ok) snprintf(out, cap, "%s=%s", name, v);
        lua_pop(L, 1);
        return ok;
    }
    size_t n = (size_t)snprintf(out, cap, "%s=", name);
    if (strcmp(name, "name_company") == 0) {
        size_t a = folded(L, t, "name", out + n, cap - n);
        if (!a || n + a + 2 >= cap) return 0;
        out[n + a] = '|';
        return folded(L, t, "company", out + n + a + 1, cap - n - a - 1) > 0;
    }
    if (strcmp(name, "name") == 0 || strcmp(name, "company") == 0)
        return folded(L, t, name, out + n, cap - n) > 0;
    lua_getfield(L, t, name);
    const char *v = lua_tostring(L, -1);
    int ok = v && *v;
    if (ok) snprintf(out + n, cap - n, "%s", v);
    lua_pop(L, 1);
    return ok;
}

struct match_args {
    kith_generation *g;
    kith_ctx *ctx;
    int64_t id;
    int rc;
};

/* Scores one candidate pair; the two customers are at stack slots x, y. */
static int score_pair(struct match_args *a, int64_t other, int self)
{
    kith_generation *g = a->g;
    kith_match_rule *m = g->match;
    lua_State *L = g->L;
    int rc = push_customer(g, a->ctx, other);
    if (rc == KITH_ENOTFOUND) return 0;
    if (rc < 0) return a->rc = kith_ctx_fail(a->ctx, rc, NULL, "cannot load customer");
    int o = lua_gettop(L);
    lua_pushvalue(L, a->id < other ? self : o);
    lua_pushvalue(L, a->id < other ? o : self);
    if ((a->rc =
             kith_call_ref(g, a->ctx, m->score_ref, 2, 2, m->file, m->line, "the duplicate score")))
        return a->rc;
    int isnum;
    double score = lua_tonumberx(L, -2, &isnum);
    if (!isnum)
        return a->rc = kith_ctx_fail(a->ctx, KITH_ESCRIPT, NULL,
                                     "%s:%d: the duplicate score must return a number", m->file,
                                     m->line);
    cJSON *reasons = NULL;
    char err[128];
    if (lua_isnil(L, -1) || kith_lua_to_json(L, -1, &reasons, err, sizeof(err)) < 0 ||
        !cJSON_IsArray(reasons)) {
        cJSON_Delete(reasons);
        reasons = cJSON_CreateArray();
    }
    lua_settop(L, o - 1);
    if (score >= m->threshold) {
        score = score > 1 ? 1 : score;
        rc = kith_store_dup_put(a->ctx->store, a->id, other, score, reasons, a->ctx->now);
        if (rc < 0) a->rc = kith_ctx_fail(a->ctx, rc, NULL, "cannot store a duplicate pair");
    }
    cJSON_Delete(reasons);
    return a->rc;
}

static int match_protected(lua_State *L)
{
    struct match_args *a = lua_touserdata(L, 1);
    kith_match_rule *m = a->g->match;
    int rc = push_customer(a->g, a->ctx, a->id);
    if (rc == KITH_ENOTFOUND) return 0; /* deleted within the request */
    if (rc < 0) {
        a->rc = kith_ctx_fail(a->ctx, rc, NULL, "cannot load customer %lld", (long long)a->id);
        return 0;
    }
    int self = lua_gettop(L);
    char keys[MAX_KEYS][MAX_KEY_BYTES];
    const char *list[MAX_KEYS];
    int n = 0;
    for (int k = 0; k < m->nkeys && !a->rc; k++)
        if (key_value(a->g, a->ctx, m, k, self, keys[n], sizeof(keys[n]), &a->rc))
            list[n] = keys[n], n++;
    if (a->rc) return 0;
    int64_t ids[MAX_CANDIDATES];
    int found = 0;
    rc = kith_store_match_keys_set(a->ctx->store, a->id, list, n);
    if (!rc) rc = kith_store_dup_clear_open(a->ctx->store, a->id);
    if (!rc) rc = kith_store_match_candidates(a->ctx->store, a->id, MAX_CANDIDATES, ids, &found);
    if (rc < 0) {
        a->rc = kith_ctx_fail(a->ctx, rc, NULL, "cannot read duplicate candidates");
        return 0;
    }
    for (int i = 0; i < found && !a->rc; i++)
        score_pair(a, ids[i], self);
    return 0;
}

int kith_match_customer(kith_ctx *ctx, int64_t id)
{
    kith_script *sc = ctx->env->script;
    if (!sc || !sc->gen || !sc->gen->match) return 0;
    struct match_args a = {.g = sc->gen, .ctx = ctx, .id = id};
    lua_State *L = a.g->L;
    int top = lua_gettop(L);
    lua_pushcfunction(L, match_protected);
    lua_pushlightuserdata(L, &a);
    kith_lua_error e;
    int rc = kith_lua_pcall(L, 1, 0, &e);
    lua_settop(L, top);
    if (rc < 0) return kith_fail_lua(ctx, &e, NULL, 0, "duplicate evaluation");
    return a.rc;
}

/* ---- the backlog: duplicates.scan ---- */

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int kith_match_background(kith_ctx *ctx, int64_t budget_us)
{
    kith_script *sc = ctx->env->script;
    kith_match_rule *m = sc && sc->gen ? sc->gen->match : NULL;
    if (!m) return 0;
    if (!m->scan_checked) {
        int64_t done = 0;
        m->scan_checked = 1;
        if (kith_store_meta_get(ctx->store, "duplicates_rules", &done, 0) < 0) return 0;
        m->scan_pending = done != m->rules_id;
        m->scan_cursor = 0;
        if (m->scan_pending) kith_info("script: duplicates.scan started (the rule changed)");
    }
    if (!m->scan_pending) return 0;
    int64_t deadline = mono_us() + budget_us;
    int rc = kith_store_request_begin(ctx->store);
    if (rc < 0) return 1;
    int64_t ids[64];
    int n = 64;
    while (n == 64 && mono_us() < deadline && !rc) {
        if ((rc = kith_store_customer_ids(ctx->store, m->scan_cursor, 64, ids, &n)) < 0) break;
        for (int i = 0; i < n; i++) {
            /* A broken rule must not wedge the scan: skip the customer. */
            if (kith_match_customer(ctx, ids[i]))
                kith_warn("script: duplicates.scan of customer %lld failed: %s", (long long)ids[i],
                          ctx->err->message);
            m->scan_cursor = ids[i];
        }
        if (n < 64) {
            m->scan_pending = 0;
            rc = kith_store_meta_set(ctx->store, "duplicates_rules", m->rules_id);
            kith_info("script: duplicates.scan done");
        }
    }
    kith_store_request_end(ctx->store, rc == 0);
    sc->ntouched = 0;
    return m->scan_pending;
}
