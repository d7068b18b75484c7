/*
 * The points ledger: the tier function, the store's arithmetic at chosen
 * times (FIFO by expiry, lapsed points, the expiry job, history paging), and
 * the loyalty.* commands through the dispatcher and the JSON-RPC envelope
 * (unknown customers, refused redemptions that leave no trace, events, tier
 * changes).
 */
#include "check.h"
#include "world.h"
#include "commands/commands.h"
#include "commands/loyalty_ops.h"
#include "dispatch/dispatch.h"
#include "proto/rpc.h"
#include "store/customer.h"
#include "store/loyalty.h"
#include "store/stats.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <sqlite3.h>
#include <stdlib.h>

#define DAY 86400000LL

static kith_session agent = {.role = KITH_ROLE_AGENT, .authenticated = 1, .name = "ann"};
static kith_session viewer = {.role = KITH_ROLE_VIEWER, .authenticated = 1, .name = "vic"};

/* Calls `method` as the agent; returns the result (owned) or NULL with *code
 * set to the error's JSON-RPC code. */
static cJSON *call(const char *method, const char *params, int *code)
{
    return call_as(&agent, method, params, code);
}

static int64_t new_customer(const char *name)
{
    int64_t id = 0;
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "name", name);
    kith_store_request_begin(store);
    CHECK_INT(kith_store_customer_insert(store, rec, 0, &id), 0);
    kith_store_request_end(store, 1);
    kith_store_commit(store);
    cJSON_Delete(rec);
    return id;
}

static void test_tier_for(void)
{
    kith_tier tiers[] = {{"gold", 1000}, {"bronze", 0}, {"silver", 200}};
    CHECK(kith_loyalty_tier_for(tiers, 0, 5000) == NULL);
    CHECK(kith_loyalty_tier_for(tiers + 2, 1, 199) == NULL);
    CHECK_STR(kith_loyalty_tier_for(tiers, 3, 0), "bronze");
    CHECK_STR(kith_loyalty_tier_for(tiers, 3, 200), "silver");
    CHECK_STR(kith_loyalty_tier_for(tiers, 3, 999), "silver");
    CHECK_STR(kith_loyalty_tier_for(tiers, 3, 1000), "gold");
}

/* The kinds and points of a history page, like "expire:-80 redeem:-70". */
static void page_text(const cJSON *items, char *buf, size_t n)
{
    const cJSON *e;
    buf[0] = '\0';
    cJSON_ArrayForEach(e, items)
    {
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s:%lld", len ? " " : "", kith_json_get_str(e, "kind"),
                 (long long)num(e, "points"));
    }
}

