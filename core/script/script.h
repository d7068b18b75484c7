/*
 * The rules engine: Lua business rules and plugins, loaded as a whole into a
 * *generation* (one sandboxed lua_State) and swapped in between requests.
 * Commands call in at fixed points of a write — before hooks, event emission
 * (after hooks) — and the end of an outermost request settles the customers
 * it touched (segments and churn) through kith_script_request_hooks, which
 * the server installs (request.h note 5).  The server's background work
 * (work/) calls in after each commit (crm.on handlers) and when idle
 * (background refreshes).  The engine reaches the dispatcher only through
 * the call function the server hands it (crm.call), never directly.
 *
 * DESIGN NOTES: generations
 *   1. kith_script_reload() builds a complete new generation beside the
 *      running one: fresh state, every file loaded in name order, plugins by
 *      priority, registrations checked.  Any error discards it; the running
 *      generation keeps serving and the error is kept for script.status.
 *   2. The swap happens inside kith_script_reload(), which the server calls
 *      only between requests; no request ever sees two generations.
 *   3. The old generation is closed after a full collection; its plugin
 *      methods are unregistered by the server before it goes.
 *   4. Nothing a rule registers outlives its generation, except what it
 *      wrote to the store.
 */
#ifndef KITH_SCRIPT_SCRIPT_H
#define KITH_SCRIPT_SCRIPT_H

#include "request/request.h"
#include "util/histogram.h"

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kith_script kith_script;

/* How crm.call reaches the dispatcher (installed by the server). */
typedef int (*kith_script_call_fn)(void *ud, kith_session *s, const char *method,
                                   const cJSON *params, cJSON **result, kith_call_error *err);

/* One plugin.<plugin>.<key> line of the config; `where` names its source
 * ("config/kith.conf:12" or "flag --plugin.x.y") for error messages. */
typedef struct kith_plugin_setting {
    char plugin[64];
    char key[64];
    char value[256];
    char where[512];
} kith_plugin_setting;

typedef struct kith_script_options {
    const char *scripts_dir;
    const char *plugins_dir;
    int64_t cpu_limit_ms; /* per hook call */
    size_t mem_limit;     /* per generation */
    int max_hook_depth;   /* cascade guard */
    const kith_plugin_setting *plugin_settings;
    size_t nplugin_settings;
    int test_mode; /* load *_test.lua too and provide test() and advance() */
} kith_script_options;

/* Creates an engine with no generation loaded (no rules: every hook point is
 * a no-op).  Options are copied; the strings must outlive the engine. */
kith_script *kith_script_new(const kith_script_options *opt);
void kith_script_free(kith_script *sc);
/* Installs the dispatcher entry point for crm.call. */
void kith_script_set_caller(kith_script *sc, kith_script_call_fn fn, void *ud);

/* Installs a function called after each successful swap, with the plugin
 * method table of the generation that was replaced (NULL at the first
 * load): the server re-registers methods and tiers there. */
void kith_script_set_on_reload(kith_script *sc,
                               void (*fn)(void *ud, const struct kith_command *old_methods),
                               void *ud);
/* Loads a new generation from the folders and swaps it in (note 1).  With
 * `force` 0 nothing happens when no file changed.  Returns 0 (with *changed
 * set) or KITH_ESCRIPT with the error in err ("file:line: message"). */
int kith_script_reload(kith_script *sc, kith_ctx *ctx, int force, int *changed, char *err,
                       size_t errlen);
/* The last load error ("file:line: message"), or "" once the rules load
 * cleanly again.  Borrowed; valid until the next reload. */
const char *kith_script_last_error(const kith_script *sc);
/* The generation number (0: none loaded yet). */
int64_t kith_script_generation(const kith_script *sc);
/* The tiers of the running generation (for loyalty). */
const void *kith_script_tiers(const kith_script *sc, size_t *n);
/* The plugin methods of the running generation: a {NULL}-terminated table,
 * valid until the next successful reload. */
const struct kith_command *kith_script_methods(const kith_script *sc);

/* Runs the before hooks of `type` on `ev` (an object holding the record
 * under `kind` and context such as customer/old/changes).  Hooks may change
 * ev[kind]; the changed record replaces it in ev.  Returns 0, or a failure
 * recorded in ctx (-32010 veto/error, -32011 budget). */
int kith_script_before(kith_ctx *ctx, const char *type, const char *kind, cJSON *ev);
/* Who acts in ctx now, for an event's `by` and a record's created_by:
 * "job:<name>" while a scheduled job runs, "rule:<file>" while a rule's
 * code runs, else the session's name (a token's name, "local", "system").
 * Returns buf or a string that lives as long as the session. */
