/*
 * `kith import customers|orders FILE.csv [options]`: loads an RFC 4180 CSV
 * file through customer.import / order.import in batches of up to 1,000
 * rows.  The file is checked whole first and, unless --per-record, every
 * record is checked by the server (a dry run) before any is written, so a
 * bad file imports nothing.  A progress bar with rate and ETA goes to a
 * terminal's stderr; failed rows go to FILE.errors.csv; --resume continues
 * an interrupted import from FILE.import-state.
 */
#ifndef KITH_CLI_IMPORT_H
#define KITH_CLI_IMPORT_H

#include "cli/session.h"

/* Runs the command; argv[0] is "import".  Returns 0, KITH_EIO when the
 * connection failed, or another negative code (reported on stderr) for bad
 * usage, a bad file or failed rows. */
int kith_cli_import_run(kith_cli_session *s, int argc, char *const *argv);

#endif
