/*
 * `kith visits [--owner NAME | --all] [--status S] [--from T] [--to T]
 * [--limit N] [--json]`: the visit agenda as a readable table, earliest
 * first, built on visit.list.
 *
 * Each row shows when the visit is planned relative to now ("in 2d", "3h
 * ago") and as a local time, its id, customer (name and id, looked up with
 * customer.get), purpose, status and location.  Whose visits: --owner NAME,
 * or every visitor with --all; by default the authenticated token's name
 * when KITH_TOKEN was used, else every visitor.  Only planned visits unless
 * --status says otherwise; --from/--to bound planned_at (times or durations
 * from now, as visit.list takes them).  --json prints the visit.list result
 * unchanged.
 */
#ifndef KITH_CLI_VISITS_H
#define KITH_CLI_VISITS_H

#include "cli/session.h"

/* Runs the command; argv[0] is "visits".  Borrows `s` (its connection open)
 * and argv.  Returns 0, KITH_EIO when the connection failed, or another
 * negative code for bad usage or an error from the server (reported on
 * stderr). */
int kith_cli_visits_run(kith_cli_session *s, int argc, char *const *argv);

#endif
