/*
 * Tools for rule authors: script.status, script.reload, script.eval and
 * plugin.list.  The engine does the work; these only shape the replies.
 */
#include "commands/commands.h"
#include "script/sandbox.h"
#include "script/script.h"
#include "util/error.h"
#include "util/json.h"

#include <string.h>

static int no_engine(kith_ctx *ctx)
{
    return kith_ctx_fail(ctx, KITH_ESCRIPT, NULL, "the rules engine is not running");
}

static int script_status(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    if (!ctx->env->script) return no_engine(ctx);
    *result = kith_script_status(ctx->env->script);
    return 0;
}

static int script_reload(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    if (!ctx->env->script) return no_engine(ctx);
    char err[1024];
    int changed;
    int rc = kith_script_reload(ctx->env->script, ctx, 1, &changed, err, sizeof(err));
    if (rc < 0) {
        kith_ctx_fail(ctx, KITH_ESCRIPT, NULL, "%s", err);
        kith_lua_error e;
        kith_lua_error_set(&e, KITH_ESCRIPT, err);
        ctx->err->data = cJSON_CreateObject();
        if (e.script[0]) {
            cJSON_AddStringToObject(ctx->err->data, "script", e.script);
            kith_json_add_int(ctx->err->data, "line", e.line);
        }
        kith_json_add_int(ctx->err->data, "generation", kith_script_generation(ctx->env->script));
        return KITH_ESCRIPT;
    }
    cJSON *o = cJSON_CreateObject();
    kith_json_add_int(o, "generation", kith_script_generation(ctx->env->script));
    *result = o;
    return 0;
}

static int script_eval(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    if (!ctx->env->script) return no_engine(ctx);
    return kith_script_eval(ctx, kith_json_get_str(params, "code"),
                            cJSON_GetObjectItemCaseSensitive(params, "args"), result);
}

static int plugin_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    *result = ctx->env->script ? kith_script_plugins(ctx->env->script) : cJSON_CreateArray();
    return 0;
}

static const kith_param no_params[] = {{NULL}};
static const kith_param eval_params[] = {
    {"code", KITH_T_STRING, 1, "Lua source; its first return value is the result"},
    {"args", KITH_T_ANY, 0, "passed to the chunk as ..."},
    {NULL},
};

const kith_command kith_cmd_script[] = {
    {"script.status", script_status, no_params, KITH_CMD_READ, KITH_ROLE_ADMIN,
     "The loaded rules: generation, files and hashes, registrations, per-hook counters, last "
     "error",
     "{generation, loaded_at, files, segments, hooks, jobs, tiers, churn, last_error}"},
    /* Not a write: the reload manages its own requests, so that a failed
     * reload still records its script.error event. */
    {"script.reload", script_reload, no_params, KITH_CMD_READ, KITH_ROLE_ADMIN,
     "Reload the rules and plugins now; on error the old rules keep running", "{generation}"},
    {"script.eval", script_eval, eval_params, KITH_CMD_WRITE, KITH_ROLE_ADMIN,
     "Run Lua in the rules' sandbox, with the same budgets, inside a transaction",
     "the chunk's first return value"},
    {"plugin.list", plugin_list, no_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "The plugins found, whether enabled, and their methods",
     "[{name, version, description, priority, enabled, methods}]"},
    {NULL},
};
