/*
 * system.ping and system.info.  (system.stats and rpc.discover describe the
 * command table and live with the dispatcher; auth lives with the tokens.)
 */
#include "commands/commands.h"
#include "script/script.h"
#include "store/customer.h"
#include "util/error.h"
#include "util/json.h"

static int system_ping(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    *result = cJSON_CreateString("pong");
    return 0;
}

static int system_info(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t customers = 0;
    int rc = kith_store_customer_count(ctx->store, &customers);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "customers");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "version", KITH_VERSION);
    kith_json_add_int(o, "uptime_s", (ctx->now - ctx->env->started_at) / 1000);
    kith_json_add_time(o, "started_at", ctx->env->started_at);
    kith_json_add_int(o, "connections",
                      ctx->env->server ? (int64_t)ctx->env->server->connections : 0);
    kith_json_add_int(o, "customers", customers);
    kith_json_add_int(o, "script_generation",
                      ctx->env->script ? kith_script_generation(ctx->env->script) : 0);
    kith_json_add_str(o, "data_dir", ctx->env->data_dir);
    kith_json_add_str(o, "default_currency", ctx->env->default_currency);
    cJSON *you = cJSON_AddObjectToObject(o, "session");
    kith_json_add_str(you, "name", ctx->session->name);
    kith_json_add_str(you, "role", kith_role_name(ctx->session->role));
    *result = o;
    return 0;
}

static const kith_param no_params[] = {{NULL}};
const kith_command kith_cmd_system[] = {
    {"system.ping", system_ping, no_params, KITH_CMD_READ, KITH_ROLE_NONE,
     "Check that the server answers", "\"pong\""},
    {"system.info", system_info, no_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Version, uptime, connections, customer count and rule generation",
     "{version, uptime_s, connections, customers, script_generation, ...}"},
    {NULL},
};
