/*
 * The connection, its pragmas, the statement cache and group commit.  See
 * store.h for the design notes.  Migrations live in migrate.c.
 */
#include "store/store.h"
#include "store/migrate.h"
#include "store/customer_norm.h"
#include "store/reccache.h"
#include "store/rollup.h"
#include "store/value.h"
#include "util/error.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STMT_CACHE_SIZE 256 /* power of two; dynamic list queries share it */
#define PTR_CACHE_SIZE  512 /* power of two: literal SQL by address */

struct stmt_slot {
    char *sql;
    uint32_t hash;
    sqlite3_stmt *stmt;
};

struct ptr_slot {
    const char *sql; /* the address of a string literal */
    sqlite3_stmt *stmt;
};

struct kith_store {
    sqlite3 *db;
    int in_txn, in_request;
    int wrote; /* a request ran in the open transaction */
    int sync_mode;
    int sync_wal;     /* synchronous=full done by us: SQLite runs NORMAL (note 6) */
    int relaxed;      /* the commit under way skips the WAL sync */
    int txn_lost;     /* SQLite rolled back the open transaction: its primary code */
    int wal_fd;       /* the -wal file, for syncing; -1 until first needed */
    int wal_pages;    /* the WAL's length after the last commit (wal_hook) */
    int ckpt_from;    /* its length when the last worker checkpoint began */
    char path[4096];  /* the database file, for the checkpoint connection */
    sqlite3 *ckpt_db; /* that connection: used only by the checkpoint worker */
    struct stmt_slot cache[STMT_CACHE_SIZE];
    struct ptr_slot by_ptr[PTR_CACHE_SIZE];
    unsigned cached;
    kith_store_counters counters;
    kith_reccache *records;      /* rendered customer records (reccache.h) */
    kith_rollup_log *rollup_log; /* counts written at commit (rollup.h note 4) */
    void *value_slot;            /* the value model, written at commit (value.h note 1) */
    kith_token_memo token_memo;  /* token.c */
};

/* Checkpoint on a worker each time the WAL grows by this many pages
 * (SQLite's own default); on the loop once it holds the second figure. */
#define KITH_CHECKPOINT_PAGES      1000
#define KITH_CHECKPOINT_LOOP_PAGES 4000

static int run_cached(kith_store *s, const char *sql);
static int fsync_wal(kith_store *s);
static void open_wal(kith_store *s);
static void note_lost_txn(kith_store *s, int rc);

static uint32_t hash_sql(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

struct sqlite3 *kith_store_db(kith_store *s)
{
    return s->db;
}

int kith_store_error(kith_store *s, const char *what)
{
    int rc = sqlite3_extended_errcode(s->db);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) return KITH_ECONFLICT;
    kith_error("store: %s: %s (sqlite %d)", what, sqlite3_errmsg(s->db), rc);
    note_lost_txn(s, rc);
    if ((rc & 0xff) == SQLITE_NOMEM) return KITH_ENOMEM;
    if ((rc & 0xff) == SQLITE_FULL) return KITH_ENOSPACE;
    if ((rc & 0xff) == SQLITE_IOERR) return KITH_EDISKIO;
    return KITH_EIO;
}

/* A full disk or an I/O error may make SQLite roll back the whole
 * transaction, not just the statement: the pass's earlier requests are then
 * gone too.  Remembered so that no later request of the pass runs in a
 * transaction of its own, and the commit reports the loss (note 4). */
static void note_lost_txn(kith_store *s, int rc)
{
    if (s->in_txn && !s->txn_lost && sqlite3_get_autocommit(s->db)) {
        s->txn_lost = rc & 0xff;
        kith_error("store: SQLite rolled back the pass's transaction (sqlite %d)", rc);
    }
}

int kith_store_exec(kith_store *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        kith_error("store: %s: %s", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return KITH_EIO;
    }
    return 0;
}

