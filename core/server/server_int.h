/*
 * The server's state, shared by server.c and conn.c only.
 */
#ifndef KITH_SERVER_SERVER_INT_H
#define KITH_SERVER_SERVER_INT_H

#include "dispatch/dispatch.h"
#include "server/config.h"
#include "server/conn.h"
#include "sched/sched.h"
#include "script/script.h"
#include "server/server.h"
#include "server/tls.h"
#include "server/watch.h"
#include "store/store.h"

#include <uv.h>

#define KITH_READ_CHUNK 65536

struct kith_server {
    uv_loop_t loop;
    const kith_config *cfg;
    kith_store *store;
    kith_dispatch *dispatch;
    kith_env env;
    kith_server_counters counters;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
    int tcp_on, pipe_on;
    uv_tcp_t tls_tcp; /* the tls_listen listener */
    int tls_on;
    kith_tls_ctx *tls_ctx; /* its certificate and key; replaced on SIGHUP */
    uv_check_t after_io;
    uv_signal_t sigint, sigterm, sighup;
    uv_timer_t sweep;
    kith_script *script;
    uv_idle_t work; /* active while rules have work queued: keeps passes coming */
    int work_on;
    kith_watch watch;
    int watch_on;
    kith_session system_session; /* who background work acts as */
    int64_t published_seq;       /* events up to here went to live subscribers */
    /* durable.c: commit generations and the WAL sync (conn.h note 11). */
    int64_t durable_seq; /* events up to here are on disk (store.h note 6) */
    int64_t commit_seq;  /* the last event of the last commit that wrote */
    uint64_t commit_gen; /* commits that wrote, so far */
    uint64_t client_gen; /* the last of them a client's pass made */
    uint64_t synced_gen; /* the last of them known to be on disk */
    uv_work_t wal_sync;  /* fdatasync of the WAL on a worker thread */
    int wal_fd;          /* the store's, while a sync runs */
    int wal_sync_busy, wal_sync_failed;
    uint64_t sync_target_gen; /* what the running sync covers */
    int64_t sync_target_seq;
    kith_conn *held;      /* connections with replies held for a sync */
    uv_work_t checkpoint; /* a WAL checkpoint on a worker (store.h note 7) */
    int checkpoint_busy, checkpoint_failed;
    const char *sync_gate; /* KITH_TEST_SYNC_GATE (durable.c), read at start */
    kith_sched sched;
    uint64_t last_upkeep; /* loop time of the last expiry/trim round */
    kith_conn *conns;     /* every open connection */
    kith_conn *dirty;     /* connections to flush after this pass's commit */
    kith_conn *pending;   /* busy connections with work for the next pass (conn.h note 8) */
    uint64_t pass;        /* loop passes served so far */
    int shutting_down, finished;
    uint64_t shutdown_deadline;
    int lock_fd;
    struct kith_ratelimit *auth_limit; /* failed auth per client address */
    int64_t token_data_version;        /* the store's, when sessions were last checked */
    char tcp_name[300];
    char tls_name[300];
    char unix_name[KITH_PATH_MAX];
    char readbuf[KITH_READ_CHUNK]; /* shared: reads are consumed synchronously */
};

/* sessions.c: ends every session of token `token_id` at once (installed
 * as env.end_token_sessions for token.revoke); and, from the sweep timer,
 * ends the sessions whose token expired or was revoked by another process
 * (`kithd token revoke`). */
void kith_server_end_token_sessions(void *srv, int64_t token_id);
void kith_server_check_sessions(struct kith_server *srv);

/* Delivers committed events to subscribers (publish.c); returns 1 when a
 * replay has more to send. */
int kith_server_publish(struct kith_server *srv);
/* server.c: writes every dirty connection's output; keeps passes coming
 * (an idle handle) while `more` work is queued. */
void kith_server_flush_dirty(struct kith_server *srv);
void kith_server_want_more(struct kith_server *srv, int more);
/* background.c: the rules engine, scheduler and watcher started with the
 * server; after-commit rules work (returns 1 when more is queued); reloads;
 * the minute upkeep; and what is saved at shutdown. */
int kith_server_rules_start(struct kith_server *srv);
int kith_server_rules_work(struct kith_server *srv);
void kith_server_reload_rules(struct kith_server *srv, int force, const char *why);
void kith_server_upkeep(struct kith_server *srv);
void kith_server_rules_stop(struct kith_server *srv);
/* durable.c: after any relaxed commit that wrote — a client pass (client
 * 1) or work no client asked for (0) — takes the next commit generation and
 * has the WAL synced on a worker thread; its events are published, and
 * replies held behind a client's generation released, once that is done. */
void kith_server_committed(struct kith_server *srv, int client);
/* Syncs what is committed, on this thread (a sync on a worker may run
 * too; both only raise what is synced): for start-up, before the loop runs, so what the rules'
 * start committed is durable (and published to nobody) before the first client arrives. */
void kith_server_sync_now(struct kith_server *srv);
/* The generation a reply released now must wait for: the newest client
 * commit not yet synced (its request made it or may have seen it), or 0. */
uint64_t kith_server_release_gen(const struct kith_server *srv);
/* Called by conn.c when a connection's handle has closed. */
void kith_server_conn_closed(struct kith_server *srv, kith_conn *c);

#endif
