/*
 * A kith-bench run: the measured phase of bench.h's DESIGN NOTES (which
 * connection sends what and when, in closed loop or in open loop as
 * bench_pace.c's schedule releases requests), the timers, the bookkeeping
 * each reply feeds, and the events of the connections.  The set-up phases
 * before it are bench_setup.c's, sockets bench_conn.c's, request bodies
 * bench_workload.c's and the output bench_report.c's.
 */
#include "bench/bench.h"
#include "util/error.h"
#include "util/log.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How many connection failures are described one by one. */
#define MAX_FAILURES_SHOWN 3

static int open_loop(const kith_bench *b)
{
    return b->cfg.rate > 0;
}

void kith_bench_say(const kith_bench *b, const char *msg)
{
    if (!b->cfg.quiet) fprintf(stderr, "kith-bench: %s\n", msg);
}

void kith_bench_note_error(kith_bench *b, const char *text, size_t len)
{
    if (b->first_error[0]) return;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    if (len >= sizeof(b->first_error)) len = sizeof(b->first_error) - 1;
    memcpy(b->first_error, text, len);
    b->first_error[len] = '\0';
}

static void close_timer(uv_timer_t *t)
{
    uv_timer_stop(t);
    uv_close((uv_handle_t *)t, NULL);
}

void kith_bench_finish(kith_bench *b, int exit_code)
{
    if (exit_code && !b->exit_code) b->exit_code = exit_code;
    if (b->phase == KITH_BENCH_DONE) return;
    b->phase = KITH_BENCH_DONE;
    close_timer(&b->stop_timer);
    kith_bench_pace_close(b);
    close_timer(&b->progress_timer);
    uv_close((uv_handle_t *)&b->sigint, NULL);
    for (int i = 0; b->conns && i < b->cfg.connections; i++)
        kith_bench_conn_close(&b->conns[i]);
}

/* ---- the measured phase ----------------------------------------------- */

static void check_done(kith_bench *b)
{
    if (b->phase == KITH_BENCH_MEASURE && b->stop_issuing && b->inflight == 0)
        kith_bench_finish(b, 0);
}

/* Sends what `c` has room for: in closed loop as many requests as free
 * slots; in open loop only requests already due, each stamped with its
 * intended time.  The caller flushes. */
static void pump_measure(kith_bench *b, kith_bench_conn *c, uint64_t now)
{
    unsigned room = kith_bench_conn_room(c, (unsigned)b->cfg.pipeline);
    uint64_t limit = open_loop(b) ? kith_bench_pace_due(b, now) : b->cfg.requests;
    for (; room > 0 && !b->stop_issuing; room--) {
        if (limit && b->issued >= limit) break;
        uint64_t intended = now;
        if (open_loop(b)) {
            intended = kith_bench_pace_intended(b, b->issued);
            uint64_t lag = now > intended ? now - intended : 0;
            b->lag_sum_ns += lag;
            if (lag > b->lag_max_ns) b->lag_max_ns = lag;
        }
        if (kith_bench_send(b, c, kith_bench_pick_kind(b), now, intended) < 0) {
            kith_bench_conn_fail(c, "out of memory");
            return;
        }
        b->issued++;
    }
    if (b->cfg.requests && b->issued >= b->cfg.requests) b->stop_issuing = 1;
}

void kith_bench_pump(kith_bench *b)
{
    uint64_t now = uv_hrtime();
    /* Start where the last round stopped, so that at low rates the requests
     * still rotate over every connection instead of all going to the first. */
    int n = b->cfg.connections, first = b->pump_next;
    for (int k = 0; k < n && b->phase == KITH_BENCH_MEASURE; k++) {
        kith_bench_conn *c = &b->conns[(first + k) % n];
        uint64_t before = b->issued;
        pump_measure(b, c, now);
        kith_bench_conn_flush(c);
        if (b->issued != before) b->pump_next = (c->index + 1) % n;
    }
    check_done(b);
}

static void on_stop(uv_timer_t *t)
{
    kith_bench *b = t->data;
    b->stop_issuing = 1;
    check_done(b);
}

static void on_progress(uv_timer_t *t)
{
    kith_bench_progress(t->data);
}

void kith_bench_measure_start(kith_bench *b)
{
    b->phase = KITH_BENCH_MEASURE;
    for (int i = 0; i < KITH_BENCH_OPS; i++)
        kith_histogram_init(&b->latency[i]);
    kith_histogram_init(&b->service);
    b->start_ns = b->last_reply_ns = b->progress_last_ns = uv_hrtime();
    if (b->cfg.duration_s > 0 && open_loop(b)) {
        /* The arrivals of an open-loop run are fixed in advance, so a
         * duration is a request count; requests still due at the deadline
         * are sent, as their latency is part of the answer. */
        uint64_t n = (uint64_t)ceil(b->cfg.duration_s * b->cfg.rate);
        if (!b->cfg.requests || n < b->cfg.requests) b->cfg.requests = n;
    } else if (b->cfg.duration_s > 0) {
        uv_timer_start(&b->stop_timer, on_stop, (uint64_t)(b->cfg.duration_s * 1000), 0);
    }
    if (open_loop(b)) kith_bench_pace_start(b);
    if (!b->cfg.quiet && !b->cfg.json && isatty(STDERR_FILENO))
        uv_timer_start(&b->progress_timer, on_progress, 1000, 1000);
    kith_bench_pump(b);
}