/* Called by SQLite after each commit with the WAL's length in pages: counts
 * the frames commits append (the length falls when a checkpoint let the
 * WAL start over).  Installing it replaces SQLite's own autocheckpoint:
 * checkpoints run on a worker thread (note 7).  Under steady writes a
 * worker's checkpoint rarely ends between two commits, the only time the
 * WAL may start over; so past KITH_CHECKPOINT_LOOP_PAGES the writer copies
 * the last frames itself.  While a worker is at it, this one returns
 * SQLITE_BUSY at once and is tried again after the next commit. */
static int wal_hook(void *ud, sqlite3 *db, const char *name, int pages)
{
    kith_store *s = ud;
    s->counters.wal_frames += (uint64_t)(pages >= s->wal_pages ? pages - s->wal_pages : pages);
    s->wal_pages = pages;
    if (pages < s->ckpt_from) s->ckpt_from = 0; /* it started over */
    if (pages >= KITH_CHECKPOINT_LOOP_PAGES &&
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) == SQLITE_OK) {
        s->counters.checkpoints++;
        s->counters.checkpoints_on_loop++;
    }
    return SQLITE_OK;
}

int kith_store_checkpoint_due(const kith_store *s)
{
    return s->path[0] && s->wal_pages - s->ckpt_from >= KITH_CHECKPOINT_PAGES;
}

void kith_store_checkpoint_begin(kith_store *s)
{
    s->ckpt_from = s->wal_pages;
}

int kith_store_checkpoint(kith_store *s)
{
    if (!s->ckpt_db) {
        if (sqlite3_open_v2(s->path, &s->ckpt_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                            NULL) != SQLITE_OK) {
            sqlite3_close(s->ckpt_db);
            s->ckpt_db = NULL;
            return KITH_EIO;
        }
        /* Said, not assumed from SQLite's build: the checkpoint must sync
         * the WAL before copying it and the database after. */
        sqlite3_exec(s->ckpt_db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    }
    /* PASSIVE: copies what no reader still needs and never blocks the
     * writer; with this connection's synchronous=FULL it syncs the WAL
     * before copying and the database after, so the writer may start the
     * WAL over once everything is copied. */
    int rc = sqlite3_wal_checkpoint_v2(s->ckpt_db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return rc == SQLITE_OK || rc == SQLITE_BUSY ? 0 : KITH_EIO;
}

void kith_store_checkpoint_done(kith_store *s)
{
    s->counters.checkpoints++;
}

kith_stmt *kith_store_stmt_text(kith_store *s, const char *sql)
{
    s->counters.statements++;
    uint32_t h = hash_sql(sql);
    unsigned i = h & (STMT_CACHE_SIZE - 1);
    /* Linear probing over a fixed table: when it is full, the slot at the
     * home position is evicted, which only costs a re-prepare. */
    for (unsigned probe = 0; probe < 8; probe++) {
        struct stmt_slot *slot = &s->cache[(i + probe) & (STMT_CACHE_SIZE - 1)];
        if (!slot->stmt) break;
        if (slot->hash == h && strcmp(slot->sql, sql) == 0) {
            sqlite3_reset(slot->stmt);
            sqlite3_clear_bindings(slot->stmt);
            return slot->stmt;
        }
    }
    struct stmt_slot *slot = NULL;
    for (unsigned probe = 0; probe < 8 && !slot; probe++) {
        struct stmt_slot *c = &s->cache[(i + probe) & (STMT_CACHE_SIZE - 1)];
        if (!c->stmt) slot = c;
    }
    if (!slot) {
        slot = &s->cache[i];
        /* Forget any address that led to the statement being evicted. */
        for (unsigned k = 0; k < PTR_CACHE_SIZE; k++)
            if (s->by_ptr[k].stmt == slot->stmt) s->by_ptr[k] = (struct ptr_slot){0};
        sqlite3_finalize(slot->stmt);
        free(slot->sql);
        slot->stmt = NULL;
        s->cached--;
    }
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK) {
        kith_error("store: prepare failed: %s: %s", sqlite3_errmsg(s->db), sql);
        return NULL;
    }
    slot->sql = strdup(sql);
    if (!slot->sql) {
        sqlite3_finalize(stmt);
        return NULL;
    }
    slot->hash = h;
    slot->stmt = stmt;
    s->cached++;
    return stmt;
}

kith_stmt *kith_store_stmt(kith_store *s, const char *sql)
{
    /* Literal SQL has a fixed address: finding it by address skips hashing
     * and comparing the text, which showed in profiles of small reads. */
    struct ptr_slot *p = &s->by_ptr[((uintptr_t)sql >> 3) & (PTR_CACHE_SIZE - 1)];
    if (p->sql == sql && p->stmt) {
        s->counters.statements++; /* a miss is counted by kith_store_stmt_text */
        sqlite3_reset(p->stmt);
        sqlite3_clear_bindings(p->stmt);
        return p->stmt;
    }
    sqlite3_stmt *st = kith_store_stmt_text(s, sql);
    if (st) *p = (struct ptr_slot){sql, st};
    return st;
}

int kith_store_pass_begin(kith_store *s)
{
    if (s->in_txn) return 0;
    if (run_cached(s, "BEGIN IMMEDIATE") < 0) return KITH_EIO;
    s->in_txn = 1;
    return 0;
}

/* Runs a cached statement that returns no rows: the transaction-control
 * statements run several times per request, and sqlite3_exec would parse
 * them each time. */
static int run_cached(kith_store *s, const char *sql)
{
    sqlite3_stmt *st = kith_store_stmt(s, sql);
    if (!st) return KITH_EIO;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        kith_error("store: %s: %s", sql, sqlite3_errmsg(s->db));
        note_lost_txn(s, sqlite3_extended_errcode(s->db));
        return KITH_EIO;
    }
    return 0;
}

