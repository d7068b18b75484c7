/*
 * kith-bench's set-up phases (bench.h, note 1): the preload, which creates
 * --preload N customers (marked as the benchmark's own, bench_guard.c) and
 * keeps their ids, and the discovery, which finds the ids of existing
 * customers for a read-only workload that had no preload (a writing one
 * gets only its own, from the check).  Both speak either protocol: in
 * JSON-RPC the ids come back in customer.create's replies and
 * customer.list's pages; in RESP the preload reserves its ids up front with
 * INCRBY (HSET's reply names no id) and the discovery SCANs customer:* keys.
 * Nothing here is measured; the measured phase is bench_run.c's, the check
 * bench_guard.c's and --cleanup bench_cleanup.c's.
 */
#include "bench/bench.h"
#include "util/error.h"
#include "util/log.h"

#include <cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* customer.list pages are 1000 ids; a million is plenty to pick from. */
#define MAX_DISCOVERED_IDS 1000000u

static void pump_preload(kith_bench *b, kith_bench_conn *c)
{
    /* Preload pipelines up to the FIFO's size (at least 16) whatever -P is:
     * it is set-up, not measurement, and deep pipelines make it quick. */
    unsigned room = kith_bench_conn_room(c, c->fifo_cap);
    uint64_t now = uv_hrtime();
    for (; room > 0 && b->preload_sent < b->cfg.preload; room--) {
        if (kith_bench_send(b, c, KITH_BENCH_PRELOAD, now, now) < 0) {
            kith_bench_conn_fail(c, "out of memory");
            return;
        }
        b->preload_sent++;
    }
}

static void start_preload(kith_bench *b)
{
    for (int i = 0; i < b->cfg.connections; i++) {
        pump_preload(b, &b->conns[i]);
        kith_bench_conn_flush(&b->conns[i]);
    }
}

int kith_bench_add_id(kith_bench *b, int64_t id)
{
    if (b->nids == b->ids_cap) {
        size_t cap = b->ids_cap ? b->ids_cap * 2 : 1024;
        int64_t *ids = realloc(b->ids, cap * sizeof(*ids));
        if (!ids) return KITH_ENOMEM;
        b->ids = ids;
        b->ids_cap = cap;
    }
    b->ids[b->nids++] = id;
    return 0;
}

void kith_bench_setup_failed(kith_bench *b, const char *what)
{
    fprintf(stderr, "kith-bench: %s\n", what);
    if (b->first_error[0]) fprintf(stderr, "kith-bench: first error: %s\n", b->first_error);
    kith_bench_finish(b, 1);
}

/* RESP: INCRBY next:customer N answered with the last id reserved. */
static void on_reserve_reply(kith_bench *b, const char *reply, size_t len)
{
    kith_bench_resp_reader r = {reply, reply + len};
    kith_bench_resp_value v;
    if (kith_bench_resp_next(&r, &v) != 1 || v.type != ':' || v.n < (int64_t)b->cfg.preload) {
        kith_bench_note_error(b, reply, len);
        kith_bench_setup_failed(b, "preload: INCRBY next:customer failed");
        return;
    }
    b->preload_first = v.n - (int64_t)b->cfg.preload + 1;
    start_preload(b);
}

/* Whether a preload reply created a customer; in JSON-RPC, also keeps its id. */
static int preload_created(kith_bench *b, const char *line, int is_error)
{
    if (is_error) return 0;
    if (b->cfg.redis) return 1; /* the ids were reserved; added at the end */
    cJSON *reply = cJSON_Parse(line);
    cJSON *id =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(reply, "result"), "id");
    int ok = cJSON_IsNumber(id) && kith_bench_add_id(b, (int64_t)id->valuedouble) == 0;
    cJSON_Delete(reply);
    return ok;
}

