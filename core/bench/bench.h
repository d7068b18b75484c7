/*
 * kith-bench: a load generator for kithd, in the spirit of redis-benchmark
 * but with latency measured correctly.  One libuv loop drives many
 * connections, each keeping up to `pipeline` requests in flight; replies come
 * back in request order, so a connection's in-flight requests form a FIFO and
 * each reply is matched to the front entry.  Latencies go into log-linear
 * histograms (util/histogram.h) in microseconds.
 *
 * Two protocols: JSON-RPC lines to kithd (the default), or RESP2 to a Redis
 * server (--redis), so that both servers of tests/bench/race.sh are driven
 * by the same client and measured the same way.  In RESP replies carry no
 * id: a reply answers the front slot of the FIFO by its position alone.
 *
 * Two ways to drive load:
 *   - closed loop (default): a connection sends its next request as soon as a
 *     reply frees a pipeline slot; latency is reply time minus send time.
 *   - open loop (--rate R): request k is due at start + k/R whatever the
 *     server does; latency is reply time minus that intended time, so time a
 *     request spent waiting for a free slot counts against the server (no
 *     coordinated omission).  Service time (from the actual send) is kept too.
 *
 * The files: bench_main.c (flags), bench_conn.c (one connection's socket,
 * framing and FIFO), bench_run.c (the measured phase, events, the run),
 * bench_setup.c (the set-up phases: preload and discovery), bench_guard.c
 * (what the benchmark may write to, and the check of the server before it
 * writes), bench_cleanup.c (--cleanup), bench_pace.c (the open-loop schedule
 * and its clock), bench_workload.c (what each workload sends, in either
 * protocol), bench_resp.c (the RESP2 wire format), bench_report.c (text and
 * JSON results).
 *
 * DESIGN NOTES
 *   1. A run goes through phases, each started by kith_bench_next_phase():
 *      CONNECT (every connection connects and, with a token, authenticates)
 *      -> CHECK (kithd, when the run writes: system.info and the pages of
 *      the benchmark's own customers on connection 0; refuses a server with
 *      other customers unless --force, and keeps the own ids a writing
 *      workload uses) -> PRELOAD (--preload N: N customer.create over all
 *      connections; in RESP one INCRBY next:customer N on connection 0
 *      reserves the ids, then N HSET customer:<id>) -> DISCOVER (read-only
 *      workloads that need ids and had no preload: page through
 *      customer.list, or SCAN customer:*, on connection 0) -> MEASURE ->
 *      DONE.  CHECK, PRELOAD and DISCOVER are skipped when not needed.
 *      --cleanup instead goes CONNECT -> CLEANUP -> DONE (bench_cleanup.c).
 *   2. A phase ends only when every request it sent has been answered: the
 *      sum of the connections' `inflight` is zero.  Nothing of an earlier
 *      phase is in flight when MEASURE starts, so no reply is misattributed.
 *   3. Every request in flight has a slot in its connection's FIFO, holding
 *      the id sent, its kind and its send and intended times.  A JSON-RPC
 *      reply whose id is not the front slot's is a protocol failure of that
 *      connection; a RESP reply always answers the front slot.
 *   4. A connection that fails before MEASURE aborts the run (the workload
 *      would be incomplete); one that fails during MEASURE is closed, its
 *      in-flight requests are counted as lost, and the others carry on.  Any
 *      failed connection makes the exit status non-zero.
 *   5. kith_bench_finish() is the one way out: it stops the timers, closes
 *      every handle and lets uv_run() return; memory owned by a connection is
 *      released in its close callback.
 */
#ifndef KITH_BENCH_BENCH_H
#define KITH_BENCH_BENCH_H

#include "util/buf.h"
#include "util/histogram.h"

#include <cJSON.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <uv.h>

/* What marks a customer as the benchmark's own: every customer kith-bench
 * creates in kithd carries the tag and an external_id that starts with the
 * prefix (external ids are unique, so no two runs collide).  Only a customer
 * with both is the benchmark's: writes go to no other, and --cleanup
 * deletes no other (bench_guard.c). */
#define KITH_BENCH_TAG       "kith-bench"
#define KITH_BENCH_ID_PREFIX "kith-bench:"

/* Exit status when the check refuses the server (bench_guard.c). */
#define KITH_BENCH_EXIT_REFUSED 3
/* Exit status for a run stopped by SIGINT before it could report, as shells
 * report it. */
