/*
 * Every event channel Kith emits (CONTRACT.md sections 4 and 6), declared
 * once.  X(name, flags) for each; KITH_EV_BEFORE marks the events whose
 * writes run crm.before hooks (the record may be changed or vetoed before
 * it is written).  The rules engine checks hook registrations against this
 * list, so a typo in crm.on("ticket.closd", ...) fails the load.  A new
 * family adds its events here, next to its neighbours.
 */
#ifndef KITH_REQUEST_EVENTS_H
#define KITH_REQUEST_EVENTS_H

#define KITH_EV_BEFORE 1

#define KITH_EVENT_LIST(X)                                                                         \
    X("customer.created", KITH_EV_BEFORE)                                                          \
    X("customer.updated", KITH_EV_BEFORE)                                                          \
    X("customer.deleted", KITH_EV_BEFORE)                                                          \
    X("customer.class_changed", 0)                                                                 \
    X("customer.merged", KITH_EV_BEFORE)                                                           \
    X("customer.imported", 0)                                                                      \
    X("order.imported", 0)                                                                         \
    X("company.created", KITH_EV_BEFORE)                                                           \
    X("company.updated", KITH_EV_BEFORE)                                                           \
    X("company.deleted", 0)                                                                        \
    X("consent.changed", 0)                                                                        \
    X("identity.added", 0)                                                                         \
    X("identity.removed", 0)                                                                       \
    X("customer.stage_changed", 0)                                                                 \
    X("interaction.logged", KITH_EV_BEFORE)                                                        \
    X("order.created", KITH_EV_BEFORE)                                                             \
    X("segment.entered", 0)                                                                        \
    X("segment.left", 0)                                                                           \
    X("loyalty.awarded", 0)                                                                        \
    X("loyalty.redeemed", 0)                                                                       \
    X("loyalty.expired", 0)                                                                        \
    X("loyalty.tier_changed", 0)                                                                   \
    X("churn.warning", 0)                                                                          \
    X("churn.cleared", 0)                                                                          \
    X("task.created", KITH_EV_BEFORE)                                                              \
    X("task.completed", 0)                                                                         \
    X("task.cancelled", 0)                                                                         \
    X("task.snoozed", 0)                                                                           \
    X("reminder.due", 0)                                                                           \
    X("visit.planned", KITH_EV_BEFORE)                                                             \
    X("visit.updated", 0)                                                                          \
    X("visit.rescheduled", 0)                                                                      \
    X("visit.started", 0)                                                                          \
    X("visit.completed", 0)                                                                        \
    X("visit.cancelled", 0)                                                                        \
    X("visit.upcoming", 0)                                                                         \
    X("visit.missed", 0)                                                                           \
    X("deal.created", KITH_EV_BEFORE)                                                              \
    X("deal.updated", 0)                                                                           \
    X("deal.moved", KITH_EV_BEFORE)                                                                \
    X("deal.won", 0)                                                                               \
    X("deal.lost", 0)                                                                              \
    X("deal.reopened", 0)                                                                          \
    X("deal.rotting", 0)                                                                           \
    X("goal.at_risk", 0)                                                                           \
    X("goal.achieved", 0)                                                                          \
    X("goal.missed", 0)                                                                            \
    X("schedule.ran", 0)                                                                           \
    X("script.reloaded", 0)                                                                        \
    X("script.error", 0)                                                                           \
    X("token.created", 0)                                                                          \
    X("token.revoked", 0)                                                                          \
    X("survey.created", 0)                                                                         \
    X("survey.updated", 0)                                                                         \
    X("survey.deleted", 0)                                                                         \
    X("survey.activated", 0)                                                                       \
    X("survey.closed", 0)                                                                          \
    X("survey.invited", 0)                                                                         \
    X("survey.answered", KITH_EV_BEFORE)                                                           \
    X("survey.declined", 0)                                                                        \
    X("survey.expired", 0)                                                                         \
    X("ticket.created", KITH_EV_BEFORE)                                                            \
    X("ticket.updated", KITH_EV_BEFORE)                                                            \
    X("ticket.assigned", 0)                                                                        \
    X("ticket.accepted", 0)                                                                        \
    X("ticket.rejected", 0)                                                                        \
    X("ticket.waiting", 0)                                                                         \
    X("ticket.resumed", 0)                                                                         \
    X("ticket.resolved", 0)                                                                        \
    X("ticket.notified", 0)                                                                        \
    X("ticket.closed", 0)                                                                          \
    X("ticket.reopened", 0)                                                                        \
    X("ticket.commented", 0)                                                                       \
    X("ticket.sla_warning", 0)                                                                     \
    X("ticket.sla_breached", 0)                                                                    \
    X("campaign.created", 0)                                                                       \
    X("campaign.updated", 0)                                                                       \
    X("campaign.launched", 0)                                                                      \
    X("campaign.completed", 0)                                                                     \
    X("campaign.cancelled", 0)                                                                     \
    X("campaign.member_added", KITH_EV_BEFORE)                                                     \
    X("campaign.responded", 0)                                                                     \
    X("campaign.converted", 0)

#endif
