/*
 * The loop owner: listeners, the after-I/O pass (group commit, then flush),
 * signals and shutdown.  See server.h for the design notes; the work no
 * client asked for (rules, schedules, upkeep) lives in background.c.
 */
#include "server/server.h"
#include "commands/commands.h"
#include "server/server_int.h"
#include "store/event.h"
#include "store/token.h"
#include "util/error.h"
#include "util/log.h"
#include "util/ratelimit.h"
#include "util/timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- connections come and go ---- */

static void finish_if_done(struct kith_server *srv);

void kith_server_conn_closed(struct kith_server *srv, kith_conn *c)
{
    if (c->prev) c->prev->next = c->next;
    if (c->next) c->next->prev = c->prev;
    if (srv->conns == c) srv->conns = c->next;
    if (c->dirty) {
        /* Closed between being marked and the pass's flush: unlink. */
        for (kith_conn **p = &srv->dirty; *p; p = &(*p)->next_dirty)
            if (*p == c) {
                *p = c->next_dirty;
                break;
            }
    }
    srv->counters.connections--;
    finish_if_done(srv);
}

/* Ends the loop once shutdown has begun and the last connection is gone:
 * closing the remaining handles lets uv_run return. */
static void finish_if_done(struct kith_server *srv)
{
    if (srv->shutting_down && !srv->conns && !srv->finished) {
        srv->finished = 1;
        uv_close((uv_handle_t *)&srv->after_io, NULL);
        uv_close((uv_handle_t *)&srv->sweep, NULL);
        uv_close((uv_handle_t *)&srv->sigint, NULL);
        uv_close((uv_handle_t *)&srv->sigterm, NULL);
        uv_close((uv_handle_t *)&srv->sighup, NULL);
        uv_close((uv_handle_t *)&srv->work, NULL);
        kith_sched_close(&srv->sched);
        if (srv->watch_on) kith_watch_stop(&srv->watch);
        srv->watch_on = 0;
    }
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct kith_server *srv = listener->data;
    if (status < 0) {
        kith_warn("server: accept failed: %s", uv_strerror(status));
        return;
    }
    kith_conn *c = kith_conn_new(srv, listener->type == UV_NAMED_PIPE);
    if (!c) {
        kith_error("server: out of memory accepting a connection");
        return;
    }
    if (uv_accept(listener, &c->h.stream) < 0 ||
        (listener == (uv_stream_t *)&srv->tls_tcp && kith_conn_use_tls(c, srv->tls_ctx) < 0)) {
        kith_conn_close(c);
        return;
    }
    kith_conn_start(c);
    kith_conn_mark_dirty(c);
}

/* ---- the pass: commit, then flush (server.h notes 2 and 3) ---- */

void kith_server_flush_dirty(struct kith_server *srv)
{
    /* An uncommitted write is open: this is the middle of a pass (a WAL
     * sync or a timer finished between two reads), and what connections
     * hold may depend on it.  The pass's end releases and flushes them. */
    if (kith_store_txn_wrote(srv->store)) return;
    uint64_t gen = kith_server_release_gen(srv);
    kith_conn *c = srv->dirty;
    srv->dirty = NULL;
    while (c) {
        kith_conn *next = c->next_dirty;
        c->dirty = 0;
        c->next_dirty = NULL;
        c->session.wrote = 0;
        kith_conn_release(c, gen);
        kith_conn_flush(c);
        c = next;
    }
}

/* Keeps passes coming while rules or replays have work queued. */
static void on_work(uv_idle_t *h)
{
    (void)h; /* the check phase does the work; this only keeps the loop from sleeping */
}

void kith_server_want_more(struct kith_server *srv, int more)
{
    if (more && !srv->work_on && !srv->finished) {
        uv_idle_start(&srv->work, on_work);
        srv->work_on = 1;
    } else if (!more && srv->work_on) {
        uv_idle_stop(&srv->work);
        srv->work_on = 0;
    }
}

/* Commits the pass's transaction, relaxed: the WAL sync runs on a worker
 * (durable.c) and the replies wait for it, not the loop.  On a definite
 * failure, every request of the pass is told (store.h note 4).  Returns 1
 * when the pass wrote. */
