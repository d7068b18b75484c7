/*
 * auth, and the admin methods on tokens: token.list, token.create and
 * token.revoke.  A token's secret leaves the server once, in
 * token.create's reply; lists carry names, roles and times only.
 *
 * Failed `auth` attempts are counted per client address in the limiter the
 * server installs (env->auth_limit): past a few, that address is refused
 * at once for a penalty that grows, whatever token it presents, while every
 * other address carries on.  Ending the sessions of a revoked token is the
 * server's (env->end_token_sessions): commands never reach connections.
 */
#include "commands/commands.h"
#include "store/token.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"
#include "util/ratelimit.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <string.h>

/* Drops whatever identity the session had: a failed auth must not leave
 * the role of an earlier success in place.  A local connection keeps the
 * trust it has while no token exists (CONTRACT: auth needs no token then),
 * and loses it once one does, as at any other request. */
static void drop_identity(kith_ctx *ctx)
{
    kith_session *s = ctx->session;
    s->authenticated = 0;
    s->token_id = 0;
    s->token_expires_at = 0;
    if (s->local_trust && kith_store_token_exists(ctx->store)) s->local_trust = 0;
    s->role = s->local_trust ? KITH_ROLE_ADMIN : KITH_ROLE_NONE;
    snprintf(s->name, sizeof(s->name), "%s", s->local_trust ? "local" : "anonymous");
}

static int rate_limited(kith_ctx *ctx, int64_t wait_ms)
{
    kith_ctx_fail(ctx, KITH_EUNAUTH, NULL,
                  "too many failed auth attempts from this address; retry in %lld s",
                  (long long)(wait_ms + 999) / 1000);
    cJSON_Delete(ctx->err->data);
    ctx->err->data = cJSON_CreateObject();
    cJSON_AddStringToObject(ctx->err->data, "reason", "rate_limited");
    kith_json_add_int(ctx->err->data, "retry_after_ms", wait_ms);
    return KITH_EUNAUTH;
}

static int auth(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    kith_ratelimit *rl = ctx->env->auth_limit;
    const char *peer = ctx->session->peer[0] ? ctx->session->peer : "unknown";
    int64_t now = kith_time_now_ms();
    int64_t wait = rl ? kith_ratelimit_wait(rl, peer, now) : 0;
    if (wait > 0) {
        /* Refused without looking at the token: a guess made now tells
         * nothing, whether it was right or not. */
        drop_identity(ctx);
        return rate_limited(ctx, wait);
    }
    const char *token = kith_json_get_str(params, "token");
    kith_token_info t;
    int rc = kith_store_token_verify(ctx->store, token, now, &t);
    if (rc == KITH_EUNAUTH) {
        drop_identity(ctx);
        int64_t penalty = rl ? kith_ratelimit_fail(rl, peer, now) : 0;
        /* Never echo or log the presented token. */
        if (penalty > 0) {
            kith_warn("auth: %d failed attempts from %s; its auth is refused for %lld ms",
                      kith_ratelimit_failures(rl, peer, now), peer, (long long)penalty);
            return rate_limited(ctx, penalty);
        }
        kith_info("auth: rejected a token from %s", peer);
        return kith_ctx_fail(ctx, KITH_EUNAUTH, "token", "invalid or expired token");
    }
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "token");
    int role;
    if (kith_role_parse(t.role, &role) < 0)
        return kith_ctx_fail(ctx, KITH_EINTERNAL, NULL, "token %s has an unknown role", t.name);
    kith_session *s = ctx->session;
    s->role = role;
    s->authenticated = 1;
    s->token_id = t.id;
    s->token_expires_at = t.expires_at;
    snprintf(s->name, sizeof(s->name), "%s", t.name);
    kith_info("auth: %s authenticated as %s from %s", t.name, t.role, peer);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "role", t.role);
    cJSON_AddStringToObject(o, "name", t.name);
    if (t.expires_at) kith_json_add_time(o, "expires_at", t.expires_at);
    *result = o;
    return 0;
}

static int token_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int rc = kith_store_token_list(ctx->store, result);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "tokens") : 0;
}

