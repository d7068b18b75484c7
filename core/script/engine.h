/*
 * The engine's insides, shared by the files of script/ only: the generation
 * and everything a file registers in it, and the engine that owns the
 * running generation.
 */
#ifndef KITH_SCRIPT_ENGINE_H
#define KITH_SCRIPT_ENGINE_H

#include "dispatch/command.h" /* plugin methods are command tables */
#include "script/sandbox.h"
#include "script/script.h"
#include "store/loyalty.h"
#include "store/stats.h"
#include "store/value.h"

#include <lua.h>

enum kith_hook_kind { KITH_HOOK_BEFORE, KITH_HOOK_AFTER, KITH_HOOK_ON };

typedef struct kith_hook {
    int kind;
    char plugin[64]; /* "" for scripts/ files */
    char event[96];  /* a name, or a glob for on-hooks */
    char file[256];
    int line;
    int priority, order;
    int ref; /* the function, in the registry */
    uint64_t calls, errors, usec;
} kith_hook;

typedef struct kith_segdef {
    char name[64];
    char description[256];
    char file[256];
    int line;
    int ref;
    char hash[65]; /* of the predicate's source: a change means a refresh */
} kith_segdef;

typedef struct kith_jobdef {
    char name[96];
    char plugin[64];
    char file[256];
    int line;
    int ref;
} kith_jobdef;

typedef struct kith_methoddef {
    char name[160]; /* plugin.<plugin>.<name> */
    char summary[256];
    char plugin[64];
    kith_param *params; /* {NULL}-terminated, strings owned here */
    int role;
    int ref;
} kith_methoddef;

typedef struct kith_filedef {
    char path[512];
    char hash[65];
    char plugin[64]; /* "" for scripts/ files */
    int hooks, segments, jobs, methods, tiers, churn;
} kith_filedef;

typedef struct kith_plugindef {
    char name[64];
    char version[32];
    char description[256];
    int priority;
    int enabled;
    char file[512];
} kith_plugindef;

#define KITH_MAX_TIERS 32

typedef struct kith_generation {
    struct kith_script *engine;
    lua_State *L;
    kith_lua_budget budget;
    int64_t id, loaded_at;
    kith_hook *hooks;
    size_t nhooks, caphooks;
    kith_segdef *segs;
    size_t nsegs, capsegs;
    kith_jobdef *jobs;
    size_t njobs, capjobs;
    kith_methoddef *methods;
    size_t nmethods, capmethods;
    kith_command *method_table; /* built from methods, {NULL}-terminated */
    kith_filedef *files;
    size_t nfiles, capfiles;
    kith_plugindef *plugins;
    size_t nplugins, capplugins;
    kith_tier tiers[KITH_MAX_TIERS];
    size_t ntiers;
    int churn_ref;
    double churn_threshold;
    char churn_file[256];
    int churn_line;
    /* crm.classify: the function (LUA_NOREF: none) and, when declared, the
     * class names it may return (a Lua table ref; LUA_NOREF: any name). */
    int classify_ref, classes_ref;
    char classify_file[256];
    int classify_line;
    /* While a file loads: where registrations come from. */
    int loading;
    kith_filedef *loading_file;
    kith_plugindef *loading_plugin;
    int loading_priority;
    int tests_ref;                       /* test mode: the registered tests, in order */
    struct kith_sla_set *sla;            /* crm.sla's policies (api_sla.c), or NULL */
    struct kith_match_rule *match;       /* crm.match's duplicate rule (match.c), or NULL */
    struct kith_pipeline_set *pipelines; /* crm.pipeline's (api_pipeline.c), or NULL */
    int value_set;                       /* crm.value{...} was given (api_value.c) */
    kith_value_settings value;           /*  */
} kith_generation;

#define KITH_MAX_TOUCHED 2048

struct kith_script {
    kith_script_options opt;
    kith_generation *gen;     /* running; NULL before the first load */
    kith_generation *retired; /* the previous one, until the server lets go */
    void (*on_reload)(void *ud, const kith_command *old_methods);
    void *on_reload_ud;
    int64_t next_id;
    char content_hash[65]; /* of the files the running generation came from */
    char last_error[1024];
    int64_t last_error_at;
    kith_script_call_fn call;
    void *call_ud;
    kith_ctx *ctx;              /* the request a rule runs in, while one does */
    const char *running_plugin; /* the plugin whose code runs now, or NULL */
    const char *running_file;   /* the file whose code runs now */
    kith_session rules_session; /* who crm.call acts as: admin, named after the rule */
    /* Who acts while Lua runs (kith_script_actor): act_name is the rule's
     * file ("rule:<file>") or the job's name ("job:<name>"); NULL means the
     * caller's session (plugin methods act for their caller).  The enter_*
     * pair says how the next kith_call_ref acts; it resets to a rule. */
    int act_kind, enter_kind;
    const char *act_name, *enter_name;
    int (*advance)(void *ud, int64_t ms); /* rule tests: move the clock */
    void *advance_ud;
    int depth; /* nesting of emit -> after hooks (the cascade guard) */
    int64_t touched[KITH_MAX_TOUCHED];
    int ntouched;
    int touched_overflow;
    /* Which of them had their record written (not only their orders,
     * points or stage): only those are scored for duplicates again. */
    unsigned char rescore[KITH_MAX_TOUCHED];
    /* Background work: a full refresh in progress. */
    int refresh_pending;
    int64_t refresh_cursor;
    char refresh_segments[1024]; /* names joined by '\n'; "" = all */
    int64_t on_cursor; /* crm.on handlers have seen every event up to here; -1: not loaded */
    int sweep_churn;
    int64_t churn_cursor;
    int64_t next_churn_sweep;
};