static int commit_pass(struct kith_server *srv)
{
    if (!kith_store_in_txn(srv->store)) return 0;
    int wrote = 0;
    int rc = kith_store_commit_relaxed(srv->store, &wrote);
    if (rc < 0) {
        /* Nothing of the pass was saved, and we know it: each request is
         * told so, reads included (they may have seen the lost writes). */
        kith_error("server: the pass's commit failed (%s); its requests are answered with "
                   "that error",
                   kith_error_kind(rc));
        srv->counters.failed_commits++;
        for (kith_conn *c = srv->conns; c; c = c->next)
            kith_conn_commit_failed(c, rc == KITH_ENOSPACE ? rc : KITH_EDISKIO);
        return 0;
    }
    if (wrote) kith_server_committed(srv, 1);
    return wrote;
}

/*
 * The end of a loop pass: the one place where replies are let go.
 *
 * INVARIANT: no byte of a reply leaves before the COMMIT — and, with
 * synchronous full, the WAL sync — of every write its request made or saw;
 * no event reaches a subscriber before it is on disk.  Hence this order,
 * which nothing else repeats:
 *   0. give busy connections their slice (conn.h notes 7-10);
 *   1. commit the pass, relaxed (group commit, store.h notes 2-6): it takes
 *      commit generation G and a worker thread syncs the WAL (durable.c);
 *   2. publish the events already durable (publish.c);
 *   3. release what every dirty connection holds, behind the newest
 *      client generation not yet synced — G, or an earlier pass's that a
 *      read may have seen — and flush what needs no sync (conn.h notes 2
 *      and 11);
 *   4. run the rules' after-commit work, which commits the same way; then
 *      2 and 3 again.
 * The sync's completion (durable.c, on this thread, perhaps mid-pass)
 * releases the replies held behind the generations it covers and makes
 * their events publishable: it touches only earlier passes' output, and
 * kith_server_flush_dirty does nothing while a write is open, so the
 * loop runs pass N+1 while the disk syncs pass N without breaking it.
 */
static void end_pass(struct kith_server *srv)
{
    /* Busy connections' slices run before the commit that holds them. */
    int pending = kith_conn_serve_pending(srv);
    int wrote = commit_pass(srv);
    int more = kith_server_publish(srv);
    kith_server_flush_dirty(srv);
    more |= kith_server_rules_work(srv);
    more |= kith_server_publish(srv);
    kith_server_flush_dirty(srv);
    kith_server_want_more(srv, more || pending);
    /* A write may have added or moved the nearest due time. */
    if (wrote || more) kith_sched_arm(&srv->sched, srv->store, kith_time_now_ms());
}

static void after_io(uv_check_t *h)
{
    end_pass(h->data);
}

/* ---- shutdown ---- */

static void close_listeners(struct kith_server *srv)
{
    if (srv->tcp_on) uv_close((uv_handle_t *)&srv->tcp, NULL);
    if (srv->tls_on) uv_close((uv_handle_t *)&srv->tls_tcp, NULL);
    if (srv->pipe_on) {
        uv_close((uv_handle_t *)&srv->pipe, NULL);
        unlink(srv->unix_name);
    }
    srv->tcp_on = srv->pipe_on = srv->tls_on = 0;
}

static void begin_shutdown(struct kith_server *srv, const char *why)
{
    if (srv->shutting_down) {
        kith_warn("server: %s again: closing every connection now", why);
        for (kith_conn *c = srv->conns; c; c = c->next)
            kith_conn_close(c);
        return;
    }
    kith_info("server: %s: shutting down", why);
    srv->shutting_down = 1;
    srv->shutdown_deadline = uv_now(&srv->loop) + (uint64_t)srv->cfg->shutdown_grace * 1000;
    close_listeners(srv);
    for (kith_conn *c = srv->conns; c; c = c->next)
        kith_conn_close_after_flush(c);
    finish_if_done(srv);
}

/* SIGHUP: a renewed certificate takes effect for new connections; open
 * ones keep the session they have.  A file that does not load leaves the
 * running certificate in place. */
