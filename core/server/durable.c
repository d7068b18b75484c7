/*
 * Durability without waiting: the commit generations and the WAL sync on a
 * worker thread (store.h note 6, conn.h note 11), and checkpoints on
 * another (store.h note 7).
 *
 * Every commit that wrote — a client pass, a background slice, a reload —
 * is relaxed (no fsync on the loop) and takes the next *generation*.  One
 * fdatasync of the WAL at a time runs on libuv's thread pool and covers
 * every generation committed before it started; when it completes, the
 * replies held behind those generations are released and their events
 * become publishable.  While it runs, the loop serves the next passes,
 * whose commits the following sync covers: group commit across passes.
 * (PostgreSQL works alike: a session waits for the WAL flush covering its
 * commit while others go on; Redis's appendfsync always blocks its loop.)
 *
 * With synchronous normal or off (or a store without a WAL) a commit is as
 * durable as it gets once COMMIT returns: its generation is synced at once.
 */
#include "server/server_int.h"
#include "store/event.h"
#include "util/log.h"

#include <unistd.h>

static void kick_wal_sync(struct kith_server *srv);

/* What the last sync made durable: replies go out, events may be published.
 * This may run in the middle of a pass: releasing held replies touches
 * only bytes of earlier passes, and kith_server_flush_dirty leaves the
 * open pass alone (server.c, end_pass). */
static void synced(struct kith_server *srv, uint64_t gen, int64_t seq)
{
    if (gen > srv->synced_gen) srv->synced_gen = gen;
    if (seq > srv->durable_seq) srv->durable_seq = seq;
    kith_conn_release_synced(srv, srv->synced_gen);
}

static void wal_sync_run(uv_work_t *w)
{
    struct kith_server *srv = w->data;
    /* A fault-injection hook for the tests: while the file named by
     * KITH_TEST_SYNC_GATE exists, the sync does not finish, as if the disk
     * hung (tests/integration/test_sync_gate.py). */
    while (srv->sync_gate && access(srv->sync_gate, F_OK) == 0)
        usleep(1000);
    /* Only a system call on the store's descriptor: no SQLite on this
     * thread.  The loop does not touch these fields while a sync runs. */
    srv->wal_sync_failed = fdatasync(srv->wal_fd) < 0;
}

static void wal_sync_done(uv_work_t *w, int status)
{
    struct kith_server *srv = w->data;
    srv->wal_sync_busy = 0;
    if (status == 0 && !srv->wal_sync_failed) {
        synced(srv, srv->sync_target_gen, srv->sync_target_seq);
    } else {
        /* Committed, but whether it would survive a power cut is unknown:
         * no reply may say it happened (server.h note 3).  Its events wait
         * for a later sync that succeeds. */
        kith_error("server: the WAL sync failed; closing the connections whose replies "
                   "waited for it");
        srv->counters.failed_commits++;
        kith_conn_sync_failed(srv, srv->sync_target_gen);
    }
    /* Commits made meanwhile; after a failure the next commit tries again. */
    if (srv->synced_gen >= srv->sync_target_gen) kick_wal_sync(srv);
    int more = kith_server_publish(srv);
    kith_server_flush_dirty(srv);
    kith_server_want_more(srv, more);
}

static void kick_wal_sync(struct kith_server *srv)
{
    if (srv->wal_sync_busy || srv->synced_gen >= srv->commit_gen) return;
    srv->wal_fd = kith_store_wal_fd(srv->store);
    srv->sync_target_gen = srv->commit_gen;
    srv->sync_target_seq = srv->commit_seq;
    srv->wal_sync.data = srv;
    if (srv->wal_fd >= 0 &&
        uv_queue_work(&srv->loop, &srv->wal_sync, wal_sync_run, wal_sync_done) == 0) {
        srv->wal_sync_busy = 1;
        return;
    }
    /* No descriptor or no worker: sync here, on the loop. */
    srv->wal_sync_failed = srv->wal_fd < 0 || fdatasync(srv->wal_fd) < 0;
    srv->wal_sync_busy = 1;
    wal_sync_done(&srv->wal_sync, 0);
}

/* ---- checkpoints off the loop (store.h note 7) ---- */

static void checkpoint_run(uv_work_t *w)
{
    struct kith_server *srv = w->data;
    srv->checkpoint_failed = kith_store_checkpoint(srv->store) < 0;
}

static void checkpoint_done(uv_work_t *w, int status)
{
    struct kith_server *srv = w->data;
    srv->checkpoint_busy = 0;
    if (status == 0 && !srv->checkpoint_failed)
        kith_store_checkpoint_done(srv->store);
    else
        kith_warn("server: a WAL checkpoint failed; the next commit tries again");
}

static void maybe_checkpoint(struct kith_server *srv)
{
    if (srv->checkpoint_busy || !kith_store_checkpoint_due(srv->store)) return;
    srv->checkpoint.data = srv;
    if (uv_queue_work(&srv->loop, &srv->checkpoint, checkpoint_run, checkpoint_done) == 0) {
        kith_store_checkpoint_begin(srv->store);
        srv->checkpoint_busy = 1;
    }
}

void kith_server_committed(struct kith_server *srv, int client)
{
    maybe_checkpoint(srv);
    srv->commit_gen++;
    if (client) srv->client_gen = srv->commit_gen;
    kith_store_event_last_seq(srv->store, &srv->commit_seq);
    if (!kith_store_syncs_wal(srv->store)) {
        synced(srv, srv->commit_gen, srv->commit_seq);
        return;
    }
    kick_wal_sync(srv);
}

void kith_server_sync_now(struct kith_server *srv)
{
    if (srv->synced_gen >= srv->commit_gen) return;
    if (kith_store_sync(srv->store) == 0) synced(srv, srv->commit_gen, srv->commit_seq);
}

uint64_t kith_server_release_gen(const struct kith_server *srv)
{
    /* A client's commit: its own reply, and any read that may show it,
     * wait for its sync.  Work no client asked for (crm.on handlers, due
     * reminders, jobs) holds no reply: a read may show it before its sync,
     * as the README's Guarantee 3 says; its events still wait.  Holding
     * every read behind background commits would make each read of a
     * server whose handlers are busy wait for an fsync. */
    return srv->synced_gen < srv->client_gen ? srv->client_gen : 0;
}
