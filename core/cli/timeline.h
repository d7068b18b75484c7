/*
 * `kith timeline ID [--kinds K,K...] [--from T] [--to T] [--limit N]
 * [--json]`: what happened to one customer, newest first, built on
 * customer.timeline: when (relative, "3d ago"), the kind, the record's id
 * and a one-line summary, readable on 80 columns.  --json prints the
 * customer.timeline result unchanged.
 */
#ifndef KITH_CLI_TIMELINE_H
#define KITH_CLI_TIMELINE_H

#include "cli/session.h"

/* Runs the command; argv[0] is "timeline".  Returns 0, KITH_EIO when the
 * connection failed, or another negative code for bad usage or a server
 * error (reported on stderr). */
int kith_cli_timeline_run(kith_cli_session *s, int argc, char *const *argv);

#endif
