/*
 * The request path (request.h) with a counting settle hook and no rules
 * engine: the dispatcher settles only an outermost write that succeeded,
 * abandons one that failed (in its handler or in settling) and leaves no
 * trace of it, never settles a read or an inner request, and system.stats
 * reads the settle times the process owner shares in env.  That this runs
 * at all without Lua is the point: policy reaches the dispatcher only
 * through the hooks.
 */
#include "check.h"
#include "world.h"
#include "commands/commands.h"
#include "dispatch/dispatch.h"
#include "request/request.h"
#include "store/event.h"
#include "store/store.h"
#include "util/error.h"
#include "util/histogram.h"

static kith_session admin = {.role = KITH_ROLE_ADMIN, .authenticated = 1, .name = "t"};

/* What the hooks saw. */
static struct {
    int settled, abandoned;
    int depth_at_settle; /* savepoints open when settle ran */
    int fail_next;       /* settle fails once with KITH_ESCRIPT */
    void *ud;
} seen;

static int count_settle(void *ud, kith_ctx *ctx)
{
    seen.settled++;
    seen.ud = ud;
    seen.depth_at_settle = kith_store_in_request(ctx->store);
    if (seen.fail_next) {
        seen.fail_next = 0;
        return kith_ctx_fail(ctx, KITH_ESCRIPT, NULL, "settle vetoed");
    }
    return 0;
}

static void count_abandon(void *ud, kith_ctx *ctx)
{
    seen.abandoned++;
}

static int marker;
static const kith_request_hooks counting = {count_settle, count_abandon, &marker};

/* A write that calls another write through the dispatcher, as a rule's
 * crm.call does: the inner request must not settle. */
static int nested_create(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    cJSON *p = cJSON_Parse("{\"name\":\"Inner\"}"), *inner = NULL;
    kith_call_error err;
    int rc = kith_dispatch_call(ctx->dispatch, ctx->session, "customer.create", p, &inner, &err);
    cJSON_Delete(p);
    cJSON_Delete(err.data);
    if (rc < 0) return kith_ctx_fail(ctx, rc, NULL, "inner call failed");
    CHECK_INT(seen.settled, 0); /* not yet: the outer request is still open */
    *result = inner;
    return 0;
}

/* A write whose inner call fails (its savepoint rolls back alone) and which
 * goes on to succeed: the inner failure abandons nothing. */
static int nested_inner_fails(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    cJSON *p = cJSON_Parse("{\"name\":\"Dup\",\"external_id\":\"a\"}"), *inner = NULL;
    kith_call_error err;
    int rc = kith_dispatch_call(ctx->dispatch, ctx->session, "customer.create", p, &inner, &err);
    cJSON_Delete(p);
    cJSON_Delete(err.data);
    CHECK_INT(rc, KITH_ECONFLICT);
    CHECK(inner == NULL);
    CHECK_INT(seen.abandoned, 0);
    *result = cJSON_CreateTrue();
    return 0;
}

static const kith_command test_cmds[] = {
    {"test.inner_fails", nested_inner_fails, (const kith_param[]){{NULL}}, KITH_CMD_WRITE,
     KITH_ROLE_AGENT, "fails a nested call, then succeeds", "true"},
    {"test.nested", nested_create, (const kith_param[]){{NULL}}, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "creates a customer through a nested call", "the customer"},
    {NULL},
};

static int64_t customers(void)
{
    return count_rows(store, "SELECT count(*) FROM customers", NULL);
}

static void reset(void)
{
    memset(&seen, 0, sizeof(seen));
}

