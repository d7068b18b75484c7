/*
 * Generations: building one from the rule and plugin folders, checking it,
 * swapping it in, and describing it (script.status, plugin.list).  See
 * script.h for the design notes.
 */
#include "script/engine.h"
#include "script/convert.h"
#include "store/event.h"
#include "store/rules.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"
#include "util/sha256.h"
#include "util/timefmt.h"

#include <dirent.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

kith_generation *kith_gen_of(lua_State *L)
{
    return *(kith_generation **)lua_getextraspace(L);
}

int kith_grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = realloc(*v, ncap * size);
    if (!p) return KITH_ENOMEM;
    memset((char *)p + *cap * size, 0, (ncap - *cap) * size);
    *v = p;
    *cap = ncap;
    return 0;
}

kith_script *kith_script_new(const kith_script_options *opt)
{
    kith_script *sc = calloc(1, sizeof(*sc));
    if (!sc) return NULL;
    sc->opt = *opt;
    if (sc->opt.cpu_limit_ms <= 0) sc->opt.cpu_limit_ms = 100;
    if (sc->opt.mem_limit == 0) sc->opt.mem_limit = 64u << 20;
    if (sc->opt.max_hook_depth <= 0) sc->opt.max_hook_depth = 8;
    sc->next_id = 1;
    sc->on_cursor = -1;
    return sc;
}

void kith_script_set_caller(kith_script *sc, kith_script_call_fn fn, void *ud)
{
    sc->call = fn;
    sc->call_ud = ud;
}

static void gen_free(kith_generation *g)
{
    if (!g) return;
    kith_sandbox_close(g->L);
    for (size_t i = 0; i < g->nmethods; i++) {
        for (kith_param *p = g->methods[i].params; p && p->name; p++) {
            free((char *)p->name);
            free((char *)p->description);
        }
        free(g->methods[i].params);
    }
    free(g->hooks);
    free(g->segs);
    free(g->jobs);
    free(g->methods);
    free(g->method_table);
    free(g->files);
    free(g->plugins);
    kith_sla_set_free(g->sla);
    kith_pipeline_set_free(g->pipelines);
    kith_match_rule_free(g->match);
    free(g);
}

void kith_script_set_on_reload(kith_script *sc,
                               void (*fn)(void *ud, const kith_command *old_methods), void *ud)
{
    sc->on_reload = fn;
    sc->on_reload_ud = ud;
}

void kith_script_free(kith_script *sc)
{
    if (!sc) return;
    gen_free(sc->retired);
    gen_free(sc->gen);
    free(sc);
}

const char *kith_script_last_error(const kith_script *sc)
{
    return sc ? sc->last_error : "";
}

int64_t kith_script_generation(const kith_script *sc)
{
    return sc && sc->gen ? sc->gen->id : 0;
}

const void *kith_script_tiers(const kith_script *sc, size_t *n)
{
    *n = sc && sc->gen ? sc->gen->ntiers : 0;
    return *n ? sc->gen->tiers : NULL;
}

const kith_command *kith_script_methods(const kith_script *sc)
{
    return sc && sc->gen ? sc->gen->method_table : NULL;
}

/* ---- reading the folders ---- */

static void hex(const uint8_t *h, char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    kith_buf b;
    kith_buf_init(&b);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        kith_buf_append(&b, chunk, n);
    fclose(f);
    if (!b.data) kith_buf_append(&b, "", 0);
    *len = kith_buf_size(&b);
    return b.data;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the names in `dir` accepted by `want`, sorted; returns the count
 * (names owned by the caller, free each and the array) or 0. */
static int list_dir(const char *dir, int (*want)(const char *dir, const char *name), char ***out)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d) return 0;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !want(dir, e->d_name)) continue;
        if (kith_grow((void **)&names, &cap, n, sizeof(char *)) < 0) break;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof(char *), by_string);
    *out = names;
    return (int)n;
}

