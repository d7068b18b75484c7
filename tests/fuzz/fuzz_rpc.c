/*
 * The JSON-RPC envelope (proto/rpc.c, kith_rpc_handle) in front of a real
 * dispatcher over a private in-memory store, with a dummy command table
 * beside the dispatcher's own methods (rpc.discover, system.stats).
 *
 * Input: byte 0 picks the session (trusted local, admin, viewer, or not
 * authenticated); the rest is one framed message.  Invariants:
 *   1. Not JSON: exactly one -32700 reply with a null id, and KITH_EPARSE.
 *   2. Otherwise the output is empty or one compact JSON value and "\n": a
 *      reply object, or a non-empty array of them for a batch.
 *   3. Every request gets a reply except a well-formed notification, in
 *      request order, each echoing the request's id exactly (null when the
 *      id was invalid or the envelope unreadable), with exactly one of
 *      result and error, and an error carrying code, message and data.kind.
 *   4. The return value counts the requests.
 */
#include "fuzz.h"
#include "dispatch/dispatch.h"
#include "proto/rpc.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"

#include <math.h>

static const kith_param echo_params[] = {
    {"s", KITH_T_STRING, 0, ""},
    {"i", KITH_T_INT, 0, ""},
    {"n", KITH_T_NUMBER, 0, ""},
    {"b", KITH_T_BOOL, 0, ""},
    {"o", KITH_T_OBJECT, 0, ""},
    {"a", KITH_T_ARRAY, 0, ""},
    {"ss", KITH_T_STRINGS, 0, ""},
    {"t", KITH_T_TIME, 0, ""},
    {"due", KITH_T_DUE, 0, ""},
    {"any", KITH_T_ANY, 0, ""},
    {NULL},
};
static const kith_param fail_params[] = {{"why", KITH_T_STRING, 1, ""}, {NULL}};
static const kith_param no_params[] = {{NULL}};

/* Returns its params: the result goes through the reply writer. */
static int t_echo(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    *result = cJSON_Duplicate(params, 1);
    return 0;
}

/* Fails with a conflict whose data carries the reason. */
static int t_fail(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(params, "why");
    ctx->err->data = cJSON_CreateObject();
    cJSON_AddStringToObject(ctx->err->data, "reason", why->valuestring);
    return kith_ctx_fail(ctx, KITH_ECONFLICT, "why", "refused: %s", why->valuestring);
}

/* Returns ready-made JSON text, as customer.get's record cache does. */
static int t_raw(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    *result = cJSON_CreateRaw("{\"id\":1,\"name\":\"Ada\",\"tags\":[\"a\"]}");
    return 0;
}

static const kith_command commands[] = {
    {"t.echo", t_echo, echo_params, KITH_CMD_READ, KITH_ROLE_VIEWER, "echo", "the params"},
    {"t.write", t_echo, echo_params, KITH_CMD_WRITE, KITH_ROLE_AGENT, "echo in a write",
     "the params"},
    {"t.fail", t_fail, fail_params, KITH_CMD_READ, KITH_ROLE_NONE, "fail", "an error"},
    {"t.raw", t_raw, no_params, KITH_CMD_READ, KITH_ROLE_VIEWER, "raw", "a record"},
    {"t.admin", t_raw, no_params, KITH_CMD_WRITE, KITH_ROLE_ADMIN, "admin only", "a record"},
    {NULL},
};

static kith_store *store;
static kith_dispatch *dispatch;
static kith_env env = {.default_currency = "EUR"};

static int valid_id(const cJSON *id)
{
    return cJSON_IsString(id) || cJSON_IsNull(id) ||
           (cJSON_IsNumber(id) && isfinite(id->valuedouble));
}

/* The id a request's reply must carry, or NULL when it gets no reply. */
static int expects_reply(const cJSON *req, const cJSON **id)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, "jsonrpc");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(req, "method");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(req, "params");
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(req, "id");
    *id = rid && valid_id(rid) ? rid : NULL;
    int wellformed = cJSON_IsObject(req) && cJSON_IsString(v) &&
                     strcmp(v->valuestring, "2.0") == 0 && (!rid || valid_id(rid)) &&
                     cJSON_IsString(method) &&
                     (!params || cJSON_IsObject(params) || cJSON_IsArray(params));
    return !(wellformed && !rid);
}

static void check_reply(const cJSON *reply, const cJSON *want_id)
{
    FUZZ_CHECK(cJSON_IsObject(reply), "a reply that is not an object");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(reply, "jsonrpc");
    FUZZ_CHECK(cJSON_IsString(v) && strcmp(v->valuestring, "2.0") == 0, "jsonrpc missing");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(reply, "id");
    FUZZ_CHECK(id, "reply without an id");
    if (!want_id || cJSON_IsNull(want_id))
        FUZZ_CHECK(cJSON_IsNull(id), "id should be null");
    else if (cJSON_IsNumber(want_id))
        FUZZ_CHECK(cJSON_IsNumber(id) && id->valuedouble == want_id->valuedouble,
                   "id %.17g echoed as %.17g", want_id->valuedouble, cJSON_GetNumberValue(id));
    else
        FUZZ_CHECK(cJSON_IsString(id) && strcmp(id->valuestring, want_id->valuestring) == 0,
                   "string id not echoed");
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(reply, "result");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(reply, "error");
    FUZZ_CHECK(!result != !error, "a reply needs exactly one of result and error");
    if (error) {
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(error, "data");
        FUZZ_CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(error, "code")), "no code");
        FUZZ_CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(error, "message")),
                   "no message");
        FUZZ_CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(data, "kind")), "no kind");
    }
}

