/*
 * What kith-bench sends: the workload table, the request each kind of
 * operation makes, and the set-up requests (auth, the preload's creates and
 * the customer.list pages that find existing ids).  A new workload is a row
 * in `workloads`; a new operation is a kind in bench.h, a case in
 * kith_bench_send() and a name in `kind_names`.  Pacing and bookkeeping are
 * bench_run.c's.
 */
#include "bench/bench.h"
#include "util/error.h"

#include <cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const kith_bench_workload workloads[] = {
    /*  name      help                                           ping get create order */
    {"ping", "system.ping", {100, 0, 0, 0}},
    {"get", "customer.get {id} of a random existing customer", {0, 100, 0, 0}},
    {"create", "customer.create {name, email}", {0, 0, 100, 0}},
    {"order", "order.create {customer_id, amount} for a random customer", {0, 0, 0, 100}},
    {"mixed", "80% get, 20% order", {0, 80, 0, 20}},
};

static const char *const kind_names[KITH_BENCH_OPS] = {"ping", "get", "create", "order"};

const kith_bench_workload *kith_bench_workload_find(const char *name)
{
    for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
        if (strcmp(workloads[i].name, name) == 0) return &workloads[i];
    return NULL;
}

void kith_bench_workload_print(FILE *out)
{
    for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
        fprintf(out, "    %-8s %s\n", workloads[i].name, workloads[i].help);
}

int kith_bench_workload_needs_ids(const kith_bench_workload *w)
{
    return w->mix[KITH_BENCH_GET] > 0 || w->mix[KITH_BENCH_ORDER] > 0;
}

const char *kith_bench_kind_name(int kind)
{
    return kind >= 0 && kind < KITH_BENCH_OPS ? kind_names[kind] : "setup";
}

uint64_t kith_bench_random(kith_bench *b)
{
    b->rng ^= b->rng >> 12;
    b->rng ^= b->rng << 25;
    b->rng ^= b->rng >> 27;
    return b->rng * UINT64_C(0x2545f4914f6cdd1d);
}

int kith_bench_pick_kind(kith_bench *b)
{
    const unsigned char *mix = b->cfg.workload->mix;
    unsigned roll = (unsigned)(kith_bench_random(b) % 100);
    for (int kind = 0; kind < KITH_BENCH_OPS; kind++) {
        if (roll < mix[kind]) return kind;
        roll -= mix[kind];
    }
    return KITH_BENCH_OPS - 1; /* not reached: a mix sums to 100 */
}

static int64_t random_id(kith_bench *b)
{
    return b->ids[kith_bench_random(b) % b->nids];
}

int kith_bench_send(kith_bench *b, kith_bench_conn *c, int kind, uint64_t sent_ns,
                    uint64_t intended_ns)
{
    /* Big enough for every params object below; snprintf cannot overflow it. */
    char params[128];
    const char *method;
    switch (kind) {
    case KITH_BENCH_PING:
        return kith_bench_conn_request(c, kind, sent_ns, intended_ns, "system.ping", NULL);
    case KITH_BENCH_GET:
        method = "customer.get";
        snprintf(params, sizeof(params), "{\"id\":%" PRId64 "}", random_id(b));
        break;
    case KITH_BENCH_CREATE:
    case KITH_BENCH_PRELOAD: {
        uint64_t n = ++b->create_seq;
        method = "customer.create";
        snprintf(params, sizeof(params),
                 "{\"name\":\"bench-%" PRIu64 "\",\"email\":\"bench%" PRIu64 "@example.com\"}", n,
                 n);
        break;
    }
    case KITH_BENCH_ORDER: {
        /* Amounts from 1.00 to 500.00, whole cents, as money is on the wire. */
        unsigned cents = 100 + (unsigned)(kith_bench_random(b) % 49901);
        method = "order.create";
        snprintf(params, sizeof(params), "{\"customer_id\":%" PRId64 ",\"amount\":%u.%02u}",
                 random_id(b), cents / 100, cents % 100);
        break;
    }
    default:
        return KITH_EINTERNAL;
    }
    return kith_bench_conn_request(c, kind, sent_ns, intended_ns, method, params);
}

/* Sends `params` (which it frees) as the params of `method`. */
static int send_tree(kith_bench_conn *c, int kind, const char *method, cJSON *params)
{
    if (!params) return KITH_ENOMEM;
    char *text = cJSON_PrintUnformatted(params);
    cJSON_Delete(params);
    if (!text) return KITH_ENOMEM;
    uint64_t now = uv_hrtime();
    int rc = kith_bench_conn_request(c, kind, now, now, method, text);
    cJSON_free(text);
    return rc;
}

int kith_bench_send_list(kith_bench *b, kith_bench_conn *c, const char *cursor)
{
    cJSON *params = cJSON_CreateObject();
    if (params && (!cJSON_AddNumberToObject(params, "limit", 1000) ||
                   (cursor && !cJSON_AddStringToObject(params, "cursor", cursor)))) {
        cJSON_Delete(params);
        params = NULL;
    }
    return send_tree(c, KITH_BENCH_LIST, "customer.list", params);
}

int kith_bench_send_auth(kith_bench *b, kith_bench_conn *c)
{
    /* The token goes through cJSON so that any character in it is escaped. */
    cJSON *params = cJSON_CreateObject();
    if (params && !cJSON_AddStringToObject(params, "token", b->cfg.token)) {
        cJSON_Delete(params);
        params = NULL;
    }
    return send_tree(c, KITH_BENCH_AUTH, "auth", params);
}
