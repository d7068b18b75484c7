/*
 * See request.h.
 */
#include "request/request.h"
#include "util/error.h"
#include "util/timefmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void kith_ctx_init(kith_ctx *ctx, kith_store *store, kith_session *who, const kith_env *env,
                   kith_call_error *err)
{
    memset(err, 0, sizeof(*err));
    *ctx = (kith_ctx){.store = store,
                      .session = who,
                      .env = env,
                      .now = kith_time_now_ms() + env->clock_offset_ms,
                      .err = err};
}

void kith_ctx_release(kith_ctx *ctx)
{
    cJSON_Delete(ctx->err->data);
    memset(ctx->err, 0, sizeof(*ctx->err));
}

int kith_request_begin(kith_ctx *ctx)
{
    int rc = kith_store_request_begin(ctx->store);
    return rc < 0 ? kith_ctx_fail(ctx, rc, NULL, "cannot start a transaction") : 0;
}

int kith_request_end(kith_ctx *ctx, int rc)
{
    const kith_request_hooks *h = ctx->env->hooks;
    int outermost = kith_store_in_request(ctx->store) == 1;
    if (outermost && h && rc == 0 && h->settle) rc = h->settle(h->ud, ctx);
    if (outermost && h && rc < 0 && h->abandon) h->abandon(h->ud, ctx);
    int end = kith_store_request_end(ctx->store, rc == 0);
    if (rc == 0 && end < 0) rc = kith_ctx_fail(ctx, end, NULL, "cannot save the change");
    return rc;
}

int kith_ctx_fail(kith_ctx *ctx, int code, const char *param, const char *fmt, ...)
{
    kith_call_error *err = ctx->err;
    err->code = code;
    snprintf(err->param, sizeof(err->param), "%s", param ? param : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
}

static const char *const role_names[] = {"none", "viewer", "agent", "admin"};

const char *kith_role_name(int role)
{
    return role >= KITH_ROLE_NONE && role <= KITH_ROLE_ADMIN ? role_names[role] : "none";
}

int kith_role_parse(const char *name, int *role)
{
    for (int r = KITH_ROLE_VIEWER; r <= KITH_ROLE_ADMIN; r++)
        if (strcmp(name, role_names[r]) == 0) {
            *role = r;
            return 0;
        }
    return KITH_EPARAMS;
}