static void setup(void)
{
    if (kith_store_open(":memory:", KITH_SYNC_OFF, &store) < 0) abort();
    dispatch = kith_dispatch_new(store, &env);
    if (!dispatch || kith_dispatch_register(dispatch, commands) < 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kith_buf out;
    if (!store) setup();
    fuzz_input in = {data, size};
    kith_session s = {.name = "fuzz"};
    switch (fuzz_u8(&in) % 4) {
    case 0:
        s.local_trust = 1;
        s.role = KITH_ROLE_ADMIN;
        break;
    case 1:
        s.authenticated = 1;
        s.role = KITH_ROLE_ADMIN;
        break;
    case 2:
        s.authenticated = 1;
        s.role = KITH_ROLE_VIEWER;
        break;
    default: break;
    }
    const char *msg = (const char *)in.p;
    /* The framer flags \u0000 escapes; an approximation does here, since
     * only the refusal path depends on it. */
    int has_nul = fuzz_contains(msg, in.n, "\\u0000");

    kith_buf_clear(&out);
    /* A small budget, so batches are cut into slices as on a busy server:
     * the reply must come out the same whole. */
    kith_rpc_limits lim = {.budget_usec = 50, .max_reply = (size_t)1 << 20};
    kith_rpc_job *job = NULL;
    int n = kith_rpc_handle(dispatch, &s, msg, in.n, has_nul, &lim, &out, &job);
    while (job && kith_rpc_job_state(job) == KITH_RPC_MORE) {
        kith_store_commit(store);
        n += kith_rpc_job_run(dispatch, &s, job, &lim, &out);
    }
    /* The dummy table hands no work off the loop: a job is done by now. */
    FUZZ_CHECK(!job || kith_rpc_job_state(job) == KITH_RPC_DONE, "a job stuck in state %d",
               kith_rpc_job_state(job));
    kith_rpc_job_free(job);
    kith_store_commit(store);

    cJSON *req = cJSON_ParseWithLength(msg, in.n);
    const char *text = kith_buf_head(&out);
    size_t len = kith_buf_size(&out);
    if (!req) {
        FUZZ_CHECK(n == KITH_EPARSE, "unparsable input returned %d", n);
        FUZZ_CHECK(len && strstr(text, "-32700"), "no parse error reply");
    } else {
        FUZZ_CHECK(n >= 0, "parsed input returned %d", n);
    }
    if (len == 0) {
        cJSON_Delete(req);
        return 0;
    }
    FUZZ_CHECK(text[len - 1] == '\n' && memchr(text, '\n', len) == text + len - 1,
               "output is not one line: %.*s", (int)len, text);
    const char *end = NULL;
    cJSON *reply = cJSON_ParseWithLengthOpts(text, len - 1, &end, 0);
    FUZZ_CHECK(reply && end == text + len - 1, "output is not one JSON value: %.*s", (int)len,
               text);

    if (!req) {
        check_reply(reply, NULL);
    } else if (has_nul) {
        /* Refused whole; only a numeric id is echoed. */
        const cJSON *id = cJSON_IsObject(req) ? cJSON_GetObjectItemCaseSensitive(req, "id") : NULL;
        check_reply(reply, cJSON_IsNumber(id) && isfinite(id->valuedouble) ? id : NULL);
        FUZZ_CHECK(n == 1, "a refused message counted as %d", n);
    } else if (!cJSON_IsArray(req)) {
        const cJSON *id;
        FUZZ_CHECK(expects_reply(req, &id), "a reply to a notification");
        check_reply(reply, id);
        FUZZ_CHECK(n == 1, "one request counted as %d", n);
    } else if (!req->child) {
        check_reply(reply, NULL);
    } else {
        FUZZ_CHECK(cJSON_IsArray(reply) && reply->child, "a batch answered by a non-batch");
        const cJSON *r = reply->child;
        int count = 0;
        for (const cJSON *q = req->child; q; q = q->next, count++) {
            const cJSON *id;
            if (!expects_reply(q, &id)) continue;
            FUZZ_CHECK(r, "batch reply %d missing", count);
            check_reply(r, id);
            r = r->next;
        }
        FUZZ_CHECK(!r, "more replies than requests");
        FUZZ_CHECK(n == count, "%d requests counted as %d", count, n);
    }
    cJSON_Delete(reply);
    cJSON_Delete(req);
    return 0;
}