static void test_store(void)
{
    const int64_t t = 1800000000000LL;
    int64_t cid = new_customer("Ledger"), bal = -1, avail = -1;
    cJSON *e = NULL, *b = NULL;
    kith_store_request_begin(store);
    CHECK_INT(kith_store_loyalty_award(store, cid, 100, "signup", t, t + 10 * DAY, &bal, &e), 0);
    CHECK_INT(bal, 100);
    CHECK_STR(kith_json_get_str(e, "kind"), "award");
    CHECK_INT(num(e, "points"), 100);
    cJSON_Delete(e);
    CHECK_INT(kith_store_loyalty_award(store, cid, 50, "birthday", t, t + 5 * DAY, &bal, &e), 0);
    cJSON_Delete(e);
    CHECK_INT(kith_store_loyalty_award(store, cid, 30, "review", t, KITH_TIME_NONE, &bal, &e), 0);
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(e, "expires_at")));
    cJSON_Delete(e);
    CHECK_INT(bal, 180);
    kith_store_request_end(store, 1);
    kith_store_commit(store);

    CHECK_INT(kith_store_loyalty_balance(store, cid, t, &b), 0);
    char *text = cJSON_PrintUnformatted(b);
    CHECK_STR(text, "{\"points\":180,\"lifetime\":180,\"tier\":null,\"expiring\":["
                    "{\"points\":50,\"at\":\"2027-01-20T08:00:00.000Z\"},"
                    "{\"points\":100,\"at\":\"2027-01-25T08:00:00.000Z\"}]}");
    free(text);
    cJSON_Delete(b);

    /* FIFO by expiry: 70 takes all of the 5-day award and 20 of the 10-day
     * one; the award without expiry is untouched. */
    kith_store_request_begin(store);
    CHECK_INT(kith_store_loyalty_redeem(store, cid, 70, "voucher", t + 1, &bal, &e), 0);
    CHECK_INT(bal, 110);
    CHECK_INT(num(e, "points"), -70);
    CHECK_STR(kith_json_get_str(e, "kind"), "redeem");
    cJSON_Delete(e);
    e = NULL;
    /* Too much: refused with the balance, nothing written. */
    CHECK_INT(kith_store_loyalty_redeem(store, cid, 111, "tv", t + 2, &bal, &e), KITH_ECONFLICT);
    CHECK_INT(bal, 110);
    CHECK(e == NULL);
    kith_store_request_end(store, 1);
    kith_store_commit(store);
    CHECK_INT(count_rows(store, "SELECT count(*) FROM loyalty_ledger WHERE reason = ?", "tv"), 0);
    CHECK_INT(kith_store_loyalty_balance(store, cid, t + 1, &b), 0);
    const cJSON *expiring = cJSON_GetObjectItemCaseSensitive(b, "expiring");
    CHECK_INT(cJSON_GetArraySize(expiring), 1);
    CHECK_INT(num(cJSON_GetArrayItem(expiring, 0), "points"), 80);
    cJSON_Delete(b);

    /* Past the 10-day expiry, before the job ran: the 80 are already gone
     * from the balance and cannot be spent. */
    CHECK_INT(kith_store_loyalty_available(store, cid, t + 11 * DAY, &avail), 0);
    CHECK_INT(avail, 30);
    kith_store_request_begin(store);
    CHECK_INT(kith_store_loyalty_redeem(store, cid, 31, "late", t + 11 * DAY, &bal, &e),
              KITH_ECONFLICT);
    CHECK_INT(bal, 30);

    /* The expiry job, in slices of one. */
    cJSON *entries = cJSON_CreateArray();
    int n = -1;
    CHECK_INT(kith_store_loyalty_expire(store, t + 11 * DAY, 1, entries, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(kith_store_loyalty_expire(store, t + 11 * DAY, 1, entries, &n), 0);
    CHECK_INT(n, 0);
    kith_store_request_end(store, 1);
    kith_store_commit(store);
    CHECK_INT(cJSON_GetArraySize(entries), 1);
    e = cJSON_GetArrayItem(entries, 0);
    CHECK_STR(kith_json_get_str(e, "kind"), "expire");
    CHECK_INT(num(e, "points"), -80);
    CHECK_STR(kith_json_get_str(e, "reason"), "expired: signup");
    CHECK_STR(kith_json_get_str(e, "at"), "2027-01-25T08:00:00.000Z");
    cJSON_Delete(entries);
    kith_loyalty_account acct;
    CHECK_INT(kith_store_loyalty_account_get(store, cid, &acct), 0);
    CHECK_INT(acct.points, 30);
    CHECK_INT(acct.lifetime, 180);
    CHECK_STR(acct.tier, "");

    /* History, newest first, in pages of two. */
    kith_cursor next = {0, 0}, cur;
    int more = 0;
    char got[256];
    cJSON *items = cJSON_CreateArray();
    CHECK_INT(kith_store_loyalty_history(store, cid, 2, NULL, items, &more, &next), 0);
    page_text(items, got, sizeof(got));
    CHECK_STR(got, "expire:-80 redeem:-70");
    CHECK_INT(more, 1);
    cJSON_Delete(items);
    cur = next;
    items = cJSON_CreateArray();
    CHECK_INT(kith_store_loyalty_history(store, cid, 2, &cur, items, &more, &next), 0);
    page_text(items, got, sizeof(got));
    CHECK_STR(got, "award:30 award:50");
    CHECK_INT(more, 1);
    cJSON_Delete(items);
    cur = next;
    items = cJSON_CreateArray();
    CHECK_INT(kith_store_loyalty_history(store, cid, 2, &cur, items, &more, &next), 0);
    page_text(items, got, sizeof(got));
    CHECK_STR(got, "award:100");
    CHECK_INT(more, 0);
    cJSON_Delete(items);

    /* Tiers are stored as given and cleared with NULL. */
    kith_store_request_begin(store);
    CHECK_INT(kith_store_loyalty_set_tier(store, cid, "gold"), 0);
    CHECK_INT(kith_store_loyalty_account_get(store, cid, &acct), 0);
    CHECK_STR(acct.tier, "gold");
    CHECK_INT(kith_store_loyalty_set_tier(store, cid, NULL), 0);
    CHECK_INT(kith_store_loyalty_account_get(store, cid, &acct), 0);
    CHECK_STR(acct.tier, "");
    kith_store_request_end(store, 1);
    kith_store_commit(store);

    /* A customer who never earned anything has an empty account. */
    CHECK_INT(kith_store_loyalty_balance(store, new_customer("Nobody"), t, &b), 0);
    text = cJSON_PrintUnformatted(b);
    CHECK_STR(text, "{\"points\":0,\"lifetime\":0,\"tier\":null,\"expiring\":[]}");
    free(text);
    cJSON_Delete(b);
}

static void test_commands(kith_env *env)
{
    int64_t cid = new_customer("Ada");
    char p[256];
    int code;
    cJSON *r;

    r = call("loyalty.award", "{\"customer_id\":999,\"points\":5,\"reason\":\"x\"}", &code);
    CHECK_INT(code, -32004);
    snprintf(p, sizeof(p), "{\"customer_id\":%lld,\"points\":0,\"reason\":\"x\"}", (long long)cid);
    CHECK(call("loyalty.award", p, &code) == NULL);
    CHECK_INT(code, -32602);
    snprintf(p, sizeof(p), "{\"customer_id\":%lld,\"points\":5,\"reason\":\" \"}", (long long)cid);
    CHECK(call("loyalty.award", p, &code) == NULL);
    CHECK_INT(code, -32602);
    snprintf(p, sizeof(p),
             "{\"customer_id\":%lld,\"points\":5,\"reason\":\"x\",\"expires_in\":\"soon\"}",
             (long long)cid);
    CHECK(call("loyalty.award", p, &code) == NULL);
    CHECK_INT(code, -32602);
    CHECK_INT(events(store, "loyalty.awarded"), 0);

    /* 60 points: below the first tier, so no tier change. */
    snprintf(p, sizeof(p), "{\"customer_id\":%lld,\"points\":60,\"reason\":\"order 1\"}",
             (long long)cid);
    r = call("loyalty.award", p, &code);
    CHECK_INT(code, 0);
    CHECK_INT(num(r, "points"), 60);
    CHECK_INT(num(r, "customer_id"), cid);
    CHECK_STR(kith_json_get_str(r, "reason"), "order 1");
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "expires_at")));
    cJSON_Delete(r);
    cJSON *ev = last_event(store, "loyalty.awarded");
    CHECK_INT(num(ev, "balance"), 60);
    CHECK_INT(num(cJSON_GetObjectItemCaseSensitive(ev, "entry"), "points"), 60);
    CHECK_STR(kith_json_get_str(cJSON_GetObjectItemCaseSensitive(ev, "customer"), "name"), "Ada");
    cJSON_Delete(ev);
    CHECK_INT(events(store, "loyalty.tier_changed"), 0);

    /* 50 expiring points reach silver (lifetime 110). */
    snprintf(p, sizeof(p),
             "{\"customer_id\":%lld,\"points\":50,\"reason\":\"promo\",\"expires_in\":\"30d\"}",
             (long long)cid);
    r = call("loyalty.award", p, &code);
    CHECK_INT(code, 0);
    CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "expires_at")));
    cJSON_Delete(r);
    CHECK_INT(events(store, "loyalty.tier_changed"), 1);
    ev = last_event(store, "loyalty.tier_changed");
    CHECK_STR(kith_json_get_str(ev, "tier"), "silver");
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(ev, "old_tier")));
    CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(ev, "customer")));
    cJSON_Delete(ev);

    /* Too much: -32009 with the reason and the balance, and no trace. */
    int64_t seq = count_rows(store, "SELECT max(seq) FROM events", NULL);
    int64_t rows = count_rows(store, "SELECT count(*) FROM loyalty_ledger", NULL);
    snprintf(p, sizeof(p),
             "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"loyalty.redeem\",\"params\":"
             "{\"customer_id\":%lld,\"points\":500,\"reason\":\"tv\"}}",
             (long long)cid);
    const char *reply = rpc(&agent, p);
    CHECK(strstr(reply, "\"code\":-32009") != NULL);
    CHECK(strstr(reply, "\"kind\":\"conflict\"") != NULL);
    CHECK(strstr(reply, "\"reason\":\"insufficient_points\"") != NULL);
    CHECK(strstr(reply, "\"balance\":110") != NULL);
    CHECK(strstr(reply, "\"message\":\"insufficient_points") != NULL);
    CHECK_INT(count_rows(store, "SELECT max(seq) FROM events", NULL), seq);
    CHECK_INT(count_rows(store, "SELECT count(*) FROM loyalty_ledger", NULL), rows);

    /* 40 come out of the expiring award first. */
    snprintf(p, sizeof(p), "{\"customer_id\":%lld,\"points\":40,\"reason\":\"mug\"}",
             (long long)cid);
    r = call("loyalty.redeem", p, &code);
    CHECK_INT(code, 0);
    CHECK_INT(num(r, "points"), -40);
    CHECK_STR(kith_json_get_str(r, "kind"), "redeem");
    cJSON_Delete(r);
    ev = last_event(store, "loyalty.redeemed");
    CHECK_INT(num(ev, "balance"), 70);
    cJSON_Delete(ev);
    snprintf(p, sizeof(p), "{\"customer_id\":%lld}", (long long)cid);
    r = call("loyalty.balance", p, &code);
    CHECK_INT(num(r, "points"), 70);
    CHECK_INT(num(r, "lifetime"), 110);
    CHECK_STR(kith_json_get_str(r, "tier"), "silver");
    const cJSON *expiring = cJSON_GetObjectItemCaseSensitive(r, "expiring");
    CHECK_INT(cJSON_GetArraySize(expiring), 1);
    CHECK_INT(num(cJSON_GetArrayItem(expiring, 0), "points"), 10);
    cJSON_Delete(r);
    CHECK_INT(events(store, "loyalty.tier_changed"), 1); /* redeeming leaves lifetime alone */

    /* 400 more reach gold. */
    snprintf(p, sizeof(p), "{\"customer_id\":%lld,\"points\":400,\"reason\":\"vip\"}",
             (long long)cid);
    cJSON_Delete(call("loyalty.award", p, &code));
    ev = last_event(store, "loyalty.tier_changed");
    CHECK_STR(kith_json_get_str(ev, "tier"), "gold");
    CHECK_STR(kith_json_get_str(ev, "old_tier"), "silver");
    cJSON_Delete(ev);

    /* Without configured tiers, tiers are left as they are. */
    size_t ntiers = env->ntiers;
    env->ntiers = 0;
    cJSON_Delete(call("loyalty.award", p, &code));
    CHECK_INT(code, 0);
    env->ntiers = ntiers;
    CHECK_INT(events(store, "loyalty.tier_changed"), 2);

    /* Roles: a viewer reads the balance and history but may not award. */
    snprintf(p, sizeof(p),
             "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"loyalty.balance\",\"params\":[%lld]}",
             (long long)cid);
    CHECK(strstr(rpc(&viewer, p), "\"points\":870") != NULL);
    snprintf(p, sizeof(p),
             "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"loyalty.award\",\"params\":"
             "{\"customer_id\":%lld,\"points\":1,\"reason\":\"x\"}}",
             (long long)cid);
    CHECK(strstr(rpc(&viewer, p), "-32003") != NULL);

    /* History pages through the command. */
    snprintf(p, sizeof(p), "{\"customer_id\":%lld,\"limit\":3}", (long long)cid);
    r = call("loyalty.history", p, &code);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "items")), 3);
    const char *cursor = kith_json_get_str(r, "next_cursor");
    CHECK(cursor != NULL);
    snprintf(p, sizeof(p), "{\"customer_id\":%lld,\"limit\":3,\"cursor\":\"%s\"}", (long long)cid,
             cursor ? cursor : "");
    cJSON_Delete(r);
    r = call("loyalty.history", p, &code);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "items")), 2);
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "next_cursor")));
    cJSON_Delete(r);
    CHECK(call("loyalty.history", "{\"customer_id\":999}", &code) == NULL);
    CHECK_INT(code, -32004);

    /* 31 days on, the expiry job books what is left of the promo award. */
    kith_call_error err = {0};
    kith_ctx ctx = {.store = store,
                    .session = &agent,
                    .env = env,
                    .dispatch = d,
                    .now = kith_time_now_ms() + 31 * DAY,
                    .err = &err};
    int n = -1;
    kith_store_request_begin(store);
    CHECK_INT(kith_loyalty_expire(&ctx, 100, &n), 0);
    kith_store_request_end(store, 1);
    kith_store_commit(store);
    CHECK_INT(n, 1);
    ev = last_event(store, "loyalty.expired");
    CHECK_INT(num(cJSON_GetObjectItemCaseSensitive(ev, "entry"), "points"), -10);
    CHECK_INT(num(ev, "balance"), 860);
    cJSON_Delete(ev);
    CHECK_INT(kith_loyalty_balance(&ctx, cid, &r), 0);
    CHECK_INT(num(r, "points"), 860);
    cJSON_Delete(r);
}

int main(void)
{
    kith_tier tiers[] = {{"silver", 100}, {"gold", 500}};
    kith_env env = {.default_currency = "EUR", .tiers = tiers, .ntiers = 2};
    CHECK_INT(kith_store_open(":memory:", KITH_SYNC_OFF, &store), 0);
    d = kith_dispatch_new(store, &env);
    CHECK(d != NULL);
    CHECK_INT(kith_dispatch_register(d, kith_cmd_loyalty), 0);

    test_tier_for();
    test_store();
    test_commands(&env);

    kith_buf_release(&out);
    kith_dispatch_free(d);
    kith_store_close(store);
    return check_done();
}
