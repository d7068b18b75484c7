/*
 * `kith tasks [--owner NAME | --all] [--status S] [--limit N] [--json]`:
 * follow-up tasks as a readable table, soonest due first, built on
 * task.list.
 *
 * Each row shows when the task is due relative to now ("in 2h", "3d
 * overdue") and as a local time, its id, its customer (name and id, looked
 * up with customer.get), owner and note.  Whose tasks: --owner NAME, or
 * every owner with --all; by default the authenticated token's name when
 * KITH_TOKEN was used, else every owner.  Only open tasks unless --status
 * says done or cancelled.  --json prints the task.list result unchanged.
 */
#ifndef KITH_CLI_TASKS_H
#define KITH_CLI_TASKS_H

#include "cli/session.h"

/* Runs the command; argv[0] is "tasks".  Borrows `s` (its connection open)
 * and argv.  Returns 0, KITH_EIO when the connection failed, or another
 * negative code for bad usage or an error from the server (reported on
 * stderr). */
int kith_cli_tasks_run(kith_cli_session *s, int argc, char *const *argv);

#endif
