/*
 * What kith-bench sends: the workload table, the request each kind of
 * operation makes, and the set-up requests (auth, the preload's creates and
 * the customer.list pages that find existing ids), each in JSON-RPC for
 * kithd and in RESP for Redis (--redis).  The Redis commands do the same
 * work as Kith's methods through the function library that
 * tests/bench/redis/kith_race.lua defines (its header lists the keys).
 * Every customer created in kithd carries the benchmark's marks (bench.h),
 * and orders go only to ids the check found to be its own (bench_guard.c).
 * A new workload is a row in `workloads`; a new operation is a kind in
 * bench.h, a case in kith_bench_send() and in send_resp(), a name in
 * `kind_names` and a flag in `kind_writes` (a writing operation takes its
 * customer from b->ids, which then holds only the benchmark's own).  Pacing and bookkeeping are
 * bench_run.c's.
 */
#include "bench/bench.h"
#include "util/error.h"
#include "util/log.h"

#include <cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const kith_bench_workload workloads[] = {
    /* name, help, --redis help, mix: ping get create order call */
    {"ping", "system.ping", "PING", {100, 0, 0, 0}},
    {"get",
     "customer.get {id} of a random existing customer",
     "HGETALL customer:<id>",
     {0, 100, 0, 0}},
    {"create",
     "customer.create {name, email}",
     "FCALL customer_create 0 <name> <email>",
     {0, 0, 100, 0}},
    {"order",
     "order.create {customer_id, amount} for a random customer",
     "FCALL order_create 1 customer:<id> <amount>",
     {0, 0, 0, 100}},
    {"mixed", "80% get, 20% order", "80% get, 20% order", {0, 80, 0, 20}},
    {"call",
     "--method M --params JSON; each $CUSTOMER in the params becomes a random\n"
     "               customer of kith-bench's own",
     "(not with --redis)",
     {0, 0, 0, 0, 100}},
};

static const char *const kind_names[KITH_BENCH_OPS] = {"ping", "get", "create", "order", "call"};
/* Which kinds write: a workload with any of them is checked (bench_guard.c).
 * A call may write to the customers it names, so it counts as a write. */
static const unsigned char kind_writes[KITH_BENCH_OPS] = {0, 0, 1, 1, 1};

const kith_bench_workload *kith_bench_workload_find(const char *name)
{
    for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
        if (strcmp(workloads[i].name, name) == 0) return &workloads[i];
    return NULL;
}

void kith_bench_workload_print(FILE *out)
{
    for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
        fprintf(out, "    %-8s %s\n    %-8s   --redis: %s\n", workloads[i].name, workloads[i].help,
                "", workloads[i].redis_help);
}

int kith_bench_workload_needs_ids(const kith_bench_config *cfg)
{
    const kith_bench_workload *w = cfg->workload;
    return w->mix[KITH_BENCH_GET] > 0 || w->mix[KITH_BENCH_ORDER] > 0 ||
           (w->mix[KITH_BENCH_CALL] > 0 && cfg->params && strstr(cfg->params, "$CUSTOMER"));
}

