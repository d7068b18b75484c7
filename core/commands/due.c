/*
 * See due.h.  The list of due sources, in the order they fire when several
 * are due in the same pass.
 */
#include "commands/due.h"
#include "commands/task_ops.h"
#include "commands/visit_ops.h"
#include "store/task.h"
#include "util/error.h"

const kith_due_source kith_due_sources[] = {
    {"reminders", kith_store_task_next_due, kith_task_fire_due},
    {"visit reminders", kith_visit_next_reminder, kith_visit_fire_reminders},
    {"visit misses", kith_visit_next_miss, kith_visit_fire_misses},
    {NULL, NULL, NULL},
};

int kith_due_next(kith_store *s, int64_t *at)
{
    int found = 0;
    for (const kith_due_source *d = kith_due_sources; d->name; d++) {
        int64_t t;
        if (d->next(s, &t) == 0 && (!found || t < *at)) {
            *at = t;
            found = 1;
        }
    }
    return found ? 0 : KITH_ENOTFOUND;
}