static void on_preload_reply(kith_bench *b, kith_bench_conn *c, const char *line, size_t len,
                             int is_error)
{
    if (!preload_created(b, line, is_error)) {
        b->preload_errors++;
        kith_bench_note_error(b, line, len);
    }
    if (b->preload_sent < b->cfg.preload) {
        pump_preload(b, c);
        return;
    }
    if (b->inflight > 0) return;
    if (b->preload_errors > 0) {
        char msg[96];
        snprintf(msg, sizeof(msg), "preload: %" PRIu64 " of %" PRIu64 " creates failed",
                 b->preload_errors, b->cfg.preload);
        kith_bench_setup_failed(b, msg);
        return;
    }
    for (uint64_t k = 0; b->cfg.redis && k < b->cfg.preload; k++) {
        if (kith_bench_add_id(b, b->preload_first + (int64_t)k) < 0) {
            kith_bench_setup_failed(b, "out of memory");
            return;
        }
    }
    kith_bench_next_phase(b);
}

/* Reads one customer.list page into b->ids.  Returns 1 when it asked for
 * the next page, 0 when discovery is over, or -1 when it failed. */
static int list_page_json(kith_bench *b, kith_bench_conn *c, const char *line, int is_error)
{
    cJSON *reply = is_error ? NULL : cJSON_Parse(line);
    cJSON *result = cJSON_GetObjectItemCaseSensitive(reply, "result");
    cJSON *items = cJSON_GetObjectItemCaseSensitive(result, "items");
    int rc = cJSON_IsArray(items) ? 0 : -1;
    cJSON *item;
    cJSON_ArrayForEach(item, items)
    {
        cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
        if (cJSON_IsNumber(id) && b->nids < MAX_DISCOVERED_IDS &&
            kith_bench_add_id(b, (int64_t)id->valuedouble) < 0)
            rc = -1;
    }
    cJSON *next = cJSON_GetObjectItemCaseSensitive(result, "next_cursor");
    if (rc == 0 && cJSON_IsString(next) && b->nids < MAX_DISCOVERED_IDS) {
        if (kith_bench_send_list(b, c, KITH_BENCH_LIST, next->valuestring) < 0)
            rc = -1;
        else
            rc = 1;
    }
    cJSON_Delete(reply);
    return rc;
}

/* The id in a "customer:<digits>" key, or 0 when the key is another. */
static int64_t customer_key_id(const char *key, size_t len)
{
    static const char prefix[] = "customer:";
    size_t n = sizeof(prefix) - 1;
    if (len <= n || len > n + 18 || memcmp(key, prefix, n) != 0) return 0;
    int64_t id = 0;
    for (size_t i = n; i < len; i++) {
        if (key[i] < '0' || key[i] > '9') return 0;
        id = id * 10 + (key[i] - '0');
    }
    return id;
}

/* The RESP counterpart: one SCAN reply, [cursor, [key, ...]]. */
static int list_page_resp(kith_bench *b, kith_bench_conn *c, const char *reply, size_t len)
{
    kith_bench_resp_reader r = {reply, reply + len};
    kith_bench_resp_value v, cursor;
    if (kith_bench_resp_next(&r, &v) != 1 || v.type != '*' || v.n != 2) return -1;
    if (kith_bench_resp_next(&r, &cursor) != 1 || cursor.type != '$' || cursor.n < 1 ||
        cursor.len > 30)
        return -1;
    if (kith_bench_resp_next(&r, &v) != 1 || v.type != '*') return -1;
    for (int64_t k = v.n; k > 0; k--) {
        kith_bench_resp_value key;
        if (kith_bench_resp_next(&r, &key) != 1 || key.type != '$') return -1;
        int64_t id = customer_key_id(key.text, key.len);
        if (id > 0 && b->nids < MAX_DISCOVERED_IDS && kith_bench_add_id(b, id) < 0) return -1;
    }
    char next[32];
    memcpy(next, cursor.text, cursor.len);
    next[cursor.len] = '\0';
    if (strcmp(next, "0") == 0 || b->nids >= MAX_DISCOVERED_IDS) return 0;
    return kith_bench_send_list(b, c, KITH_BENCH_LIST, next) < 0 ? -1 : 1;
}