int kith_bench_workload_writes(const kith_bench_workload *w)
{
    for (int kind = 0; kind < KITH_BENCH_OPS; kind++)
        if (kind_writes[kind] && w->mix[kind] > 0) return 1;
    return 0;
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

/* Writes "bench-<n>" and "bench<n>@example.com", the name and email of the
 * next customer created, unique per run. */
static void next_customer(kith_bench *b, char name[32], char email[48])
{
    uint64_t n = ++b->create_seq;
    snprintf(name, 32, "bench-%" PRIu64, n);
    snprintf(email, 48, "bench%" PRIu64 "@example.com", n);
}

/* Writes a random order amount from 1.00 to 500.00, whole cents, as money
 * is on the wire. */
static void random_amount(kith_bench *b, char out[16])
{
    unsigned cents = 100 + (unsigned)(kith_bench_random(b) % 49901);
    snprintf(out, 16, "%u.%02u", cents / 100, cents % 100);
}

/* The RESP commands of kith_bench_send(). */
static int send_resp(kith_bench *b, kith_bench_conn *c, int kind, uint64_t sent_ns,
                     uint64_t intended_ns)
{
    char key[32], name[32], email[48], amount[16], now_ms[24];
    switch (kind) {
    case KITH_BENCH_PING: {
        const char *argv[] = {"PING"};
        return kith_bench_conn_command(c, kind, sent_ns, intended_ns, 1, argv);
    }
    case KITH_BENCH_GET: {
        snprintf(key, sizeof(key), "customer:%" PRId64, random_id(b));
        const char *argv[] = {"HGETALL", key};
        return kith_bench_conn_command(c, kind, sent_ns, intended_ns, 2, argv);
    }
    case KITH_BENCH_CREATE: {
        next_customer(b, name, email);
        const char *argv[] = {"FCALL", "customer_create", "0", name, email};
        return kith_bench_conn_command(c, kind, sent_ns, intended_ns, 5, argv);
    }
    case KITH_BENCH_ORDER: {
        snprintf(key, sizeof(key), "customer:%" PRId64, random_id(b));
        random_amount(b, amount);
        const char *argv[] = {"FCALL", "order_create", "1", key, amount};
        return kith_bench_conn_command(c, kind, sent_ns, intended_ns, 5, argv);
    }
    case KITH_BENCH_PRELOAD: {
        /* The fields customer_create writes, under an id INCRBY reserved;
         * the library treats absent ones as zero or empty. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(now_ms, sizeof(now_ms), "%" PRId64,
                 (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
        snprintf(key, sizeof(key), "customer:%" PRId64,
                 b->preload_first + (int64_t)b->preload_sent);
        next_customer(b, name, email);
        const char *fields[][2] = {
            {"name", name},           {"email", email},    {"stage", "prospect"},
            {"tier", "bronze"},       {"orders", "0"},     {"points", "0"},
            {"lifetime_points", "0"}, {"churn_risk", "0"}, {"created_at", now_ms},
            {"updated_at", now_ms},
        };
        const char *argv[2 + 2 * sizeof(fields) / sizeof(fields[0])] = {"HSET", key};
        int argc = 2;
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
            argv[argc++] = fields[i][0];
            argv[argc++] = fields[i][1];
        }
        return kith_bench_conn_command(c, kind, sent_ns, intended_ns, argc, argv);
    }
    default: return KITH_EINTERNAL;
    }
}

/* The params of a call: cfg.params with each $CUSTOMER replaced by a random
 * customer id of the benchmark's own.  Returns 0, or KITH_EPARAMS when they
 * do not fit `size` (the flags' check keeps them well below). */
static int call_params(kith_bench *b, char *out, size_t size)
{
    static const char mark[] = "$CUSTOMER";
    const char *p = b->cfg.params ? b->cfg.params : "{}", *hit;
    size_t used = 0;
    while ((hit = strstr(p, mark))) {
        int n = snprintf(out + used, size - used, "%.*s%" PRId64, (int)(hit - p), p, random_id(b));
        if (n < 0 || (size_t)n >= size - used) return KITH_EPARAMS;
        used += (size_t)n;
        p = hit + sizeof(mark) - 1;
    }
    int n = snprintf(out + used, size - used, "%s", p);
    return n < 0 || (size_t)n >= size - used ? KITH_EPARAMS : 0;
}

int kith_bench_send(kith_bench *b, kith_bench_conn *c, int kind, uint64_t sent_ns,
                    uint64_t intended_ns)
{
    if (b->cfg.redis) return send_resp(b, c, kind, sent_ns, intended_ns);
    if (kind == KITH_BENCH_CALL) {
        char text[KITH_BENCH_PARAMS_MAX * 2];
        int rc = call_params(b, text, sizeof(text));
        if (rc) return rc;
        return kith_bench_conn_request(c, kind, sent_ns, intended_ns, b->cfg.method, text);
    }
    /* Big enough for every params object below; snprintf cannot overflow it. */
    char params[256];
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
        char name[32], email[48];
        next_customer(b, name, email);
        method = "customer.create";
        /* The marks of bench.h: only customers carrying both are ever
         * written to or removed by kith-bench. */
        snprintf(params, sizeof(params),
                 "{\"name\":\"%s\",\"email\":\"%s\",\"external_id\":\"" KITH_BENCH_ID_PREFIX
                 "%08" PRIx32 ".%" PRIu64 "\",\"tags\":[\"" KITH_BENCH_TAG "\"]}",
                 name, email, b->run_tag, b->create_seq);
        break;
    }
    case KITH_BENCH_ORDER: {
        char amount[16];
        random_amount(b, amount);
        method = "order.create";
        snprintf(params, sizeof(params), "{\"customer_id\":%" PRId64 ",\"amount\":%s}",
                 random_id(b), amount);
        break;
    }
    default: return KITH_EINTERNAL;
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

int kith_bench_send_list(kith_bench *b, kith_bench_conn *c, int kind, const char *cursor)
{
    if (b->cfg.redis) {
        kith_assert(kind == KITH_BENCH_LIST);
        const char *argv[] = {"SCAN", cursor ? cursor : "0", "MATCH", "customer:*", "COUNT",
                              "1000"};
        uint64_t now = uv_hrtime();
        return kith_bench_conn_command(c, KITH_BENCH_LIST, now, now, 6, argv);
    }
    cJSON *params = cJSON_CreateObject();
    cJSON *filter = kind == KITH_BENCH_OWN_LIST ? cJSON_AddObjectToObject(params, "filter") : NULL;
    if (params &&
        (!cJSON_AddNumberToObject(params, "limit", 1000) ||
         (kind == KITH_BENCH_OWN_LIST && !cJSON_AddStringToObject(filter, "tag", KITH_BENCH_TAG)) ||
         (cursor && !cJSON_AddStringToObject(params, "cursor", cursor)))) {
        cJSON_Delete(params);
        params = NULL;
    }
    return send_tree(c, kind, "customer.list", params);
}

int kith_bench_send_setup(kith_bench *b, kith_bench_conn *c, int kind, int64_t id)
{
    (void)b;
    char params[96];
    const char *method;
    switch (kind) {
    case KITH_BENCH_INFO:
        method = "system.info";
        params[0] = '\0';
        break;
    case KITH_BENCH_CLEAN_GET:
        method = "customer.get";
        snprintf(params, sizeof(params), "{\"id\":%" PRId64 "}", id);
        break;
    case KITH_BENCH_CLEAN_TASKS:
        /* Every status: a task done or cancelled goes with the customer too. */
        method = "task.list";
        snprintf(params, sizeof(params), "{\"customer_id\":%" PRId64 ",\"limit\":1000}", id);
        break;
    case KITH_BENCH_CLEAN_DELETE:
        method = "customer.delete";
        snprintf(params, sizeof(params), "{\"id\":%" PRId64 "}", id);
        break;
    default: return KITH_EINTERNAL;
    }
    uint64_t now = uv_hrtime();
    return kith_bench_conn_request(c, kind, now, now, method, params[0] ? params : NULL);
}

int kith_bench_send_auth(kith_bench *b, kith_bench_conn *c)
{
    if (b->cfg.redis) {
        const char *argv[] = {"AUTH", b->cfg.token};
        uint64_t now = uv_hrtime();
        return kith_bench_conn_command(c, KITH_BENCH_AUTH, now, now, 2, argv);
    }
    /* The token goes through cJSON so that any character in it is escaped. */
    cJSON *params = cJSON_CreateObject();
    if (params && !cJSON_AddStringToObject(params, "token", b->cfg.token)) {
        cJSON_Delete(params);
        params = NULL;
    }
    return send_tree(c, KITH_BENCH_AUTH, "auth", params);
}

int kith_bench_send_reserve(kith_bench *b, kith_bench_conn *c)
{
    char count[24];
    snprintf(count, sizeof(count), "%" PRIu64, b->cfg.preload);
    const char *argv[] = {"INCRBY", "next:customer", count};
    uint64_t now = uv_hrtime();
    return kith_bench_conn_command(c, KITH_BENCH_RESERVE, now, now, 3, argv);
}