#define KITH_BENCH_EXIT_INTERRUPTED 130

/* The longest --params of -t call (bytes). */
#define KITH_BENCH_PARAMS_MAX 2048

/* Request kinds.  The first KITH_BENCH_OPS are measured workload operations
 * (each with its own histogram); the rest are set-up requests. */
enum kith_bench_kind {
    KITH_BENCH_PING,
    KITH_BENCH_GET,
    KITH_BENCH_CREATE,
    KITH_BENCH_ORDER,
    KITH_BENCH_CALL, /* -t call: --method with --params */
    KITH_BENCH_OPS,
    KITH_BENCH_AUTH = KITH_BENCH_OPS,
    KITH_BENCH_PRELOAD,
    KITH_BENCH_LIST,
    KITH_BENCH_RESERVE,      /* RESP: INCRBY next:customer N before the preload */
    KITH_BENCH_INFO,         /* system.info: how many customers the server holds */
    KITH_BENCH_OWN_LIST,     /* customer.list of the benchmark's own (by its tag) */
    KITH_BENCH_CLEAN_GET,    /* --cleanup: customer.get, for what goes with it */
    KITH_BENCH_CLEAN_TASKS,  /* --cleanup: task.list of the customer */
    KITH_BENCH_CLEAN_DELETE, /* --cleanup: customer.delete */
};

enum kith_bench_phase {
    KITH_BENCH_CONNECT,
    KITH_BENCH_CHECK,
    KITH_BENCH_PRELOADING,
    KITH_BENCH_DISCOVER,
    KITH_BENCH_MEASURE,
    KITH_BENCH_CLEANUP,
    KITH_BENCH_DONE,
};

/* What --cleanup removed (or is about to remove with one customer). */
typedef struct kith_bench_removed {
    uint64_t customers, orders, interactions, tasks;
    int64_t points;
    int tasks_more; /* a customer had more tasks than one page counts */
} kith_bench_removed;

/* A workload is a mix of operations in percent; adding one is one table row
 * in bench_workload.c. */
typedef struct kith_bench_workload {
    const char *name;
    const char *help;
    const char *redis_help;            /* what it sends with --redis */
    unsigned char mix[KITH_BENCH_OPS]; /* percent of each kind, summing to 100 */
} kith_bench_workload;

typedef struct kith_bench_config {
    const char *host;
    int port;
    const char *unix_path; /* NULL for TCP */
    int connections;
    int pipeline;
    uint64_t requests; /* 0: no limit (duration mode) */
    double duration_s; /* 0: no limit (request-count mode) */
    double rate;       /* requests/s in open-loop mode; 0 for closed loop */
    uint64_t preload;
    const kith_bench_workload *workload;
    const char *token; /* borrowed from argv or the environment */
    int json;
    int quiet;
    int fail_on_error;
    int redis;          /* speak RESP2 to a Redis server instead of JSON-RPC */
    int force;          /* write even to a server that holds other customers */
    int cleanup;        /* remove the benchmark's own customers instead of a run */
    const char *method; /* -t call: the method (borrowed from argv) */
    const char *params; /* -t call: its params, $CUSTOMER for a customer id (borrowed) */
} kith_bench_config;

/* One request in flight. */
typedef struct kith_bench_slot {
    uint64_t id;
    uint64_t sent_ns;
    uint64_t intended_ns; /* equals sent_ns in closed-loop mode */
    int kind;
} kith_bench_slot;

typedef struct kith_bench kith_bench;

typedef struct kith_bench_conn {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } h;
    uv_connect_t connect_req;
    uv_write_t write_req;
    kith_bench *bench;
    int index;
    int handle_open; /* h was initialised and not yet closed */
    int ready;       /* connected (and authenticated) */
    int failed;
    int writing;  /* write_req is in flight with `out_writing` */
    kith_buf in;  /* received bytes not yet split into replies */
    kith_buf out; /* requests queued while a write is in flight */
    kith_buf out_writing;
    kith_bench_slot *fifo; /* ring of `fifo_cap` slots */
    unsigned fifo_cap, fifo_head, inflight;
    uint64_t next_id;
    kith_bench_removed pending; /* --cleanup: the customer whose delete is next */
} kith_bench_conn;

