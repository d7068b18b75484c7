/*
 * Schedules: named automations that run a rule job at cron times, every
 * period, or once.  The scheduler (sched/) decides when; this file keeps the
 * rows.  A schedule's wire shape: {name, cron | every | at, tz, job, args,
 * status (active, paused, running, done), next_run, last_run, last_status,
 * last_error, runs, created_at, created_by}.
 */
#ifndef KITH_STORE_SCHEDULE_H
#define KITH_STORE_SCHEDULE_H

#include "store/store.h"

#include <cJSON.h>
#include <stdint.h>

typedef struct kith_schedule_row {
    char name[128];
    char kind[8]; /* cron, every, at */
    char spec[128];
    char tz[64];
    char job[96];
    char *args;  /* JSON text (owned) */
    char *state; /* JSON text of a sliced run in progress, or NULL (owned) */
    int paused;
    int64_t anchor, next_run; /* next_run: KITH_TIME_NONE when none */
} kith_schedule_row;

/* Frees the owned strings of a row. */
void kith_schedule_row_release(kith_schedule_row *r);

/* Inserts a schedule.  Returns 0 or KITH_ECONFLICT when the name is taken. */
int kith_store_schedule_insert(kith_store *s, const kith_schedule_row *r, int64_t now,
                               const char *created_by);
/* Loads a schedule's wire shape into *out (owned).  KITH_ENOTFOUND if none. */
int kith_store_schedule_get(kith_store *s, const char *name, cJSON **out);
/* Loads the row the scheduler works from. */
int kith_store_schedule_row(kith_store *s, const char *name, kith_schedule_row *r);
/* Appends every schedule's wire shape, by name, to `out`. */
int kith_store_schedule_list(kith_store *s, cJSON *out);
/* Sets paused; returns KITH_ENOTFOUND when absent. */
int kith_store_schedule_pause(kith_store *s, const char *name, int paused);
int kith_store_schedule_delete(kith_store *s, const char *name);
/* Sets next_run (KITH_TIME_NONE clears it). */
int kith_store_schedule_set_next(kith_store *s, const char *name, int64_t next_run);
/* Saves the state of a sliced run in progress (NULL clears it). */
int kith_store_schedule_set_state(kith_store *s, const char *name, const char *state);
/* Records a finished run: last_run, last_status ("ok"/"error"), last_error,
 * runs + 1, state cleared, next_run. */
int kith_store_schedule_finish(kith_store *s, const char *name, int64_t ran_at, const char *status,
                               const char *error, int64_t next_run);
/* The names of up to `max` active schedules due at `now`, soonest first. */
int kith_store_schedule_due(kith_store *s, int64_t now, char names[][128], int max, int *n);
/* The earliest next_run of an active schedule; KITH_ENOTFOUND when none. */
int kith_store_schedule_next(kith_store *s, int64_t *at);
/* Calls fn for every active schedule (for the missed-run policy at start). */
int kith_store_schedule_each(kith_store *s, void (*fn)(void *ud, kith_schedule_row *r), void *ud);

#endif