static void reload_tls(struct kith_server *srv)
{
    if (!srv->tls_on) return;
    kith_tls_ctx *ctx;
    char err[KITH_PATH_MAX + 160];
    if (kith_tls_ctx_new(srv->cfg->tls_cert, srv->cfg->tls_key, &ctx, err, sizeof(err)) < 0) {
        kith_error("server: SIGHUP: kept the running TLS certificate: %s", err);
        return;
    }
    kith_tls_ctx_free(srv->tls_ctx);
    srv->tls_ctx = ctx;
    kith_info("server: SIGHUP: reloaded the TLS certificate and key");
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct kith_server *srv = h->data;
    if (signum == SIGHUP) {
        kith_server_reload_rules(srv, 1, "SIGHUP");
        reload_tls(srv);
        return;
    }
    begin_shutdown(srv, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

static void on_sweep(uv_timer_t *t)
{
    struct kith_server *srv = t->data;
    uint64_t now = uv_now(&srv->loop);
    uint64_t idle_ms = (uint64_t)srv->cfg->idle_timeout * 1000;
    if (!srv->shutting_down && now - srv->last_upkeep >= 60000) {
        srv->last_upkeep = now;
        kith_server_upkeep(srv);
    }
    if (!srv->shutting_down) kith_server_check_sessions(srv);
    for (kith_conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        if (srv->shutting_down && now >= srv->shutdown_deadline) {
            kith_conn_close(c);
        } else if (idle_ms && !c->draining && !c->session.sub && !c->job &&
                   now - c->last_active > idle_ms) {
            kith_info("server: closing %s connection idle for %llds", c->session.name,
                      (long long)srv->cfg->idle_timeout);
            kith_conn_close(c);
        }
    }
}

/* ---- start-up ---- */

static int parse_listen(const char *spec, struct sockaddr_storage *ss, int *loopback)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(host)) return KITH_ECONFIG;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535 || end == colon + 1) return KITH_ECONFIG;
    if (strcmp(host, "localhost") == 0) snprintf(host, sizeof(host), "127.0.0.1");
    size_t hl = strlen(host);
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) == 0) {
        *loopback = (ntohl(((struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
        return 0;
    }
    if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss) == 0) {
        static const unsigned char loop6[16] = {[15] = 1};
        *loopback = memcmp(&((struct sockaddr_in6 *)ss)->sin6_addr, loop6, 16) == 0;
        return 0;
    }
    return KITH_ECONFIG;
}

/* Binds `tcp` to the parsed address and listens; writes the address bound
 * (with the port picked for port 0) to `name`. */
static int bind_tcp(struct kith_server *srv, uv_tcp_t *tcp, int *on, struct sockaddr_storage *ss,
                    const char *spec, char *name, size_t namelen)
{
    uv_tcp_init(&srv->loop, tcp);
    tcp->data = srv;
    *on = 1;
    int rc = uv_tcp_bind(tcp, (struct sockaddr *)ss, 0);
    if (!rc) rc = uv_listen((uv_stream_t *)tcp, 1024, on_connection);
    if (rc < 0) {
        kith_error("server: cannot listen on %s: %s", spec, uv_strerror(rc));
        return KITH_EIO;
    }
    int len = sizeof(*ss);
    uv_tcp_getsockname(tcp, (struct sockaddr *)ss, &len);
    char ip[64];
    if (ss->ss_family == AF_INET6) {
        uv_ip6_name((struct sockaddr_in6 *)ss, ip, sizeof(ip));
        snprintf(name, namelen, "[%s]:%d", ip, ntohs(((struct sockaddr_in6 *)ss)->sin6_port));
    } else {
        uv_ip4_name((struct sockaddr_in *)ss, ip, sizeof(ip));
        snprintf(name, namelen, "%s:%d", ip, ntohs(((struct sockaddr_in *)ss)->sin_port));
    }
    return 0;
}

static int refuse_without_token(const char *option, const char *spec)
{
    kith_error("server: refusing to listen on %s (%s), which is not loopback, while no token "
               "exists; create one with `kithd token create --role admin --name NAME`",
               spec, option);
    return KITH_ECONFIG;
}

/* The plain listener.  Off loopback it would carry tokens and customers'
 * data in clear text: that takes an explicit allow_plain_tcp. */
static int open_tcp(struct kith_server *srv, int tokens_exist)
{
    if (strcmp(srv->cfg->listen, "none") == 0) {
        snprintf(srv->tcp_name, sizeof(srv->tcp_name), "none");
        return 0;
    }
    struct sockaddr_storage ss;
    int loopback = 0;
    if (parse_listen(srv->cfg->listen, &ss, &loopback) < 0) {
        kith_error("server: listen: '%s' is not HOST:PORT", srv->cfg->listen);
        return KITH_ECONFIG;
    }
    if (!loopback && !tokens_exist) return refuse_without_token("listen", srv->cfg->listen);
    if (!loopback && !srv->cfg->allow_plain_tcp) {
        kith_error("server: refusing plain TCP on %s, which is not loopback: serve it with "
                   "tls_listen (and tls_cert, tls_key), or set allow_plain_tcp yes",
                   srv->cfg->listen);
        return KITH_ECONFIG;
    }
    return bind_tcp(srv, &srv->tcp, &srv->tcp_on, &ss, srv->cfg->listen, srv->tcp_name,
                    sizeof(srv->tcp_name));
}

/* The TLS listener: the certificate and key load before it binds, so a bad
 * file stops start-up naming its option. */
static int open_tls(struct kith_server *srv, int tokens_exist)
{
    const kith_config *cfg = srv->cfg;
    if (strcmp(cfg->tls_listen, "none") == 0) return 0;
    struct sockaddr_storage ss;
    int loopback = 0;
    if (parse_listen(cfg->tls_listen, &ss, &loopback) < 0) {
        kith_error("server: tls_listen: '%s' is not HOST:PORT", cfg->tls_listen);
        return KITH_ECONFIG;
    }
    if (!loopback && !tokens_exist) return refuse_without_token("tls_listen", cfg->tls_listen);
    char err[KITH_PATH_MAX + 160];
    int rc = kith_tls_ctx_new(cfg->tls_cert, cfg->tls_key, &srv->tls_ctx, err, sizeof(err));
    if (rc < 0) {
        kith_error("server: %s", err);
        return rc;
    }
    return bind_tcp(srv, &srv->tls_tcp, &srv->tls_on, &ss, cfg->tls_listen, srv->tls_name,
                    sizeof(srv->tls_name));
}

static int open_unix(struct kith_server *srv)
{
    kith_config_unix_path(srv->cfg, srv->unix_name, sizeof(srv->unix_name));
    if (!srv->unix_name[0]) return 0;
    struct stat st;
    /* A socket left by a crash: the data-folder lock proves nobody uses it. */
    if (stat(srv->unix_name, &st) == 0 && S_ISSOCK(st.st_mode)) unlink(srv->unix_name);
    uv_pipe_init(&srv->loop, &srv->pipe, 0);
    srv->pipe.data = srv;
    srv->pipe_on = 1;
    int rc = uv_pipe_bind(&srv->pipe, srv->unix_name);
    if (!rc) rc = uv_listen((uv_stream_t *)&srv->pipe, 1024, on_connection);
    if (rc < 0) {
        kith_error("server: cannot listen on %s: %s", srv->unix_name, uv_strerror(rc));
        return KITH_EIO;
    }
    chmod(srv->unix_name, 0660);
    return 0;
}

static int lock_data_dir(struct kith_server *srv)
{
    char path[KITH_PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/kithd.lock", srv->cfg->data);
    srv->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (srv->lock_fd < 0 || flock(srv->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        kith_error("server: %s is in use by another kithd (%s)", srv->cfg->data, strerror(errno));
        return KITH_EIO;
    }
    return 0;
}

int kith_server_new(const kith_config *cfg, kith_server **out)
{
    *out = NULL;
    struct kith_server *srv = calloc(1, sizeof(*srv));
    if (!srv) return KITH_ENOMEM;
    srv->cfg = cfg;
    srv->lock_fd = -1;
    uv_loop_init(&srv->loop);
    *out = srv;
    if (mkdir(cfg->data, 0755) < 0 && errno != EEXIST) {
        kith_error("server: cannot create %s: %s", cfg->data, strerror(errno));
        return KITH_EIO;
    }
    int rc = lock_data_dir(srv);
    char db[KITH_PATH_MAX + 16];
    snprintf(db, sizeof(db), "%s/kith.db", cfg->data);
    if (!rc) rc = kith_store_open(db, cfg->synchronous, &srv->store);
    if (!rc) rc = kith_store_set_record_cache(srv->store, (size_t)cfg->record_cache);
    if (rc) return rc;
    srv->env = (kith_env){.default_currency = cfg->default_currency,
                          .started_at = kith_time_now_ms(),
                          .data_dir = cfg->data,
                          .server = &srv->counters,
                          .published_seq = &srv->published_seq,
                          .end_token_sessions = kith_server_end_token_sessions,
                          .sessions_ud = srv};
    /* Failed auth per address: 5 free in a minute, then a lock-out from 1 s
     * doubling to 5 min; 4096 addresses at most (see util/ratelimit.h). */
    srv->auth_limit = kith_ratelimit_new(4096, 5, 60000, 1000, 300000);
    if (!srv->auth_limit) return KITH_ENOMEM;
    srv->env.auth_limit = srv->auth_limit;
    /* Subscribers start from what is committed now; older events are
     * reached with since. */
    if ((rc = kith_store_event_last_seq(srv->store, &srv->published_seq)) < 0) return rc;
    srv->durable_seq = srv->commit_seq = srv->published_seq;
    srv->wal_fd = -1;
    srv->sync_gate = getenv("KITH_TEST_SYNC_GATE"); /* a test's hook: durable.c */
    srv->dispatch = kith_dispatch_new(srv->store, &srv->env);
    if (!srv->dispatch) return KITH_ENOMEM;
    for (int i = 0; kith_command_tables[i]; i++)
        if ((rc = kith_dispatch_register(srv->dispatch, kith_command_tables[i])) < 0) return rc;

    uv_idle_init(&srv->loop, &srv->work);
    if ((rc = kith_server_rules_start(srv)) < 0) return rc;
    kith_server_sync_now(srv);

    int tokens_exist = kith_store_token_exists(srv->store);
    if ((rc = open_tcp(srv, tokens_exist)) < 0) return rc;
    if ((rc = open_tls(srv, tokens_exist)) < 0) return rc;
    if ((rc = open_unix(srv)) < 0) return rc;
    if (!srv->tcp_on && !srv->pipe_on && !srv->tls_on) {
        kith_error("server: every listener is disabled; nothing to serve");
        return KITH_ECONFIG;
    }
    uv_check_init(&srv->loop, &srv->after_io);
    srv->after_io.data = srv;
    uv_check_start(&srv->after_io, after_io);
    uv_signal_init(&srv->loop, &srv->sigint);
    uv_signal_init(&srv->loop, &srv->sigterm);
    uv_signal_init(&srv->loop, &srv->sighup);
    srv->sigint.data = srv->sigterm.data = srv->sighup.data = srv;
    uv_signal_start(&srv->sigint, on_signal, SIGINT);
    uv_signal_start(&srv->sigterm, on_signal, SIGTERM);
    uv_signal_start(&srv->sighup, on_signal, SIGHUP);
    uv_timer_init(&srv->loop, &srv->sweep);
    srv->sweep.data = srv;
    uv_timer_start(&srv->sweep, on_sweep, 1000, 1000);
    return 0;
}

int kith_server_run(kith_server *srv)
{
    /* tls= is added only when TLS is on, so the contract's line stays as it
     * is for everyone else. */
    char tls[320] = "";
    if (srv->tls_on) snprintf(tls, sizeof(tls), " tls=%s", srv->tls_name);
    printf("kithd ready tcp=%s unix=%s%s\n", srv->tcp_name,
           srv->unix_name[0] ? srv->unix_name : "none", tls);
    fflush(stdout);
    kith_info("server: kithd %s serving %s (tcp=%s unix=%s%s)", KITH_VERSION, srv->cfg->data,
              srv->tcp_name, srv->unix_name[0] ? srv->unix_name : "none", tls);
    uv_run(&srv->loop, UV_RUN_DEFAULT);
    /* Writes from clients that left in the last pass are still owed a commit,
     * and the handlers' cursor is worth keeping. */
    kith_server_rules_stop(srv);
    int rc = kith_store_commit(srv->store);
    kith_info("server: stopped");
    return rc;
}

static void close_any(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

void kith_server_free(kith_server *srv)
{
    if (!srv) return;
    /* Start-up may have failed half-way: close whatever handles exist and
     * let their callbacks run before the loop goes. */
    for (kith_conn *c = srv->conns; c; c = c->next)
        kith_conn_close(c);
    uv_walk(&srv->loop, close_any, NULL);
    uv_run(&srv->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&srv->loop) != 0) kith_warn("server: loop closed with live handles");
    if (srv->pipe_on) unlink(srv->unix_name);
    kith_script_free(srv->script);
    kith_dispatch_free(srv->dispatch);
    kith_store_close(srv->store);
    kith_ratelimit_free(srv->auth_limit);
    kith_tls_ctx_free(srv->tls_ctx);
    if (srv->lock_fd >= 0) close(srv->lock_fd);
    free(srv);
}
