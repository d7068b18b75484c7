/*
 * See backup.h.  One snapshot: the source connection opens a read
 * transaction (BEGIN, then a read), reads the event seq, and the backup API
 * then copies from that same connection, whose pager stays in the same read
 * transaction for the whole step, so the pages and the seq come from one
 * WAL snapshot.  The copy is made in one sqlite3_backup_step(-1): on a
 * worker thread nothing waits for it, and a step-by-step copy of a WAL
 * database restarts whenever the server writes.
 */
#include "store/backup.h"
#include "store/migrate.h"
#include "util/error.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failf(char *why, size_t whylen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int failf(char *why, size_t whylen, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return code;
}

/* One integer from a single-row query, or -1. */
static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
        if (rc == SQLITE_DONE) v = 0; /* no row: e.g. no event yet */
    }
    sqlite3_finalize(st);
    return v;
}

/* The event log's high-water mark, as kith_store_event_last_seq reads it. */
static const char LAST_SEQ_SQL[] = "SELECT seq FROM sqlite_sequence WHERE name = 'events'";

/* PRAGMA integrity_check; 0 when it says ok, else the first complaint. */
static int integrity(sqlite3 *db, char *why, size_t whylen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        int bad = rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT;
        return failf(why, whylen, bad ? KITH_EINVREQ : KITH_EIO, "%s", sqlite3_errmsg(db));
    }
    rc = sqlite3_step(st);
    const char *first = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    int ok = first && strcmp(first, "ok") == 0;
    if (!ok)
        failf(why, whylen, KITH_EINVREQ, "integrity_check failed: %s",
              first ? first : sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return ok ? 0 : KITH_EINVREQ;
}

static int fsync_path(const char *path, int dir)
{
    int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Copies one snapshot of `src` into the open `dst`; fills seq. */
static int copy_snapshot(sqlite3 *src, sqlite3 *dst, int64_t *seq, char *why, size_t whylen)
{
    /* BEGIN is deferred: the first read starts the read transaction, and
     * the backup step below reads inside it. */
    if (sqlite3_exec(src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return failf(why, whylen, KITH_EIO, "cannot begin a read: %s", sqlite3_errmsg(src));
    *seq = query_int(src, LAST_SEQ_SQL);
    int rc = KITH_EIO;
    if (*seq < 0) {
        failf(why, whylen, KITH_EIO, "cannot read the event log: %s", sqlite3_errmsg(src));
    } else {
        sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
        if (!b) {
            failf(why, whylen, KITH_EIO, "cannot start the copy: %s", sqlite3_errmsg(dst));
        } else {
            int step = sqlite3_backup_step(b, -1);
            int fin = sqlite3_backup_finish(b);
            if (step == SQLITE_DONE && fin == SQLITE_OK)
                rc = 0;
            else
                failf(why, whylen, KITH_EIO, "copy failed: %s",
                      sqlite3_errstr(step != SQLITE_DONE ? step : fin));
        }
    }
    sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
    return rc;
}

int kith_store_backup(const char *db_path, const char *dest, const char *tmp,
                      kith_backup_info *info, char *why, size_t whylen)
{
    memset(info, 0, sizeof(*info));
    sqlite3 *src = NULL, *dst = NULL;
    unlink(tmp);
    int rc = 0;
    /* A copy of every customer is as private as the database: created 0600
     * before SQLite opens it (SQLite keeps an existing file's mode). */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return failf(why, whylen, KITH_EIO, "cannot create %s: %s", tmp, strerror(errno));
    close(fd);
    if (sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        rc = failf(why, whylen, KITH_EIO, "cannot open %s: %s", db_path,
                   src ? sqlite3_errmsg(src) : "out of memory");
    if (!rc) sqlite3_busy_timeout(src, 5000);
    if (!rc &&
        sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        rc = failf(why, whylen, KITH_EIO, "cannot create %s: %s", tmp,
                   dst ? sqlite3_errmsg(dst) : "out of memory");
    if (!rc) rc = copy_snapshot(src, dst, &info->seq, why, whylen);
    sqlite3_close(src);
    /* The copy is checked through its own connection before anyone can
     * mistake it for a backup. */
    if (!rc) rc = integrity(dst, why, whylen);
    if (!rc) info->schema = (int)query_int(dst, "PRAGMA user_version");
    /* Closing the last connection folds any WAL back into the file. */
    if (dst && sqlite3_close(dst) != SQLITE_OK && !rc)
        rc = failf(why, whylen, KITH_EIO, "cannot close %s", tmp);
    struct stat st;
    if (!rc && (fsync_path(tmp, 0) < 0 || stat(tmp, &st) < 0))
        rc = failf(why, whylen, KITH_EIO, "cannot sync %s: %s", tmp, strerror(errno));
    if (!rc && rename(tmp, dest) < 0)
        rc = failf(why, whylen, KITH_EIO, "cannot rename %s to %s: %s", tmp, dest, strerror(errno));
    if (rc) {
        unlink(tmp);
        return rc;
    }
    info->bytes = st.st_size;
    /* The rename is durable once the folder's entry is. */
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", dest);
    fsync_path(dirname(dir), 1);
    return 0;
}

int kith_store_backup_check(const char *path, kith_backup_info *info, char *why, size_t whylen)
{
    memset(info, 0, sizeof(*info));
    sqlite3 *db = NULL;
    struct stat st;
    if (stat(path, &st) < 0)
        return failf(why, whylen, KITH_EINVREQ, "%s: %s", path, strerror(errno));
    info->bytes = st.st_size;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        int rc = failf(why, whylen, KITH_EINVREQ, "%s is not a database: %s", path,
                       db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db, 5000);
    int rc = integrity(db, why, whylen);
    if (!rc) {
        info->schema = (int)query_int(db, "PRAGMA user_version");
        int64_t tables = query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                       "AND name IN ('customers', 'events')");
        if (tables != 2)
            rc = failf(why, whylen, KITH_EINVREQ, "%s is not a Kith database (no customers/events)",
                       path);
        else if (info->schema < 1 || info->schema > kith_migrate_latest())
            rc = failf(why, whylen, KITH_EINVREQ,
                       "%s has schema version %d; this kithd knows 1 to %d", path, info->schema,
                       kith_migrate_latest());
        else
            info->seq = query_int(db, LAST_SEQ_SQL);
    }
    if (sqlite3_close(db) != SQLITE_OK && !rc)
        rc = failf(why, whylen, KITH_EIO, "cannot close %s", path);
    return rc;
}
