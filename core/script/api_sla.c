/*
 * crm.sla{...}: the rules' SLA policies (script/sla.h has the shape), kept
 * in the generation that loaded them, and what the ticket code asks of
 * them: the policy a ticket gets, one by name, and the list for sla.list.
 * Durations and calendars are checked when the file loads, so a typo stops
 * the reload instead of failing the first ticket.
 */
#include "script/convert.h"
#include "script/engine.h"
#include "script/sla.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POLICIES 64

typedef struct sla_def {
    kith_sla_policy p;
    char respond[32], resolve[32]; /* as written, for sla.list */
    cJSON *calendar;               /* as written, or NULL for 24/7 */
    int match_ref;                 /* LUA_NOREF: matches every ticket */
    char file[256];
    int line;
} sla_def;

struct kith_sla_set {
    cJSON *calendar; /* the default calendar as written, or NULL */
    size_t n;
    sla_def defs[MAX_POLICIES];
};

void kith_sla_set_free(struct kith_sla_set *set)
{
    if (!set) return;
    cJSON_Delete(set->calendar);
    for (size_t i = 0; i < set->n; i++)
        cJSON_Delete(set->defs[i].calendar);
    free(set);
}

/* Reads a duration field ("4h", or a number of seconds) of the table at
 * idx into *ms and its text into buf; absent leaves *ms 0. */
static void read_duration(lua_State *L, int idx, const char *key, const char *policy, int64_t *ms,
                          char *buf, size_t len)
{
    *ms = 0;
    buf[0] = '\0';
    lua_getfield(L, idx, key);
    if (lua_isinteger(L, -1) && lua_tointeger(L, -1) > 0) {
        *ms = lua_tointeger(L, -1) * 1000;
        snprintf(buf, len, "%llds", (long long)lua_tointeger(L, -1));
    } else if (lua_type(L, -1) == LUA_TSTRING) {
        const char *s = lua_tostring(L, -1);
        if (kith_time_parse_duration(s, ms) < 0 || *ms <= 0)
            luaL_error(L, "crm.sla: policy '%s': %s must be a duration like \"4h\", not '%s'",
                       policy, key, s);
        snprintf(buf, len, "%s", s);
    } else if (!lua_isnil(L, -1)) {
        luaL_error(L, "crm.sla: policy '%s': %s must be a duration like \"4h\"", policy, key);
    }
    lua_pop(L, 1);
}

/* Under a calendar a day of SLA time is a business day, the length of the
 * calendar's daily window ("3d" with 09:00-18:00 is 27 business hours, i.e.
 * three working days), not 24 business hours, which would be eight.  Only
 * whole-day durations ("3d") are read this way; hours and minutes are
 * business hours and minutes as they stand. */
static void business_days(const char *text, const kith_bizcal *cal, int64_t *ms)
{
    char *end;
    long days = strtol(text, &end, 10);
    if (days > 0 && end != text && strcmp(end, "d") == 0)
        *ms = (int64_t)days * (cal->end_min - cal->start_min) * 60000;
}

static double read_warn_at(lua_State *L, int idx, double dflt)
{
    lua_getfield(L, idx, "warn_at");
    double w = dflt;
    if (!lua_isnil(L, -1)) {
        int isnum;
        w = lua_tonumberx(L, -1, &isnum);
        if (!isnum || w <= 0 || w >= 1)
            luaL_error(L, "crm.sla: warn_at must be a fraction between 0 and 1 (exclusive)");
    }
    lua_pop(L, 1);
    return w;
}

/* Reads the calendar table at the top of the stack (popped) into *cal and
 * *doc (owned, the calendar as written).  `where` names it in errors. */
