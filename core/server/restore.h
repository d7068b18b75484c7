/*
 * `kithd restore FILE --data DIR`: installs a backup (system.backup's file)
 * as the data folder's database, with the server stopped.  The file is
 * copied in, checked (store/backup.h), and only then put in place; the
 * database it replaces is kept beside it, never deleted.
 */
#ifndef KITH_SERVER_RESTORE_H
#define KITH_SERVER_RESTORE_H

#include "server/config.h"

/* Restores `file` into cfg->data: takes the data folder's lock (the one a
 * running kithd holds, so a live server makes it refuse), copies the file to
 * DIR/kith.db.restoring, checks it, moves the old kith.db (and its -wal) to
 * kith.db.before-restore, drops a stale -shm and renames the copy to
 * kith.db.  Prints what it did on stdout, or why not on stderr.  Returns the
 * process exit code: 0, or 1 with nothing changed. */
int kith_restore(const kith_config *cfg, const char *file);

#endif
