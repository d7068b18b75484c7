/*
 * See due.h.  The list of due sources, in the order they fire when several
 * are due in the same pass.
 */
#include "commands/due.h"
#include "commands/campaign_ops.h"
#include "commands/survey_ops.h"
#include "commands/task_ops.h"
#include "store/survey.h"
#include "commands/ticket_sla.h"
#include "commands/deal_ops.h"
#include "commands/visit_ops.h"
#include "store/task.h"
#include "store/ticket.h"
#include "util/error.h"

const kith_due_source kith_due_sources[] = {
    {"reminders", kith_store_task_next_due, kith_task_fire_due},
    {"survey sends", kith_store_invitation_next_send, kith_survey_fire_sends},
    {"survey expiries", kith_store_invitation_next_expiry, kith_survey_fire_expiries},
    {"ticket SLAs", kith_store_ticket_sla_next, kith_ticket_sla_fire},
    {"visit reminders", kith_visit_next_reminder, kith_visit_fire_reminders},
    {"visit misses", kith_visit_next_miss, kith_visit_fire_misses},
    {"rotting deals", kith_deal_next_rot, kith_deal_fire_rot},
    {"campaign audiences", kith_campaign_next_members, kith_campaign_fire_members},
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
