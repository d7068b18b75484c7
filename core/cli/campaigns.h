/*
 * `kith campaigns [--status S] [--limit N] [--json]`: campaigns newest
 * first (campaign.list), one row each: id, name, status, kind, channel,
 * segment, control share and launch day.
 *
 * `kith campaign results ID|NAME [--json]`: what a campaign did against
 * its control group (campaign.results), as a manager reads it on 80
 * columns: the audience and its exclusions, a treated/control table
 * (members, converted, conversion, revenue, revenue per member), the
 * uplift in percentage points with its 95% interval and whether it
 * excludes zero, and the incremental conversions, revenue and roi.  --json
 * prints the method's result unchanged.
 */
#ifndef KITH_CLI_CAMPAIGNS_H
#define KITH_CLI_CAMPAIGNS_H

#include "cli/session.h"

/* Runs `campaigns` (argv[0] "campaigns") or `campaign results`
 * (argv[0] "campaign").  Borrows `s` (its connection open) and argv.
 * Returns 0, KITH_EIO when the connection failed, or another negative
 * code for bad usage or a server error (reported on stderr). */
int kith_cli_campaigns_run(kith_cli_session *s, int argc, char *const *argv);

#endif
