/*
 * report.run's reports (README "Measuring"): each is one entry of
 * kith_reports, with its formula in words for report.list, and fills the
 * reply's columns and rows from rollups, cohort cells and small snapshots,
 * never from a scan of a history.  A row is an array in column order.
 */
#ifndef KITH_COMMANDS_REPORT_H
#define KITH_COMMANDS_REPORT_H

#include "commands/commands.h"

#include <cJSON.h>
#include <stdint.h>

typedef struct kith_report_args {
    int64_t from, to;     /* ms; `to` exclusive */
    const char *interval; /* day, week, month (NULL: the report's default) */
    const char *group_by; /* NULL: none */
    const cJSON *params;  /* everything given, for report-specific params */
} kith_report_args;

typedef struct kith_report {
    const char *name;
    const char *description;
    const char *formula;
    const char *const *intervals; /* allowed; the first is the default; NULL: none */
    const char *const *group_by;  /* allowed; NULL: none */
    /* Sets "columns" and "rows" (and any extra members) on out. */
    int (*run)(kith_ctx *ctx, const kith_report_args *a, cJSON *out);
} kith_report;

extern const kith_report kith_reports[]; /* {NULL}-terminated (cmd_report.c) */

/* ---- helpers for the reports ---- */

/* out.columns = names (NULL-terminated); returns out.rows, empty. */
cJSON *kith_report_table(cJSON *out, const char *const *names);
/* Appends an empty row to rows and returns it. */
cJSON *kith_report_row(cJSON *rows);
/* Appends a number rounded to `places` decimals, or null when not finite. */
void kith_report_num(cJSON *row, double v, int places);
/* The label of an interval starting at `day`: "2026-03-01" for days and
 * weeks, "2026-03" for months. */
void kith_report_label(const char *interval, int64_t day, char *buf, size_t len);
/* The label of month number m ("2026-03"). */
void kith_report_month_label(int64_t m, char *buf, size_t len);

/* Sums of a rollup per (group key, interval): key is "" without group_by. */
typedef struct kith_report_cell {
    char key[96];
    int64_t start; /* the interval's first day */
    int64_t n;
    double sx;
} kith_report_cell;
typedef struct kith_report_sums {
    kith_report_cell *cells;
    size_t n, cap;
    const char *interval;
    int oom;
} kith_report_sums;
/* Reads `metric` grouped by `dim` ("" for the total) over [a->from, a->to)
 * into sums, by `interval` ("all": one interval).  Returns 0 or a failure
 * in ctx.  Free with kith_report_sums_free. */
int kith_report_sum(kith_ctx *ctx, const kith_report_args *a, const char *metric, const char *dim,
                    const char *interval, kith_report_sums *sums);
/* The cell for (key, start), or NULL. */
const kith_report_cell *kith_report_cell_of(const kith_report_sums *s, const char *key,
                                            int64_t start);
void kith_report_sums_free(kith_report_sums *s);

/* The reports, by file. */
int kith_report_customers(kith_ctx *ctx, const kith_report_args *a, cJSON *out);
int kith_report_retention(kith_ctx *ctx, const kith_report_args *a, cJSON *out);
int kith_report_funnel(kith_ctx *ctx, const kith_report_args *a, cJSON *out);
int kith_report_revenue(kith_ctx *ctx, const kith_report_args *a, cJSON *out);
int kith_report_loyalty(kith_ctx *ctx, const kith_report_args *a, cJSON *out);
int kith_report_scorecard(kith_ctx *ctx, const kith_report_args *a, cJSON *out);

#endif