struct kith_bench {
    kith_bench_config cfg;
    uv_loop_t loop;
    struct sockaddr_storage addr;
    kith_bench_conn *conns;
    uv_timer_t stop_timer;     /* -d deadline */
    uv_timer_t pace_timer;     /* --rate ticks where there is no timerfd */
    uv_poll_t pace_poll;       /* --rate clock: watches pace_fd */
    int pace_fd;               /* a timerfd, or -1 */
    uv_timer_t progress_timer; /* the live progress line */
    uv_signal_t sigint;
    int phase;
    int ready_conns, failed_conns;
    unsigned inflight; /* over all connections */
    uint64_t rng;
    int exit_code;
    int interrupted;

    int64_t *ids; /* existing customer ids for get and order */
    size_t nids, ids_cap;
    uint64_t create_seq; /* the <n> in bench-<n>, unique per run */
    uint32_t run_tag;    /* random; in external ids, so concurrent runs differ */

    uint64_t server_customers; /* CHECK: system.info's count */
    uint64_t own_customers;    /* CHECK: how many of them are the benchmark's */
    size_t clean_next;         /* CLEANUP: the index in ids of the next to remove */
    uint64_t clean_failed, clean_gone;
    int clean_removing; /* CLEANUP: the listing is over, the deletes started */
    size_t clean_left;  /* CLEANUP: customers not asked about after a Ctrl-C */
    kith_bench_removed removed;

    uint64_t preload_sent, preload_errors;
    int64_t preload_first; /* RESP: the first id INCRBY reserved */

    int stop_issuing;
    uint64_t start_ns, last_reply_ns;
    uint64_t issued, completed, errors, lost;
    uint64_t op_completed[KITH_BENCH_OPS], op_errors[KITH_BENCH_OPS];
    kith_histogram latency[KITH_BENCH_OPS]; /* closed loop: service time; open: from intended */
    kith_histogram service;                 /* open loop only: from the actual send */
    uint64_t lag_max_ns, lag_sum_ns;        /* open loop: actual minus intended send */
    int pump_next;                          /* the connection kith_bench_pump() starts with */
    int progress_shown;
    uint64_t progress_last_completed, progress_last_ns;
    char first_error[240];
};

/* bench_run.c */

/* Runs the whole benchmark on b->cfg (which the caller filled and validated)
 * and b->addr.  Returns the process exit status: 0, or 1 when a connection
 * failed, the set-up failed, or errors occurred under --fail-on-error.
 * Prints the results unless the run aborted. */
int kith_bench_run(kith_bench *b);
/* Sends what every connection has room for in the measured phase, flushes,
 * and finishes the run if nothing more is to come. */
void kith_bench_pump(kith_bench *b);
/* Starts the measured phase: resets the histograms, arms the timers and
 * sends the first requests. */
void kith_bench_measure_start(kith_bench *b);
/* Called by a connection once it is connected and authenticated. */
void kith_bench_on_ready(kith_bench *b, kith_bench_conn *c);
/* Called for every reply: `line` (borrowed; `len` bytes, NUL-terminated in
 * JSON-RPC, not in RESP) answers `slot`; `is_error` says it has an "error"
 * member or is a RESP error. */
void kith_bench_on_reply(kith_bench *b, kith_bench_conn *c, const kith_bench_slot *slot,
                         const char *line, size_t len, int is_error);
/* Called once when a connection fails, after it started closing; `lost`
 * requests were in flight on it. */
void kith_bench_on_failed(kith_bench *b, kith_bench_conn *c, const char *why, unsigned lost);
/* Keeps the first error text for the report (truncated, without a trailing
 * line end). */
void kith_bench_note_error(kith_bench *b, const char *text, size_t len);
/* Prints "kith-bench: msg" on stderr unless --quiet. */
void kith_bench_say(const kith_bench *b, const char *msg);
/* Stops everything and lets uv_run() return; sets the exit status if nonzero. */
void kith_bench_finish(kith_bench *b, int exit_code);

/* bench_setup.c */

/* Moves to the next phase of DESIGN NOTES 1 and starts its requests. */
void kith_bench_next_phase(kith_bench *b);
/* Handles the reply to a set-up request (any kind past KITH_BENCH_AUTH), as
 * kith_bench_on_reply() receives it, handing the check's and the cleanup's
 * to their modules. */
