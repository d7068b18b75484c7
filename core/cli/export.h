/*
 * `kith export customers|orders|interactions|tickets [--filter JSON]
 * [--format csv|jsonl] [-o FILE]`: streams every matching record, a page of
 * up to 1,000 at a time through the list methods' cursors, so memory stays
 * constant.  Customers and orders are written in the columns `kith import`
 * reads back (attrs, tags and items as JSON cells; orders with their
 * customer's external_id).
 */
#ifndef KITH_CLI_EXPORT_H
#define KITH_CLI_EXPORT_H

#include "cli/session.h"

/* Runs the command; argv[0] is "export".  Returns 0, KITH_EIO, or another
 * negative code reported on stderr. */
int kith_cli_export_run(kith_cli_session *s, int argc, char *const *argv);

#endif
