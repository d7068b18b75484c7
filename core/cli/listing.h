/*
 * What the kith client's list views (`kith tasks`, `kith tickets`, `kith
 * visits`) share: calling the family's *.list method, printing the result
 * as compact JSON or as a table of one row per item, the line when nothing
 * matched and the one when there is more, customer names in place of ids,
 * and their --limit option.
 *
 * A view says which method, its options and how one item becomes a row
 * (kith_cli_listing_row_fn); its wording (columns, relative times, the SLA
 * of a ticket) stays in the view.  Rows are JSON objects handed to
 * render.c, so they align and cut long cells like every other table the
 * client prints.  Customer names are looked up once per customer with
 * customer.get on the bare connection: a customer deleted since
 * (not_found) is shown by id alone rather than as an error.
 */
#ifndef KITH_CLI_LISTING_H
#define KITH_CLI_LISTING_H

#include "cli/session.h"

#include <cJSON.h>

#include <stdint.h>

#define KITH_CLI_LISTING_LIMIT     50   /* items asked for without --limit */
#define KITH_CLI_LISTING_MAX_LIMIT 1000 /* the most --limit allows */

/* One table being built; lives for one kith_cli_listing_run(). */
typedef struct kith_cli_listing {
    kith_cli_session *s;
    cJSON *customers;    /* customer label by id (kith_cli_listing_customer) */
    int64_t now_ms;      /* one "now" for every row, so relative times agree */
    const void *options; /* the view's own (kith_cli_listing_view.options) */
} kith_cli_listing;

/* Fills `row`, an empty object, with the cells of `item` in column order.
 * Returns 0 or a negative code (KITH_EIO already reported). */
typedef int (*kith_cli_listing_row_fn)(kith_cli_listing *l, const cJSON *item, cJSON *row);

typedef struct kith_cli_listing_view {
    const char *method; /* "task.list" */
    long limit;         /* what params asked for, named in "(more than N; ...)" */
    int json;           /* print the result unchanged, as compact JSON */
    /* When nothing matched: "no <status> <noun>[ for <owner>]". */
    const char *status; /* NULL: "" */
    const char *noun;   /* "tasks" */
    const char *owner;  /* NULL: no " for ..." */
    kith_cli_listing_row_fn row;
    const void *options; /* handed to `row` as l->options */
} kith_cli_listing_view;

/* Calls v->method with `params` (taken) and prints its result to stdout.
 * Borrows `s` (its connection open) and `v`.  Returns 0, KITH_EIO when the
 * connection failed, or another negative code (reported on stderr). */
int kith_cli_listing_run(kith_cli_session *s, const kith_cli_listing_view *v, cJSON *params);

/* Returns in *label the label of the customer `item` belongs to (its
 * customer_id): "Ada Lovelace (#7)", or "#7" when the customer cannot be
 * read, or NULL when item has no customer_id.  The label is borrowed from
 * l->customers.  Returns 0, KITH_EIO (reported) or KITH_ENOMEM. */
int kith_cli_listing_customer(kith_cli_listing *l, const cJSON *item, const char **label);

/* Adds member `key` of `item` to `row`, copied (null when absent).
 * Returns 0 or KITH_ENOMEM. */
int kith_cli_listing_copy(cJSON *row, const char *key, const cJSON *item);

/* Adds `text` to `row` as `key` (null when `text` is NULL).  Returns 0 or
 * KITH_ENOMEM. */
int kith_cli_listing_text(cJSON *row, const char *key, const char *text);

/* An option of a list view that takes a value: "--owner NAME". */
typedef struct kith_cli_listing_option {
    const char *name;   /* "--owner" */
    const char **value; /* set to the value, borrowed from argv */
} kith_cli_listing_option;

/* Reads the words after the command's name (argv[1] on): the options in
 * `opts`, ended by one with a NULL name, and the flags --all (sets *all)
 * and --json (sets *json).  Borrows argv.  Returns 0, or KITH_EPARAMS
 * after printing why to stderr (a missing value, or "kith: <command>:
 * unexpected 'WORD' (see kith help <command>)"). */
int kith_cli_listing_options(const char *command, int argc, char *const *argv,
                             const kith_cli_listing_option *opts, int *all, int *json);

/* Parses the value of --limit into *limit: a number from 1 to
 * KITH_CLI_LISTING_MAX_LIMIT.  Returns 0, or KITH_EPARAMS after printing
 * "kith: <command>: --limit wants ..." to stderr. */
int kith_cli_listing_limit(const char *command, const char *text, long *limit);

#endif
