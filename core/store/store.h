/*
 * The store: Kith's one SQLite database, opened once per process on the loop
 * thread.  This header covers the connection itself — pragmas, migrations,
 * the prepared-statement cache and the transaction discipline; the record
 * families live in their own files (customer.h, activity.h, stats.h, event.h,
 * token.h).  No SQLite type or code crosses this module's border: callers see
 * KITH_E* codes and cJSON records in their wire shape.
 *
 * DESIGN NOTES: group commit
 *   1. There is one writer connection, used for reads too; it lives on the
 *      loop thread and is never touched from another thread.
 *   2. The first write request of a loop pass opens the transaction
 *      (BEGIN IMMEDIATE, kith_store_request_begin); every later write request
 *      of that pass joins it.  Each request runs inside its own SAVEPOINT, so a
 *      failing request rolls back alone (kith_store_request_end with ok = 0)
 *      and the others stay.
 *   3. kith_store_commit() ends the pass's transaction.  The server calls it
 *      once per loop pass, before it writes any reply: a reply to a write is
 *      never sent before COMMIT returned.
 *   4. A COMMIT that fails definitely — SQLite refused it (a full disk, an
 *      I/O error) or had already rolled the transaction back when a
 *      statement hit the disk — leaves nothing of the pass in the database:
 *      kith_store_commit() rolls back and returns KITH_ENOSPACE or
 *      KITH_EDISKIO, and the caller answers each request of the pass with
 *      that error.  A failed WAL sync after a COMMIT that went through is
 *      ambiguous (the writes may or may not survive a power cut):
 *      KITH_EIO, and the caller must not answer the pass's writes at all.
 *   5. Events are appended inside the request's savepoint (event.h), so an
 *      event exists exactly when the change it describes was committed.
 *   6. A *relaxed* commit (kith_store_commit_relaxed) does not sync the
 *      WAL: it is atomic and safe from a crash of kithd at once, and safe
 *      from power loss once the WAL is synced — by a full commit, or by the
 *      server syncing the WAL file on a worker thread (kith_store_wal_fd).
 *      The server commits every pass relaxed and holds the pass's replies
 *      and events until that sync is done (server/durable.c), so nobody
 *      hears of a change a power cut could undo, and the loop runs the
 *      next pass while the disk syncs the last.
 *   7. Checkpoints (copying the WAL into the database so it can start over)
 *      run on a worker thread too, through a connection of their own that
 *      only that thread uses: kith_store_checkpoint_due says when (each
 *      1,000 pages the WAL grows), the server runs kith_store_checkpoint
 *      off the loop, one at a time.  A passive checkpoint never blocks the
 *      writer.  But the WAL starts over only when a checkpoint has copied
 *      all of it by the time the next write begins, which a worker racing
 *      steady writes rarely manages: so once it holds 4,000 pages, the
 *      writer copies what is left itself, after a commit — a few pages and
 *      two syncs on the loop, where SQLite's default inline checkpoint
 *      copied 1,000 pages and synced twice every 1,000 pages.
 */
#ifndef KITH_STORE_STORE_H
#define KITH_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct kith_store kith_store;
typedef struct sqlite3_stmt kith_stmt; /* opaque outside store/ */

enum kith_sync_mode { KITH_SYNC_OFF = 0, KITH_SYNC_NORMAL = 1, KITH_SYNC_FULL = 2 };

/* Sets SQLite up for this process; call once, before any connection opens.
 * Turns off SQLite's allocation statistics: they take a global mutex on
 * every allocation (a thousand per order), and nothing reads them. */
void kith_store_library_init(void);
/* Opens (creating if needed) the database at `path` (":memory:" for a private
 * in-memory store), applies pragmas and migrations.  Returns 0 and an owned
 * store in *out (free with kith_store_close), or a negative code with the
 * reason logged. */
int kith_store_open(const char *path, int sync_mode, kith_store **out);
/* Commits nothing: rolls back any open transaction, finalizes cached
 * statements and closes the database. */
void kith_store_close(kith_store *s);

/* Opens the pass's transaction if it is not open yet.  Reads run inside it
 * too: one transaction per loop pass takes SQLite's locks once per pass
 * rather than once per statement.  Returns 0 or KITH_EIO. */
int kith_store_pass_begin(kith_store *s);
/* Opens the pass's transaction if needed, then a savepoint for one request.
 * Requests nest: a rule's call inside a request gets an inner savepoint.
 * Returns 0 or KITH_EIO. */
