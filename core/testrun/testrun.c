/*
 * See testrun.h.
 */
#include "testrun/testrun.h"
#include "commands/commands.h"
#include "dispatch/dispatch.h"
#include "script/script.h"
#include "sched/sched.h"
#include "store/store.h"
#include "util/error.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "work/work.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HOUR_MS 3600000LL

typedef struct world {
    kith_store *store;
    kith_dispatch *dispatch;
    kith_script *script;
    kith_env env;
    kith_session session;
    kith_work work; /* the server's background work (work/), on this world */
} world;

static void make_ctx(world *w, kith_ctx *ctx, kith_call_error *err)
{
    kith_ctx_init(ctx, w->store, &w->session, &w->env, err);
}

/* The world commits in full: nothing here waits for a WAL sync. */
static void commit_world(void *ud, const char *what)
{
    world *w = ud;
    kith_store_commit(w->store);
}

/* What the server does after each pass: commit, then crm.on handlers and
 * background work until none is left (the server spreads it over passes). */
static void settle_world(world *w)
{
    kith_store_commit(w->store);
    for (int round = 0; round < 1000; round++)
        if (!kith_work_after_commit(&w->work, 50000)) break;
}

/* crm.call from a test: a top-level call is a pass of its own. */
static int call(void *ud, kith_session *s, const char *method, const cJSON *params, cJSON **result,
                kith_call_error *err)
{
    world *w = ud;
    int top = !kith_store_in_request(w->store);
    int rc = kith_dispatch_call(w->dispatch, s, method, params, result, err);
    if (top) settle_world(w);
    return rc;
}

/* Time-driven work due at the world's current time, as the server's
 * scheduler timer and upkeep run it, until nothing more is due now. */
static void due_work(world *w)
{
    for (int slices = 0; slices < 10000; slices++) {
        int more = kith_work_due(&w->work);
        settle_world(w);
        if (!more) break;
    }
    for (int rounds = 0; rounds < 10000; rounds++) {
        int more = kith_work_upkeep(&w->work);
        settle_world(w);
        if (!more) break;
    }
}

static int advance(void *ud, int64_t ms)
{
    world *w = ud;
    settle_world(w);
    /* Step to each moment something falls due on the way (at most an hour
     * at a time), so it happens in order and at its own time. */
    while (ms > 0) {
        int64_t step = ms < HOUR_MS ? ms : HOUR_MS, next;
        int64_t now = kith_time_now_ms() + w->env.clock_offset_ms;
        if (kith_sched_next_due(w->store, &next) == 0 && next > now && next - now < step)
            step = next - now;
        w->env.clock_offset_ms += step;
        ms -= step;
        due_work(w);
    }
    return 0;
}

static void world_close(world *w)
{
    kith_script_free(w->script);
    kith_dispatch_free(w->dispatch);
    kith_store_close(w->store);
    memset(w, 0, sizeof(*w));
}

static void on_reload(void *ud, const kith_command *old_methods)
{
    world *w = ud;
    if (old_methods) kith_dispatch_unregister(w->dispatch, old_methods);
    const kith_command *m = kith_script_methods(w->script);
    if (m && m->name) kith_dispatch_register(w->dispatch, m);
    w->env.tiers = kith_script_tiers(w->script, &w->env.ntiers);
}

