/*
 * See dispatch.h.  The registry is a sorted array searched by bsearch: a few
 * dozen methods, looked up once per call, and plugins add a handful more at
 * reload, so nothing cleverer pays.
 */
#include "dispatch/dispatch.h"
#include "dispatch/params.h"
#include "store/token.h"
#include "util/error.h"
#include "util/log.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct entry {
    const kith_command *cmd;
    kith_method_stats stats;
};

struct kith_dispatch {
    struct entry *v;
    size_t n, cap;
    kith_store *store;
    const kith_env *env;
};

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->cmd->name, ((const struct entry *)b)->cmd->name);
}

static struct entry *lookup(const kith_dispatch *d, const char *name)
{
    kith_command key_cmd = {.name = name};
    struct entry key = {.cmd = &key_cmd};
    return d->n ? bsearch(&key, d->v, d->n, sizeof(*d->v), by_name) : NULL;
}

kith_dispatch *kith_dispatch_new(kith_store *store, const kith_env *env)
{
    kith_dispatch *d = calloc(1, sizeof(*d));
    if (!d) return NULL;
    d->store = store;
    d->env = env;
    if (kith_dispatch_register(d, kith_cmd_introspect) < 0) {
        kith_dispatch_free(d);
        return NULL;
    }
    return d;
}

void kith_dispatch_free(kith_dispatch *d)
{
    if (!d) return;
    free(d->v);
    free(d);
}

int kith_dispatch_register(kith_dispatch *d, const kith_command *table)
{
    size_t add = 0;
    for (const kith_command *c = table; c->name; c++, add++)
        if (lookup(d, c->name)) {
            kith_error("dispatch: method %s registered twice", c->name);
            return KITH_ECONFLICT;
        }
    if (d->n + add > d->cap) {
        size_t cap = (d->n + add) * 2;
        struct entry *v = realloc(d->v, cap * sizeof(*v));
        if (!v) return KITH_ENOMEM;
        d->v = v;
        d->cap = cap;
    }
    for (const kith_command *c = table; c->name; c++)
        d->v[d->n++] = (struct entry){.cmd = c};
    if (d->n) qsort(d->v, d->n, sizeof(*d->v), by_name);
    return 0;
}

void kith_dispatch_unregister(kith_dispatch *d, const kith_command *table)
{
    size_t n = 0;
    while (table[n].name)
        n++;
    size_t kept = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].cmd < table || d->v[i].cmd >= table + n) d->v[kept++] = d->v[i];
    d->n = kept;
}

const kith_command *kith_dispatch_find(const kith_dispatch *d, const char *name)
{
    struct entry *e = lookup(d, name);
    return e ? e->cmd : NULL;
}

const kith_command *kith_dispatch_at(const kith_dispatch *d, size_t i, kith_method_stats *stats)
{
    if (i >= d->n) return NULL;
    if (stats) *stats = d->v[i].stats;
    return d->v[i].cmd;
}

kith_store *kith_dispatch_store(const kith_dispatch *d)
{
    return d->store;
}

const kith_env *kith_dispatch_env(const kith_dispatch *d)
{
    return d->env;
}

static uint64_t mono_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int fail(kith_call_error *err, int code, const char *what, const char *name)
{
    err->code = code;
    snprintf(err->message, sizeof(err->message), "%s%s", what, name);
    return code;
}

/* Roles: a connection trusted as local (no token exists yet) acts as admin;
 * one that must authenticate has no role until `auth` gives it one. */
static int check_role(kith_dispatch *d, kith_session *s, const kith_command *cmd,
                      kith_call_error *err)
{
    /* A token past its expiry ends its session at the next request, even
     * between the server's sweeps; the connection then needs a new auth. */
    if (s->authenticated && s->token_expires_at && kith_time_now_ms() >= s->token_expires_at) {
        s->authenticated = 0;
        s->local_trust = 0;
        s->role = KITH_ROLE_NONE;
        s->token_id = s->token_expires_at = 0;
        if (cmd->min_role != KITH_ROLE_NONE)
            return fail(err, KITH_EUNAUTH, "the session's token has expired; call auth for ",
                        cmd->name);
    }
    if (cmd->min_role == KITH_ROLE_NONE) return 0;
    if (s->local_trust && !s->authenticated) {
        /* The first token ends local trust for everyone, at once. */
        if (!kith_store_token_exists(d->store)) return 0;
        s->local_trust = 0;
        s->role = KITH_ROLE_NONE;
    }
    if (!s->authenticated)
        return fail(err, KITH_EUNAUTH, "call auth first; authentication is required for ",
                    cmd->name);
    if (s->role < cmd->min_role) {
        err->code = KITH_EFORBIDDEN;
        snprintf(err->message, sizeof(err->message), "role %s may not call %s (needs %s)",
                 kith_role_name(s->role), cmd->name, kith_role_name(cmd->min_role));
        return KITH_EFORBIDDEN;
    }
    return 0;
}

