/*
 * `kith survey results NAME [--from T] [--to T] [--json]`: a survey's
 * results as a manager reads them, built on survey.results (and survey.get
 * for the NPS question): the headline NPS, CSAT, CES and response rate,
 * per-question means, the drivers table, and a bar chart of the NPS
 * distribution 0-10.  The bars are coloured (detractors red, passives
 * yellow, promoters green) only when stdout is a terminal; otherwise they
 * are plain ASCII.  --json prints the survey.results result unchanged.
 */
#ifndef KITH_CLI_SURVEY_H
#define KITH_CLI_SURVEY_H

#include "cli/session.h"

#include <cJSON.h>
#include <stdio.h>

/* Runs the command; argv[0] is "survey".  Borrows `s` and argv.  Returns 0,
 * KITH_EIO when the connection failed, or another negative code for bad
 * usage or an error from the server (reported on stderr). */
int kith_cli_survey_run(kith_cli_session *s, int argc, char *const *argv);

/* Prints the bar chart of distribution {"0": n, ..., "10": n} to out; with
 * `colour`, ANSI colours and block characters, else '#'.  Returns 0. */
int kith_cli_survey_nps_chart(FILE *out, const cJSON *distribution, int colour);

#endif