static void on_measured_reply(kith_bench *b, kith_bench_conn *c, const kith_bench_slot *slot,
                              const char *line, size_t len, int is_error)
{
    uint64_t now = uv_hrtime();
    /* Microseconds, rounded to nearest. */
    kith_histogram_record(&b->latency[slot->kind], (now - slot->intended_ns + 500) / 1000);
    if (open_loop(b)) kith_histogram_record(&b->service, (now - slot->sent_ns + 500) / 1000);
    b->completed++;
    b->op_completed[slot->kind]++;
    b->last_reply_ns = now;
    if (is_error) {
        b->errors++;
        b->op_errors[slot->kind]++;
        kith_bench_note_error(b, line, len);
    }
    pump_measure(b, c, now);
    check_done(b);
}

/* ---- events from the connections --------------------------------------- */

void kith_bench_on_ready(kith_bench *b, kith_bench_conn *c)
{
    b->ready_conns++;
    if (b->phase == KITH_BENCH_CONNECT && b->ready_conns == b->cfg.connections)
        kith_bench_next_phase(b);
}

void kith_bench_on_reply(kith_bench *b, kith_bench_conn *c, const kith_bench_slot *slot,
                         const char *line, size_t len, int is_error)
{
    switch (slot->kind) {
    case KITH_BENCH_AUTH:
        if (is_error) {
            kith_bench_note_error(b, line, len);
            kith_bench_conn_fail(c, "auth failed");
            return;
        }
        c->ready = 1;
        kith_bench_on_ready(b, c);
        return;
    case KITH_BENCH_PING:
    case KITH_BENCH_GET:
    case KITH_BENCH_CREATE:
    case KITH_BENCH_ORDER:
    case KITH_BENCH_CALL:
        if (b->phase == KITH_BENCH_MEASURE) on_measured_reply(b, c, slot, line, len, is_error);
        return;
    default: kith_bench_setup_reply(b, c, slot, line, len, is_error); return;
    }
}

void kith_bench_on_failed(kith_bench *b, kith_bench_conn *c, const char *why, unsigned lost)
{
    if (b->phase == KITH_BENCH_DONE) return;
    b->failed_conns++;
    if (b->failed_conns <= MAX_FAILURES_SHOWN)
        fprintf(stderr, "kith-bench: connection %d: %s\n", c->index, why);
    else if (b->failed_conns == MAX_FAILURES_SHOWN + 1)
        fprintf(stderr, "kith-bench: (further connection failures not shown)\n");
    if (b->phase != KITH_BENCH_MEASURE) {
        /* Set-up cannot finish with a connection missing (note 4). */
        if (b->first_error[0]) fprintf(stderr, "kith-bench: first error: %s\n", b->first_error);
        kith_bench_finish(b, 1);
        return;
    }
    b->lost += lost;
    b->exit_code = 1;
    if (b->failed_conns == b->cfg.connections) {
        kith_bench_finish(b, 1);
        return;
    }
    check_done(b);
}

static void on_sigint(uv_signal_t *s, int signum)
{
    kith_bench *b = s->data;
    if (b->phase == KITH_BENCH_MEASURE && !b->stop_issuing) {
        /* First Ctrl-C: stop sending, wait for the replies in flight and
         * report what was measured; a second one gives up at once. */
        b->stop_issuing = 1;
        b->interrupted = 1;
        kith_bench_say(b, "interrupted; waiting for the replies in flight (Ctrl-C again to abort)");
        check_done(b);
        return;
    }
    if (b->phase == KITH_BENCH_CLEANUP && !b->interrupted) {
        b->interrupted = 1;
        if (kith_bench_cleanup_stop(b)) return;
    }
    b->interrupted = 1;
    kith_bench_finish(b, KITH_BENCH_EXIT_INTERRUPTED);
}

/* ---- the run ------------------------------------------------------------ */

int kith_bench_run(kith_bench *b)
{
    int rc = uv_loop_init(&b->loop);
    if (rc < 0) {
        fprintf(stderr, "kith-bench: event loop: %s\n", uv_strerror(rc));
        return 1;
    }
    uv_timer_init(&b->loop, &b->stop_timer);
    kith_bench_pace_init(b);
    uv_timer_init(&b->loop, &b->progress_timer);
    b->stop_timer.data = b->progress_timer.data = b;
    uv_signal_init(&b->loop, &b->sigint);
    b->sigint.data = b;
    uv_signal_start(&b->sigint, on_sigint, SIGINT);

    b->rng = uv_hrtime() ^ ((uint64_t)getpid() << 32) ^ UINT64_C(0x9e3779b97f4a7c15);
    /* Names and emails stay distinct across runs on the same data folder
     * (in case a rule or index makes emails unique): <n> starts at the
     * run's start time in seconds times a million. */
    b->create_seq = (uint64_t)time(NULL) * 1000000u;
    b->run_tag = (uint32_t)(kith_bench_random(b) >> 32);

    b->conns = calloc((size_t)b->cfg.connections, sizeof(*b->conns));
    if (!b->conns) {
        fprintf(stderr, "kith-bench: out of memory\n");
        kith_bench_finish(b, 1);
    }
    for (int i = 0; b->conns && i < b->cfg.connections && b->phase != KITH_BENCH_DONE; i++) {
        rc = kith_bench_conn_open(b, i);
        if (rc < 0) {
            char why[128];
            snprintf(why, sizeof(why), "connect: %s", uv_strerror(rc));
            kith_bench_conn_fail(&b->conns[i], why);
        }
    }
    uv_run(&b->loop, UV_RUN_DEFAULT);
    rc = uv_loop_close(&b->loop);
    kith_assert(rc == 0); /* every handle was closed by kith_bench_finish */

    if (b->start_ns) {
        kith_bench_report(b);
        if (b->cfg.fail_on_error && b->errors > 0 && !b->exit_code) b->exit_code = 1;
        if (b->lost > 0 && !b->exit_code) b->exit_code = 1;
    }
    free(b->conns);
    free(b->ids);
    b->conns = NULL;
    b->ids = NULL;
    return b->exit_code;
}