int kith_store_request_begin(kith_store *s);
/* Ends the request's savepoint: released when ok, rolled back otherwise. */
int kith_store_request_end(kith_store *s, int ok);
/* The number of request savepoints open (0 outside any request). */
int kith_store_in_request(const kith_store *s);
/* 1 while the pass has an uncommitted transaction. */
int kith_store_in_txn(const kith_store *s);
/* 1 when that transaction holds a request's writes (not only reads). */
int kith_store_txn_wrote(const kith_store *s);
/* Commits the pass's transaction, if any.  Returns 0; KITH_ENOSPACE or
 * KITH_EDISKIO when nothing of it was saved; KITH_EIO when it was committed
 * but the WAL sync failed (note 4). */
int kith_store_commit(kith_store *s);
/* Commits the pass's transaction without syncing the WAL (note 6).  *wrote
 * says whether it held writes.  Returns 0 or KITH_EIO. */
int kith_store_commit_relaxed(kith_store *s, int *wrote);
/* Makes everything committed so far durable now (fdatasync of the WAL on
 * the calling thread) when the store keeps synchronous=full itself; does
 * nothing otherwise.  For a reply that acknowledges writes committed
 * relaxed in earlier passes.  Returns 0 or KITH_EIO (logged). */
int kith_store_sync(kith_store *s);
/* Note 7: 1 when the WAL grew enough to checkpoint (always 0 in memory);
 * kith_store_checkpoint_begin, on the loop, says one is starting. */
int kith_store_checkpoint_due(const kith_store *s);
void kith_store_checkpoint_begin(kith_store *s);
/* Runs a passive checkpoint through the store's checkpoint connection,
 * opened on first use; call from one worker thread at a time, never the
 * loop (it touches nothing the loop uses).  0 or KITH_EIO. */
int kith_store_checkpoint(kith_store *s);
/* On the loop, after kith_store_checkpoint returned: counts it. */
void kith_store_checkpoint_done(kith_store *s);
/* 1 when this store keeps synchronous=full itself, by syncing the WAL
 * after commits (file databases opened with KITH_SYNC_FULL); 0 when a
 * commit is as durable as it will be once COMMIT returns. */
int kith_store_syncs_wal(const kith_store *s);
/* The WAL's file descriptor, opened on first use, for the server to sync
 * on a worker thread after relaxed commits (fdatasync only; no SQLite call
 * happens on that thread).  -1 when it cannot be opened (logged). */
int kith_store_wal_fd(kith_store *s);
/* The cache of rendered customer records (reccache.h), about `bytes` large
 * (0: off); replaces the current one.  0 or KITH_EIO. */
#define KITH_RECORD_CACHE_DEFAULT ((size_t)256 << 20)
int kith_store_set_record_cache(kith_store *s, size_t bytes);
struct kith_reccache *kith_store_records(kith_store *s);
/* Where the store keeps the deferred rollup counts (rollup.h note 4): NULL
 * until the first is logged; rollup.c allocates it, the store frees it. */
struct kith_rollup_log **kith_store_rollup_log(kith_store *s);
/* The customer-value model's slot (value.h), written at commit like the log. */
void **kith_store_value_slot(kith_store *s);
/* SQLite's data version of the main database: it changes with every commit,
 * of this connection or another process (kithd token create), as seen by
 * the open transaction.  0 or KITH_EIO. */
int kith_store_data_version(kith_store *s, unsigned *version);
/* token.c's memo of whether any token exists, valid while the data
 * version is `version`. */
typedef struct kith_token_memo {
    unsigned version;
    int known, exists;
} kith_token_memo;
kith_token_memo *kith_store_token_memo(kith_store *s);
/* Counters for system.stats. */
typedef struct kith_store_counters {
    uint64_t commits, commit_usec_total, commit_usec_max, rollbacks, statements_cached;
    uint64_t statements;          /* run through the statement cache: every one of a request's */
    uint64_t wal_frames;          /* pages appended to the WAL by commits */
    uint64_t checkpoints;         /* WAL checkpoints run */
    uint64_t checkpoints_on_loop; /* of which on the loop: the worker fell behind (note 7) */
    int page_size;                /* a WAL frame is a page and a 24-byte header */
} kith_store_counters;
void kith_store_get_counters(const kith_store *s, kith_store_counters *out);

/* ---- for the store's own files only ---- */

/* Returns a cached prepared statement for `sql`, a string literal (it is
 * found again by its address), reset and with bindings cleared, or NULL
 * (logged) when it fails to prepare.  Borrowed: do not finalize it. */
kith_stmt *kith_store_stmt(kith_store *s, const char *sql);
/* The same for SQL built at run time (found by its text). */
kith_stmt *kith_store_stmt_text(kith_store *s, const char *sql);
/* Runs `sql` (no results expected); returns 0 or KITH_EIO (logged). */
int kith_store_exec(kith_store *s, const char *sql);
/* Maps the last SQLite error to a KITH_E* code, logging it unless it is an
 * expected constraint violation. */
int kith_store_error(kith_store *s, const char *what);
/* The raw connection, for the store's own files. */
struct sqlite3 *kith_store_db(kith_store *s);

#endif
