/*
 * What kith-bench may write to, and the check of the server before it does.
 *
 * A benchmark run against a server that holds a company's customers must
 * not change them.  So every customer kith-bench creates carries the marks
 * of bench.h (the tag and an external_id under the prefix), the writing
 * workloads use only customers that carry both (found here, not by
 * customer.list over everyone), and before a run writes anything the CHECK
 * phase compares system.info's customer count with the number of the
 * benchmark's own: if the server holds any other customer the run stops
 * with KITH_BENCH_EXIT_REFUSED unless --force.  --force lets the run write,
 * still only to the benchmark's own customers.
 *
 * Read-only runs (ping, get without --preload) skip the check: reading
 * changes nothing, and reading real customers is what a user measuring a
 * live server wants.  RESP (--redis) has no check: it drives the race's own
 * Redis, which holds nothing but what the race loads.
 */
#include "bench/bench.h"
#include "util/error.h"

#include <inttypes.h>
#include <string.h>

/* Like bench_setup.c's discovery: plenty to pick from. */
#define MAX_OWN_IDS 1000000u

int kith_bench_run_writes(const kith_bench *b)
{
    if (b->cfg.redis) return 0;
    return b->cfg.preload > 0 || kith_bench_workload_writes(b->cfg.workload);
}

int kith_bench_is_own(const cJSON *customer)
{
    const cJSON *ext = cJSON_GetObjectItemCaseSensitive(customer, "external_id");
    if (!cJSON_IsString(ext) ||
        strncmp(ext->valuestring, KITH_BENCH_ID_PREFIX, strlen(KITH_BENCH_ID_PREFIX)) != 0)
        return 0;
    const cJSON *tag;
    cJSON_ArrayForEach(tag, cJSON_GetObjectItemCaseSensitive(customer, "tags"))
    {
        if (cJSON_IsString(tag) && strcmp(tag->valuestring, KITH_BENCH_TAG) == 0) return 1;
    }
    return 0;
}

void kith_bench_guard_start(kith_bench *b)
{
    b->phase = KITH_BENCH_CHECK;
    b->server_customers = b->own_customers = 0;
    b->nids = 0;
    if (kith_bench_send_setup(b, &b->conns[0], KITH_BENCH_INFO, 0) < 0)
        kith_bench_conn_fail(&b->conns[0], "out of memory");
    kith_bench_conn_flush(&b->conns[0]);
}

/* Ends the check: refuses, or tells what --force allowed and moves on. */
static void decide(kith_bench *b)
{
    uint64_t others =
        b->server_customers > b->own_customers ? b->server_customers - b->own_customers : 0;
    char msg[320];
    if (others > 0 && !b->cfg.force) {
        /* Said even with --quiet: the run did not happen, and why matters. */
        fprintf(
            stderr,
            "kith-bench: refusing to write: the server holds %" PRIu64
            " customer%s that kith-bench did not create (%" PRIu64 " in all)\n"
            "kith-bench: this run writes (--preload, or the create, order or mixed workload);\n"
            "kith-bench: point it at a server of its own, or pass --force to write anyway, only\n"
            "kith-bench: to customers it creates (tagged " KITH_BENCH_TAG
            "; --cleanup removes them)\n",
            others, others == 1 ? "" : "s", b->server_customers);
        kith_bench_finish(b, KITH_BENCH_EXIT_REFUSED);
        return;
    }
    if (others > 0) {
        snprintf(msg, sizeof(msg),
                 "--force: the server holds %" PRIu64
                 " other customer%s; writing only to kith-bench's own (%" PRIu64 " now)",
                 others, others == 1 ? "" : "s", b->own_customers);
        kith_bench_say(b, msg);
    } else if (b->own_customers > 0 && !b->cfg.preload) {
        snprintf(msg, sizeof(msg), "using %" PRIu64 " customers of kith-bench's own",
                 b->own_customers);
        kith_bench_say(b, msg);
    }
    kith_bench_next_phase(b);
}

static void on_info(kith_bench *b, kith_bench_conn *c, const char *line, int is_error)
{
    cJSON *reply = is_error ? NULL : cJSON_Parse(line);
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(reply, "result"), "customers");
    int ok = cJSON_IsNumber(n) && n->valuedouble >= 0;
    if (ok) b->server_customers = (uint64_t)n->valuedouble;
    cJSON_Delete(reply);
    if (!ok) {
        kith_bench_note_error(b, line, strlen(line));
        kith_bench_setup_failed(b, "system.info failed; cannot tell whether the server holds "
                                   "other data");
        return;
    }
    if (b->server_customers == 0) {
        decide(b);
        return;
    }
    if (kith_bench_send_list(b, c, KITH_BENCH_OWN_LIST, NULL) < 0)
        kith_bench_conn_fail(c, "out of memory");
    kith_bench_conn_flush(c);
}

/* Counts one page of tagged customers (keeping the ids of the own ones when
 * the workload needs them).  Returns 1 when it asked for the next page, 0 at
 * the end, -1 on failure. */
static int own_page(kith_bench *b, kith_bench_conn *c, const char *line, int is_error)
{
    int keep = kith_bench_workload_needs_ids(&b->cfg) && b->cfg.preload == 0;
    cJSON *reply = is_error ? NULL : cJSON_Parse(line);
    cJSON *result = cJSON_GetObjectItemCaseSensitive(reply, "result");
    cJSON *items = cJSON_GetObjectItemCaseSensitive(result, "items");
    int rc = cJSON_IsArray(items) ? 0 : -1;
    const cJSON *item;
    cJSON_ArrayForEach(item, items)
    {
        if (!kith_bench_is_own(item)) continue;
        b->own_customers++;
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
        if (keep && cJSON_IsNumber(id) && b->nids < MAX_OWN_IDS &&
            kith_bench_add_id(b, (int64_t)id->valuedouble) < 0)
            rc = -1;
    }
    /* Every page is read, past MAX_OWN_IDS too: the count decides. */
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(result, "next_cursor");
    if (rc == 0 && cJSON_IsString(next))
        rc = kith_bench_send_list(b, c, KITH_BENCH_OWN_LIST, next->valuestring) < 0 ? -1 : 1;
    cJSON_Delete(reply);
    return rc;
}

void kith_bench_guard_reply(kith_bench *b, kith_bench_conn *c, const kith_bench_slot *slot,
                            const char *line, int is_error)
{
    if (slot->kind == KITH_BENCH_INFO) {
        on_info(b, c, line, is_error);
        return;
    }
    int rc = own_page(b, c, line, is_error);
    if (rc < 0) {
        kith_bench_note_error(b, line, strlen(line));
        kith_bench_setup_failed(b, "customer.list failed; cannot count kith-bench's customers");
        return;
    }
    if (rc > 0) {
        kith_bench_conn_flush(c);
        return;
    }
    decide(b);
}