static const char *sync_pragma(int mode)
{
    switch (mode) {
    case KITH_SYNC_OFF: return "PRAGMA synchronous=OFF";
    case KITH_SYNC_NORMAL: return "PRAGMA synchronous=NORMAL";
    default: return "PRAGMA synchronous=FULL";
    }
}

void kith_store_library_init(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int kith_store_open(const char *path, int sync_mode, kith_store **out)
{
    *out = NULL;
    kith_store *s = calloc(1, sizeof(*s));
    if (!s) return KITH_ENOMEM;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        kith_error("store: cannot open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "no memory");
        sqlite3_close(s->db);
        free(s);
        return KITH_EIO;
    }
    s->sync_mode = sync_mode;
    /* Another process (kithd token create) may write briefly: wait for it
     * rather than failing. */
    sqlite3_busy_timeout(s->db, 5000);
    int rc = kith_store_exec(s, "PRAGMA journal_mode=WAL");
    /* Full durability is kept by syncing the WAL after each commit
     * ourselves, so work no client waits for can skip it (note 6).  An
     * in-memory store has no WAL and nothing to sync. */
    s->wal_fd = -1;
    s->sync_wal = sync_mode == KITH_SYNC_FULL && strcmp(path, ":memory:") != 0;
    if (!rc) rc = kith_store_exec(s, sync_pragma(s->sync_wal ? KITH_SYNC_NORMAL : sync_mode));
    if (!rc) rc = kith_store_exec(s, "PRAGMA foreign_keys=ON");
    if (!rc) rc = kith_store_exec(s, "PRAGMA temp_store=MEMORY");
    if (!rc) rc = kith_store_exec(s, "PRAGMA cache_size=-65536");
    if (!rc) sqlite3_wal_hook(s->db, wal_hook, s);
    if (!rc && strcmp(path, ":memory:") != 0) {
        const char *file = sqlite3_db_filename(s->db, "main");
        if (file && strlen(file) < sizeof(s->path)) snprintf(s->path, sizeof(s->path), "%s", file);
    }
    if (!rc && kith_customer_norm_register(s->db) < 0) rc = KITH_EIO;
    if (!rc) rc = kith_migrate(s);
    if (!rc) rc = kith_store_set_record_cache(s, KITH_RECORD_CACHE_DEFAULT);
    if (rc) {
        kith_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void kith_store_close(kith_store *s)
{
    if (!s) return;
    if (s->in_txn) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    for (unsigned i = 0; i < STMT_CACHE_SIZE; i++) {
        sqlite3_finalize(s->cache[i].stmt);
        free(s->cache[i].sql);
    }
    kith_reccache_free(s->records);
    kith_rollup_log_free(s->rollup_log);
    free(s->value_slot);
    sqlite3_close(s->ckpt_db);
    if (sqlite3_close(s->db) != SQLITE_OK) kith_error("store: close: %s", sqlite3_errmsg(s->db));
    if (s->wal_fd >= 0) close(s->wal_fd);
    free(s);
}

int kith_store_request_begin(kith_store *s)
{
    if (s->txn_lost) return s->txn_lost == SQLITE_FULL ? KITH_ENOSPACE : KITH_EDISKIO;
    if (!s->in_txn) {
        if (run_cached(s, "BEGIN IMMEDIATE") < 0) return KITH_EIO;
        s->in_txn = 1;
    }
    /* Nested requests (a rule calling a method) nest savepoints of the same
     * name; ROLLBACK TO and RELEASE act on the innermost. */
    if (run_cached(s, "SAVEPOINT request") < 0) return KITH_EIO;
    s->in_request++;
    s->wrote = 1;
    return 0;
}

int kith_store_request_end(kith_store *s, int ok)
{
    kith_assert(s->in_request > 0);
    if (s->rollup_log) kith_rollup_log_end(s->rollup_log, s->in_request, ok);
    s->in_request--;
    if (!ok) {
        kith_reccache_clear(s->records); /* reccache.h note 2 */
        if (run_cached(s, "ROLLBACK TO request") < 0) return KITH_EIO;
        s->counters.rollbacks++;
    }
    return run_cached(s, "RELEASE request");
}

int kith_store_in_request(const kith_store *s)
{
    return s->in_request;
}

int kith_store_in_txn(const kith_store *s)
{
    return s->in_txn;
}

int kith_store_txn_wrote(const kith_store *s)
{
    return s->in_txn && s->wrote;
}

static uint64_t mono_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int kith_store_commit(kith_store *s)
{
    kith_assert(!s->in_request);
    if (!s->in_txn) return 0;
    uint64_t t0 = mono_usec();
    /* The pass's deferred counts go in with it (rollup.h note 4). */
    int flushed = s->rollup_log && !s->txn_lost ? kith_rollup_log_flush(s, s->rollup_log) : 0;
    if (!flushed && !s->txn_lost) {
        /* A model saved here makes the pass a writing one: it is synced. */
        int model = kith_value_model_flush(s, s->value_slot);
        if (model > 0) s->wrote = 1;
        flushed = model < 0 ? model : 0;
    }
    kith_rollup_log_clear(s->rollup_log);
    s->in_txn = 0;
    int wrote = s->wrote;
    s->wrote = 0;
    /* Prepared once: parsing "COMMIT" every pass allocated a parser large
     * enough to make malloc consolidate its free lists, 20% of a get. */
    sqlite3_stmt *commit = kith_store_stmt(s, "COMMIT");
    int stepped = commit && !flushed ? sqlite3_step(commit) : SQLITE_ERROR;
    if (commit) sqlite3_reset(commit);
    if (stepped != SQLITE_DONE || s->txn_lost) {
        /* COMMIT failed (or SQLite already rolled the transaction back when
         * a statement hit the disk): nothing of the pass is in the database,
         * and the caller may say so to every request in it (note 4). */
        int full = s->txn_lost ? s->txn_lost == SQLITE_FULL
                               : (sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_FULL;
        if (stepped != SQLITE_DONE) kith_store_error(s, "commit");
        if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        s->txn_lost = 0;
        kith_reccache_clear(s->records);
        s->counters.rollbacks++;
        return full ? KITH_ENOSPACE : KITH_EDISKIO;
    }
    kith_value_model_saved(s->value_slot);
    if (wrote && s->sync_wal && !s->relaxed && fsync_wal(s) < 0) {
        /* Committed but maybe not durable: no write of this pass may be
         * acknowledged (the caller closes those connections). */
        return KITH_EIO;
    }
    uint64_t dt = mono_usec() - t0;
    if (!wrote) return 0; /* a read-only pass: nothing to count */
    s->counters.commits++;
    s->counters.commit_usec_total += dt;
    if (dt > s->counters.commit_usec_max) s->counters.commit_usec_max = dt;
    return 0;
}

int kith_store_commit_relaxed(kith_store *s, int *wrote)
{
    *wrote = kith_store_txn_wrote(s);
    s->relaxed = 1;
    int rc = kith_store_commit(s);
    s->relaxed = 0;
    return rc;
}

int kith_store_set_record_cache(kith_store *s, size_t bytes)
{
    kith_reccache *c = kith_reccache_new(bytes);
    if (!c || kith_reccache_attach(c, s->db) < 0) {
        kith_error("store: cannot set up the record cache: %s",
                   c ? sqlite3_errmsg(s->db) : "no memory");
        kith_reccache_free(c);
        return KITH_EIO;
    }
    kith_reccache_free(s->records);
    s->records = c;
    return 0;
}

kith_rollup_log **kith_store_rollup_log(kith_store *s)
{
    return &s->rollup_log;
}

int kith_store_data_version(kith_store *s, unsigned *version)
{
    return sqlite3_file_control(s->db, "main", SQLITE_FCNTL_DATA_VERSION, version) == SQLITE_OK
               ? 0
               : KITH_EIO;
}

kith_token_memo *kith_store_token_memo(kith_store *s)
{
    return &s->token_memo;
}

void **kith_store_value_slot(kith_store *s)
{
    return &s->value_slot;
}

kith_reccache *kith_store_records(kith_store *s)
{
    return s->records;
}

int kith_store_syncs_wal(const kith_store *s)
{
    return s->sync_wal;
}

int kith_store_wal_fd(kith_store *s)
{
    if (s->wal_fd < 0) open_wal(s);
    return s->wal_fd;
}

int kith_store_sync(kith_store *s)
{
    return s->sync_wal ? fsync_wal(s) : 0;
}

/* Opens the -wal file for syncing it; once, the directory entry is synced
 * too, so the file itself survives a power cut. */
static void open_wal(kith_store *s)
{
    if (s->wal_fd < 0) {
        char path[4200];
        snprintf(path, sizeof(path), "%s-wal", sqlite3_db_filename(s->db, "main"));
        s->wal_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->wal_fd < 0) {
            kith_error("store: cannot open %s to sync it: %s", path, strerror(errno));
            return;
        }
        /* Once: the WAL's directory entry must be on disk too. */
        char *slash = strrchr(path, '/');
        if (slash) {
            *slash = '\0';
            int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dir >= 0) {
                fsync(dir);
                close(dir);
            }
        }
    }
}

/* Makes the WAL durable: what synchronous=FULL does at every commit, done
 * here so that relaxed commits (note 6) can skip it. */
static int fsync_wal(kith_store *s)
{
    open_wal(s);
    if (s->wal_fd < 0) return KITH_EIO;
    if (fdatasync(s->wal_fd) < 0) {
        kith_error("store: cannot sync the WAL: %s", strerror(errno));
        return KITH_EIO;
    }
    return 0;
}

void kith_store_get_counters(const kith_store *s, kith_store_counters *out)
{
    *out = s->counters;
    sqlite3_stmt *st = NULL;
    out->page_size = 4096;
    if (sqlite3_prepare_v2(s->db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        out->page_size = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    out->statements_cached = s->cached;
}
