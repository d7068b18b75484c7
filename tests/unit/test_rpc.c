/*
 * The JSON-RPC envelope across passes (rpc.h notes 1-5), over a private
 * in-memory store: a batch run in slices gives the same reply as one run
 * whole, each slice's writes stand alone, notifications leave no trace, a
 * reply over max_reply becomes one too_large error saying how many ran, and
 * a request that hands work off the loop is answered once the work is back
 * (and refused where nobody can wait: a rule's or a job's call).
 */
#include "check.h"
#include "world.h"
#include "commands/commands.h"
#include "dispatch/dispatch.h"
#include "proto/rpc.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"

#include <stdlib.h>

static kith_session admin = {.role = KITH_ROLE_ADMIN, .authenticated = 1, .name = "t"};

/* A command whose work runs off the loop: it doubles `n` there. */
struct twice_job {
    kith_offload base;
    int n, ran;
};

static int offload_finished;

static void twice_run(kith_offload *base)
{
    struct twice_job *j = (struct twice_job *)base;
    j->n *= 2;
    j->ran = 1;
}

static int twice_finish(kith_offload *base, int status, cJSON **result, kith_call_error *err)
{
    struct twice_job *j = (struct twice_job *)base;
    int n = j->n, ran = j->ran;
    offload_finished++;
    free(j);
    if (status < 0 || !ran) {
        err->code = status < 0 ? status : KITH_EIO;
        snprintf(err->message, sizeof(err->message), "not run");
        return err->code;
    }
    *result = cJSON_CreateNumber(n);
    return 0;
}

static int twice(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    struct twice_job *j = calloc(1, sizeof(*j));
    j->base.run = twice_run;
    j->base.finish = twice_finish;
    j->n = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(params, "n"));
    return kith_ctx_offload(ctx, &j->base);
}

static const kith_param twice_params[] = {{"n", KITH_T_INT, 1, "a number"}, {NULL}};
static const kith_command test_cmds[] = {
    {"test.twice", twice, twice_params, KITH_CMD_READ, KITH_ROLE_VIEWER, "doubles n off the loop",
     "n * 2"},
    {NULL},
};

/* Handles `msg` with a budget of 0 (one batch element per run), running
 * offloaded work in place; returns the reply text and counts the runs. */
static const char *sliced(const char *msg, size_t max_reply, int *runs)
{
    kith_buf_clear(&out);
    kith_rpc_limits lim = {.budget_usec = 0, .max_reply = max_reply};
    kith_rpc_job *job = NULL;
    *runs = 1;
    kith_rpc_handle(d, &admin, msg, strlen(msg), 0, &lim, &out, &job);
    kith_store_commit(store);
    while (job && kith_rpc_job_state(job) != KITH_RPC_DONE) {
        /* Nothing reaches the output before the message is done. */
        CHECK_INT(kith_buf_size(&out), 0);
        if (kith_rpc_job_state(job) == KITH_RPC_WAIT) {
            kith_offload *work = kith_rpc_job_take(job);
            CHECK_INT(kith_rpc_job_state(job), KITH_RPC_WAIT);
            work->run(work);
            kith_rpc_job_resume(job, work, 0);
        }
        kith_rpc_job_run(d, &admin, job, &lim, &out);
        kith_store_commit(store);
        (*runs)++;
    }
    kith_rpc_job_free(job);
    if (kith_buf_size(&out) && kith_buf_head(&out)[kith_buf_size(&out) - 1] == '\n')
        kith_buf_truncate(&out, kith_buf_size(&out) - 1);
    return kith_buf_size(&out) ? kith_buf_head(&out) : "";
}

static int64_t customers(void)
{
    return count_rows(store, "SELECT count(*) FROM customers", NULL);
}