/* A fresh world with the rules loaded.  Returns 0 or an error in err. */
static int world_open(world *w, const kith_config *cfg, char *err, size_t errlen)
{
    memset(w, 0, sizeof(*w));
    if (kith_store_open(":memory:", KITH_SYNC_OFF, &w->store) < 0) {
        snprintf(err, errlen, "cannot open an in-memory store");
        return KITH_EIO;
    }
    w->env = (kith_env){.default_currency = cfg->default_currency,
                        .started_at = kith_time_now_ms(),
                        .data_dir = ":memory:"};
    w->session = (kith_session){.role = KITH_ROLE_ADMIN, .authenticated = 1, .name = "test"};
    w->work = (kith_work){.store = w->store,
                          .env = &w->env,
                          .who = &w->session,
                          .commit = commit_world,
                          .ud = w,
                          .keep_events = cfg->event_retention_count,
                          .keep_days = cfg->event_retention_days,
                          .keep_audit_days = cfg->audit_retention_days};
    w->dispatch = kith_dispatch_new(w->store, &w->env);
    for (int i = 0; w->dispatch && kith_command_tables[i]; i++)
        kith_dispatch_register(w->dispatch, kith_command_tables[i]);
    kith_script_options so;
    kith_config_script_options(cfg, &so);
    so.test_mode = 1;
    w->script = kith_script_new(&so);
    w->env.script = w->script;
    w->env.hooks = &kith_script_request_hooks;
    w->env.settle_times = kith_script_settle_times();
    kith_script_set_caller(w->script, call, w);
    kith_script_set_on_reload(w->script, on_reload, w);
    kith_script_set_advance(w->script, advance, w);
    kith_ctx ctx;
    kith_call_error cerr;
    make_ctx(w, &ctx, &cerr);
    int changed;
    int rc = kith_script_reload(w->script, &ctx, 1, &changed, err, errlen);
    kith_ctx_release(&ctx);
    if (rc == 0) settle_world(w);
    return rc;
}

static int is_test(const char *name)
{
    size_t n = strlen(name);
    return n > 9 && strcmp(name + n - 9, "_test.lua") == 0;
}

static int add_tests_in(const char *dir, char ***files, int *n, int *cap)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_test(e->d_name)) continue;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 16;
            *files = realloc(*files, (size_t)*cap * sizeof(char *));
        }
        char *path = malloc(strlen(dir) + strlen(e->d_name) + 2);
        sprintf(path, "%s/%s", dir, e->d_name);
        (*files)[(*n)++] = path;
    }
    closedir(d);
    return 0;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_file(const kith_config *cfg, const char *path, int *passed, int *failed)
{
    char err[2048], name[256];
    world w;
    int ntests = 0;
    kith_ctx ctx;
    kith_call_error cerr;
    /* Discover the tests once, then run each in a world of its own. */
    int rc = world_open(&w, cfg, err, sizeof(err));
    if (rc == 0) {
        make_ctx(&w, &ctx, &cerr);
        rc = kith_script_load_tests(w.script, &ctx, path, &ntests, err, sizeof(err));
        kith_ctx_release(&ctx);
    }
    world_close(&w);
    if (rc < 0) {
        printf("FAIL - %s: %s\n", path, err);
        (*failed)++;
        return;
    }
    for (int i = 0; i < ntests; i++) {
        rc = world_open(&w, cfg, err, sizeof(err));
        int n;
        if (rc == 0) {
            make_ctx(&w, &ctx, &cerr);
            rc = kith_script_load_tests(w.script, &ctx, path, &n, err, sizeof(err));
            kith_ctx_release(&ctx);
        }
        snprintf(name, sizeof(name), "#%d", i + 1);
        if (rc == 0) {
            make_ctx(&w, &ctx, &cerr);
            rc = kith_script_run_test(w.script, &ctx, i, name, sizeof(name), err, sizeof(err));
            kith_ctx_release(&ctx);
        }
        world_close(&w);
        if (rc == 0) {
            printf("ok - %s: %s\n", path, name);
            (*passed)++;
        } else {
            printf("FAIL - %s: %s: %s\n", path, name, err);
            (*failed)++;
        }
        fflush(stdout);
    }
}

int kith_testrun(const kith_config *cfg, char **files, int nfiles)
{
    char **found = NULL;
    int n = 0, cap = 0;
    if (nfiles == 0) {
        add_tests_in(cfg->scripts, &found, &n, &cap);
        DIR *d = opendir(cfg->plugins);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char dir[2100];
            snprintf(dir, sizeof(dir), "%s/%s", cfg->plugins, e->d_name);
            add_tests_in(dir, &found, &n, &cap);
        }
        if (d) closedir(d);
        if (n) qsort(found, (size_t)n, sizeof(char *), by_path);
        files = found;
        nfiles = n;
    }
    int passed = 0, failed = 0;
    for (int i = 0; i < nfiles; i++)
        run_file(cfg, files[i], &passed, &failed);
    for (int i = 0; i < n; i++)
        free(found[i]);
    free(found);
    printf("%d passed, %d failed\n", passed, failed);
    return failed || (passed == 0 && nfiles == 0) ? 1 : 0;
}
