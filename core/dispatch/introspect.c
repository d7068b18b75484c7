/*
 * The dispatcher's own methods, which describe the command table itself:
 * rpc.discover (an OpenRPC 1.3.2 document generated from the declarations)
 * and system.stats (per-method counters plus the server's and the store's).
 */
#include "dispatch/dispatch.h"
#include "dispatch/params.h"
#include "util/histogram.h"
#include "store/reccache.h"
#include "util/error.h"
#include "util/json.h"

#include <math.h>
#include <stdio.h>

/* The JSON Schema of a param type, as OpenRPC content descriptors want. */
static cJSON *param_schema(int type)
{
    cJSON *s = cJSON_CreateObject();
    switch (type) {
    case KITH_T_STRING: cJSON_AddStringToObject(s, "type", "string"); break;
    case KITH_T_INT: cJSON_AddStringToObject(s, "type", "integer"); break;
    case KITH_T_NUMBER: cJSON_AddStringToObject(s, "type", "number"); break;
    case KITH_T_BOOL: cJSON_AddStringToObject(s, "type", "boolean"); break;
    case KITH_T_OBJECT: cJSON_AddStringToObject(s, "type", "object"); break;
    case KITH_T_ARRAY: cJSON_AddStringToObject(s, "type", "array"); break;
    case KITH_T_STRINGS: {
        cJSON_AddStringToObject(s, "type", "array");
        cJSON *items = cJSON_AddObjectToObject(s, "items");
        if (items) cJSON_AddStringToObject(items, "type", "string");
        break;
    }
    case KITH_T_TIME:
        cJSON_AddStringToObject(s, "type", "string");
        cJSON_AddStringToObject(s, "format", "date-time");
        break;
    case KITH_T_DUE:
        cJSON_AddStringToObject(s, "type", "string");
        cJSON_AddStringToObject(s, "description",
                                "an ISO 8601 time, or a duration from now: 90s, 15m, 2h, 3d, 1w");
        break;
    default: break;
    }
    return s;
}

static cJSON *method_doc(const kith_command *c)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "name", c->name);
    cJSON_AddStringToObject(m, "summary", c->summary);
    cJSON *params = cJSON_AddArrayToObject(m, "params");
    for (const kith_param *p = c->params; p && p->name; p++) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "name", p->name);
        cJSON_AddStringToObject(d, "description", p->description);
        cJSON_AddBoolToObject(d, "required", p->required);
        cJSON_AddItemToObject(d, "schema", param_schema(p->type));
        cJSON_AddItemToArray(params, d);
    }
    cJSON_AddStringToObject(m, "paramStructure", "either");
    cJSON *result = cJSON_AddObjectToObject(m, "result");
    cJSON_AddStringToObject(result, "name", "result");
    cJSON_AddStringToObject(result, "description", c->result ? c->result : "");
    cJSON_AddObjectToObject(result, "schema");
    cJSON_AddStringToObject(m, "x-kith-role", kith_role_name(c->min_role));
    cJSON_AddStringToObject(m, "x-kith-access", c->flags & KITH_CMD_WRITE ? "write" : "read");
    return m;
}

static int rpc_discover(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "openrpc", "1.3.2");
    cJSON *info = cJSON_AddObjectToObject(doc, "info");
    cJSON_AddStringToObject(info, "title", "Kith");
    cJSON_AddStringToObject(info, "description",
                            "A scriptable CRM server: JSON-RPC 2.0 over TCP or a Unix socket.");
    cJSON_AddStringToObject(info, "version", KITH_VERSION);
    cJSON *methods = cJSON_AddArrayToObject(doc, "methods");
    const kith_command *c;
    for (size_t i = 0; (c = kith_dispatch_at(ctx->dispatch, i, NULL)); i++)
        cJSON_AddItemToArray(methods, method_doc(c));
    *result = doc;
    return 0;
}

/* Nanoseconds as microseconds to 0.1 us: the target is 20 us, so whole
 * microseconds would be too coarse. */
static void add_us(cJSON *o, const char *name, double ns)
{
    cJSON_AddNumberToObject(o, name, round(ns / 100.0) / 10.0);
}

/* The time to re-evaluate one customer's segments and churn after a write
 * (the settle hook), since start, as the server shares it in env; all zero
 * where nothing settles. */
