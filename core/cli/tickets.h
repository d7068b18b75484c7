/*
 * `kith tickets [--status S | --all] [--owner NAME] [--customer ID]
 * [--limit N] [--json]`: complaints and service tickets as a readable
 * table, newest first, built on ticket.list.
 *
 * Each row shows the ticket's id, status, priority, kind, customer (name
 * and id), subject, owner and where its SLA stands relative to now
 * ("respond in 45m", "resolve 2h overdue", "paused" while waiting,
 * "BREACHED resolve" once a deadline passed).  Only active tickets (new,
 * open, waiting) unless --status names one or --all asks for every status.
 * --json prints the ticket.list result unchanged.
 */
#ifndef KITH_CLI_TICKETS_H
#define KITH_CLI_TICKETS_H

#include "cli/session.h"

/* Runs the command; argv[0] is "tickets".  Borrows `s` (its connection
 * open) and argv.  Returns 0, KITH_EIO when the connection failed, or
 * another negative code for bad usage or a server error (reported on
 * stderr). */
int kith_cli_tickets_run(kith_cli_session *s, int argc, char *const *argv);

#endif