#define KITH_ACTOR_MAX 200
const char *kith_script_actor(const kith_ctx *ctx, char *buf, size_t len);
/* Appends an event to the log, with data.by naming who acted, runs the after hooks of `type` in the
 * same transaction, and remembers the customer for kith_script_settle(). Returns 0 or a failure
 * recorded in ctx. */
int kith_script_emit(kith_ctx *ctx, const char *type, int64_t customer_id, const cJSON *data);
/* Re-evaluates segments and churn for every customer the current request
 * touched (the settle hook, run before an outermost request ends). */
int kith_script_settle(kith_ctx *ctx);
/* How long each customer's re-evaluation in kith_script_settle() took, in
 * nanoseconds, since the process started (all engines together).  Borrowed;
 * valid for the life of the process. */
const kith_histogram *kith_script_settle_times(void);
/* Forgets what a failed request touched. */
void kith_script_abandon(kith_script *sc);
/* The rules' policy for the end of a request (request.h notes 3-4):
 * settle = kith_script_settle, abandon = kith_script_abandon of
 * ctx->env->script.  The server and the rule-test world install it in
 * their kith_env. */
extern const kith_request_hooks kith_script_request_hooks;
/* Runs crm.on handlers for committed events not yet handled, each in its
 * own request; stops after `max_events`.  Returns 1 when more remain.  The
 * caller commits afterwards. */
int kith_script_run_on(kith_ctx *ctx, int max_events);
/* Loads the crm.on cursor from the store; on a store that has none, sets
 * it to the newest event and stores it, so every event committed after is
 * owed to handlers, across a kill -9 too.  Runs before the first
 * kith_script_run_on (which calls it itself when needed); the server calls
 * it at start, before due sources fire.  Returns 0 or a negative code (the
 * cursor then stays unloaded).  The caller commits. */
int kith_script_start_cursor(kith_ctx *ctx);
/* Stores how far crm.on handlers got (events no handler wanted move the
 * cursor in memory only).  Called now and then and at shutdown, so a restart
 * re-scans at most the events since.  The caller commits. */
int kith_script_save_cursor(kith_ctx *ctx);
/* Does up to `budget_us` of background work (segment refreshes, the daily
 * churn sweep) in one request.  Returns 1 when more remains. */
int kith_script_background(kith_ctx *ctx, int64_t budget_us);
/* Evaluates every segment (or one) for every customer now, in the current
 * request; fills counts.  Returns 0 or a failure recorded in ctx. */
int kith_script_refresh_all(kith_ctx *ctx, const char *segment, int64_t *evaluated,
                            int64_t *entered, int64_t *left);
/* Runs the job `name` (crm.job) with ctx = {args, state, schedule, now};
 * `state` is what a previous slice returned (NULL on the first).  The
 * result goes to *result (owned). */
int kith_script_run_job(kith_ctx *ctx, const char *name, const cJSON *args, const cJSON *state,
                        const char *schedule, cJSON **result);
/* 1 when the running rules define job `name`. */
int kith_script_has_job(const kith_script *sc, const char *name);
/* Calls the plugin method `name` with `params`. */
int kith_script_call_method(kith_ctx *ctx, const char *name, const cJSON *params, cJSON **result);
/* Evaluates `code` in a fresh environment of the running generation. */
int kith_script_eval(kith_ctx *ctx, const char *code, const cJSON *args, cJSON **result);
/* script.status and plugin.list documents (owned by the caller). */
cJSON *kith_script_status(const kith_script *sc);
cJSON *kith_script_plugins(const kith_script *sc);
/* Rule tests: installs the function behind advance(duration). */
void kith_script_set_advance(kith_script *sc, int (*fn)(void *ud, int64_t ms), void *ud);
/* Loads a *_test.lua file into the running generation; its test(name, fn)
 * calls register tests.  Returns 0 with their count, or an error in err. */
int kith_script_load_tests(kith_script *sc, kith_ctx *ctx, const char *path, int *ntests, char *err,
                           size_t errlen);
/* Runs test `index` (0-based) of the loaded file; names it in `name`.
 * Returns 0 when it passed, or a negative code with the failure in err. */
int kith_script_run_test(kith_script *sc, kith_ctx *ctx, int index, char *name, size_t namelen,
                         char *err, size_t errlen);

/* The crm.value settings of the running rules, or the defaults (a 10%
 * yearly discount rate, a margin of 1). */
struct kith_value_settings;
void kith_script_value_settings(const kith_script *sc, struct kith_value_settings *out);

#endif
