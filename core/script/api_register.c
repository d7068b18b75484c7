/*
 * The registration half of `crm`: before/after/on hooks, segments, the churn
 * rule, tiers, jobs, plugin methods and the plugin declaration.  These may be
 * called only while a file loads; each checks its arguments and records where
 * it was called from, so errors and script.status name the file and line.
 */
#include "request/events.h"
#include "script/engine.h"
#include "util/error.h"
#include "util/sha256.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The event list (request/events.h) as a table. */
static const struct {
    const char *name;
    int flags;
} events[] = {
#define EVENT_ROW(name, flags) {name, flags},
    KITH_EVENT_LIST(EVENT_ROW)
#undef EVENT_ROW
};

/* 1 when `name` is a known event with all of `flags`. */
static int known_event(const char *name, int flags)
{
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
        if (strcmp(events[i].name, name) == 0) return (events[i].flags & flags) == flags;
    return 0;
}

/* Raises "crm.before: '<event>' has no before hooks (use one of ...)". */
static int no_before_hooks(lua_State *L, const char *event)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    lua_pushfstring(L, "crm.before: '%s' has no before hooks (use one of ", event);
    luaL_addvalue(&b);
    const char *sep = "";
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        if (!(events[i].flags & KITH_EV_BEFORE)) continue;
        luaL_addstring(&b, sep);
        luaL_addstring(&b, events[i].name);
        sep = ", ";
    }
    luaL_addstring(&b, ")");
    luaL_pushresult(&b);
    return lua_error(L);
}

/* The generation, checking that registration is allowed now. */
static kith_generation *loading_gen(lua_State *L, const char *what)
{
    kith_generation *g = kith_gen_of(L);
    if (!g->loading) luaL_error(L, "%s may only be called while a rule file loads", what);
    return g;
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

static int add_hook(lua_State *L, int kind, const char *what)
{
    kith_generation *g = loading_gen(L, what);
    const char *event = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    int glob = strchr(event, '*') != NULL;
    if (kind == KITH_HOOK_BEFORE && !known_event(event, KITH_EV_BEFORE))
        return no_before_hooks(L, event);
    if (kind != KITH_HOOK_BEFORE && !glob && !known_event(event, 0) &&
        strncmp(event, "plugin.", 7) != 0 && strncmp(event, "custom.", 7) != 0)
        return luaL_error(L, "%s: unknown event '%s'", what, event);
    if (kind == KITH_HOOK_AFTER && glob)
        return luaL_error(L, "crm.after: patterns are for crm.on; name the event");
    if (strlen(event) >= sizeof(g->hooks[0].event))
        return luaL_error(L, "%s: event name too long", what);
    if (kith_grow((void **)&g->hooks, &g->caphooks, g->nhooks, sizeof(*g->hooks)) < 0)
        return luaL_error(L, "out of memory");
    kith_hook *h = &g->hooks[g->nhooks];
    memset(h, 0, sizeof(*h));
    h->kind = kind;
    if (g->loading_plugin) snprintf(h->plugin, sizeof(h->plugin), "%s", g->loading_plugin->name);
    snprintf(h->event, sizeof(h->event), "%s", event);
    caller_place(L, h->file, sizeof(h->file), &h->line);
    h->priority = g->loading_priority;
    h->order = (int)g->nhooks;
    lua_pushvalue(L, 2);
    h->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    g->nhooks++;
    g->loading_file->hooks++;
    return 0;
}

static int l_before(lua_State *L)
{
    return add_hook(L, KITH_HOOK_BEFORE, "crm.before");
}

static int l_after(lua_State *L)
{
    return add_hook(L, KITH_HOOK_AFTER, "crm.after");
}

static int l_on(lua_State *L)
{
    return add_hook(L, KITH_HOOK_ON, "crm.on");
}

static int valid_name(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
              *p == '-'))
            return 0;
    return 1;
}

/* Hashes the source lines of the function at `idx` (its definition): a
 * segment is refreshed in full when this changes. */
