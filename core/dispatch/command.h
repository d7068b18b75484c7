/*
 * The shape of a command: every method Kith serves is declared once, as a
 * kith_command in a table (one table per family, in commands/), with its
 * params, flags, minimum role and summary.  The dispatcher checks existence,
 * role and params from this declaration before any handler runs, and
 * rpc.discover describes the API from the same tables, so the documentation
 * cannot drift from the code.
 *
 * A handler has one shape: validate domain rules, look up, change inside the
 * request's transaction, build the reply, emit events — in that order.  It
 * returns 0 with *result set (owned by the caller), or a negative KITH_E* code
 * after describing the failure with kith_ctx_fail().  A result may be a
 * cJSON_Raw node holding ready-made JSON text (customer.get's cached
 * records): the wire writes it as is, and whoever needs a tree parses it.
 * The request's own vocabulary (context, session, error record, roles) is
 * request/request.h, shared by every layer.
 */
#ifndef KITH_DISPATCH_COMMAND_H
#define KITH_DISPATCH_COMMAND_H

#include "request/request.h"

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

enum kith_cmd_flags {
    KITH_CMD_READ = 1 << 0,  /* reads only; never opens a transaction */
    KITH_CMD_WRITE = 1 << 1, /* runs inside a request savepoint of the group commit */
    KITH_CMD_ADMIN = 1 << 2, /* administrative (documented as such) */
};

enum kith_param_type {
    KITH_T_ANY,
    KITH_T_STRING,
    KITH_T_INT,    /* a JSON number with no fraction, |v| <= 2^53 */
    KITH_T_NUMBER, /* any finite JSON number */
    KITH_T_BOOL,
    KITH_T_OBJECT,
    KITH_T_ARRAY,
    KITH_T_STRINGS, /* an array of strings */
    KITH_T_TIME,    /* an ISO 8601 string with an offset */
    KITH_T_DUE,     /* an ISO 8601 string, or a duration from now ("15m") */
};

typedef struct kith_param {
    const char *name;
    int type;
    int required;
    const char *description;
} kith_param;

typedef int (*kith_handler)(kith_ctx *ctx, const cJSON *params, cJSON **result);

typedef struct kith_command {
    const char *name;
    kith_handler handler;
    const kith_param *params; /* terminated by {NULL} */
    int flags;
    int min_role;
    const char *summary;
    const char *result; /* one line on what comes back */
} kith_command;

#endif
