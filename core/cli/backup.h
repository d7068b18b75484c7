/*
 * `kith backup FILE [--overwrite] [--json]`: asks the server for a
 * consistent copy of its database (system.backup) and prints where it went,
 * its size and the event seq it holds.  The server writes the file: a
 * relative FILE is relative to the server's data folder, not to here.
 */
#ifndef KITH_CLI_BACKUP_H
#define KITH_CLI_BACKUP_H

#include "cli/session.h"

/* Runs the command; argv[0] is "backup".  Borrows `s` (its connection
 * open) and argv.  Returns 0, KITH_EIO when the connection failed, or
 * another negative code for bad usage or the server's error (reported on
 * stderr). */
int kith_cli_backup_run(kith_cli_session *s, int argc, char *const *argv);

#endif