static void function_hash(lua_State *L, int idx, char out[65])
{
    lua_Debug ar;
    lua_pushvalue(L, idx);
    lua_getinfo(L, ">S", &ar);
    kith_generation *g = kith_gen_of(L);
    char text[1024];
    /* The file's hash plus the span identifies the definition: editing
     * another part of the file changes the file hash but the refresh is
     * cheap compared with missing a change, so the whole file counts. */
    snprintf(text, sizeof(text), "%s:%d-%d:%s", ar.short_src, ar.linedefined, ar.lastlinedefined,
             g->loading_file ? g->loading_file->hash : "");
    uint8_t h[KITH_SHA256_LEN];
    kith_sha256(text, strlen(text), h);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static int l_segment(lua_State *L)
{
    kith_generation *g = loading_gen(L, "crm.segment");
    const char *name = luaL_checkstring(L, 1);
    const char *desc = luaL_optstring(L, 2, "");
    luaL_checktype(L, 3, LUA_TFUNCTION);
    if (!valid_name(name, 63))
        return luaL_error(L, "crm.segment: name '%s' must be 1-63 of a-z, 0-9, _ . -", name);
    for (size_t i = 0; i < g->nsegs; i++)
        if (strcmp(g->segs[i].name, name) == 0)
            return luaL_error(L, "crm.segment: segment '%s' is already defined at %s:%d", name,
                              g->segs[i].file, g->segs[i].line);
    if (kith_grow((void **)&g->segs, &g->capsegs, g->nsegs, sizeof(*g->segs)) < 0)
        return luaL_error(L, "out of memory");
    kith_segdef *s = &g->segs[g->nsegs];
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%s", name);
    snprintf(s->description, sizeof(s->description), "%s", desc);
    caller_place(L, s->file, sizeof(s->file), &s->line);
    function_hash(L, 3, s->hash);
    lua_pushvalue(L, 3);
    s->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    g->nsegs++;
    g->loading_file->segments++;
    return 0;
}

static int l_churn(lua_State *L)
{
    kith_generation *g = loading_gen(L, "crm.churn");
    luaL_checktype(L, 1, LUA_TTABLE);
    if (g->churn_ref != LUA_NOREF)
        return luaL_error(L, "crm.churn: the churn rule is already defined at %s:%d", g->churn_file,
                          g->churn_line);
    lua_getfield(L, 1, "threshold");
    int isnum;
    double t = lua_tonumberx(L, -1, &isnum);
    if (!isnum || t <= 0 || t > 1) return luaL_error(L, "crm.churn: threshold must be in (0, 1]");
    lua_getfield(L, 1, "score");
    if (!lua_isfunction(L, -1)) return luaL_error(L, "crm.churn: score must be a function");
    g->churn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    g->churn_threshold = t;
    caller_place(L, g->churn_file, sizeof(g->churn_file), &g->churn_line);
    g->loading_file->churn++;
    return 0;
}

/* crm.classify(fn) or crm.classify{classes = {{name, label}, ...}, fn}:
 * fn(c, s) returns a class name (nil: none) and its reasons. */
static int l_classify(lua_State *L)
{
    kith_generation *g = loading_gen(L, "crm.classify");
    if (g->classify_ref != LUA_NOREF)
        return luaL_error(L, "crm.classify: the classification is already defined at %s:%d",
                          g->classify_file, g->classify_line);
    if (lua_istable(L, 1)) {
        lua_getfield(L, 1, "classes");
        if (!lua_isnil(L, -1)) {
            luaL_checktype(L, -1, LUA_TTABLE);
            lua_newtable(L); /* name -> true */
            lua_Integer n = luaL_len(L, -2);
            for (lua_Integer i = 1; i <= n; i++) {
                lua_geti(L, -2, i);
                lua_getfield(L, -1, "name");
                if (!lua_isstring(L, -1))
                    return luaL_error(L, "crm.classify: class %d needs a name", (int)i);
                lua_pushboolean(L, 1);
                lua_settable(L, -4);
                lua_pop(L, 1);
            }
            g->classes_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        }
        lua_pop(L, 1);
        lua_getfield(L, 1, "fn");
    } else {
        lua_pushvalue(L, 1);
    }
    if (!lua_isfunction(L, -1))
        return luaL_error(L, "crm.classify: give a function (or {fn = ...})");
    g->classify_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    caller_place(L, g->classify_file, sizeof(g->classify_file), &g->classify_line);
    return 0;
}

static int l_tiers(lua_State *L)
{
    kith_generation *g = loading_gen(L, "crm.tiers");
    luaL_checktype(L, 1, LUA_TTABLE);
    if (g->ntiers) return luaL_error(L, "crm.tiers: tiers are already defined");
    lua_Integer n = luaL_len(L, 1);
    if (n < 1 || n > KITH_MAX_TIERS)
        return luaL_error(L, "crm.tiers: give 1 to %d tiers", KITH_MAX_TIERS);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i);
        if (!lua_istable(L, -1)) return luaL_error(L, "crm.tiers: tier %d must be a table", (int)i);
        lua_getfield(L, -1, "name");
        lua_getfield(L, -2, "min");
        const char *name = lua_tostring(L, -2);
        int isint;
        lua_Integer min = lua_tointegerx(L, -1, &isint);
        if (!name || !valid_name(name, 63))
            return luaL_error(L, "crm.tiers: tier %d needs a name of a-z, 0-9, _ . -", (int)i);
        if (!isint || min < 0)
            return luaL_error(L, "crm.tiers: tier '%s' needs min, a whole number >= 0", name);
        for (size_t k = 0; k < g->ntiers; k++) {
            if (strcmp(g->tiers[k].name, name) == 0)
                return luaL_error(L, "crm.tiers: tier '%s' appears twice", name);
            if (g->tiers[k].min >= min)
                return luaL_error(L,
                                  "crm.tiers: tiers must be in increasing order of min "
                                  "('%s' at %d does not exceed '%s' at %d)",
                                  name, (int)min, g->tiers[k].name, (int)g->tiers[k].min);
        }
        snprintf(g->tiers[g->ntiers].name, sizeof(g->tiers[0].name), "%s", name);
        g->tiers[g->ntiers].min = min;
        g->ntiers++;
        lua_pop(L, 3);
    }
    g->loading_file->tiers++;
    return 0;
}