int main(void)
{
    int code;
    cJSON *r;
    kith_histogram times;
    kith_histogram_init(&times);
    kith_env env = {.default_currency = "EUR", .hooks = &counting};
    CHECK_INT(kith_store_open(":memory:", KITH_SYNC_OFF, &store), 0);
    d = kith_dispatch_new(store, &env);
    CHECK(d != NULL);
    CHECK_INT(kith_dispatch_register(d, kith_cmd_system), 0);
    CHECK_INT(kith_dispatch_register(d, kith_cmd_customer), 0);
    CHECK_INT(kith_dispatch_register(d, test_cmds), 0);

    /* A successful write settles once, at the outermost savepoint, with the
     * hook's own data. */
    reset();
    r = call_as(&admin, "customer.create", "{\"name\":\"Ada\",\"external_id\":\"a\"}", &code);
    CHECK_INT(code, 0);
    CHECK_INT(seen.settled, 1);
    CHECK_INT(seen.abandoned, 0);
    CHECK_INT(seen.depth_at_settle, 1);
    CHECK(seen.ud == &marker);
    CHECK_INT(customers(), 1);
    cJSON_Delete(r);

    /* A read neither settles nor abandons. */
    reset();
    r = call_as(&admin, "customer.list", "{}", &code);
    CHECK_INT(code, 0);
    CHECK_INT(seen.settled + seen.abandoned, 0);
    cJSON_Delete(r);

    /* A write its handler fails is abandoned, not settled, and leaves
     * nothing. */
    reset();
    int64_t seq0 = 0, seq1 = 0;
    kith_store_event_last_seq(store, &seq0);
    r = call_as(&admin, "customer.create", "{\"name\":\"Bob\",\"external_id\":\"a\"}", &code);
    CHECK(r == NULL);
    CHECK_INT(code, -32009);
    CHECK_INT(seen.settled, 0);
    CHECK_INT(seen.abandoned, 1);
    CHECK_INT(customers(), 1);

    /* A write whose settling fails fails as a whole: the hook's error is
     * the reply, the request is abandoned, and its row and event are
     * gone. */
    reset();
    seen.fail_next = 1;
    kith_call_error err;
    cJSON *p = cJSON_Parse("{\"name\":\"Cy\"}");
    int rc = kith_dispatch_call(d, &admin, "customer.create", p, &r, &err);
    kith_store_commit(store);
    cJSON_Delete(p);
    CHECK_INT(rc, KITH_ESCRIPT);
    CHECK_STR(err.message, "settle vetoed");
    CHECK(r == NULL);
    cJSON_Delete(err.data);
    CHECK_INT(seen.settled, 1);
    CHECK_INT(seen.abandoned, 1);
    CHECK_INT(customers(), 1);
    kith_store_event_last_seq(store, &seq1);
    CHECK_INT(seq1, seq0);

    /* A write inside a write: only the outermost settles, once. */
    reset();
    r = call_as(&admin, "test.nested", "{}", &code);
    CHECK_INT(code, 0);
    CHECK_INT(seen.settled, 1);
    CHECK_INT(seen.depth_at_settle, 1);
    CHECK_INT(customers(), 2);
    cJSON_Delete(r);

    /* An inner request that fails is not abandoned: only its savepoint
     * rolls back, and the outermost still settles. */
    reset();
    r = call_as(&admin, "test.inner_fails", "{}", &code);
    CHECK_INT(code, 0);
    CHECK_INT(seen.settled, 1);
    CHECK_INT(seen.abandoned, 0);
    CHECK_INT(customers(), 2);
    cJSON_Delete(r);

    /* The same path outside the dispatcher (background work): nested
     * begin/end settles once, and a failure abandons the outermost. */
    reset();
    kith_ctx ctx;
    kith_ctx_init(&ctx, store, &admin, &env, &err);
    CHECK_INT(kith_request_begin(&ctx), 0);
    CHECK_INT(kith_request_begin(&ctx), 0);
    CHECK_INT(kith_request_end(&ctx, 0), 0);
    CHECK_INT(seen.settled, 0);
    CHECK_INT(kith_request_end(&ctx, 0), 0);
    CHECK_INT(seen.settled, 1);
    CHECK_INT(kith_store_in_request(store), 0);
    CHECK_INT(kith_request_begin(&ctx), 0);
    CHECK_INT(kith_request_end(&ctx, kith_ctx_fail(&ctx, KITH_ECONFLICT, NULL, "no")),
              KITH_ECONFLICT);
    CHECK_INT(seen.settled, 1);
    CHECK_INT(seen.abandoned, 1);
    kith_ctx_release(&ctx);
    CHECK_INT(err.code, 0);
    kith_store_commit(store);

    /* No hooks installed: a request only opens and closes its savepoint. */
    reset();
    env.hooks = NULL;
    r = call_as(&admin, "customer.create", "{\"name\":\"Di\"}", &code);
    CHECK_INT(code, 0);
    CHECK_INT(seen.settled + seen.abandoned, 0);
    CHECK_INT(customers(), 3);
    cJSON_Delete(r);

    /* system.stats reads the settle times from env: zero without any, the
     * owner's histogram when shared. */
    r = call_as(&admin, "system.stats", "{}", &code);
    CHECK_INT(num(cJSON_GetObjectItemCaseSensitive(r, "segment_eval"), "count"), 0);
    cJSON_Delete(r);
    kith_histogram_record(&times, 1500);
    kith_histogram_record(&times, 2500);
    env.settle_times = &times;
    r = call_as(&admin, "system.stats", "{}", &code);
    CHECK_INT(num(cJSON_GetObjectItemCaseSensitive(r, "segment_eval"), "count"), 2);
    cJSON_Delete(r);

    kith_dispatch_free(d);
    kith_store_close(store);
    kith_buf_release(&out);
    return check_done();
}