/* A number naming the running rules' content (from its hash), stored with
 * the last churn sweep so a restart knows whether it is still current. */
int64_t kith_script_rules_id(const kith_script *sc);
/* The generation a state belongs to (kept in its extra space). */
kith_generation *kith_gen_of(lua_State *L);
/* Grows a dynamic array; returns 0 or KITH_ENOMEM. */
int kith_grow(void **v, size_t *cap, size_t n, size_t size);

/* api_register.c: the registration half of `crm`.  Stack effect: 0. */
void kith_api_register(lua_State *L, int crm_idx);
/* api_data.c: the data half of `crm`.  Stack effect: 0. */
void kith_api_data(lua_State *L, int crm_idx);
/* Calls `method` with `params` (ownership taken) through the dispatcher as
 * the running rule, inside the current request; pushes the result.  Raises
 * on failure.  Stack effect: +1. */
int kith_api_call(lua_State *L, const char *method, cJSON *params);
/* api_survey.c: crm.survey.  Stack effect: 0. */
void kith_api_survey(lua_State *L, int crm_idx);
/* Creates and activates the surveys the new generation's crm.survey.define
 * calls named that do not exist yet (api_survey.c), in the reload's
 * request.  Failures are logged; returns 0 or a KITH_E* code. */
int kith_api_survey_sync(kith_script *sc, kith_ctx *ctx);
/* api_sla.c: crm.sla, and freeing what it registered.  Stack effect: 0. */
void kith_api_sla(lua_State *L, int crm_idx);
void kith_sla_set_free(struct kith_sla_set *set);
/* match.c: crm.match, the duplicate rule.  Stack effect: 0. */
void kith_api_match(lua_State *L, int crm_idx);
void kith_match_rule_free(struct kith_match_rule *m);
/* Scores customer `id` against the customers sharing a blocking key with it
 * and keeps the pairs at or above the threshold (match.c).  Returns 0 or a
 * failure in ctx. */
int kith_match_customer(kith_ctx *ctx, int64_t id);
/* One slice of duplicates.scan, when the rule changed since the last full
 * scan, in its own transaction.  Returns 1 when more remains. */
int kith_match_background(kith_ctx *ctx, int64_t budget_us);
/* api_ticket.c: crm.ticket.get.  Stack effect: 0. */
void kith_api_ticket(lua_State *L, int crm_idx);
void kith_api_company(lua_State *L, int crm_idx);
void kith_api_consent(lua_State *L, int crm_idx);
/* api_visit.c: crm.visits and crm.visit.  Stack effect: 0. */
void kith_api_visit(lua_State *L, int crm_idx);
/* api_stage.c: crm.stage.  Stack effect: 0. */
void kith_api_stage(lua_State *L, int crm_idx);
/* api_pipeline.c: crm.pipeline, and freeing what it registered. */
void kith_api_pipeline(lua_State *L, int crm_idx);
void kith_pipeline_set_free(struct kith_pipeline_set *set);
/* api_value.c: crm.value.  Stack effect: 0. */
void kith_api_value(lua_State *L, int crm_idx);
/* Sets p_alive, clv and rfm on the stats table on top of the stack, when a
 * model is fitted (api_value.c). */
void kith_push_value(lua_State *L, kith_ctx *ctx, const kith_customer_stats *st);

enum { KITH_ACT_RULE, KITH_ACT_JOB, KITH_ACT_CALLER };

/* Calls hook function `ref` with the values on top of the stack (nargs),
 * under the budgets, attributing errors to `file:line`; on failure records
 * the error in ctx.  Returns 0 or the failure code. */
int kith_call_ref(kith_generation *g, kith_ctx *ctx, int ref, int nargs, int nresults,
                  const char *file, int line, const char *what);
/* Records a Lua failure into ctx (-32010/-32011 with data.script/line). */
int kith_fail_lua(kith_ctx *ctx, const kith_lua_error *e, const char *file, int line,
                  const char *what);
/* Pushes the customer record and stats of `id` as Lua tables; returns 0 or a
 * failure recorded in ctx.  Stack effect: +2 on success, 0 otherwise. */
int kith_push_customer_and_stats(kith_generation *g, kith_ctx *ctx, int64_t id);
/* Pushes a customer's stats table as rules see it (crm.stats, the second
 * argument of segment and churn functions): built directly, equal to the
 * JSON round trip of kith_stats_to_json (test_rule_view.c holds it so)
 * without paying for one: the order path calls crm.stats several times
 * per order.  Stack effect: +1. */
void kith_push_stats(lua_State *L, const kith_customer_stats *st, int64_t points, int64_t lifetime);
/* Runs the crm.on handlers matching `type` (hooks.c). */
int kith_script_run_hooks_on(kith_ctx *ctx, const char *type, const cJSON *data);
/* Records customer `id` as touched by the current request. */
void kith_touch(kith_script *sc, int64_t id, int record);

#endif
