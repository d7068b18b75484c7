/*
 * `kith duplicates [ID] [--status S] [--min-score X] [--limit N] [--json]`:
 * the pairs of customers the duplicate rule found (customer.duplicates),
 * best first on each line: score, the two customers by name, the reasons.
 */
#ifndef KITH_CLI_DUPLICATES_H
#define KITH_CLI_DUPLICATES_H

#include "cli/session.h"

int kith_cli_duplicates_run(kith_cli_session *s, int argc, char *const *argv);

#endif
