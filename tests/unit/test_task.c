/*
 * Follow-up tasks: the task.* commands through the dispatcher (due times as
 * durations and ISO times, list order, filters and paging, the open-only
 * state rules and their events), and the scheduler's side of the store
 * (next_due, due, mark_fired, snooze re-arming) on a private store with
 * chosen times, plus kith_task_fire_due's reminder.due events.
 */
#include "check.h"
#include "world.h"
#include "commands/commands.h"
#include "commands/task_ops.h"
#include "dispatch/dispatch.h"
#include "store/customer.h"
#include "store/stats.h"
#include "store/store.h"
#include "store/task.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <sqlite3.h>
#include <stdlib.h>

static kith_session agent = {.role = KITH_ROLE_AGENT, .authenticated = 1, .name = "ann"};

/* Calls `method` as the agent; returns the result (owned) or NULL with *code
 * set to the error's JSON-RPC code. */
static cJSON *call(const char *method, const char *params, int *code)
{
    return call_as(&agent, method, params, code);
}

static int64_t time_of(const cJSON *o, const char *key)
{
    int64_t ms = -1;
    const char *s = kith_json_get_str(o, key);
    if (s) kith_time_parse_iso(s, &ms);
    return ms;
}

/* Creates a task and returns its id (0 on failure). */
static int64_t create(const char *params)
{
    int code;
    cJSON *t = call("task.create", params, &code);
    CHECK_INT(code, 0);
    int64_t id = num(t, "id");
    cJSON_Delete(t);
    return id;
}

/* The ids of a task.list page, like "3 1 2", and its next_cursor (or ""). */
static void list_ids(const char *params, char *buf, size_t n, char *cursor, size_t ncursor)
{
    int code;
    cJSON *r = call("task.list", params, &code);
    const cJSON *t;
    buf[0] = '\0';
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(r, "items"))
    {
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%lld", len ? " " : "", (long long)num(t, "id"));
    }
    const char *c = kith_json_get_str(r, "next_cursor");
    if (cursor) snprintf(cursor, ncursor, "%s", c ? c : "");
    cJSON_Delete(r);
}

