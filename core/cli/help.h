/*
 * `kith help`: the server's methods, read from its rpc.discover document
 * (OpenRPC 1.3.2: methods[] with name, summary, params[] {name, required,
 * description, schema.type} and the extension `x-kith-role`).
 *
 * The client carries no method list of its own, so help always matches the
 * server it talks to, plugins included.  Only the client's own commands
 * (subscribe, tasks) are described from text kept here.  Fetching the document is left to
 * session.c.
 */
#ifndef KITH_CLI_HELP_H
#define KITH_CLI_HELP_H

#include <cJSON.h>

#include <stdio.h>

/* Prints every method: name, role and summary on one line, its params
 * (optional ones marked "?") on the next.  Borrows `doc`.  Returns 0. */
int kith_cli_help_list(FILE *out, const cJSON *doc);

/* Prints one method: summary, description, role and a table of its params.
 * Borrows `doc`.  Returns 0, or KITH_ENOMETHOD when the document has no
 * method called `name`. */
int kith_cli_help_method(FILE *out, const cJSON *doc, const char *name);

/* Prints the client's own commands (subscribe, tasks), which are not server
 * methods: with `name` NULL a short list of them, else the full help of
 * that one.  Returns 0, or KITH_ENOMETHOD when no client command is called
 * `name`. */
int kith_cli_help_client(FILE *out, const char *name);

/* Returns the method object called `name` in `doc` (borrowed from it), or
 * NULL. */
const cJSON *kith_cli_help_find(const cJSON *doc, const char *name);

#endif
