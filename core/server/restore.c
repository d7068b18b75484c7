/*
 * See restore.h.  Every step before the final renames works on a copy, so a
 * refusal or a failure leaves the data folder as it was.  The lock is taken
 * the way server.c takes it (flock on DIR/kithd.lock), and held to the end,
 * so no kithd can start on the folder half-way through.
 */
#include "server/restore.h"
#include "store/backup.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_MAX_EXTRA 32

/* Copies `from` to a new 0600 file `to` and syncs it.  0 or -1 (errno). */
static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) return -1;
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
        int e = errno;
        close(in);
        errno = e;
        return -1;
    }
    char buf[1 << 16];
    ssize_t n = 0;
    int rc = 0;
    while (rc == 0 && (n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno != EINTR) rc = -1;
            continue;
        }
        for (ssize_t off = 0; off < n && rc == 0;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno != EINTR) rc = -1;
            if (w > 0) off += w;
        }
    }
    if (rc == 0) rc = fsync(out);
    int e = errno;
    close(in);
    close(out);
    errno = e;
    return rc;
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Moves the current database aside: kith.db and kith.db-wal become
 * kith.db.before-restore and kith.db.before-restore-wal (the names SQLite
 * pairs, so the old database opens whole); the -shm is rebuilt from the WAL
 * and goes. */
static int move_aside(const char *data, char *kept, size_t keptlen)
{
    char db[KITH_PATH_MAX + NAME_MAX_EXTRA], wal[sizeof(db)], shm[sizeof(db)], kept_wal[sizeof(db)];
    snprintf(db, sizeof(db), "%s/kith.db", data);
    snprintf(wal, sizeof(wal), "%s/kith.db-wal", data);
    snprintf(shm, sizeof(shm), "%s/kith.db-shm", data);
    snprintf(kept, keptlen, "%s/kith.db.before-restore", data);
    snprintf(kept_wal, sizeof(kept_wal), "%s/kith.db.before-restore-wal", data);
    kept[keptlen - 1] = '\0';
    if (!exists(db)) {
        kept[0] = '\0';
        unlink(wal);
        unlink(shm);
        return 0;
    }
    if (exists(kept) || exists(kept_wal)) {
        fprintf(stderr,
                "kithd: %s exists from an earlier restore; move it away first (nothing was "
                "changed)\n",
                kept);
        return -1;
    }
    if (rename(db, kept) < 0 || (exists(wal) && rename(wal, kept_wal) < 0)) {
        fprintf(stderr, "kithd: cannot move %s aside: %s\n", db, strerror(errno));
        return -1;
    }
    unlink(shm);
    return 0;
}

int kith_restore(const kith_config *cfg, const char *file)
{
    const char *data = cfg->data;
    char lock[KITH_PATH_MAX + NAME_MAX_EXTRA], copy[sizeof(lock)], db[sizeof(lock)],
        kept[sizeof(lock)];
    if (mkdir(data, 0700) < 0 && errno != EEXIST) {
        fprintf(stderr, "kithd: cannot create %s: %s\n", data, strerror(errno));
        return 1;
    }
    snprintf(lock, sizeof(lock), "%s/kithd.lock", data);
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
        fprintf(stderr, "kithd: %s is in use by a running kithd (%s); stop it first\n", data,
                strerror(errno));
        if (fd >= 0) close(fd);
        return 1;
    }
    int code = 1;
    kith_backup_info info;
    char why[600];
    snprintf(copy, sizeof(copy), "%s/kith.db.restoring", data);
    snprintf(db, sizeof(db), "%s/kith.db", data);
    if (copy_file(file, copy) < 0) {
        fprintf(stderr, "kithd: cannot copy %s into %s: %s\n", file, data, strerror(errno));
    } else if (kith_store_backup_check(copy, &info, why, sizeof(why)) < 0) {
        fprintf(stderr, "kithd: %s cannot be restored: %s\n", file, why);
    } else if (move_aside(data, kept, sizeof(kept)) == 0) {
        if (rename(copy, db) < 0) {
            fprintf(stderr, "kithd: cannot install %s: %s\n", db, strerror(errno));
            if (kept[0]) fprintf(stderr, "kithd: the previous database is %s\n", kept);
        } else {
            sync_dir(data);
            printf("restored %s into %s (%lld bytes, schema %d, events up to seq %lld)\n", file, db,
                   (long long)info.bytes, info.schema, (long long)info.seq);
            if (kept[0]) printf("the previous database is kept as %s\n", kept);
            code = 0;
        }
    }
    if (code) unlink(copy);
    /* The check's connection is closed: no -wal or -shm of the copy is
     * left; these are for a copy that failed half-way. */
    char side[sizeof(copy) + 8];
    snprintf(side, sizeof(side), "%s-wal", copy);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", copy);
    unlink(side);
    close(fd);
    return code;
}