int main(void)
{
    int runs;
    kith_env env = {.default_currency = "EUR"};
    CHECK_INT(kith_store_open(":memory:", KITH_SYNC_OFF, &store), 0);
    d = kith_dispatch_new(store, &env);
    CHECK_INT(kith_dispatch_register(d, kith_cmd_system), 0);
    CHECK_INT(kith_dispatch_register(d, kith_cmd_customer), 0);
    CHECK_INT(kith_dispatch_register(d, test_cmds), 0);

    /* A batch in slices: one element per run, the same array as whole. */
    const char *batch = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.ping\"},"
                        "{\"jsonrpc\":\"2.0\",\"method\":\"system.ping\"},"
                        "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"nope\"},"
                        "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"system.ping\"}]";
    char whole[1024];
    snprintf(whole, sizeof(whole), "%s", rpc(&admin, batch));
    CHECK_STR(sliced(batch, SIZE_MAX, &runs), whole);
    CHECK_INT(runs, 4);
    CHECK(strstr(whole, "\"id\":4") > strstr(whole, "\"id\":3"));

    /* Only notifications: no reply at all, however many slices. */
    CHECK_STR(sliced("[{\"jsonrpc\":\"2.0\",\"method\":\"system.ping\"},"
                     "{\"jsonrpc\":\"2.0\",\"method\":\"system.ping\"}]",
                     SIZE_MAX, &runs),
              "");

    /* Writes in slices each stand alone: a failing element takes none of
     * the others with it. */
    sliced(
        "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"customer.create\",\"params\":{\"name\":\"A\","
        "\"external_id\":\"x\"}},"
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"customer.create\",\"params\":{\"name\":\"B\","
        "\"external_id\":\"x\"}},"
        "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"customer.create\",\"params\":{\"name\":\"C\"}}"
        "]",
        SIZE_MAX, &runs);
    CHECK(strstr(kith_buf_head(&out), "-32009") != NULL);
    CHECK_INT(customers(), 2);

    /* A reply over max_reply: one error, the elements that ran are done. */
    const char *creates =
        "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"customer.create\",\"params\":{\"name\":\"D\"}}"
        ","
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"customer.create\",\"params\":{\"name\":\"E\"}},"
        "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"customer.create\",\"params\":{\"name\":\"F\"}}"
        "]";
    const char *r = sliced(creates, 400, &runs);
    CHECK(strstr(r, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600") == r);
    CHECK(strstr(r, "\"kind\":\"too_large\"") && strstr(r, "\"max_output_bytes\":400"));
    CHECK(strstr(r, "\"ran\":2") && strstr(r, "\"requests\":3"));
    CHECK_INT(customers(), 4);
    /* A single reply over it: the same error with its id. */
    r = sliced("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"customer.list\"}", 100, &runs);
    CHECK(strstr(r, "{\"jsonrpc\":\"2.0\",\"id\":9,\"error\":{\"code\":-32600") == r);

    /* Work off the loop: the reply comes once it is back, in its place in
     * a batch, and the elements after it run after it. */
    CHECK_STR(
        sliced("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.twice\",\"params\":{\"n\":21}}",
               SIZE_MAX, &runs),
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":42}");
    CHECK_STR(
        sliced("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.ping\"},"
               "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"test.twice\",\"params\":{\"n\":2}},"
               "{\"jsonrpc\":\"2.0\",\"method\":\"test.twice\",\"params\":{\"n\":2}},"
               "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"system.ping\"}]",
               SIZE_MAX, &runs),
        "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"pong\"},{\"jsonrpc\":\"2.0\",\"id\":2,"
        "\"result\":4},{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":\"pong\"}]");
    /* Work handed back unrun (no worker) is answered with its error. */
    kith_buf_clear(&out);
    kith_rpc_limits lim = {.budget_usec = 0, .max_reply = SIZE_MAX};
    kith_rpc_job *job = NULL;
    const char *msg =
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"test.twice\",\"params\":{\"n\":1}}";
    kith_rpc_handle(d, &admin, msg, strlen(msg), 0, &lim, &out, &job);
    kith_rpc_job_resume(job, kith_rpc_job_take(job), KITH_EIO);
    kith_rpc_job_run(d, &admin, job, &lim, &out);
    CHECK_INT(kith_rpc_job_state(job), KITH_RPC_DONE);
    kith_rpc_job_free(job);
    CHECK(strstr(kith_buf_head(&out), "\"id\":5,\"error\"") != NULL);
    /* A job freed before its work was taken finishes the work unrun. */
    int before = offload_finished;
    kith_rpc_handle(d, &admin, msg, strlen(msg), 0, &lim, &out, &job);
    kith_rpc_job_free(job);
    CHECK_INT(offload_finished, before + 1);
    /* Where nobody can wait (a rule's call), offloading is refused. */
    int code;
    CHECK(call_as(&admin, "test.twice", "{\"n\":1}", &code) == NULL);
    CHECK_INT(code, -32600);
    CHECK_INT(offload_finished, before + 2);

    kith_dispatch_free(d);
    kith_store_close(store);
    kith_buf_release(&out);
    return check_done();
}