static void read_calendar(lua_State *L, const char *where, kith_bizcal *cal, cJSON **doc)
{
    int t = lua_gettop(L);
    if (!lua_istable(L, t))
        luaL_error(L, "crm.sla: %s: calendar must be a table {tz=, days=, hours=, holidays=}",
                   where);
    lua_getfield(L, t, "tz");
    lua_getfield(L, t, "days");
    lua_getfield(L, t, "hours");
    const char *tz = lua_tostring(L, t + 1), *days = lua_tostring(L, t + 2);
    const char *hours = lua_tostring(L, t + 3);
    if (!days || !hours)
        luaL_error(L, "crm.sla: %s: calendar needs days (\"MON-FRI\") and hours (\"09:00-18:00\")",
                   where);
    const char *hol[KITH_BIZCAL_MAX_HOLIDAYS];
    size_t nhol = 0;
    lua_getfield(L, t, "holidays");
    int hidx = lua_gettop(L);
    if (lua_istable(L, hidx)) {
        lua_Integer n = luaL_len(L, hidx);
        if (n > KITH_BIZCAL_MAX_HOLIDAYS)
            luaL_error(L, "crm.sla: %s: at most %d holidays", where, KITH_BIZCAL_MAX_HOLIDAYS);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_geti(L, hidx, i); /* stays on the stack: hol[] borrows it */
            if (lua_type(L, -1) != LUA_TSTRING)
                luaL_error(L, "crm.sla: %s: holidays are dates like \"2026-10-01\"", where);
            hol[nhol++] = lua_tostring(L, -1);
        }
    } else if (!lua_isnil(L, hidx)) {
        luaL_error(L, "crm.sla: %s: holidays must be a list of dates", where);
    }
    char err[256];
    if (kith_bizcal_parse(cal, tz, days, hours, nhol ? hol : NULL, nhol, err, sizeof(err)) < 0)
        luaL_error(L, "crm.sla: %s: %s", where, err);
    cJSON *d = cJSON_CreateObject();
    if (d) {
        cJSON_AddStringToObject(d, "tz", tz ? tz : "UTC");
        cJSON_AddStringToObject(d, "days", days);
        cJSON_AddStringToObject(d, "hours", hours);
        cJSON *h = cJSON_AddArrayToObject(d, "holidays");
        for (size_t i = 0; i < nhol; i++)
            cJSON_AddItemToArray(h, cJSON_CreateString(hol[i]));
    }
    *doc = d;
    lua_settop(L, t - 1);
}

static int l_sla(lua_State *L)
{
    kith_generation *g = kith_gen_of(L);
    if (!g->loading) return luaL_error(L, "crm.sla may only be called while a rule file loads");
    luaL_checktype(L, 1, LUA_TTABLE);
    if (g->sla) return luaL_error(L, "crm.sla: the SLA policies are already defined");
    struct kith_sla_set *set = calloc(1, sizeof(*set));
    if (!set) return luaL_error(L, "out of memory");
    g->sla = set; /* owned by the generation from here, even if a check fails */
    double warn_at = read_warn_at(L, 1, 0.8);
    kith_bizcal cal;
    cJSON *cal_doc = NULL;
    int has_cal = 0;
    lua_getfield(L, 1, "calendar");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
    } else {
        read_calendar(L, "calendar", &cal, &set->calendar);
        cal_doc = set->calendar;
        has_cal = 1;
    }
    lua_Integer n = luaL_len(L, 1);
    if (n < 1 || n > MAX_POLICIES) {
        return luaL_error(L, "crm.sla: give 1 to %d policies", MAX_POLICIES);
    }
    char file[256] = "";
    int line = 0;
    lua_Debug ar;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar)) {
        snprintf(file, sizeof(file), "%s", ar.source[0] == '@' ? ar.source + 1 : ar.short_src);
        line = ar.currentline;
    }
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i);
        int t = lua_gettop(L);
        if (!lua_istable(L, t)) {
            return luaL_error(L, "crm.sla: policy %d must be a table", (int)i);
        }
        sla_def *d = &set->defs[set->n++];
        d->match_ref = LUA_NOREF;
        lua_getfield(L, t, "name");
        const char *name = lua_tostring(L, -1);
        if (!name || !name[0] || strlen(name) >= sizeof(d->p.name)) {
            return luaL_error(L, "crm.sla: policy %d needs a name (1-63 bytes)", (int)i);
        }
        snprintf(d->p.name, sizeof(d->p.name), "%s", name);
        lua_pop(L, 1);
        for (size_t k = 0; k + 1 < set->n; k++)
            if (strcmp(set->defs[k].p.name, d->p.name) == 0)
                return luaL_error(L, "crm.sla: policy '%s' appears twice", d->p.name);
        read_duration(L, t, "respond", d->p.name, &d->p.respond_ms, d->respond, sizeof(d->respond));
        read_duration(L, t, "resolve", d->p.name, &d->p.resolve_ms, d->resolve, sizeof(d->resolve));
        if (!d->p.respond_ms && !d->p.resolve_ms) {
            return luaL_error(L, "crm.sla: policy '%s' needs respond or resolve", d->p.name);
        }
        d->p.warn_at = read_warn_at(L, t, warn_at);
        lua_getfield(L, t, "calendar");
        if (lua_isboolean(L, -1) && !lua_toboolean(L, -1)) {
            lua_pop(L, 1); /* calendar = false: this policy runs round the clock */
        } else if (!lua_isnil(L, -1)) {
            char where[96];
            snprintf(where, sizeof(where), "policy '%s'", d->p.name);
            read_calendar(L, where, &d->p.calendar, &d->calendar);
            d->p.has_calendar = 1;
        } else {
            lua_pop(L, 1);
            if (has_cal) {
                d->p.calendar = cal;
                d->p.has_calendar = 1;
                d->calendar = cal_doc ? cJSON_Duplicate(cal_doc, 1) : NULL;
            }
        }
        if (d->p.has_calendar) {
            business_days(d->respond, &d->p.calendar, &d->p.respond_ms);
            business_days(d->resolve, &d->p.calendar, &d->p.resolve_ms);
        }
        lua_getfield(L, t, "match");
        if (lua_isfunction(L, -1)) {
            d->match_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        } else if (!lua_isnil(L, -1)) {
            return luaL_error(L, "crm.sla: policy '%s': match must be a function", d->p.name);
        } else {
            lua_pop(L, 1);
        }
        snprintf(d->file, sizeof(d->file), "%s", file);
        d->line = line;
        lua_settop(L, t - 1);
    }
    return 0;
}

