/*
 * kith-bench --cleanup: removes every customer the benchmark created, and
 * nothing else, through the public API.
 *
 * It pages through customer.list filtered by the benchmark's tag on
 * connection 0 and keeps the ids of the customers that carry both marks of
 * bench.h (kith_bench_is_own), then removes them over all connections.  Each
 * customer is three pipelined requests on one connection: customer.get (its
 * orders, interactions and points, for the account printed at the end),
 * task.list of its tasks, and customer.delete, which deletes with the
 * customer its orders, interactions, points ledger, tasks (open ones
 * included, so no reminder of theirs fires), segment memberships and churn
 * score.  A connection answers in request order, so the first two replies
 * of a customer fill the connection's `pending` account and the third adds
 * it to the total only if the delete succeeded.
 *
 * The marks are written by customer.create itself, so customers of a run
 * that was interrupted (Ctrl-C, a kill, a crash) carry them too and a later
 * --cleanup finds them.  The event log keeps the events of what is removed,
 * as it does for any deletion.
 */
#include "bench/bench.h"
#include "util/error.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define REQUESTS_PER_CUSTOMER 3

/* The number at `key` of `obj` (borrowed), or 0. */
static int64_t number_at(const cJSON *obj, const char *key)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(n) ? (int64_t)n->valuedouble : 0;
}

static void print_removed(kith_bench *b)
{
    const kith_bench_removed *r = &b->removed;
    if (b->cfg.json) {
        printf("{\"removed\":{\"customers\":%" PRIu64 ",\"orders\":%" PRIu64
               ",\"interactions\":%" PRIu64 ",\"tasks\":%" PRIu64 ",\"points\":%" PRId64
               "},\"failed\":%" PRIu64 "}\n",
               r->customers, r->orders, r->interactions, r->tasks, r->points, b->clean_failed);
    } else if (r->customers == 0 && b->clean_failed == 0) {
        printf("nothing to remove: no customer created by kith-bench\n");
    } else {
        printf("removed %" PRIu64 " customers created by kith-bench, with their %" PRIu64
               " orders, %" PRIu64 " interactions, %s%" PRIu64 " tasks and %" PRId64
               " loyalty points\n",
               r->customers, r->orders, r->interactions, r->tasks_more ? "at least " : "", r->tasks,
               r->points);
    }
    fflush(stdout);
    if (b->interrupted)
        fprintf(stderr,
                "kith-bench: interrupted; %zu customers were left (--cleanup again "
                "removes them)\n",
                b->clean_left);
    if (b->clean_failed > 0) {
        fprintf(stderr, "kith-bench: %" PRIu64 " customers could not be removed\n",
                b->clean_failed);
        if (b->first_error[0]) fprintf(stderr, "kith-bench: first error: %s\n", b->first_error);
    }
}

/* Sends the requests of as many customers as `c` has room for; finishes
 * the run once every customer was answered. */
static void pump(kith_bench *b, kith_bench_conn *c)
{
    unsigned room = kith_bench_conn_room(c, c->fifo_cap);
    for (; room >= REQUESTS_PER_CUSTOMER && b->clean_next < b->nids;
         room -= REQUESTS_PER_CUSTOMER) {
        int64_t id = b->ids[b->clean_next++];
        if (kith_bench_send_setup(b, c, KITH_BENCH_CLEAN_GET, id) < 0 ||
            kith_bench_send_setup(b, c, KITH_BENCH_CLEAN_TASKS, id) < 0 ||
            kith_bench_send_setup(b, c, KITH_BENCH_CLEAN_DELETE, id) < 0) {
            kith_bench_conn_fail(c, "out of memory");
            return;
        }
    }
    kith_bench_conn_flush(c);
    if (b->clean_next == b->nids && b->inflight == 0) {
        print_removed(b);
        kith_bench_finish(b, b->interrupted        ? KITH_BENCH_EXIT_INTERRUPTED
                             : b->clean_failed > 0 ? 1
                                                   : 0);
    }
}

int kith_bench_cleanup_stop(kith_bench *b)
{
    if (!b->clean_removing) return 0;
    kith_bench_say(b, "interrupted; waiting for the deletes in flight");
    b->clean_left = b->nids - b->clean_next;
    b->nids = b->clean_next;
    pump(b, &b->conns[0]);
    return 1;
}

static void start_removing(kith_bench *b)
{
    b->clean_removing = 1;
    if (b->nids > 0) {
        char msg[80];
        snprintf(msg, sizeof(msg), "removing %zu customers created by kith-bench", b->nids);
        kith_bench_say(b, msg);
    }
    for (int i = 0; i < b->cfg.connections && b->phase == KITH_BENCH_CLEANUP; i++)
        pump(b, &b->conns[i]);
}

