/*
 * Online backup: a consistent copy of a live Kith database, made on any
 * thread while the server keeps serving, and the check a copy must pass
 * before `kithd restore` installs it.  Both open connections of their own;
 * neither touches the server's store (store.h note 1), so they are safe on
 * a worker thread.  Where the copy goes, and who may ask for one, is the
 * caller's business (commands/cmd_backup.c, server/restore.c).
 */
#ifndef KITH_STORE_BACKUP_H
#define KITH_STORE_BACKUP_H

#include <stddef.h>
#include <stdint.h>

typedef struct kith_backup_info {
    int64_t bytes; /* size of the copy */
    int64_t seq;   /* the last event seq the copy holds (0: none yet) */
    int schema;    /* its schema version (PRAGMA user_version) */
} kith_backup_info;

/* Copies the database at `db_path` to `dest` as one snapshot: inside a
 * single read transaction it reads the last event seq and copies every page
 * with SQLite's online backup API (a WAL reader: the server's writer is not
 * blocked), into `tmp`, which is then checked (PRAGMA integrity_check),
 * fsynced and renamed to `dest`.  `tmp` is replaced if it exists; `dest` is
 * replaced by the rename.  Returns 0 with *info, or a negative code with a
 * reason in why[whylen] (tmp removed).  Blocks for as long as the copy
 * takes: call it off the loop. */
int kith_store_backup(const char *db_path, const char *dest, const char *tmp,
                      kith_backup_info *info, char *why, size_t whylen);

/* Checks that `path` is a sound Kith database this kithd can serve: it opens
 * (read-write: pass a copy, not the user's file), PRAGMA integrity_check says
 * ok, it has Kith's tables and a schema version from 1 to this binary's.
 * Returns 0 with *info, or KITH_EINVREQ (or KITH_EIO) with why[whylen]. */
int kith_store_backup_check(const char *path, kith_backup_info *info, char *why, size_t whylen);

#endif
