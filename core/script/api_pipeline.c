/*
 * crm.pipeline{...}: the rules' sales pipelines (script/pipeline.h), kept
 * in the generation that loaded them.  Stage names, probabilities and
 * durations are checked when the file loads, so a typo stops the reload
 * instead of failing the first deal.
 */
#include "script/engine.h"
#include "script/pipeline.h"
#include "util/timefmt.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

struct kith_pipeline_set {
    kith_pipeline *v;
    size_t n;
};

static void copy_name(lua_State *L, int idx, const char *what, char *out, size_t len)
{
    const char *s = lua_tostring(L, idx);
    if (!s || !s[0] || strlen(s) >= len)
        luaL_error(L, "crm.pipeline: %s must be a name of 1 to %d bytes", what, (int)len - 1);
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
            luaL_error(L, "crm.pipeline: %s '%s' must be lowercase letters, digits or _", what, s);
    if (strcmp(s, "won") == 0 || strcmp(s, "lost") == 0)
        luaL_error(L, "crm.pipeline: '%s' is a status, not a stage", s);
    snprintf(out, len, "%s", s);
}

static void read_stage(lua_State *L, kith_stage_def *st)
{
    memset(st, 0, sizeof(*st));
    lua_getfield(L, -1, "name");
    copy_name(L, -1, "a stage's name", st->name, sizeof(st->name));
    lua_pop(L, 1);
    lua_getfield(L, -1, "probability");
    if (!lua_isnumber(L, -1) || lua_tonumber(L, -1) < 0 || lua_tonumber(L, -1) > 1)
        luaL_error(L, "crm.pipeline: stage '%s' needs a probability from 0 to 1", st->name);
    st->probability = lua_tonumber(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, -1, "label");
    if (lua_isstring(L, -1)) snprintf(st->label, sizeof(st->label), "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    lua_getfield(L, -1, "require");
    if (lua_istable(L, -1)) {
        lua_Integer n = luaL_len(L, -1);
        if (n > KITH_MAX_REQUIRE)
            luaL_error(L, "crm.pipeline: stage '%s' requires at most %d fields", st->name,
                       KITH_MAX_REQUIRE);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_geti(L, -1, i);
            const char *f = lua_tostring(L, -1);
            if (!f || !f[0] || strlen(f) >= sizeof(st->require[0]))
                luaL_error(L, "crm.pipeline: stage '%s': require lists field names", st->name);
            snprintf(st->require[st->nrequire++], sizeof(st->require[0]), "%s", f);
            lua_pop(L, 1);
        }
    } else if (!lua_isnil(L, -1)) {
        luaL_error(L, "crm.pipeline: stage '%s': require must be a list", st->name);
    }
    lua_pop(L, 1);
}

static int l_pipeline(lua_State *L)
{
    kith_generation *g = kith_gen_of(L);
    if (!g->loading)
        return luaL_error(L, "crm.pipeline may only be called while a rule file loads");
    luaL_checktype(L, 1, LUA_TTABLE);
    kith_pipeline p;
    memset(&p, 0, sizeof(p));
    lua_getfield(L, 1, "name");
    copy_name(L, -1, "name", p.name, sizeof(p.name));
    lua_pop(L, 1);
    lua_getfield(L, 1, "rot_after");
    if (!lua_isnil(L, -1)) {
        const char *d = lua_tostring(L, -1);
        if (!d || kith_time_parse_duration(d, &p.rot_after_ms) < 0 || p.rot_after_ms <= 0)
            return luaL_error(L, "crm.pipeline: rot_after must be a duration like \"14d\"");
    }
    lua_pop(L, 1);
    lua_getfield(L, 1, "stages");
    if (!lua_istable(L, -1) || luaL_len(L, -1) < 1)
        return luaL_error(L, "crm.pipeline: '%s' needs stages = { {name, probability}, ... }",
                          p.name);
    lua_Integer n = luaL_len(L, -1);
    if (n > KITH_MAX_STAGES)
        return luaL_error(L, "crm.pipeline: at most %d stages", KITH_MAX_STAGES);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, -1, i);
        if (!lua_istable(L, -1))
            return luaL_error(L, "crm.pipeline: stage %d is not a table", (int)i);
        read_stage(L, &p.stages[p.nstages]);
        for (int k = 0; k < p.nstages; k++)
            if (strcmp(p.stages[k].name, p.stages[p.nstages].name) == 0)
                return luaL_error(L, "crm.pipeline: stage '%s' twice", p.stages[k].name);
        p.nstages++;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    struct kith_pipeline_set *set = g->pipelines;
    if (!set && !(set = g->pipelines = calloc(1, sizeof(*set))))
        return luaL_error(L, "out of memory");
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->v[i].name, p.name) == 0)
            return luaL_error(L, "crm.pipeline: pipeline '%s' is defined twice", p.name);
    kith_pipeline *more = realloc(set->v, (set->n + 1) * sizeof(*more));
    if (!more) return luaL_error(L, "out of memory");
    set->v = more;
    set->v[set->n++] = p;
    return 0;
}

void kith_pipeline_set_free(struct kith_pipeline_set *set)
{
    if (!set) return;
    free(set->v);
    free(set);
}

int kith_script_pipeline(const kith_script *sc, const char *name, kith_pipeline *out)
{
    const kith_generation *g = sc ? sc->gen : NULL;
    const struct kith_pipeline_set *set = g ? g->pipelines : NULL;
    if (!set || !set->n) return 0;
    const char *want = name ? name : "default";
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->v[i].name, want) == 0) {
            *out = set->v[i];
            return 1;
        }
    if (name) return 0;
    *out = set->v[0];
    return 1;
}

const kith_stage_def *kith_pipeline_stage(const kith_pipeline *p, const char *name)
{
    for (int i = 0; name && i < p->nstages; i++)
        if (strcmp(p->stages[i].name, name) == 0) return &p->stages[i];
    return NULL;
}

cJSON *kith_script_pipeline_list(const kith_script *sc)
{
    const kith_generation *g = sc ? sc->gen : NULL;
    const struct kith_pipeline_set *set = g ? g->pipelines : NULL;
    cJSON *out = cJSON_CreateArray();
    for (size_t i = 0; set && i < set->n; i++) {
        const kith_pipeline *p = &set->v[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", p->name);
        if (p->rot_after_ms)
            cJSON_AddNumberToObject(o, "rot_after_s", (double)(p->rot_after_ms / 1000));
        else
            cJSON_AddNullToObject(o, "rot_after_s");
        cJSON *stages = cJSON_AddArrayToObject(o, "stages");
        for (int k = 0; k < p->nstages; k++) {
            const kith_stage_def *s = &p->stages[k];
            cJSON *so = cJSON_CreateObject();
            cJSON_AddStringToObject(so, "name", s->name);
            cJSON_AddNumberToObject(so, "probability", s->probability);
            if (s->label[0]) cJSON_AddStringToObject(so, "label", s->label);
            cJSON *req = cJSON_AddArrayToObject(so, "require");
            for (int r = 0; r < s->nrequire; r++)
                cJSON_AddItemToArray(req, cJSON_CreateString(s->require[r]));
            cJSON_AddItemToArray(stages, so);
        }
        cJSON_AddItemToArray(out, o);
    }
    return out;
}

void kith_api_pipeline(lua_State *L, int crm)
{
    lua_pushcfunction(L, l_pipeline);
    lua_setfield(L, crm, "pipeline");
}