static int is_rule_file(const char *dir, const char *name)
{
    (void)dir;
    return ends_with(name, ".lua") && !ends_with(name, "_test.lua");
}

static int is_plugin_dir(const char *dir, const char *name)
{
    char path[1024];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s/plugin.lua", dir, name);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* ---- loading ---- */

static int load_one(kith_generation *g, const char *path, const char *plugin, char *err,
                    size_t errlen)
{
    size_t len;
    char *code = read_file(path, &len);
    if (!code) {
        snprintf(err, errlen, "%s: cannot read the file", path);
        return KITH_ESCRIPT;
    }
    if (kith_grow((void **)&g->files, &g->capfiles, g->nfiles, sizeof(*g->files)) < 0) {
        free(code);
        return KITH_ENOMEM;
    }
    kith_filedef *f = &g->files[g->nfiles++];
    memset(f, 0, sizeof(*f));
    snprintf(f->path, sizeof(f->path), "%s", path);
    snprintf(f->plugin, sizeof(f->plugin), "%s", plugin ? plugin : "");
    uint8_t h[KITH_SHA256_LEN];
    kith_sha256(code, len, h);
    hex(h, f->hash);

    lua_State *L = g->L;
    char chunkname[600];
    snprintf(chunkname, sizeof(chunkname), "@%s", path);
    kith_sandbox_push_env(L);
    int rc = 0;
    if (kith_sandbox_load(L, code, len, chunkname, -1) < 0) {
        snprintf(err, errlen, "%s", lua_tostring(L, -1));
        lua_pop(L, 2);
        rc = KITH_ESCRIPT;
    } else {
        g->loading = 1;
        g->loading_file = f;
        g->loading_plugin = NULL;
        g->loading_priority = 100;
        kith_lua_error e;
        /* Top-level code gets ten hook budgets: it runs once per load. */
        int64_t limit = g->budget.limit_ms;
        g->budget.limit_ms = limit * 10;
        rc = kith_lua_pcall(L, 0, 0, &e);
        g->budget.limit_ms = limit;
        g->loading = 0;
        if (rc < 0) {
            if (g->loading_plugin && !g->loading_plugin->enabled &&
                strstr(e.message, "kith.plugin.disabled"))
                rc = 0; /* a disabled plugin stops right after declaring itself */
            else
                snprintf(err, errlen, "%s", e.message);
        }
        lua_pop(L, 1); /* the env */
        if (rc < 0) rc = KITH_ESCRIPT;
    }
    free(code);
    return rc;
}

static int cmp_hooks(const void *a, const void *b)
{
    const kith_hook *x = a, *y = b;
    if (x->priority != y->priority) return x->priority < y->priority ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Builds the command table of the plugin methods. */
static int build_method_table(kith_generation *g, kith_handler handler)
{
    g->method_table = calloc(g->nmethods + 1, sizeof(kith_command));
    if (!g->method_table) return KITH_ENOMEM;
    for (size_t i = 0; i < g->nmethods; i++) {
        kith_methoddef *m = &g->methods[i];
        g->method_table[i] = (kith_command){m->name,
                                            handler,
                                            m->params,
                                            KITH_CMD_WRITE,
                                            m->role,
                                            m->summary,
                                            "what the plugin returns"};
    }
    return 0;
}

int kith_script_method_handler(kith_ctx *ctx, const cJSON *params, cJSON **result);

static kith_generation *gen_new(kith_script *sc)
{
    kith_generation *g = calloc(1, sizeof(*g));
    if (!g) return NULL;
    g->engine = sc;
    g->churn_ref = LUA_NOREF;
    g->classify_ref = g->classes_ref = LUA_NOREF;
    g->tests_ref = LUA_NOREF;
    g->budget.limit = sc->opt.mem_limit;
    g->budget.limit_ms = sc->opt.cpu_limit_ms;
    g->L = kith_sandbox_new(&g->budget);
    if (!g->L) {
        free(g);
        return NULL;
    }
    *(kith_generation **)lua_getextraspace(g->L) = g;
    return g;
}

static int setup_api(lua_State *L)
{
    kith_lua_convert_init(L);
    lua_newtable(L);
    kith_api_register(L, lua_gettop(L));
    kith_api_data(L, lua_gettop(L));
    kith_api_survey(L, lua_gettop(L));
    kith_api_sla(L, lua_gettop(L));
    kith_api_ticket(L, lua_gettop(L));
    kith_api_company(L, lua_gettop(L));
    kith_api_consent(L, lua_gettop(L));
    kith_api_visit(L, lua_gettop(L));
    kith_api_stage(L, lua_gettop(L));
    kith_api_match(L, lua_gettop(L));
    kith_api_value(L, lua_gettop(L));
    kith_api_pipeline(L, lua_gettop(L));
    kith_sandbox_add_library(L, "crm");
    return 0;
}

/* Loads every rule file and plugin into a new generation.  Returns it, or
 * NULL with err filled. */
static kith_generation *gen_build(kith_script *sc, char *err, size_t errlen)
{
    kith_generation *g = gen_new(sc);
    if (!g) {
        snprintf(err, errlen, "out of memory creating a Lua state");
        return NULL;
    }
    lua_pushcfunction(g->L, setup_api);
    kith_lua_error e;
    if (kith_lua_pcall(g->L, 0, 0, &e) < 0) {
        snprintf(err, errlen, "setting up the crm API: %s", e.message);
        gen_free(g);
        return NULL;
    }
    int rc = 0;
    char **names;
    int n = list_dir(sc->opt.scripts_dir, is_rule_file, &names);
    for (int i = 0; i < n && !rc; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", sc->opt.scripts_dir, names[i]);
        rc = load_one(g, path, NULL, err, errlen);
    }
    free_names(names, n);
    n = list_dir(sc->opt.plugins_dir, is_plugin_dir, &names);
    for (int i = 0; i < n && !rc; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s/plugin.lua", sc->opt.plugins_dir, names[i]);
        rc = load_one(g, path, names[i], err, errlen);
        kith_filedef *f = &g->files[g->nfiles - 1];
        if (!rc && f->plugin[0]) {
            int declared = 0;
            for (size_t k = 0; k < g->nplugins; k++)
                if (strcmp(g->plugins[k].file, path) == 0) declared = 1;
            if (!declared) {
                snprintf(err, errlen, "%s: a plugin must start with crm.plugin{name = ..., ...}",
                         path);
                rc = KITH_ESCRIPT;
            }
        }
    }
    /* A setting for a plugin that is not among those installed is a typo in
     * its name: refuse it like any other bad config line.  With no plugin
     * installed at all (an empty or missing folder, as when --plugins points
     * elsewhere than the shipped config expects) it is only worth a warning. */
    for (size_t i = 0; i < sc->opt.nplugin_settings && !rc; i++) {
        const kith_plugin_setting *s = &sc->opt.plugin_settings[i];
        int found = 0;
        for (int k = 0; k < n && !found; k++)
            found = strcmp(names[k], s->plugin) == 0;
        if (!found && n == 0) {
            kith_warn("script: %s: plugin.%s.%s: no plugin is installed in %s", s->where, s->plugin,
                      s->key, sc->opt.plugins_dir);
        } else if (!found) {
            snprintf(err, errlen, "%s: plugin.%s.%s: there is no plugin '%s' in %s", s->where,
                     s->plugin, s->key, s->plugin, sc->opt.plugins_dir);
            rc = KITH_ESCRIPT;
        }
    }
    free_names(names, n);
    if (!rc) rc = build_method_table(g, kith_script_method_handler);
    if (rc) {
        if (rc == KITH_ENOMEM) snprintf(err, errlen, "out of memory loading the rules");
        gen_free(g);
        return NULL;
    }
    if (g->nhooks) qsort(g->hooks, g->nhooks, sizeof(*g->hooks), cmp_hooks);
    g->loaded_at = kith_time_now_ms();
    return g;
}

/* A hash over every file's path and content, to skip no-op reloads. */
static void folder_hash(kith_script *sc, char out[65])
{
    kith_buf all;
    kith_buf_init(&all);
    char **names;
    int n = list_dir(sc->opt.scripts_dir, is_rule_file, &names);
    for (int i = 0; i < n; i++) {
        char path[1024];
        size_t len;
        snprintf(path, sizeof(path), "%s/%s", sc->opt.scripts_dir, names[i]);
        char *code = read_file(path, &len);
        kith_buf_appends(&all, path);
        if (code) kith_buf_append(&all, code, len);
        free(code);
    }
    free_names(names, n);
    n = list_dir(sc->opt.plugins_dir, is_plugin_dir, &names);
    for (int i = 0; i < n; i++) {
        char path[1024];
        size_t len;
        snprintf(path, sizeof(path), "%s/%s/plugin.lua", sc->opt.plugins_dir, names[i]);
        char *code = read_file(path, &len);
        kith_buf_appends(&all, path);
        if (code) kith_buf_append(&all, code, len);
        free(code);
    }
    free_names(names, n);
    uint8_t h[KITH_SHA256_LEN];
    kith_sha256(all.data ? all.data : "", kith_buf_size(&all), h);
    hex(h, out);
    kith_buf_release(&all);
}

/* Writes the new generation's segments to the store and schedules full
 * refreshes of those whose definition changed. */
static int sync_segments(kith_script *sc, kith_ctx *ctx)
{
    kith_generation *g = sc->gen;
    cJSON *keep = cJSON_CreateArray();
    int rc = 0;
    char changed_names[1024] = "";
    int any = 0;
    for (size_t i = 0; i < g->nsegs && !rc; i++) {
        int changed = 0;
        cJSON_AddItemToArray(keep, cJSON_CreateString(g->segs[i].name));
        rc = kith_store_segment_define(ctx->store, g->segs[i].name, g->segs[i].description,
                                       g->segs[i].hash, &changed);
        if (!rc && changed) {
            size_t used = strlen(changed_names);
            snprintf(changed_names + used, sizeof(changed_names) - used, "%s\n", g->segs[i].name);
            any = 1;
        }
    }
    if (!rc) rc = kith_store_segment_prune(ctx->store, keep);
    cJSON_Delete(keep);
    if (!rc && any) {
        sc->refresh_pending = 1;
        sc->refresh_cursor = 0;
        snprintf(sc->refresh_segments, sizeof(sc->refresh_segments), "%s", changed_names);
    }
    return rc;
}

static void note_error(kith_script *sc, kith_ctx *ctx, const char *msg)
{
    snprintf(sc->last_error, sizeof(sc->last_error), "%s", msg);
    sc->last_error_at = ctx->now;
    if (sc->gen)
        kith_error("script: reload failed, the previous rules keep running: %s", msg);
    else
        kith_error("script: the rules do not load: %s", msg);
    kith_lua_error e;
    kith_lua_error_set(&e, KITH_ESCRIPT, msg);
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "error", msg);
    kith_json_add_str(data, "script", e.script[0] ? e.script : NULL);
    if (e.line) kith_json_add_int(data, "line", e.line);
    if (kith_store_request_begin(ctx->store) == 0) {
        int rc = kith_store_event_append(ctx->store, "script.error", 0, data, ctx->now, NULL);
        kith_store_request_end(ctx->store, rc == 0);
    }
    cJSON_Delete(data);
}

/* A first look at everyone under new rules, then daily.  A restart with
 * the same rules within a day of the last full sweep does not repeat it:
 * it is a pass over every customer, about 20 s of CPU at a million. */
static void plan_churn_sweep(kith_script *sc, kith_ctx *ctx)
{
    int64_t swept_at = 0, swept_rules = -1;
    kith_store_meta_get(ctx->store, "churn_swept_at", &swept_at, 0);
    kith_store_meta_get(ctx->store, "churn_swept_rules", &swept_rules, -1);
    if (swept_rules != kith_script_rules_id(sc) || ctx->now - swept_at >= 86400000LL ||
        ctx->now < swept_at)
        sc->sweep_churn = 1;
    else
        sc->next_churn_sweep = swept_at + 86400000LL;
}

int kith_script_reload(kith_script *sc, kith_ctx *ctx, int force, int *changed, char *err,
                       size_t errlen)
{
    char hash[65];
    *changed = 0;
    folder_hash(sc, hash);
    if (!force && sc->gen && strcmp(hash, sc->content_hash) == 0) {
        /* The files are back to the running generation's (a broken edit was
         * undone): nothing to load, and nothing wrong any more. */
        sc->last_error[0] = '\0';
        return 0;
    }
    kith_generation *g = gen_build(sc, err, errlen);
    if (!g) {
        note_error(sc, ctx, err);
        return KITH_ESCRIPT;
    }
    memcpy(sc->content_hash, hash, sizeof(hash));
    kith_generation *old = sc->gen;
    g->id = sc->next_id++;
    sc->gen = g;
    *changed = 1;
    int rc = kith_store_request_begin(ctx->store);
    if (!rc) {
        rc = sync_segments(sc, ctx);
        if (!rc) rc = kith_api_survey_sync(sc, ctx);
        if (!rc && g->churn_ref != LUA_NOREF) plan_churn_sweep(sc, ctx);
        if (!sc->next_churn_sweep) sc->next_churn_sweep = ctx->now + 86400000LL;
        cJSON *data = cJSON_CreateObject();
        kith_json_add_int(data, "generation", g->id);
        kith_json_add_int(data, "files", (int64_t)g->nfiles);
        if (!rc)
            rc = kith_store_event_append(ctx->store, "script.reloaded", 0, data, ctx->now, NULL);
        cJSON_Delete(data);
        kith_store_request_end(ctx->store, rc == 0);
    }
    kith_info("script: generation %lld loaded (%zu files, %zu hooks, %zu segments)",
              (long long)g->id, g->nfiles, g->nhooks, g->nsegs);
    sc->last_error[0] = '\0';
    /* The old generation's method table may still be registered: it goes
     * only after the server has swapped the registrations (note 3). */
    gen_free(sc->retired);
    sc->retired = old;
    if (sc->on_reload) sc->on_reload(sc->on_reload_ud, old ? old->method_table : NULL);
    gen_free(sc->retired);
    sc->retired = NULL;
    return 0;
}

/* ---- describing ---- */

cJSON *kith_script_status(const kith_script *sc)
{
    cJSON *o = cJSON_CreateObject();
    const kith_generation *g = sc ? sc->gen : NULL;
    kith_json_add_int(o, "generation", g ? g->id : 0);
    if (g)
        kith_json_add_time(o, "loaded_at", g->loaded_at);
    else
        cJSON_AddNullToObject(o, "loaded_at");
    cJSON *files = cJSON_AddArrayToObject(o, "files");
    for (size_t i = 0; g && i < g->nfiles; i++) {
        const kith_filedef *f = &g->files[i];
        cJSON *fo = cJSON_CreateObject();
        cJSON_AddStringToObject(fo, "path", f->path);
        cJSON_AddStringToObject(fo, "sha256", f->hash);
        kith_json_add_str(fo, "plugin", f->plugin[0] ? f->plugin : NULL);
        cJSON *reg = cJSON_AddObjectToObject(fo, "registered");
        kith_json_add_int(reg, "hooks", f->hooks);
        kith_json_add_int(reg, "segments", f->segments);
        kith_json_add_int(reg, "jobs", f->jobs);
        kith_json_add_int(reg, "methods", f->methods);
        kith_json_add_int(reg, "tiers", f->tiers);
        kith_json_add_int(reg, "churn", f->churn);
        cJSON_AddItemToArray(files, fo);
    }
    cJSON *segs = cJSON_AddArrayToObject(o, "segments");
    for (size_t i = 0; g && i < g->nsegs; i++) {
        cJSON *so = cJSON_CreateObject();
        cJSON_AddStringToObject(so, "name", g->segs[i].name);
        cJSON_AddStringToObject(so, "description", g->segs[i].description);
        cJSON_AddStringToObject(so, "file", g->segs[i].file);
        kith_json_add_int(so, "line", g->segs[i].line);
        cJSON_AddItemToArray(segs, so);
    }
    cJSON *hooks = cJSON_AddArrayToObject(o, "hooks");
    static const char *const kinds[] = {"before", "after", "on"};
    for (size_t i = 0; g && i < g->nhooks; i++) {
        const kith_hook *h = &g->hooks[i];
        cJSON *ho = cJSON_CreateObject();
        cJSON_AddStringToObject(ho, "kind", kinds[h->kind]);
        cJSON_AddStringToObject(ho, "event", h->event);
        cJSON_AddStringToObject(ho, "file", h->file);
        kith_json_add_int(ho, "line", h->line);
        kith_json_add_int(ho, "calls", (int64_t)h->calls);
        kith_json_add_int(ho, "errors", (int64_t)h->errors);
        kith_json_add_int(ho, "usec_total", (int64_t)h->usec);
        cJSON_AddItemToArray(hooks, ho);
    }
    cJSON *jobs = cJSON_AddArrayToObject(o, "jobs");
    for (size_t i = 0; g && i < g->njobs; i++)
        cJSON_AddItemToArray(jobs, cJSON_CreateString(g->jobs[i].name));
    cJSON *tiers = cJSON_AddArrayToObject(o, "tiers");
    for (size_t i = 0; g && i < g->ntiers; i++) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "name", g->tiers[i].name);
        kith_json_add_int(t, "min", g->tiers[i].min);
        cJSON_AddItemToArray(tiers, t);
    }
    if (g && g->churn_ref != LUA_NOREF) {
        cJSON *c = cJSON_AddObjectToObject(o, "churn");
        cJSON_AddNumberToObject(c, "threshold", g->churn_threshold);
        cJSON_AddStringToObject(c, "file", g->churn_file);
        kith_json_add_int(c, "line", g->churn_line);
    } else {
        cJSON_AddNullToObject(o, "churn");
    }
    kith_json_add_int(o, "memory_bytes", g ? (int64_t)g->budget.used : 0);
    if (sc && sc->last_error[0]) {
        cJSON *le = cJSON_AddObjectToObject(o, "last_error");
        cJSON_AddStringToObject(le, "message", sc->last_error);
        kith_json_add_time(le, "at", sc->last_error_at);
    } else {
        cJSON_AddNullToObject(o, "last_error");
    }
    return o;
}

cJSON *kith_script_plugins(const kith_script *sc)
{
    cJSON *out = cJSON_CreateArray();
    const kith_generation *g = sc ? sc->gen : NULL;
    for (size_t i = 0; g && i < g->nplugins; i++) {
        const kith_plugindef *p = &g->plugins[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", p->name);
        cJSON_AddStringToObject(o, "version", p->version);
        cJSON_AddStringToObject(o, "description", p->description);
        kith_json_add_int(o, "priority", p->priority);
        cJSON_AddBoolToObject(o, "enabled", p->enabled);
        cJSON *methods = cJSON_AddArrayToObject(o, "methods");
        char prefix[80];
        snprintf(prefix, sizeof(prefix), "plugin.%s.", p->name);
        for (size_t k = 0; k < g->nmethods; k++)
            if (strncmp(g->methods[k].name, prefix, strlen(prefix)) == 0)
                cJSON_AddItemToArray(methods, cJSON_CreateString(g->methods[k].name));
        cJSON_AddItemToArray(out, o);
    }
    return out;
}

int64_t kith_script_rules_id(const kith_script *sc)
{
    char head[16];
    snprintf(head, sizeof(head), "%.15s", sc->content_hash);
    return strtoll(head, NULL, 16);
}