void kith_bench_setup_reply(kith_bench *b, kith_bench_conn *c, const kith_bench_slot *slot,
                            const char *line, size_t len, int is_error);
/* Stops a set-up phase that went wrong: prints `what` (and the first error
 * reply, if any) on stderr and ends the run with status 1. */
void kith_bench_setup_failed(kith_bench *b, const char *what);
/* Appends a customer id to b->ids.  Returns 0 or KITH_ENOMEM. */
int kith_bench_add_id(kith_bench *b, int64_t id);

/* bench_guard.c */

/* Whether the run writes to kithd: a --preload, or a workload that creates
 * customers or orders (not in RESP, which has no check). */
int kith_bench_run_writes(const kith_bench *b);
/* Whether `customer` (a customer.list item, borrowed) is the benchmark's
 * own: tagged KITH_BENCH_TAG with an external_id under KITH_BENCH_ID_PREFIX. */
int kith_bench_is_own(const cJSON *customer);
/* Starts the CHECK phase: asks system.info on connection 0, then pages
 * through the benchmark's own customers; at the end either refuses the
 * server (exit KITH_BENCH_EXIT_REFUSED) or moves to the next phase. */
void kith_bench_guard_start(kith_bench *b);
/* Handles a reply of the CHECK phase (KITH_BENCH_INFO or _OWN_LIST). */
void kith_bench_guard_reply(kith_bench *b, kith_bench_conn *c, const kith_bench_slot *slot,
                            const char *line, int is_error);

/* bench_cleanup.c */

/* Starts --cleanup: finds the benchmark's own customers, deletes each (with
 * its orders, interactions, points and tasks), prints what was removed and
 * finishes the run (status 1 if any could not be removed). */
void kith_bench_cleanup_start(kith_bench *b);
/* Ctrl-C during --cleanup: once the deletes started, sends no more and lets
 * those in flight finish, then prints what was removed and exits with
 * KITH_BENCH_EXIT_INTERRUPTED; returns 1 then.  Returns 0 while the listing
 * is still going (nothing was removed; the caller just stops). */
int kith_bench_cleanup_stop(kith_bench *b);
/* Handles a reply of the CLEANUP phase. */
void kith_bench_cleanup_reply(kith_bench *b, kith_bench_conn *c, const kith_bench_slot *slot,
                              const char *line, size_t len, int is_error);

/* bench_conn.c */

/* Initialises conns[index] and starts connecting; returns 0 or a negative
 * libuv code (the connection then counts as failed by the caller). */
int kith_bench_conn_open(kith_bench *b, int index);
/* Queues one request: `params` is JSON text or NULL, borrowed.  The bytes
 * go out at the next kith_bench_conn_flush().  Returns 0 or KITH_ENOMEM. */
int kith_bench_conn_request(kith_bench_conn *c, int kind, uint64_t sent_ns, uint64_t intended_ns,
                            const char *method, const char *params);
/* Queues one RESP command of `argc` NUL-terminated arguments (borrowed),
 * like kith_bench_conn_request().  Returns 0 or KITH_ENOMEM. */
int kith_bench_conn_command(kith_bench_conn *c, int kind, uint64_t sent_ns, uint64_t intended_ns,
                            int argc, const char *const *argv);
/* Starts writing the queued requests unless a write is already in flight
 * (its callback flushes again). */
void kith_bench_conn_flush(kith_bench_conn *c);
/* Marks the connection failed, starts closing it and reports it to the run
 * with `why` (borrowed).  Idempotent. */
void kith_bench_conn_fail(kith_bench_conn *c, const char *why);
/* Starts closing; buffers are released in the close callback.  Idempotent. */
void kith_bench_conn_close(kith_bench_conn *c);
/* Free pipeline slots. */
static inline unsigned kith_bench_conn_room(const kith_bench_conn *c, unsigned depth)
{
    return c->ready && !c->failed && c->inflight < depth ? depth - c->inflight : 0;
}

/* bench_pace.c */

/* Initialises the pacing handles (at the start of every run). */
void kith_bench_pace_init(kith_bench *b);
/* Starts the open-loop clock; it calls kith_bench_pump() as requests fall
 * due.  Call once, at the start of the measured phase. */
void kith_bench_pace_start(kith_bench *b);
/* Stops and closes the pacing handles (from kith_bench_finish()). */
void kith_bench_pace_close(kith_bench *b);
/* How many requests are due by `now`: request k at start + k/R, so the
 * first is due at once; never more than cfg.requests when that is set. */
