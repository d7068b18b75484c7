/*
 * `kithd test-scripts`: runs the rule tests (*_test.lua) against a private
 * in-memory store.  Each test gets a fresh world — store, dispatcher, rules
 * and plugins loaded anew — so tests cannot leak into each other; advance()
 * moves that world's clock, firing due reminders, schedules, loyalty expiry
 * and daily rule sweeps on the way.  The background work is the server's
 * own (work/), driven by a simulated clock instead of libuv timers; the
 * world commits in full after each piece and runs crm.on handlers until
 * none is left before a test looks.  Not server code: it opens no socket,
 * and sits beside server/ as the other owner of a dispatcher and rules.
 */
#ifndef KITH_TESTRUN_TESTRUN_H
#define KITH_TESTRUN_TESTRUN_H

#include "server/config.h"

/* Runs the tests in `files` (or, when nfiles is 0, every *_test.lua in the
 * scripts folder and in each plugin's folder).  Prints a line per test and
 * "N passed, N failed".  Returns the process exit code. */
int kith_testrun(const kith_config *cfg, char **files, int nfiles);

#endif
