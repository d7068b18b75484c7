/*
 * `kith report NAME [--from T] [--to T] [--interval I] [--group-by G]
 * [--survey S] [--chart COLUMN] [--csv | --json]`: a KPI report
 * (report.run) as an aligned table followed by a bar chart of its headline
 * column (each report has one; --chart picks another), sized for an
 * 80-column terminal.  --csv prints the table as CSV and --json the
 * report.run result, for scripts.
 *
 * `kith value ID [--json]`: one customer's value (value.get) as a card:
 * RFM code and label, P(alive) with a bar, expected orders, expected
 * spend, 12-month CLV and the history they come from.
 */
#ifndef KITH_CLI_REPORT_H
#define KITH_CLI_REPORT_H

#include "cli/session.h"

#include <cJSON.h>
#include <stddef.h>
#include <stdio.h>

/* Run the commands; argv[0] is "report" / "value".  Return 0, KITH_EIO when
 * the connection failed, or another negative code (reported on stderr). */
int kith_cli_report_run(kith_cli_session *s, int argc, char *const *argv);
int kith_cli_value_run(kith_cli_session *s, int argc, char *const *argv);

/* Prints a bar per row of `rows` (a report's row arrays) for the numeric
 * column `col`, labelled by column 0 (and 1 when `two_labels`), fitting
 * `width` columns. */
void kith_cli_report_bars(FILE *out, const cJSON *rows, int col, int two_labels, size_t width);

#endif