static int token_create(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    const char *name = kith_json_get_str(params, "name");
    const char *role_name = kith_json_get_str(params, "role");
    const char *expires_in = kith_json_get_str(params, "expires_in");
    int role;
    if (!*name || strlen(name) > KITH_TOKEN_NAME_MAX)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "name", "name must be 1-%d bytes",
                             KITH_TOKEN_NAME_MAX);
    if (kith_role_parse(role_name, &role) < 0 || role == KITH_ROLE_NONE)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "role", "role must be admin, agent or viewer");
    int64_t expires_at = 0, ms;
    if (expires_in) {
        if (kith_time_parse_duration(expires_in, &ms) < 0 || ms <= 0)
            return kith_ctx_fail(ctx, KITH_EPARAMS, "expires_in",
                                 "expires_in must be a duration like \"30d\" or \"12h\"");
        expires_at = kith_time_now_ms() + ms;
    }
    char secret[KITH_TOKEN_BUFSZ];
    int rc = kith_store_token_create(ctx->store, role_name, name, expires_at, secret);
    if (rc == KITH_ECONFLICT)
        return kith_ctx_fail(ctx, rc, "name", "a token named '%s' exists already", name);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "token");
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "name", name);
    cJSON_AddStringToObject(rec, "role", role_name);
    kith_json_add_time(rec, "created_at", ctx->now);
    if (expires_at)
        kith_json_add_time(rec, "expires_at", expires_at);
    else
        cJSON_AddNullToObject(rec, "expires_at");
    cJSON *data = cJSON_CreateObject();
    cJSON_AddItemToObject(data, "token", cJSON_Duplicate(rec, 1));
    cJSON_AddStringToObject(data, "by", ctx->session->name);
    rc = kith_cmd_emit(ctx, "token.created", 0, data);
    cJSON_Delete(data);
    if (rc < 0) {
        cJSON_Delete(rec);
        return rc;
    }
    kith_info("token: %s created token %s (%s)", ctx->session->name, name, role_name);
    /* The only time the secret is shown; it is in no log and no event. */
    cJSON_AddStringToObject(rec, "token", secret);
    *result = rec;
    return 0;
}

static int token_revoke(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    const char *name = kith_json_get_str(params, "name");
    int64_t id = 0;
    int rc = kith_store_token_revoke(ctx->store, name, &id);
    if (rc == KITH_ENOTFOUND) return kith_ctx_fail(ctx, rc, "name", "no token named '%s'", name);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "token");
    cJSON *data = cJSON_CreateObject();
    cJSON *rec = cJSON_AddObjectToObject(data, "token");
    cJSON_AddStringToObject(rec, "name", name);
    cJSON_AddStringToObject(data, "by", ctx->session->name);
    rc = kith_cmd_emit(ctx, "token.revoked", 0, data);
    cJSON_Delete(data);
    if (rc < 0) return rc;
    kith_info("token: %s revoked token %s", ctx->session->name, name);
    /* Its sessions lose their role now, before any later request of theirs
     * is read, and are closed once their replies are out. */
    if (ctx->env->end_token_sessions) ctx->env->end_token_sessions(ctx->env->sessions_ud, id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddTrueToObject(o, "revoked");
    *result = o;
    return 0;
}

static const kith_param auth_params[] = {
    {"token", KITH_T_STRING, 1, "an API token from `kithd token create` or token.create"},
    {NULL},
};
static const kith_param no_params[] = {{NULL}};
static const kith_param create_params[] = {
    {"name", KITH_T_STRING, 1, "a unique name for the token (who or what uses it)"},
    {"role", KITH_T_STRING, 1, "admin, agent or viewer"},
    {"expires_in", KITH_T_STRING, 0, "lifetime, like \"30d\" or \"12h\" (default: never expires)"},
    {NULL},
};
static const kith_param revoke_params[] = {
    {"name", KITH_T_STRING, 1, "the token's name"},
    {NULL},
};

const kith_command kith_cmd_token[] = {
    {"auth", auth, auth_params, KITH_CMD_READ, KITH_ROLE_NONE,
     "Authenticate this connection with an API token", "{role, name, expires_at?}"},
    {"token.list", token_list, no_params, KITH_CMD_READ | KITH_CMD_ADMIN, KITH_ROLE_ADMIN,
     "List the API tokens (never their secrets)", "[{name, role, created_at, expires_at}]"},
    {"token.create", token_create, create_params, KITH_CMD_WRITE | KITH_CMD_ADMIN, KITH_ROLE_ADMIN,
     "Create an API token; its secret is in this reply only",
     "{name, role, created_at, expires_at, token}"},
    {"token.revoke", token_revoke, revoke_params, KITH_CMD_WRITE | KITH_CMD_ADMIN, KITH_ROLE_ADMIN,
     "Delete an API token and end the sessions using it at once", "{name, revoked: true}"},
    {NULL},
};