static int l_job(lua_State *L)
{
    kith_generation *g = loading_gen(L, "crm.job");
    const char *name = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    if (!valid_name(name, 95)) return luaL_error(L, "crm.job: bad job name '%s'", name);
    for (size_t i = 0; i < g->njobs; i++)
        if (strcmp(g->jobs[i].name, name) == 0)
            return luaL_error(L, "crm.job: job '%s' is already defined at %s:%d", name,
                              g->jobs[i].file, g->jobs[i].line);
    if (kith_grow((void **)&g->jobs, &g->capjobs, g->njobs, sizeof(*g->jobs)) < 0)
        return luaL_error(L, "out of memory");
    kith_jobdef *j = &g->jobs[g->njobs];
    snprintf(j->name, sizeof(j->name), "%s", name);
    snprintf(j->plugin, sizeof(j->plugin), "%s", g->loading_plugin ? g->loading_plugin->name : "");
    caller_place(L, j->file, sizeof(j->file), &j->line);
    lua_pushvalue(L, 2);
    j->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    g->njobs++;
    g->loading_file->jobs++;
    return 0;
}

static int param_type(const char *t)
{
    static const struct {
        const char *name;
        int type;
    } types[] = {{"string", KITH_T_STRING}, {"integer", KITH_T_INT},   {"number", KITH_T_NUMBER},
                 {"boolean", KITH_T_BOOL},  {"object", KITH_T_OBJECT}, {"array", KITH_T_ARRAY},
                 {"any", KITH_T_ANY}};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(types[i].name, t) == 0) return types[i].type;
    return -1;
}

