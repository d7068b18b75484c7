/*
 * The dispatcher and the JSON-RPC envelope over a private in-memory store:
 * a batch with one failing request, a failed write that leaves no trace (no
 * row, no event, no stats), roles, and events appended with their writes.
 */
#include "check.h"
#include "world.h"
#include "commands/commands.h"
#include "dispatch/dispatch.h"
#include "proto/rpc.h"
#include "store/event.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"

static kith_session admin = {.role = KITH_ROLE_ADMIN, .authenticated = 1, .name = "t"};

static int64_t last_seq(void)
{
    int64_t seq = -1;
    kith_store_event_last_seq(store, &seq);
    return seq;
}

int main(void)
{
    const char *r;
    kith_env env = {.default_currency = "EUR"};
    CHECK_INT(kith_store_open(":memory:", KITH_SYNC_OFF, &store), 0);
    d = kith_dispatch_new(store, &env);
    CHECK(d != NULL);
    CHECK_INT(kith_dispatch_register(d, kith_cmd_system), 0);
    CHECK_INT(kith_dispatch_register(d, kith_cmd_customer), 0);
    CHECK_INT(kith_dispatch_register(d, kith_cmd_order), 0);
    CHECK_INT(kith_dispatch_register(d, kith_cmd_order), KITH_ECONFLICT);

    CHECK_STR(rpc(&admin, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.ping\"}"),
              "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"pong\"}");
    /* Notifications get no reply; a batch of only notifications neither. */
    CHECK_STR(rpc(&admin, "{\"jsonrpc\":\"2.0\",\"method\":\"system.ping\"}"), "");
    CHECK_STR(rpc(&admin, "[{\"jsonrpc\":\"2.0\",\"method\":\"system.ping\"}]"), "");

    /* A batch with one failing request: the others succeed and keep their
     * writes; the failing one leaves nothing. */
    r = rpc(&admin, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"customer.create\","
                    "\"params\":{\"name\":\"Ada\",\"external_id\":\"a\"}},"
                    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"customer.create\","
                    "\"params\":{\"name\":\"Bob\",\"external_id\":\"a\"}},"
                    "{\"jsonrpc\":\"2.0\",\"method\":\"system.ping\"},"
                    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"system.ping\"}]");
    CHECK(r[0] == '[');
    CHECK(strstr(r, "\"id\":2,\"error\":{\"code\":-32009") != NULL);
    CHECK(strstr(r, "\"id\":3,\"result\":\"pong\"") != NULL);
    r = rpc(&admin, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"customer.list\"}");
    CHECK(strstr(r, "\"Ada\"") != NULL);
    CHECK(strstr(r, "\"Bob\"") == NULL);
    CHECK_INT(last_seq(), 1);

    /* A failed order (amount with a third decimal, then an unknown
     * customer) writes nothing and emits nothing. */
    r = rpc(&admin, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"order.create\","
                    "\"params\":{\"customer_id\":1,\"amount\":1.005}}");
    CHECK(strstr(r, "\"param\":\"amount\"") != NULL);
    r = rpc(&admin, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"order.create\","
                    "\"params\":{\"customer_id\":99,\"amount\":1}}");
    CHECK(strstr(r, "-32004") != NULL);
    CHECK_INT(last_seq(), 1);
    r = rpc(&admin, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"order.create\","
                    "\"params\":{\"customer_id\":1,\"amount\":2.5}}");
    CHECK(strstr(r, "\"currency\":\"EUR\"") != NULL);
    CHECK_INT(last_seq(), 2);
    r = rpc(&admin, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"customer.get\",\"params\":[1]}");
    CHECK(strstr(r, "\"orders\":1,\"total_spent\":2.5") != NULL);

    /* Roles: a viewer reads but may not write, and its attempt changes
     * nothing; an unauthenticated session may only ping. */
    kith_session viewer = {.role = KITH_ROLE_VIEWER, .authenticated = 1, .name = "v"};
    r = rpc(&viewer, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"customer.create\","
                     "\"params\":{\"name\":\"Eve\"}}");
    CHECK(strstr(r, "-32003") != NULL);
    CHECK_INT(last_seq(), 2);
    kith_session anon = {.role = KITH_ROLE_NONE, .name = "anonymous"};
    r = rpc(&anon, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"customer.list\"}");
    CHECK(strstr(r, "-32001") != NULL);
    r = rpc(&anon, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"system.ping\"}");
    CHECK(strstr(r, "pong") != NULL);

    /* Envelope errors. */
    CHECK(strstr(rpc(&admin, "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"system.ping\"}"),
                 "-32600") != NULL);
    CHECK(strstr(rpc(&admin, "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"system.ping\"}"),
                 "\"id\":null") != NULL);
    CHECK(strstr(rpc(&admin, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"rpc.other\"}"),
                 "-32601") != NULL);
    CHECK(strstr(rpc(&admin, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.ping\","
                             "\"params\":3}"),
                 "-32600") != NULL);

    kith_buf_release(&out);
    kith_dispatch_free(d);
    kith_store_close(store);
    return check_done();
}
