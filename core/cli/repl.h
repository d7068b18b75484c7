/*
 * kith's interactive prompt: each line is a command as on the command line
 * (`METHOD key=value ...`, `call`, `help`, `subscribe`, `tasks`), split
 * with shell quoting.  `subscribe` runs until Ctrl-C, then the prompt
 * returns.
 *
 * On a terminal it uses libedit: history kept in ~/.kith_history, tab
 * completion of method names and of a method's param names, both taken
 * from the server's rpc.discover.  When input is not a terminal it reads
 * plain lines without a prompt, so `kith < commands.txt` works as a script.
 * Running each command is left to session.c.
 */
#ifndef KITH_CLI_REPL_H
#define KITH_CLI_REPL_H

#include "cli/session.h"

/* Reads and runs lines until `quit`, `exit` or end of input; sets
 * s->prompt, since more commands follow each one.  Borrows `s`,
 * whose connection must be open.  Returns 0; KITH_EIO when the connection
 * was lost (reported already); when input is not a terminal, the code of
 * the last command that failed, so a script's exit status tells. */
int kith_cli_repl_run(kith_cli_session *s);

#endif