static int l_method(lua_State *L)
{
    kith_generation *g = loading_gen(L, "crm.method");
    const char *name = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    luaL_checktype(L, 3, LUA_TFUNCTION);
    if (!g->loading_plugin) return luaL_error(L, "crm.method: only plugins may add methods");
    if (!valid_name(name, 63)) return luaL_error(L, "crm.method: bad method name '%s'", name);
    if (kith_grow((void **)&g->methods, &g->capmethods, g->nmethods, sizeof(*g->methods)) < 0)
        return luaL_error(L, "out of memory");
    kith_methoddef *m = &g->methods[g->nmethods];
    memset(m, 0, sizeof(*m));
    snprintf(m->name, sizeof(m->name), "plugin.%s.%s", g->loading_plugin->name, name);
    snprintf(m->plugin, sizeof(m->plugin), "%s", g->loading_plugin->name);
    for (size_t i = 0; i < g->nmethods; i++)
        if (strcmp(g->methods[i].name, m->name) == 0)
            return luaL_error(L, "crm.method: %s is already defined", m->name);
    lua_getfield(L, 2, "summary");
    snprintf(m->summary, sizeof(m->summary), "%s", luaL_optstring(L, -1, "a plugin method"));
    lua_getfield(L, 2, "role");
    const char *role = luaL_optstring(L, -1, "agent");
    if (kith_role_parse(role, &m->role) < 0)
        return luaL_error(L, "crm.method: role must be viewer, agent or admin");
    lua_pop(L, 2);
    lua_getfield(L, 2, "params");
    lua_Integer n = lua_istable(L, -1) ? luaL_len(L, -1) : 0;
    m->params = calloc((size_t)n + 1, sizeof(kith_param));
    if (!m->params) return luaL_error(L, "out of memory");
    g->nmethods++; /* counted now so the params are freed even if a check fails */
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, -1, i);
        lua_getfield(L, -1, "name");
        lua_getfield(L, -2, "type");
        lua_getfield(L, -3, "required");
        lua_getfield(L, -4, "description");
        const char *pname = lua_tostring(L, -4), *ptype = lua_tostring(L, -3);
        int type = ptype ? param_type(ptype) : KITH_T_ANY;
        if (!pname || !valid_name(pname, 63) || type < 0)
            return luaL_error(L,
                              "crm.method: param %d needs a name and a type (string, integer, "
                              "number, boolean, object, array, any)",
                              (int)i);
        kith_param *p = &m->params[i - 1];
        p->name = strdup(pname);
        p->description = strdup(luaL_optstring(L, -1, ""));
        p->type = type;
        p->required = lua_toboolean(L, -2);
        lua_pop(L, 5);
    }
    lua_pop(L, 1);
    lua_pushvalue(L, 3);
    m->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    g->loading_file->methods++;
    return 0;
}

/* "yes"/"true"/"1" or "no"/"false"/"0"; anything else is a typo. */
static int parse_yes_no(const char *v, int *out)
{
    if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = 1;
    else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = 0;
    else
        return -1;
    return 0;
}

/* Raises "config/kith.conf:12: plugin.x.key: 'v' is not a <what>" (or
 * "...: <what>" when `what` reads as a sentence).  The message starts with
 * the config line, not the plugin's Lua position: the mistake is there. */
static int setting_error(lua_State *L, const kith_plugin_setting *s, const char *what)
{
    if (strchr(what, ' '))
        lua_pushfstring(L, "%s: plugin.%s.%s: bad value '%s': %s", s->where, s->plugin, s->key,
                        s->value, what);
    else
        lua_pushfstring(L, "%s: plugin.%s.%s: bad value '%s': expected %s %s", s->where, s->plugin,
                        s->key, s->value, strchr("aeiou", what[0]) ? "an" : "a", what);
    return lua_error(L);
}

/* crm.plugin{name, version, description, priority, config = schema}
 * -> the plugin's configuration, checked against the schema. */