int kith_ctx_offload(kith_ctx *ctx, kith_offload *job)
{
    if (!ctx->offload) {
        cJSON *none = NULL;
        kith_call_error ignored = {0};
        job->finish(job, KITH_EINVREQ, &none, &ignored);
        cJSON_Delete(none);
        cJSON_Delete(ignored.data);
        return kith_ctx_fail(ctx, KITH_EINVREQ, NULL,
                             "%s answers only a client's request, not a rule or a job",
                             ctx->cmd->name);
    }
    /* Writes must end inside their savepoint in this pass: only reads wait. */
    kith_assert(!(ctx->cmd->flags & KITH_CMD_WRITE));
    *ctx->offload = job;
    return KITH_DEFERRED;
}

static void count_call(kith_dispatch *d, const char *method, int rc, uint64_t dt,
                       const kith_call_error *err)
{
    /* The handler may have changed the table (script.reload swaps plugin
     * methods): find the entry again before counting. */
    struct entry *e = lookup(d, method);
    if (!e) return;
    e->stats.calls++;
    e->stats.usec_total += dt;
    if (dt > e->stats.usec_max) e->stats.usec_max = dt;
    if (rc < 0) {
        e->stats.errors++;
        if (kith_error_rpc_code(rc) == -32603) kith_error("%s failed: %s", method, err->message);
    }
}

static int call(kith_dispatch *d, kith_session *session, const char *method, const cJSON *params,
                cJSON **result, kith_offload **job, kith_call_error *err)
{
    memset(err, 0, sizeof(*err));
    *result = NULL;
    if (job) *job = NULL;
    struct entry *e = lookup(d, method);
    if (!e) return fail(err, KITH_ENOMETHOD, "method not found: ", method);
    const kith_command *cmd = e->cmd;
    uint64_t t0 = mono_usec();
    cJSON *args = NULL;
    int owned = 0;
    int rc = kith_store_pass_begin(d->store);
    if (rc < 0) {
        fail(err, rc, "cannot start a transaction", "");
        return rc;
    }
    rc = check_role(d, session, cmd, err);
    if (!rc) rc = kith_params_check(cmd->params, params, &args, &owned, err);
    if (!rc) {
        kith_ctx ctx = {.cmd = cmd,
                        .store = d->store,
                        .session = session,
                        .env = d->env,
                        .dispatch = d,
                        .now = kith_time_now_ms() + d->env->clock_offset_ms,
                        .err = err,
                        .offload = job};
        int write = (cmd->flags & KITH_CMD_WRITE) != 0;
        if (!write || (rc = kith_request_begin(&ctx)) == 0) {
            rc = cmd->handler(&ctx, args, result);
            if (rc == KITH_DEFERRED) {
                kith_assert(job && *job && !*result);
                (*job)->method = cmd->name;
                (*job)->started = t0;
            }
            if (rc == 0 && !*result) rc = kith_ctx_fail(&ctx, KITH_ENOMEM, NULL, "out of memory");
            /* The outermost write settles what it touched before it ends
             * (request.h note 3). */
            if (write) rc = kith_request_end(&ctx, rc);
            if (write && rc == 0) session->wrote = 1;
        }
        if (rc < 0) {
            cJSON_Delete(*result);
            *result = NULL;
        }
    }
    if (owned) cJSON_Delete(args);
    if (rc < 0 && !err->code) err->code = rc;
    if (rc < 0 && !err->message[0])
        snprintf(err->message, sizeof(err->message), "%s", kith_strerror(rc));
    /* A deferred call is counted when it finishes, with its whole time. */
    if (rc != KITH_DEFERRED) count_call(d, method, rc, mono_usec() - t0, err);
    return rc;
}

int kith_dispatch_call(kith_dispatch *d, kith_session *session, const char *method,
                       const cJSON *params, cJSON **result, kith_call_error *err)
{
    return call(d, session, method, params, result, NULL, err);
}

int kith_dispatch_call_async(kith_dispatch *d, kith_session *session, const char *method,
                             const cJSON *params, cJSON **result, kith_offload **job,
                             kith_call_error *err)
{
    return call(d, session, method, params, result, job, err);
}

int kith_dispatch_finish(kith_dispatch *d, kith_offload *job, int status, cJSON **result,
                         kith_call_error *err)
{
    memset(err, 0, sizeof(*err));
    *result = NULL;
    const char *method = job->method;
    uint64_t started = job->started;
    int rc = job->finish(job, status, result, err); /* frees the job */
    if (rc == 0 && !*result) {
        err->code = rc = KITH_ENOMEM;
        snprintf(err->message, sizeof(err->message), "out of memory");
    }
    if (rc < 0) {
        cJSON_Delete(*result);
        *result = NULL;
        if (!err->code) err->code = rc;
        if (!err->message[0]) snprintf(err->message, sizeof(err->message), "%s", kith_strerror(rc));
    }
    count_call(d, method, rc, mono_usec() - started, err);
    return rc;
}