static void on_list_reply(kith_bench *b, kith_bench_conn *c, const char *line, size_t len,
                          int is_error)
{
    int rc = b->cfg.redis ? (is_error ? -1 : list_page_resp(b, c, line, len))
                          : list_page_json(b, c, line, is_error);
    if (rc < 0) {
        kith_bench_note_error(b, line, len);
        kith_bench_setup_failed(b, b->cfg.redis
                                       ? "SCAN failed; cannot find customers to use"
                                       : "customer.list failed; cannot find customers to use");
        return;
    }
    if (rc > 0) {
        kith_bench_conn_flush(c);
        return;
    }
    if (b->nids > 0) {
        char msg[64];
        snprintf(msg, sizeof(msg), "using %zu existing customers", b->nids);
        kith_bench_say(b, msg);
    }
    kith_bench_next_phase(b);
}

void kith_bench_setup_reply(kith_bench *b, kith_bench_conn *c, const kith_bench_slot *slot,
                            const char *line, size_t len, int is_error)
{
    switch (slot->kind) {
    case KITH_BENCH_RESERVE: on_reserve_reply(b, line, len); return;
    case KITH_BENCH_PRELOAD: on_preload_reply(b, c, line, len, is_error); return;
    case KITH_BENCH_LIST: on_list_reply(b, c, line, len, is_error); return;
    case KITH_BENCH_INFO:
    case KITH_BENCH_OWN_LIST:
        if (b->phase == KITH_BENCH_CHECK) {
            kith_bench_guard_reply(b, c, slot, line, is_error);
            return;
        }
        kith_bench_cleanup_reply(b, c, slot, line, len, is_error);
        return;
    case KITH_BENCH_CLEAN_GET:
    case KITH_BENCH_CLEAN_TASKS:
    case KITH_BENCH_CLEAN_DELETE: kith_bench_cleanup_reply(b, c, slot, line, len, is_error); return;
    default: kith_assert(0 && "not a set-up request");
    }
}

static void start_discover(kith_bench *b)
{
    b->phase = KITH_BENCH_DISCOVER;
    if (kith_bench_send_list(b, &b->conns[0], KITH_BENCH_LIST, NULL) < 0)
        kith_bench_conn_fail(&b->conns[0], "out of memory");
    kith_bench_conn_flush(&b->conns[0]);
}

static void start_preload_phase(kith_bench *b)
{
    char msg[64];
    snprintf(msg, sizeof(msg), "preloading %" PRIu64 " customers", b->cfg.preload);
    kith_bench_say(b, msg);
    b->phase = KITH_BENCH_PRELOADING;
    /* The workload uses the customers of the preload only. */
    b->nids = 0;
    if (!b->cfg.redis) {
        start_preload(b);
        return;
    }
    /* The creates start once the reply says which ids they take. */
    if (kith_bench_send_reserve(b, &b->conns[0]) < 0)
        kith_bench_conn_fail(&b->conns[0], "out of memory");
    kith_bench_conn_flush(&b->conns[0]);
}

void kith_bench_next_phase(kith_bench *b)
{
    int needs_ids = kith_bench_workload_needs_ids(&b->cfg);
    int writes = kith_bench_run_writes(b);
    if (b->phase == KITH_BENCH_CONNECT && b->cfg.cleanup) {
        kith_bench_cleanup_start(b);
        return;
    }
    if (b->phase == KITH_BENCH_CONNECT && writes) {
        kith_bench_guard_start(b);
        return;
    }
    if ((b->phase == KITH_BENCH_CONNECT || b->phase == KITH_BENCH_CHECK) && b->cfg.preload > 0) {
        start_preload_phase(b);
        return;
    }
    /* A writing workload found its ids in the check: only its own. */
    if (b->phase == KITH_BENCH_CONNECT && needs_ids) {
        start_discover(b);
        return;
    }
    if (needs_ids && b->nids == 0) {
        kith_bench_setup_failed(
            b, writes ? "no customers of kith-bench's own to use; pass --preload N (they are "
                        "tagged " KITH_BENCH_TAG " and --cleanup removes them)"
                      : "no customers to use; create some first or pass --preload N");
        return;
    }
    kith_bench_measure_start(b);
}