static int l_plugin(lua_State *L)
{
    kith_generation *g = loading_gen(L, "crm.plugin");
    luaL_checktype(L, 1, LUA_TTABLE);
    kith_filedef *f = g->loading_file;
    if (!f->plugin[0])
        return luaL_error(L, "crm.plugin: only plugins/<name>/plugin.lua may declare a plugin");
    if (g->loading_plugin) return luaL_error(L, "crm.plugin: declared twice");
    lua_getfield(L, 1, "name");
    const char *name = lua_tostring(L, -1);
    if (!name || strcmp(name, f->plugin) != 0)
        return luaL_error(L, "crm.plugin: name must be '%s', the plugin's folder", f->plugin);
    if (kith_grow((void **)&g->plugins, &g->capplugins, g->nplugins, sizeof(*g->plugins)) < 0)
        return luaL_error(L, "out of memory");
    kith_plugindef *p = &g->plugins[g->nplugins++];
    memset(p, 0, sizeof(*p));
    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->file, sizeof(p->file), "%s", f->path);
    lua_getfield(L, 1, "version");
    snprintf(p->version, sizeof(p->version), "%s", luaL_optstring(L, -1, "0.0.0"));
    lua_getfield(L, 1, "description");
    snprintf(p->description, sizeof(p->description), "%s", luaL_optstring(L, -1, ""));
    lua_getfield(L, 1, "priority");
    p->priority = (int)luaL_optinteger(L, -1, 100);
    lua_pop(L, 4);
    g->loading_plugin = p;
    g->loading_priority = p->priority;

    /* The configuration: defaults from the schema, overridden by the config
     * file's plugin.<name>.<key> lines, each checked against its type.  A
     * disabled plugin's lines are checked too: a typo must stop kithd, not
     * pass unseen until the day the plugin is enabled. */
    const kith_script_options *opt = &g->engine->opt;
    int enabled = 0;
    for (size_t i = 0; i < opt->nplugin_settings; i++) {
        const kith_plugin_setting *s = &opt->plugin_settings[i];
        if (strcmp(s->plugin, name) != 0 || strcmp(s->key, "enabled") != 0) continue;
        if (parse_yes_no(s->value, &enabled) < 0) return setting_error(L, s, "expected yes or no");
    }
    lua_newtable(L);
    int cfg = lua_gettop(L);
    lua_getfield(L, 1, "config");
    int schema = lua_gettop(L);
    if (lua_istable(L, schema)) {
        lua_pushnil(L);
        while (lua_next(L, schema)) {
            const char *key = lua_tostring(L, -2);
            if (!key || !lua_istable(L, -1))
                return luaL_error(L, "crm.plugin: config entries are key = {type=, default=}");
            lua_getfield(L, -1, "default");
            lua_setfield(L, cfg, key);
            lua_getfield(L, -1, "type");
            const char *type = luaL_optstring(L, -1, "string");
            for (size_t i = 0; i < opt->nplugin_settings; i++) {
                const kith_plugin_setting *s = &opt->plugin_settings[i];
                if (strcmp(s->plugin, name) != 0 || strcmp(s->key, key) != 0) continue;
                if (strcmp(type, "integer") == 0 || strcmp(type, "number") == 0) {
                    if (!lua_stringtonumber(L, s->value)) return setting_error(L, s, type);
                    if (strcmp(type, "integer") == 0 && !lua_isinteger(L, -1))
                        return setting_error(L, s, "integer");
                } else if (strcmp(type, "boolean") == 0) {
                    int yes;
                    if (parse_yes_no(s->value, &yes) < 0)
                        return setting_error(L, s, "expected yes or no");
                    lua_pushboolean(L, yes);
                } else {
                    lua_pushstring(L, s->value);
                }
                lua_setfield(L, cfg, key);
            }
            lua_pop(L, 2);
        }
    }
    for (size_t i = 0; i < opt->nplugin_settings; i++) {
        const kith_plugin_setting *s = &opt->plugin_settings[i];
        if (strcmp(s->plugin, name) != 0 || strcmp(s->key, "enabled") == 0) continue;
        int known = lua_istable(L, schema) && lua_getfield(L, schema, s->key) != LUA_TNIL;
        lua_settop(L, schema);
        if (!known) {
            /* Name what the plugin does have, so the fix is obvious. */
            char have[512] = "";
            size_t used = 0;
            lua_pushnil(L);
            while (lua_istable(L, schema) && lua_next(L, schema)) {
                lua_pop(L, 1);
                if (lua_type(L, -1) == LUA_TSTRING && used < sizeof(have))
                    used += (size_t)snprintf(have + used, sizeof(have) - used, "%s%s",
                                             used ? ", " : "", lua_tostring(L, -1));
            }
            lua_pushfstring(L, "%s: plugin.%s.%s: the plugin %s has no such setting (it has: %s)",
                            s->where, name, s->key, name, used ? have : "none");
            return lua_error(L);
        }
    }
    p->enabled = enabled;
    if (!p->enabled && !opt->test_mode) return luaL_error(L, "kith.plugin.disabled");
    p->enabled = 1;
    lua_settop(L, cfg);
    return 1;
}

void kith_api_register(lua_State *L, int crm)
{
    static const luaL_Reg fns[] = {
        {"before", l_before},     {"after", l_after},   {"on", l_on},   {"segment", l_segment},
        {"churn", l_churn},       {"tiers", l_tiers},   {"job", l_job}, {"method", l_method},
        {"classify", l_classify}, {"plugin", l_plugin}, {NULL, NULL},
    };
    lua_pushvalue(L, crm);
    luaL_setfuncs(L, fns, 0);
    lua_pop(L, 1);
}