static void add_segment_eval(cJSON *out, const kith_env *env)
{
    static kith_histogram none;
    const kith_histogram *h = env->settle_times;
    if (!h) {
        kith_histogram_init(&none);
        h = &none;
    }
    cJSON *o = cJSON_AddObjectToObject(out, "segment_eval");
    kith_json_add_int(o, "count", (int64_t)h->total);
    add_us(o, "mean_us", kith_histogram_mean(h));
    add_us(o, "p50_us", (double)kith_histogram_percentile(h, 50));
    add_us(o, "p90_us", (double)kith_histogram_percentile(h, 90));
    add_us(o, "p99_us", (double)kith_histogram_percentile(h, 99));
    add_us(o, "max_us", (double)h->max);
}

static int system_stats(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *methods = cJSON_AddObjectToObject(out, "methods");
    const kith_command *c;
    kith_method_stats st;
    for (size_t i = 0; (c = kith_dispatch_at(ctx->dispatch, i, &st)); i++) {
        if (!st.calls) continue;
        cJSON *m = cJSON_AddObjectToObject(methods, c->name);
        kith_json_add_int(m, "calls", (int64_t)st.calls);
        kith_json_add_int(m, "errors", (int64_t)st.errors);
        kith_json_add_int(m, "usec_total", (int64_t)st.usec_total);
        kith_json_add_int(m, "usec_max", (int64_t)st.usec_max);
    }
    const kith_server_counters *sc = ctx->env->server;
    cJSON *server = cJSON_AddObjectToObject(out, "server");
    if (sc) {
        kith_json_add_int(server, "connections", (int64_t)sc->connections);
        kith_json_add_int(server, "connections_total", (int64_t)sc->connections_total);
        kith_json_add_int(server, "connections_rejected", (int64_t)sc->connections_rejected);
        kith_json_add_int(server, "slow_clients_dropped", (int64_t)sc->slow_clients_dropped);
        kith_json_add_int(server, "requests", (int64_t)sc->requests);
        kith_json_add_int(server, "bytes_in", (int64_t)sc->bytes_in);
        kith_json_add_int(server, "bytes_out", (int64_t)sc->bytes_out);
        kith_json_add_int(server, "failed_commits", (int64_t)sc->failed_commits);
    }
    kith_store_counters stc;
    kith_store_get_counters(ctx->store, &stc);
    cJSON *store = cJSON_AddObjectToObject(out, "store");
    kith_json_add_int(store, "commits", (int64_t)stc.commits);
    kith_json_add_int(store, "commit_usec_total", (int64_t)stc.commit_usec_total);
    kith_json_add_int(store, "commit_usec_max", (int64_t)stc.commit_usec_max);
    kith_json_add_int(store, "rollbacks", (int64_t)stc.rollbacks);
    kith_json_add_int(store, "statements_cached", (int64_t)stc.statements_cached);
    kith_json_add_int(store, "statements", (int64_t)stc.statements);
    kith_json_add_int(store, "wal_frames", (int64_t)stc.wal_frames);
    kith_json_add_int(store, "wal_bytes", (int64_t)stc.wal_frames * (stc.page_size + 24));
    kith_json_add_int(store, "checkpoints", (int64_t)stc.checkpoints);
    kith_json_add_int(store, "checkpoints_on_loop", (int64_t)stc.checkpoints_on_loop);
    kith_reccache_counters rcc;
    kith_reccache_get_counters(kith_store_records(ctx->store), &rcc);
    cJSON *rec = cJSON_AddObjectToObject(store, "record_cache");
    kith_json_add_int(rec, "hits", (int64_t)rcc.hits);
    kith_json_add_int(rec, "misses", (int64_t)rcc.misses);
    kith_json_add_int(rec, "entries", (int64_t)rcc.entries);
    kith_json_add_int(rec, "bytes", (int64_t)rcc.bytes);
    kith_json_add_int(rec, "budget", (int64_t)rcc.budget);
    add_segment_eval(out, ctx->env);
    *result = out;
    return 0;
}

static const kith_param no_params[] = {{NULL}};

const kith_command kith_cmd_introspect[] = {
    {"rpc.discover", rpc_discover, no_params, KITH_CMD_READ, KITH_ROLE_NONE,
     "Describe the API as an OpenRPC 1.3.2 document generated from the command table",
     "the OpenRPC document"},
    {"system.stats", system_stats, no_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Per-method calls, errors and time, and the server's and store's counters",
     "{methods: {name: {calls, errors, usec_total, usec_max}}, server: {...}, store: {...}, "
     "segment_eval: {count, mean_us, p50_us, p90_us, p99_us, max_us}}"},
    {NULL},
};