struct pick_args {
    kith_generation *g;
    kith_ctx *ctx;
    const cJSON *ticket, *customer;
    int rc, found;
    size_t index;
};

static int pick_protected(lua_State *L)
{
    struct pick_args *a = lua_touserdata(L, 1);
    kith_generation *g = a->g;
    kith_lua_push_json(L, a->ticket);
    kith_lua_push_json(L, a->customer);
    int t = lua_gettop(L) - 1, c = lua_gettop(L);
    for (size_t i = 0; i < g->sla->n; i++) {
        sla_def *d = &g->sla->defs[i];
        if (d->match_ref == LUA_NOREF) {
            a->found = 1;
            a->index = i;
            return 0;
        }
        lua_pushvalue(L, t);
        lua_pushvalue(L, c);
        char what[96];
        snprintf(what, sizeof(what), "SLA policy '%s'", d->p.name);
        if ((a->rc = kith_call_ref(g, a->ctx, d->match_ref, 2, 1, d->file, d->line, what)))
            return 0;
        int yes = lua_toboolean(L, -1);
        lua_pop(L, 1);
        if (yes) {
            a->found = 1;
            a->index = i;
            return 0;
        }
    }
    return 0;
}

int kith_script_sla_pick(kith_ctx *ctx, const cJSON *ticket, const cJSON *customer,
                         kith_sla_policy *out, int *found)
{
    kith_script *sc = ctx->env->script;
    kith_generation *g = sc ? sc->gen : NULL;
    *found = 0;
    if (!g || !g->sla) return 0;
    struct pick_args a = {g, ctx, ticket, customer, 0, 0, 0};
    lua_State *L = g->L;
    lua_pushcfunction(L, pick_protected);
    lua_pushlightuserdata(L, &a);
    kith_lua_error e;
    int top = lua_gettop(L) - 2;
    int rc = kith_lua_pcall(L, 1, 0, &e);
    lua_settop(L, top);
    if (rc < 0) return kith_fail_lua(ctx, &e, NULL, 0, "the SLA policies");
    if (a.rc) return a.rc;
    if (a.found) {
        *out = g->sla->defs[a.index].p;
        *found = 1;
    }
    return 0;
}

int kith_script_sla_find(const kith_script *sc, const char *name, kith_sla_policy *out)
{
    const kith_generation *g = sc ? sc->gen : NULL;
    for (size_t i = 0; g && g->sla && i < g->sla->n; i++)
        if (strcmp(g->sla->defs[i].p.name, name) == 0) {
            *out = g->sla->defs[i].p;
            return 1;
        }
    return 0;
}

cJSON *kith_script_sla_list(const kith_script *sc)
{
    const kith_generation *g = sc ? sc->gen : NULL;
    cJSON *out = cJSON_CreateArray();
    for (size_t i = 0; out && g && g->sla && i < g->sla->n; i++) {
        const sla_def *d = &g->sla->defs[i];
        cJSON *o = cJSON_CreateObject();
        if (!o) break;
        cJSON_AddItemToArray(out, o);
        cJSON_AddStringToObject(o, "name", d->p.name);
        if (d->respond[0])
            cJSON_AddStringToObject(o, "respond", d->respond);
        else
            cJSON_AddNullToObject(o, "respond");
        if (d->resolve[0])
            cJSON_AddStringToObject(o, "resolve", d->resolve);
        else
            cJSON_AddNullToObject(o, "resolve");
        cJSON_AddNumberToObject(o, "warn_at", d->p.warn_at);
        if (d->calendar)
            cJSON_AddItemToObject(o, "calendar", cJSON_Duplicate(d->calendar, 1));
        else
            cJSON_AddNullToObject(o, "calendar");
        cJSON_AddBoolToObject(o, "match", d->match_ref != LUA_NOREF);
        cJSON_AddStringToObject(o, "file", d->file);
        kith_json_add_int(o, "line", d->line);
    }
    return out;
}

void kith_api_sla(lua_State *L, int crm)
{
    lua_pushcfunction(L, l_sla);
    lua_setfield(L, crm, "sla");
}