static void test_commands(void)
{
    int64_t cid = 0;
    char p[512], ids[128], cursor[128];
    int code;
    cJSON *rec = cJSON_Parse("{\"name\":\"Ada\"}");
    kith_store_request_begin(store);
    CHECK_INT(kith_store_customer_insert(store, rec, 0, &cid), 0);
    kith_store_request_end(store, 1);
    kith_store_commit(store);
    cJSON_Delete(rec);

    /* A duration is counted from now. */
    int64_t before = kith_time_now_ms();
    cJSON *t = call("task.create", "{\"note\":\"call back\",\"due\":\"2h\"}", &code);
    int64_t after = kith_time_now_ms();
    CHECK_INT(code, 0);
    CHECK(time_of(t, "due_at") >= before + 7200000 && time_of(t, "due_at") <= after + 7200000);
    CHECK_STR(kith_json_get_str(t, "status"), "open");
    CHECK_STR(kith_json_get_str(t, "created_by"), "ann");
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(t, "customer_id")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(t, "fired_at")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(t, "closed_at")));
    int64_t t0 = num(t, "id");
    cJSON_Delete(t);
    cJSON *ev = last_event(store, "task.created");
    CHECK(cJSON_GetObjectItemCaseSensitive(ev, "customer") == NULL);
    CHECK_INT(num(cJSON_GetObjectItemCaseSensitive(ev, "task"), "id"), t0);
    cJSON_Delete(ev);

    /* Refusals write nothing. */
    CHECK(call("task.create", "{\"note\":\"x\",\"due\":\"1h\",\"customer_id\":999}", &code) ==
          NULL);
    CHECK_INT(code, -32004);
    CHECK(call("task.create", "{\"note\":\"  \",\"due\":\"1h\"}", &code) == NULL);
    CHECK_INT(code, -32602);
    CHECK(call("task.create", "{\"note\":\"x\",\"due\":\"soon\"}", &code) == NULL);
    CHECK_INT(code, -32602);
    CHECK_INT(events(store, "task.created"), 1);

    /* ISO due times; ties on due_at are ordered by id. */
    snprintf(
        p, sizeof(p),
        "{\"note\":\"c\",\"due\":\"2030-01-03T00:00:00Z\",\"customer_id\":%lld,\"owner\":\"bo\"}",
        (long long)cid);
    int64_t t3 = create(p);
    ev = last_event(store, "task.created");
    CHECK_STR(kith_json_get_str(cJSON_GetObjectItemCaseSensitive(ev, "customer"), "name"), "Ada");
    cJSON_Delete(ev);
    int64_t t1 = create("{\"note\":\"a\",\"due\":\"2030-01-01T00:00:00Z\",\"owner\":\"bo\"}");
    int64_t t2 = create("{\"note\":\"b\",\"due\":\"2030-01-02T01:00:00+01:00\"}");
    int64_t t2b = create("{\"note\":\"b2\",\"due\":\"2030-01-02T00:00:00Z\"}");
    char want[128];
    snprintf(want, sizeof(want), "%lld %lld %lld %lld %lld", (long long)t0, (long long)t1,
             (long long)t2, (long long)t2b, (long long)t3);
    list_ids("{}", ids, sizeof(ids), cursor, sizeof(cursor));
    CHECK_STR(ids, want);
    CHECK_STR(cursor, "");

    /* Paging. */
    list_ids("{\"limit\":2}", ids, sizeof(ids), cursor, sizeof(cursor));
    snprintf(want, sizeof(want), "%lld %lld", (long long)t0, (long long)t1);
    CHECK_STR(ids, want);
    snprintf(p, sizeof(p), "{\"limit\":2,\"cursor\":\"%s\"}", cursor);
    list_ids(p, ids, sizeof(ids), cursor, sizeof(cursor));
    snprintf(want, sizeof(want), "%lld %lld", (long long)t2, (long long)t2b);
    CHECK_STR(ids, want);
    snprintf(p, sizeof(p), "{\"limit\":2,\"cursor\":\"%s\"}", cursor);
    list_ids(p, ids, sizeof(ids), cursor, sizeof(cursor));
    snprintf(want, sizeof(want), "%lld", (long long)t3);
    CHECK_STR(ids, want);
    CHECK_STR(cursor, "");

    /* Filters. */
    list_ids("{\"owner\":\"bo\"}", ids, sizeof(ids), NULL, 0);
    snprintf(want, sizeof(want), "%lld %lld", (long long)t1, (long long)t3);
    CHECK_STR(ids, want);
    snprintf(p, sizeof(p), "{\"customer_id\":%lld}", (long long)cid);
    list_ids(p, ids, sizeof(ids), NULL, 0);
    snprintf(want, sizeof(want), "%lld", (long long)t3);
    CHECK_STR(ids, want);
    list_ids("{\"due_after\":\"2030-01-02T00:00:00Z\",\"due_before\":\"2030-01-03T00:00:00Z\"}",
             ids, sizeof(ids), NULL, 0);
    snprintf(want, sizeof(want), "%lld %lld", (long long)t2, (long long)t2b);
    CHECK_STR(ids, want);
    list_ids("{\"due_before\":\"1d\"}", ids, sizeof(ids), NULL, 0);
    snprintf(want, sizeof(want), "%lld", (long long)t0);
    CHECK_STR(ids, want);
    CHECK(call("task.list", "{\"status\":\"later\"}", &code) == NULL);
    CHECK_INT(code, -32602);

    /* Complete, then every further change is a conflict. */
    snprintf(p, sizeof(p), "{\"id\":%lld,\"outcome\":\"booked a demo\"}", (long long)t3);
    t = call("task.complete", p, &code);
    CHECK_INT(code, 0);
    CHECK_STR(kith_json_get_str(t, "status"), "done");
    CHECK_STR(kith_json_get_str(t, "outcome"), "booked a demo");
    CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "closed_at")));
    cJSON_Delete(t);
    ev = last_event(store, "task.completed");
    CHECK_STR(kith_json_get_str(cJSON_GetObjectItemCaseSensitive(ev, "task"), "status"), "done");
    CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(ev, "customer")));
    cJSON_Delete(ev);
    CHECK(call("task.complete", p, &code) == NULL);
    CHECK_INT(code, -32009);
    CHECK(call("task.cancel", p, &code) == NULL);
    CHECK_INT(code, -32009);
    snprintf(p, sizeof(p), "{\"id\":%lld,\"until\":\"1d\"}", (long long)t3);
    CHECK(call("task.snooze", p, &code) == NULL);
    CHECK_INT(code, -32009);
    CHECK_INT(events(store, "task.completed"), 1);
    CHECK(call("task.complete", "{\"id\":999}", &code) == NULL);
    CHECK_INT(code, -32004);

    /* Cancel. */
    snprintf(p, sizeof(p), "{\"id\":%lld}", (long long)t2b);
    t = call("task.cancel", p, &code);
    CHECK_STR(kith_json_get_str(t, "status"), "cancelled");
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(t, "outcome")));
    cJSON_Delete(t);
    CHECK_INT(events(store, "task.cancelled"), 1);
    list_ids("{\"status\":\"open\"}", ids, sizeof(ids), NULL, 0);
    snprintf(want, sizeof(want), "%lld %lld %lld", (long long)t0, (long long)t1, (long long)t2);
    CHECK_STR(ids, want);

    /* Snooze a fired task: it moves and its reminder is re-armed. */
    kith_store_request_begin(store);
    CHECK_INT(kith_store_task_mark_fired(store, t1, kith_time_now_ms()), 0);
    kith_store_request_end(store, 1);
    kith_store_commit(store);
    snprintf(p, sizeof(p), "{\"id\":%lld,\"until\":\"2031-05-01T09:30:00Z\"}", (long long)t1);
    t = call("task.snooze", p, &code);
    CHECK_INT(code, 0);
    CHECK_STR(kith_json_get_str(t, "due_at"), "2031-05-01T09:30:00.000Z");
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(t, "fired_at")));
    CHECK_STR(kith_json_get_str(t, "status"), "open");
    cJSON_Delete(t);
    CHECK_INT(events(store, "task.snoozed"), 1);
}

