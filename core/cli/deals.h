/*
 * `kith deals [--status S | --all] [--owner NAME] [--stage S] [--limit N]
 * [--json]`: deals as a table for an 80-column terminal (open ones by
 * default): id, customer, name, stage, amount, probability, expected
 * close relative to now, owner, and "rotting" when idle too long.
 *
 * `kith forecast [--period month|quarter] [--by owner|stage|pipeline]
 * [--owner NAME] [--start T] [--json]`: deal.forecast as a summary (the
 * period, pipeline, weighted, best case, commit, closed won, target and
 * gap, win rate) and, with --by, a table per group and a bar chart of the
 * weighted pipeline.
 */
#ifndef KITH_CLI_DEALS_H
#define KITH_CLI_DEALS_H

#include "cli/session.h"

int kith_cli_deals_run(kith_cli_session *s, int argc, char *const *argv);
int kith_cli_forecast_run(kith_cli_session *s, int argc, char *const *argv);

#endif