void kith_bench_cleanup_start(kith_bench *b)
{
    b->phase = KITH_BENCH_CLEANUP;
    b->nids = b->clean_next = 0;
    if (kith_bench_send_list(b, &b->conns[0], KITH_BENCH_OWN_LIST, NULL) < 0)
        kith_bench_conn_fail(&b->conns[0], "out of memory");
    kith_bench_conn_flush(&b->conns[0]);
}

/* Keeps the own customers of one page.  Returns 1 when it asked for the
 * next page, 0 at the end, -1 on failure. */
static int own_page(kith_bench *b, kith_bench_conn *c, const char *line, int is_error)
{
    cJSON *reply = is_error ? NULL : cJSON_Parse(line);
    cJSON *result = cJSON_GetObjectItemCaseSensitive(reply, "result");
    cJSON *items = cJSON_GetObjectItemCaseSensitive(result, "items");
    int rc = cJSON_IsArray(items) ? 0 : -1;
    const cJSON *item;
    cJSON_ArrayForEach(item, items)
    {
        if (kith_bench_is_own(item) && kith_bench_add_id(b, number_at(item, "id")) < 0) rc = -1;
    }
    /* The cursor is the last id listed, so deleting listed customers later
     * cannot make the next page skip any. */
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(result, "next_cursor");
    if (rc == 0 && cJSON_IsString(next))
        rc = kith_bench_send_list(b, c, KITH_BENCH_OWN_LIST, next->valuestring) < 0 ? -1 : 1;
    cJSON_Delete(reply);
    return rc;
}

/* Reads what goes with a customer from its customer.get reply. */
static void on_get(kith_bench_conn *c, const char *line, int is_error)
{
    memset(&c->pending, 0, sizeof(c->pending));
    if (is_error) return; /* gone already: the delete will say so */
    cJSON *reply = cJSON_Parse(line);
    const cJSON *customer = cJSON_GetObjectItemCaseSensitive(reply, "result");
    const cJSON *stats = cJSON_GetObjectItemCaseSensitive(customer, "stats");
    c->pending.orders = (uint64_t)number_at(stats, "orders");
    c->pending.interactions = (uint64_t)number_at(stats, "interactions");
    c->pending.points = number_at(customer, "points");
    cJSON_Delete(reply);
}

static void on_tasks(kith_bench_conn *c, const char *line, int is_error)
{
    if (is_error) return;
    cJSON *reply = cJSON_Parse(line);
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(reply, "result");
    c->pending.tasks =
        (uint64_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(result, "items"));
    /* One page of 1000 is more than a benchmark customer gets; past it the
     * account says "at least". */
    c->pending.tasks_more = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(result, "next_cursor"));
    cJSON_Delete(reply);
}

static void on_delete(kith_bench *b, kith_bench_conn *c, const char *line, size_t len, int is_error)
{
    if (is_error) {
        /* Removed by someone else since it was listed: nothing left to do. */
        if (strstr(line, "\"not_found\"")) {
            b->clean_gone++;
            return;
        }
        b->clean_failed++;
        kith_bench_note_error(b, line, len);
        return;
    }
    kith_bench_removed *r = &b->removed;
    r->customers++;
    r->orders += c->pending.orders;
    r->interactions += c->pending.interactions;
    r->tasks += c->pending.tasks;
    r->points += c->pending.points;
    r->tasks_more |= c->pending.tasks_more;
}

void kith_bench_cleanup_reply(kith_bench *b, kith_bench_conn *c, const kith_bench_slot *slot,
                              const char *line, size_t len, int is_error)
{
    switch (slot->kind) {
    case KITH_BENCH_OWN_LIST: {
        int rc = own_page(b, c, line, is_error);
        if (rc < 0) {
            kith_bench_note_error(b, line, len);
            kith_bench_setup_failed(b, "customer.list failed; cannot find kith-bench's customers");
        } else if (rc > 0) {
            kith_bench_conn_flush(c);
        } else {
            start_removing(b);
        }
        return;
    }
    case KITH_BENCH_CLEAN_GET: on_get(c, line, is_error); return;
    case KITH_BENCH_CLEAN_TASKS: on_tasks(c, line, is_error); return;
    case KITH_BENCH_CLEAN_DELETE:
        on_delete(b, c, line, len, is_error);
        pump(b, c);
        return;
    default: return;
    }
}