static int64_t insert_at(kith_store *s, const char *note, int64_t due_at)
{
    cJSON *rec = cJSON_CreateObject(), *t = NULL;
    cJSON_AddStringToObject(rec, "note", note);
    CHECK_INT(kith_store_task_insert(s, rec, due_at, "test", 0, &t), 0);
    int64_t id = num(t, "id");
    cJSON_Delete(t);
    cJSON_Delete(rec);
    return id;
}

/* Which ids kith_store_task_due returns at `now`, like "1 2". */
static void due_ids(kith_store *s, int64_t now, char *buf, size_t n)
{
    cJSON *items = cJSON_CreateArray();
    const cJSON *t;
    int count = -1;
    CHECK_INT(kith_store_task_due(s, now, 10, items, &count), 0);
    CHECK_INT(count, cJSON_GetArraySize(items));
    buf[0] = '\0';
    cJSON_ArrayForEach(t, items)
    {
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%lld", len ? " " : "", (long long)num(t, "id"));
    }
    cJSON_Delete(items);
}

static void test_scheduling(void)
{
    kith_store *s = NULL;
    int64_t at = 0;
    char ids[64];
    cJSON *t = NULL;
    CHECK_INT(kith_store_open(":memory:", KITH_SYNC_OFF, &s), 0);
    CHECK_INT(kith_store_task_next_due(s, &at), KITH_ENOTFOUND);

    kith_store_request_begin(s);
    int64_t a = insert_at(s, "a", 1000), b = insert_at(s, "b", 2000), c = insert_at(s, "c", 3000);
    CHECK_INT(kith_store_task_next_due(s, &at), 0);
    CHECK_INT(at, 1000);
    due_ids(s, 2000, ids, sizeof(ids));
    CHECK_STR(ids, "1 2");
    due_ids(s, 999, ids, sizeof(ids));
    CHECK_STR(ids, "");

    /* Fired exactly once. */
    CHECK_INT(kith_store_task_mark_fired(s, a, 2000), 0);
    CHECK_INT(kith_store_task_mark_fired(s, a, 2001), KITH_ENOTFOUND);
    CHECK_INT(kith_store_task_get(s, a, &t), 0);
    CHECK_INT(time_of(t, "fired_at"), 2000);
    cJSON_Delete(t);
    CHECK_INT(kith_store_task_next_due(s, &at), 0);
    CHECK_INT(at, 2000);

    /* A closed task leaves the schedule and cannot fire. */
    CHECK_INT(kith_store_task_close(s, b, "done", NULL, 2500, &t), 0);
    cJSON_Delete(t);
    CHECK_INT(kith_store_task_mark_fired(s, b, 2600), KITH_ENOTFOUND);
    CHECK_INT(kith_store_task_next_due(s, &at), 0);
    CHECK_INT(at, 3000);
    due_ids(s, 2999, ids, sizeof(ids));
    CHECK_STR(ids, "");

    /* Snoozing the fired task puts it back on the schedule. */
    t = NULL;
    CHECK_INT(kith_store_task_snooze(s, b, 9000, &t), KITH_ECONFLICT);
    CHECK(t == NULL);
    CHECK_INT(kith_store_task_snooze(s, 99, 9000, &t), KITH_ENOTFOUND);
    CHECK_INT(kith_store_task_snooze(s, a, 5000, &t), 0);
    cJSON_Delete(t);
    due_ids(s, 6000, ids, sizeof(ids));
    CHECK_STR(ids, "3 1");
    kith_store_request_end(s, 1);
    kith_store_commit(s);

    /* kith_task_fire_due marks and announces each due reminder once. */
    kith_env env = {.default_currency = "EUR"};
    kith_call_error err = {0};
    kith_ctx ctx = {.store = s, .session = &agent, .env = &env, .now = 6000, .err = &err};
    int fired = -1;
    kith_store_request_begin(s);
    CHECK_INT(kith_task_fire_due(&ctx, 1, &fired), 0);
    CHECK_INT(fired, 1);
    CHECK_INT(kith_task_fire_due(&ctx, 10, &fired), 0);
    CHECK_INT(fired, 1);
    CHECK_INT(kith_task_fire_due(&ctx, 10, &fired), 0);
    CHECK_INT(fired, 0);
    kith_store_request_end(s, 1);
    kith_store_commit(s);
    CHECK_INT(events(s, "reminder.due"), 2);
    cJSON *ev = last_event(s, "reminder.due");
    CHECK_INT(num(cJSON_GetObjectItemCaseSensitive(ev, "task"), "id"), a);
    CHECK_INT(time_of(cJSON_GetObjectItemCaseSensitive(ev, "task"), "fired_at"), 6000);
    cJSON_Delete(ev);
    CHECK_INT(kith_store_task_next_due(s, &at), KITH_ENOTFOUND);
    (void)c;
    kith_store_close(s);
}

int main(void)
{
    kith_env env = {.default_currency = "EUR"};
    CHECK_INT(kith_store_open(":memory:", KITH_SYNC_OFF, &store), 0);
    d = kith_dispatch_new(store, &env);
    CHECK(d != NULL);
    CHECK_INT(kith_dispatch_register(d, kith_cmd_task), 0);

    test_commands();
    test_scheduling();

    kith_dispatch_free(d);
    kith_store_close(store);
    return check_done();
}