uint64_t kith_bench_pace_due(const kith_bench *b, uint64_t now);
/* The intended send time of request k (uv_hrtime() clock). */
uint64_t kith_bench_pace_intended(const kith_bench *b, uint64_t k);

/* bench_workload.c */

/* Looks a workload up by name; returns NULL when unknown. */
const kith_bench_workload *kith_bench_workload_find(const char *name);
/* Prints "  name  help" lines for the usage text. */
void kith_bench_workload_print(FILE *out);
/* Whether the workload needs existing customer ids (a call: when its
 * params name $CUSTOMER). */
int kith_bench_workload_needs_ids(const kith_bench_config *cfg);
/* Whether the workload writes (creates customers or orders). */
int kith_bench_workload_writes(const kith_bench_workload *w);
/* The name of a measured kind ("ping", "get", ...). */
const char *kith_bench_kind_name(int kind);
/* Draws the kind of the next measured request from the workload's mix. */
int kith_bench_pick_kind(kith_bench *b);
/* Queues a request of `kind` (measured or KITH_BENCH_PRELOAD) on `c`.
 * Returns 0 or KITH_ENOMEM. */
int kith_bench_send(kith_bench *b, kith_bench_conn *c, int kind, uint64_t sent_ns,
                    uint64_t intended_ns);
/* Queues the customer.list page after `cursor` (NULL for the first); in
 * RESP the SCAN of customer:* keys from `cursor` ("0" for NULL).  With
 * `kind` KITH_BENCH_OWN_LIST the page lists only customers tagged
 * KITH_BENCH_TAG (kithd only); with KITH_BENCH_LIST, every customer. */
int kith_bench_send_list(kith_bench *b, kith_bench_conn *c, int kind, const char *cursor);
/* Queues a request of `kind` (KITH_BENCH_INFO, or a KITH_BENCH_CLEAN_* about
 * customer `id`).  Returns 0 or KITH_ENOMEM. */
int kith_bench_send_setup(kith_bench *b, kith_bench_conn *c, int kind, int64_t id);
/* Queues `auth` (RESP: AUTH) with b->cfg.token. */
int kith_bench_send_auth(kith_bench *b, kith_bench_conn *c);
/* RESP: queues INCRBY next:customer <preload>, which reserves the ids of the
 * customers the preload creates. */
int kith_bench_send_reserve(kith_bench *b, kith_bench_conn *c);
/* A uniformly distributed 64-bit number (xorshift64*). */
uint64_t kith_bench_random(kith_bench *b);

/* bench_resp.c: reading RESP2 replies.  A reader walks one reply's
 * elements in order without copying; nested arrays are flattened (an array
 * element gives its count, then its elements follow). */

typedef struct kith_bench_resp_reader {
    const char *p, *end;
} kith_bench_resp_reader;

typedef struct kith_bench_resp_value {
    char type;        /* '+' simple, '-' error, ':' integer, '$' bulk, '*' array */
    int64_t n;        /* integer value, or bulk/array length (-1 for null) */
    const char *text; /* '+', '-', '$': the bytes (not NUL-terminated) */
    size_t len;       /* their length */
} kith_bench_resp_value;

/* Encodes a command of `argc` NUL-terminated arguments (borrowed) as a RESP
 * array of bulk strings, appended to out.  Returns 0 or KITH_ENOMEM. */
int kith_bench_resp_append(kith_buf *out, int argc, const char *const *argv);
/* Reads the next element at r->p into *v and advances past it (past only
 * the header of an array).  Returns 1 on success, 0 when the bytes end
 * first, -1 when they are not RESP2. */
int kith_bench_resp_next(kith_bench_resp_reader *r, kith_bench_resp_value *v);
/* Finds the end of the one reply at the start of p[0..len), arrays and
 * their elements included.  Returns 1 and its length in *size, 0 when it
 * is incomplete, -1 when the bytes are not RESP2. */
int kith_bench_resp_frame(const char *p, size_t len, size_t *size);

/* bench_report.c */

/* Prints the results as text, one quiet line, or JSON per b->cfg. */
void kith_bench_report(kith_bench *b);
/* Rewrites the live progress line on stderr. */
void kith_bench_progress(kith_bench *b);

#endif
