/*
 * subscribe / unsubscribe: what this connection wants to hear.  The
 * subscription lives with the session; the server delivers (replay first
 * when `since` is given, then live) after each commit — see pubsub.h.
 */
#include "commands/commands.h"
#include "pubsub/pubsub.h"
#include "store/event.h"
#include "util/error.h"
#include "util/json.h"

#include <stdio.h>

static int64_t published(kith_ctx *ctx)
{
    return ctx->env->published_seq ? *ctx->env->published_seq : 0;
}

static int subscribe(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    const cJSON *channels = cJSON_GetObjectItemCaseSensitive(params, "channels");
    const cJSON *since = cJSON_GetObjectItemCaseSensitive(params, "since");
    if (!ctx->env->published_seq)
        return kith_ctx_fail(ctx, KITH_EINVREQ, NULL, "subscriptions need a connection");
    if (!cJSON_GetArraySize(channels))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "channels", "name at least one channel");
    int64_t now_seq = published(ctx);
    if (cJSON_IsNumber(since)) {
        int64_t s = (int64_t)since->valuedouble, first = 0;
        if (s < 0 || s > now_seq)
            return kith_ctx_fail(ctx, KITH_EPARAMS, "since",
                                 "since must be between 0 and the last seq (%lld)",
                                 (long long)now_seq);
        kith_store_event_first_seq(ctx->store, &first);
        if (first > 0 && s + 1 < first) {
            kith_ctx_fail(ctx, KITH_ECONFLICT, "since",
                          "events after %lld are no longer all retained (oldest is %lld): "
                          "resynchronise, then subscribe without since",
                          (long long)s, (long long)first);
            ctx->err->data = cJSON_CreateObject();
            kith_json_add_int(ctx->err->data, "oldest_seq", first);
            return KITH_ECONFLICT;
        }
    }
    if (!ctx->session->sub && !(ctx->session->sub = kith_sub_new()))
        return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    kith_sub *sub = ctx->session->sub;
    int replaying = sub->npatterns > 0 && sub->delivered < now_seq;
    const cJSON *c;
    cJSON_ArrayForEach(c, channels)
    {
        int rc = kith_sub_add(sub, c->valuestring);
        if (rc == KITH_EPARAMS)
            return kith_ctx_fail(ctx, rc, "channels",
                                 "'%s' is not a channel name or pattern (letters, digits, . _ - *)",
                                 c->valuestring);
        if (rc < 0)
            return kith_ctx_fail(ctx, rc, "channels", "at most %d patterns per connection",
                                 KITH_SUB_MAX_PATTERNS);
    }
    /* From now on this connection has seen everything up to `since` (and is
     * replayed from there, for all its patterns) or up to the present (and
     * goes live).  Adding channels without `since` while a replay is under
     * way leaves the replay alone: it would otherwise skip events. */
    if (cJSON_IsNumber(since))
        sub->delivered = (int64_t)since->valuedouble;
    else if (!replaying)
        sub->delivered = now_seq;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "channels", kith_sub_patterns(sub));
    kith_json_add_int(o, "seq", now_seq);
    *result = o;
    return 0;
}

static int unsubscribe(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    const cJSON *channels = cJSON_GetObjectItemCaseSensitive(params, "channels");
    kith_sub *sub = ctx->session->sub;
    if (sub) {
        if (!channels) {
            kith_sub_clear(sub);
        } else {
            const cJSON *c;
            cJSON_ArrayForEach(c, channels) kith_sub_remove(sub, c->valuestring);
        }
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "channels", kith_sub_patterns(sub));
    *result = o;
    return 0;
}

static const kith_param subscribe_params[] = {
    {"channels", KITH_T_STRINGS, 1,
     "channel names or glob patterns (customer.*, reminder.due.alice)"},
    {"since", KITH_T_INT, 0, "replay every retained event after this seq first"},
    {NULL},
};
static const kith_param unsubscribe_params[] = {
    {"channels", KITH_T_STRINGS, 0, "patterns to drop (default: all)"},
    {NULL},
};

const kith_command kith_cmd_pubsub[] = {
    {"subscribe", subscribe, subscribe_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Receive events as notifications; with since, replay the missed ones first",
     "{channels, seq}"},
    {"unsubscribe", unsubscribe, unsubscribe_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Stop receiving some or all channels", "{channels}"},
    {NULL},
};
