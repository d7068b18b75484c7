/*
 * `kith subscribe PATTERN... [--since SEQ] [--json]`: subscribes the
 * session's connection to channels and prints each event as it arrives,
 * until SIGINT/SIGTERM or the server closes the connection.
 *
 * Readable output is one line per event, `seq  time  channel  summary`, the
 * summary drawn from whatever records the event carries (customer, order,
 * task, segment, churn risk, ...), falling back to compact JSON.  --json
 * prints each notification's params as one compact JSON line.  stdout is
 * flushed after every line so pipes see events at once.  The subscription's
 * seq goes to stderr, so a user can resume with --since.  Talking to the
 * socket is left to conn.c.
 */
#ifndef KITH_CLI_SUBSCRIBE_H
#define KITH_CLI_SUBSCRIBE_H

#include "cli/session.h"

/* Runs the command; argv[0] is "subscribe".  Borrows `s` (its connection
 * open) and argv.  Catches SIGINT and SIGTERM while it runs and restores the
 * previous handlers before returning.  Returns 0 when interrupted (or when
 * stdout's reader went away), KITH_EIO when the connection failed or the
 * server closed it, another negative code for bad usage or a refused
 * subscribe; every failure is reported on stderr.  When s->prompt is set,
 * the connection is unsubscribed again before returning. */
int kith_cli_subscribe_run(kith_cli_session *s, int argc, char *const *argv);

#endif
