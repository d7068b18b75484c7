/*
 * Schema versions.  A version, once shipped, is never edited: a change to the
 * schema is a new entry at the end of `versions`.  Times are integer
 * milliseconds since the epoch (UTC); money is integer cents.
 */
#include "store/migrate.h"
#include "util/error.h"
#include "util/log.h"

#include <sqlite3.h>
#include <stdio.h>

static const char *const versions[] = {
    /* 1: customers, their activity, per-customer stats, the event log, tokens. */
    "CREATE TABLE customers ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  email TEXT, phone TEXT, company TEXT,"
    "  external_id TEXT UNIQUE,"
    "  owner TEXT,"
    "  stage TEXT NOT NULL DEFAULT 'prospect',"
    "  tags TEXT NOT NULL DEFAULT '[]',"
    "  attrs TEXT NOT NULL DEFAULT '{}',"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX customers_email ON customers(email);"
    "CREATE INDEX customers_owner ON customers(owner, id);"
    "CREATE INDEX customers_stage ON customers(stage, id);"
    /* The tag index: derived from customers.tags, kept in the same write. */
    "CREATE TABLE customer_tags ("
    "  tag TEXT NOT NULL,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (tag, customer_id)) WITHOUT ROWID;"
    "CREATE INDEX customer_tags_customer ON customer_tags(customer_id);"
    "CREATE TABLE customer_stats ("
    "  customer_id INTEGER PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,"
    "  orders INTEGER NOT NULL DEFAULT 0,"
    "  total_spent_cents INTEGER NOT NULL DEFAULT 0,"
    "  first_order_at INTEGER, last_order_at INTEGER,"
    "  interactions INTEGER NOT NULL DEFAULT 0,"
    "  complaints INTEGER NOT NULL DEFAULT 0,"
    "  last_interaction_at INTEGER);"
    "CREATE TABLE interactions ("
    "  id INTEGER PRIMARY KEY,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  type TEXT NOT NULL, summary TEXT NOT NULL,"
    "  at INTEGER NOT NULL, by TEXT,"
    "  attrs TEXT NOT NULL DEFAULT '{}',"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX interactions_customer ON interactions(customer_id, at, id);"
    "CREATE TABLE orders ("
    "  id INTEGER PRIMARY KEY,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  amount_cents INTEGER NOT NULL,"
    "  currency TEXT NOT NULL,"
    "  items TEXT NOT NULL DEFAULT '[]',"
    "  at INTEGER NOT NULL,"
    "  external_id TEXT UNIQUE,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX orders_customer ON orders(customer_id, at, id);"
    /* AUTOINCREMENT: seq must never be reused, even after the log is trimmed. */
    "CREATE TABLE events ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  type TEXT NOT NULL,"
    "  customer_id INTEGER,"
    "  data TEXT NOT NULL,"
    "  at INTEGER NOT NULL);"
    "CREATE TABLE tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL,"
    "  hash BLOB NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL);",

    /* 2: the rules' state: segment membership, the points ledger, churn
     * scores, follow-up tasks, and small server-wide values. */
    "CREATE TABLE segments ("
    "  name TEXT PRIMARY KEY,"
    "  description TEXT NOT NULL DEFAULT '',"
    "  definition_hash TEXT NOT NULL DEFAULT '',"
    "  size INTEGER NOT NULL DEFAULT 0,"
    "  refreshed_at INTEGER);"
    "CREATE TABLE segment_members ("
    "  segment TEXT NOT NULL,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  since INTEGER NOT NULL,"
    "  PRIMARY KEY (segment, customer_id)) WITHOUT ROWID;"
    "CREATE INDEX segment_members_customer ON segment_members(customer_id);"
    /* One row per award, redemption or expiry.  `remaining` is what is left
     * of an award after redemptions (oldest expiry first) and expiry. */
    "CREATE TABLE loyalty_ledger ("
    "  id INTEGER PRIMARY KEY,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL,"
    "  points INTEGER NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  expires_at INTEGER,"
    "  remaining INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX loyalty_ledger_customer ON loyalty_ledger(customer_id, at, id);"
    "CREATE INDEX loyalty_ledger_open ON loyalty_ledger(customer_id, expires_at) WHERE remaining > "
    "0;"
    "CREATE INDEX loyalty_ledger_expiry ON loyalty_ledger(expires_at) WHERE remaining > 0;"
    "CREATE TABLE loyalty_accounts ("
    "  customer_id INTEGER PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,"
    "  points INTEGER NOT NULL DEFAULT 0,"
    "  lifetime INTEGER NOT NULL DEFAULT 0,"
    "  tier TEXT);"
    "CREATE TABLE churn_scores ("
    "  customer_id INTEGER PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,"
    "  risk REAL NOT NULL,"
    "  reasons TEXT NOT NULL DEFAULT '[]',"
    "  evaluated_at INTEGER NOT NULL,"
    "  warned INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX churn_scores_risk ON churn_scores(risk, customer_id);"
    "CREATE TABLE tasks ("
    "  id INTEGER PRIMARY KEY,"
    "  customer_id INTEGER REFERENCES customers(id) ON DELETE CASCADE,"
    "  owner TEXT,"
    "  note TEXT NOT NULL,"
    "  due_at INTEGER NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'open',"
    "  created_by TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  closed_at INTEGER,"
    "  outcome TEXT,"
    "  fired_at INTEGER);"
    "CREATE INDEX tasks_due ON tasks(due_at, id) WHERE status = 'open' AND fired_at IS NULL;"
    "CREATE INDEX tasks_owner ON tasks(owner, status, due_at);"
    "CREATE INDEX tasks_customer ON tasks(customer_id, due_at);"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",

    /* 3: schedules (automations that run the rules' jobs). */
    "CREATE TABLE schedules ("
    "  name TEXT PRIMARY KEY,"
    "  kind TEXT NOT NULL,"
    "  spec TEXT NOT NULL,"
    "  tz TEXT NOT NULL DEFAULT 'UTC',"
    "  job TEXT NOT NULL,"
    "  args TEXT NOT NULL DEFAULT '{}',"
    "  paused INTEGER NOT NULL DEFAULT 0,"
    "  anchor INTEGER NOT NULL,"
    "  next_run INTEGER,"
    "  last_run INTEGER,"
    "  last_status TEXT,"
    "  last_error TEXT,"
    "  runs INTEGER NOT NULL DEFAULT 0,"
    "  state TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  created_by TEXT NOT NULL);"
    "CREATE INDEX schedules_next ON schedules(next_run) WHERE paused = 0;",

    /* 4: tokens may expire (NULL: never). */
    "ALTER TABLE tokens ADD COLUMN expires_at INTEGER;",

    /* 5: rollups (rollup.h): per-day moments and histogram buckets of every
     * metric, kept in the write's transaction. */
    "CREATE TABLE rollups ("
    "  metric TEXT NOT NULL, dim TEXT NOT NULL, key TEXT NOT NULL,"
    "  day INTEGER NOT NULL, bucket INTEGER NOT NULL,"
    "  n INTEGER NOT NULL DEFAULT 0,"
    "  sx REAL NOT NULL DEFAULT 0, sxx REAL NOT NULL DEFAULT 0,"
    "  sy REAL NOT NULL DEFAULT 0, syy REAL NOT NULL DEFAULT 0, sxy REAL NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (metric, dim, key, day, bucket)) WITHOUT ROWID;"
    /* Touchpoints and links on interactions (DOMAIN.md 2.3), and the index
     * interaction.search pages through across customers. */
    "ALTER TABLE interactions ADD COLUMN touchpoint TEXT;"
    "ALTER TABLE interactions ADD COLUMN topic TEXT;"
    "ALTER TABLE interactions ADD COLUMN sentiment REAL;"
    "ALTER TABLE interactions ADD COLUMN direction TEXT;"
    "ALTER TABLE interactions ADD COLUMN ticket_id INTEGER;"
    "ALTER TABLE interactions ADD COLUMN visit_id INTEGER;"
    "CREATE INDEX interactions_at ON interactions(at, id);"
    /* Per-customer counters of the service and feedback families (stats.h),
     * kept by their writes; last_complaint_at from the complaints so far. */
    "ALTER TABLE customer_stats ADD COLUMN last_complaint_at INTEGER;"
    "UPDATE customer_stats SET last_complaint_at = (SELECT max(at) FROM interactions i "
    "  WHERE i.customer_id = customer_stats.customer_id AND i.type = 'complaint');"
    "ALTER TABLE customer_stats ADD COLUMN tickets INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE customer_stats ADD COLUMN open_tickets INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE customer_stats ADD COLUMN open_complaints INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE customer_stats ADD COLUMN sla_breaches INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE customer_stats ADD COLUMN surveys_answered INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE customer_stats ADD COLUMN last_survey_at INTEGER;"
    "ALTER TABLE customer_stats ADD COLUMN last_invited_at INTEGER;"
    "ALTER TABLE customer_stats ADD COLUMN last_nps REAL;"
    "ALTER TABLE customer_stats ADD COLUMN last_csat REAL;"
    "ALTER TABLE customer_stats ADD COLUMN last_ces REAL;"
    "ALTER TABLE customer_stats ADD COLUMN visits_completed INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE customer_stats ADD COLUMN last_visit_at INTEGER;"
    "ALTER TABLE customer_stats ADD COLUMN next_visit_at INTEGER;",

    /* 6: surveys (DOMAIN.md 2.2, store/survey.h): definitions, invitations
     * with their two due times (send, expiry) under partial indexes, and
     * immutable responses. */
    "CREATE TABLE surveys ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  title TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'draft',"
    "  questions TEXT NOT NULL DEFAULT '[]',"
    "  anonymous INTEGER NOT NULL DEFAULT 0,"
    "  quiet_days INTEGER NOT NULL DEFAULT 30,"
    "  attrs TEXT NOT NULL DEFAULT '{}',"
    "  created_by TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  activated_at INTEGER, closed_at INTEGER);"
    "CREATE TABLE survey_invitations ("
    "  id INTEGER PRIMARY KEY,"
    "  survey_id INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  channel TEXT,"
    "  status TEXT NOT NULL,"
    "  token TEXT UNIQUE,"
    "  context TEXT NOT NULL DEFAULT '{}',"
    "  suppressed_reason TEXT,"
    "  send_at INTEGER NOT NULL, sent_at INTEGER, answered_at INTEGER,"
    "  declined_at INTEGER, expired_at INTEGER, expires_at INTEGER NOT NULL,"
    "  created_by TEXT NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE INDEX survey_invitations_send ON survey_invitations(send_at, id) "
    "  WHERE status = 'pending';"
    "CREATE INDEX survey_invitations_expiry ON survey_invitations(expires_at, id) "
    "  WHERE status = 'sent';"
    "CREATE INDEX survey_invitations_survey ON survey_invitations(survey_id, customer_id, id);"
    "CREATE INDEX survey_invitations_customer ON survey_invitations(customer_id, id);"
    "CREATE TABLE survey_responses ("
    "  id INTEGER PRIMARY KEY,"
    "  survey_id INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,"
    "  customer_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,"
    "  invitation_id INTEGER,"
    "  answers TEXT NOT NULL,"
    "  comment TEXT, channel TEXT, by TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  context TEXT NOT NULL DEFAULT '{}',"
    "  scores TEXT NOT NULL DEFAULT '{}',"
    "  attrs TEXT NOT NULL DEFAULT '{}',"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX survey_responses_survey ON survey_responses(survey_id, customer_id, id);"
    "CREATE INDEX survey_responses_customer ON survey_responses(customer_id, id);",

    /* 7: tickets (store/ticket.h): complaints and service requests with
     * their SLA clock in columns, sla_next_at being the earliest unfired
     * warning or deadline (NULL: nothing due) under a partial index; and
     * each ticket's comments and transitions for ticket.history. */
    "CREATE TABLE tickets ("
    "  id INTEGER PRIMARY KEY,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL, subject TEXT NOT NULL, description TEXT,"
    "  channel TEXT, category TEXT, priority TEXT NOT NULL, touchpoint TEXT,"
    "  order_id INTEGER, owner TEXT, team TEXT, status TEXT NOT NULL,"
    "  resolution TEXT, root_cause TEXT, compensation TEXT,"
    "  customer_notified_at INTEGER, notified_via TEXT,"
    "  satisfaction INTEGER, customer_comment TEXT,"
    "  reject_reason TEXT, duplicate_of INTEGER, parent_id INTEGER, interaction_id INTEGER,"
    "  reopened INTEGER NOT NULL DEFAULT 0,"
    "  accepted_at INTEGER, resolved_at INTEGER, closed_at INTEGER,"
    "  created_by TEXT, attrs TEXT NOT NULL DEFAULT '{}',"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  sla_policy TEXT, sla_respond_ms INTEGER, sla_resolve_ms INTEGER, sla_warn_at REAL,"
    "  sla_started_at INTEGER, sla_paused_ms INTEGER NOT NULL DEFAULT 0, sla_paused_at INTEGER,"
    "  sla_respond_by INTEGER, sla_resolve_by INTEGER,"
    "  sla_respond_warn_at INTEGER, sla_resolve_warn_at INTEGER, sla_responded_at INTEGER,"
    "  sla_respond_warned INTEGER NOT NULL DEFAULT 0,"
    "  sla_respond_breached INTEGER NOT NULL DEFAULT 0,"
    "  sla_resolve_warned INTEGER NOT NULL DEFAULT 0,"
    "  sla_resolve_breached INTEGER NOT NULL DEFAULT 0,"
    "  sla_next_at INTEGER);"
    "CREATE INDEX tickets_customer ON tickets(customer_id, id);"
    "CREATE INDEX tickets_status ON tickets(status, id);"
    "CREATE INDEX tickets_owner ON tickets(owner, id);"
    "CREATE INDEX tickets_sla_next ON tickets(sla_next_at, id) WHERE sla_next_at IS NOT NULL;"
    "CREATE TABLE ticket_comments ("
    "  id INTEGER PRIMARY KEY,"
    "  ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL," /* comment | transition */
    "  verb TEXT,"          /* transition: accept, wait, ... */
    "  from_status TEXT, to_status TEXT,"
    "  body TEXT, internal INTEGER NOT NULL DEFAULT 1,"
    "  by TEXT, at INTEGER NOT NULL);"
    "CREATE INDEX ticket_comments_ticket ON ticket_comments(ticket_id, id);",

    /* 8: visits (store/visit.h).  remind_at/reminded_at and miss_at/missed_at
     * are the two due sources' times and fired marks; their partial indexes
     * hold only the planned visits still waiting, so the scheduler's lookups
     * never scan history. */
    "CREATE TABLE visits ("
    "  id INTEGER PRIMARY KEY,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  owner TEXT NOT NULL,"
    "  participants TEXT NOT NULL DEFAULT '[]',"
    "  contact TEXT, purpose TEXT NOT NULL, agenda TEXT,"
    "  goals TEXT NOT NULL DEFAULT '[]',"
    "  location TEXT,"
    "  planned_at INTEGER NOT NULL,"
    "  duration_min INTEGER,"
    "  status TEXT NOT NULL DEFAULT 'planned',"
    "  started_at INTEGER, ended_at INTEGER, geo TEXT,"
    "  summary TEXT, customer_feedback TEXT, outcome TEXT,"
    "  agreements TEXT NOT NULL DEFAULT '[]',"
    "  next_visit_id INTEGER, interaction_id INTEGER, ticket_id INTEGER,"
    "  cancel_reason TEXT, reschedule_reason TEXT,"
    "  reschedules INTEGER NOT NULL DEFAULT 0,"
    "  created_by TEXT NOT NULL,"
    "  attrs TEXT NOT NULL DEFAULT '{}',"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  remind_at INTEGER NOT NULL, reminded_at INTEGER,"
    "  miss_at INTEGER NOT NULL, missed_at INTEGER);"
    "CREATE INDEX visits_remind ON visits(remind_at, id) "
    "  WHERE status = 'planned' AND reminded_at IS NULL;"
    "CREATE INDEX visits_miss ON visits(miss_at, id) "
    "  WHERE status = 'planned' AND missed_at IS NULL;"
    "CREATE INDEX visits_customer ON visits(customer_id, status, planned_at);"
    "CREATE INDEX visits_owner ON visits(owner, planned_at, id);"
    "CREATE INDEX visits_planned ON visits(planned_at, id);",

    /* 9: identities (store/identity.h): the keys other systems know a
     * customer by, one customer's per (source, key). */
    "CREATE TABLE identities ("
    "  source TEXT NOT NULL, key TEXT NOT NULL,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (source, key)) WITHOUT ROWID;"
    "CREATE INDEX identities_customer ON identities(customer_id);",

    /* 10: comparable e-mail and phone (util/contact_norm.h), kept by the store
     * on every write with the SQL functions of store/customer_norm.h, which
     * fill them here for the rows already written.  Partial indexes: most
     * customers lack one or the other. */
    "ALTER TABLE customers ADD COLUMN email_norm TEXT;"
    "ALTER TABLE customers ADD COLUMN phone_norm TEXT;"
    "UPDATE customers SET email_norm = kith_email_norm(email), phone_norm = kith_phone_norm(phone) "
    "  WHERE email IS NOT NULL OR phone IS NOT NULL;"
    "CREATE INDEX customers_email_norm ON customers(email_norm) WHERE email_norm IS NOT NULL;"
    "CREATE INDEX customers_phone_norm ON customers(phone_norm) WHERE phone_norm IS NOT NULL;",

    /* 11: companies (store/company.h): the accounts B2B contacts belong to.
     * A contact links by customers.company_id; the partial index serves both
     * a company's contacts and its rolled-up figures. */
    "CREATE TABLE companies ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL, domain TEXT, industry TEXT, size TEXT, owner TEXT,"
    "  attrs TEXT NOT NULL DEFAULT '{}',"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, created_by TEXT);"
    "CREATE INDEX companies_name ON companies(name);"
    "CREATE INDEX companies_domain ON companies(domain) WHERE domain IS NOT NULL;"
    "CREATE INDEX companies_owner ON companies(owner, id);"
    "ALTER TABLE customers ADD COLUMN company_id INTEGER REFERENCES companies(id);"
    "CREATE INDEX customers_company ON customers(company_id) WHERE company_id IS NOT NULL;",

    /* 12: history (README "History"): the audit trail, one compact row per
     * change written beside its event (kept audit_retention_days, longer
     * than the event log); each stage change with its reason; and the
     * (customer_id, at, id) indexes customer.timeline reads each family
     * through (interactions, orders and the ledger have theirs). */
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  at INTEGER NOT NULL, by TEXT NOT NULL, method TEXT NOT NULL, type TEXT NOT NULL,"
    "  kind TEXT NOT NULL, record_id INTEGER NOT NULL, customer_id INTEGER,"
    "  op INTEGER NOT NULL,"
    "  changes TEXT NOT NULL);"
    "CREATE INDEX audit_customer ON audit(customer_id, id) WHERE customer_id IS NOT NULL;"
    "CREATE INDEX audit_record ON audit(kind, record_id, id) WHERE kind <> 'customer';"
    "CREATE TABLE stage_history ("
    "  id INTEGER PRIMARY KEY,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  at INTEGER NOT NULL, from_stage TEXT, to_stage TEXT NOT NULL,"
    "  reason TEXT, by TEXT NOT NULL);"
    "CREATE INDEX stage_history_customer ON stage_history(customer_id, at, id);"
    "CREATE INDEX tasks_customer_created ON tasks(customer_id, created_at, id);"
    "CREATE INDEX tickets_customer_created ON tickets(customer_id, created_at, id);"
    "CREATE INDEX visits_customer_planned ON visits(customer_id, planned_at, id);"
    "CREATE INDEX survey_responses_customer_at ON survey_responses(customer_id, at, id);"
    "INSERT INTO stage_history(customer_id, at, from_stage, to_stage, reason, by) "
    "  SELECT id, created_at, NULL, stage, 'before stage history', 'system' FROM customers;",

    /* 13: duplicates (store/duplicate.h): each customer's blocking keys under
     * the running crm.match rule ("email_norm=ann@x.cn"), so candidates are
     * one index lookup per key; and the pairs found, a < b, whose status
     * goes open -> dismissed or merged and stays there (a dismissed pair
     * is never reopened; customer.not_duplicate may dismiss in advance). */
    "CREATE TABLE match_keys ("
    "  key TEXT NOT NULL,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (key, customer_id)) WITHOUT ROWID;"
    "CREATE INDEX match_keys_customer ON match_keys(customer_id);"
    "CREATE TABLE duplicate_pairs ("
    "  a INTEGER NOT NULL, b INTEGER NOT NULL,"
    "  score REAL NOT NULL, reasons TEXT NOT NULL DEFAULT '[]',"
    "  status TEXT NOT NULL DEFAULT 'open',"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (a, b), CHECK (a < b)) WITHOUT ROWID;"
    "CREATE INDEX duplicate_pairs_b ON duplicate_pairs(b);"
    "CREATE INDEX duplicate_pairs_status ON duplicate_pairs(status, a, b);"
    /* No foreign keys: a merged pair outlives its loser, as history.  Other
     * pairs go with a deleted customer. */
    "CREATE TRIGGER customers_drop_pairs AFTER DELETE ON customers BEGIN "
    "  DELETE FROM duplicate_pairs WHERE (a = OLD.id OR b = OLD.id) AND status != 'merged';"
    "END;",

    /* 14: merged customers (store/merge.h): each loser's id and the
     * survivor it now answers as, for a -32004 with data.merged_into. */
    "CREATE TABLE customer_aliases ("
    "  old_id INTEGER PRIMARY KEY, new_id INTEGER NOT NULL, at INTEGER NOT NULL);"
    "CREATE INDEX customer_aliases_new ON customer_aliases(new_id);",

    /* 15: consent (store/consent.h): append-only, the newest row per
     * purpose and channel being the customer's current answer. */
    "CREATE TABLE consents ("
    "  id INTEGER PRIMARY KEY,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  purpose TEXT NOT NULL, channel TEXT NOT NULL, granted INTEGER NOT NULL,"
    "  source TEXT, evidence TEXT, at INTEGER NOT NULL, by TEXT, created_at INTEGER NOT NULL);"
    "CREATE INDEX consents_customer ON consents(customer_id, purpose, channel, at, id);",

    /* 16: classes (crm.classify): the rule's class with its reasons, and a
     * manual override that wins until cleared; indexed as shown. */
    "ALTER TABLE customers ADD COLUMN class TEXT;"
    "ALTER TABLE customers ADD COLUMN class_reasons TEXT;"
    "ALTER TABLE customers ADD COLUMN class_override TEXT;"
    "CREATE INDEX customers_class ON customers(coalesce(class_override, class)) "
    "  WHERE coalesce(class_override, class) IS NOT NULL;",

    /* 17: measurement (README "Measuring").  The stats the customer-value
     * models need, backfilled from the orders; the months each customer
     * ordered in, with the cohort cells and month-over-month retention kept
     * from them (store/cohort.h); the fitted models and the RFM thresholds
     * (store/value.h); goals (store/goal.h). */
    "ALTER TABLE customer_stats ADD COLUMN order_days INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE customer_stats ADD COLUMN first_day_cents INTEGER NOT NULL DEFAULT 0;"
    "UPDATE customer_stats SET "
    "  order_days = (SELECT count(DISTINCT at / 86400000) FROM orders o "
    "    WHERE o.customer_id = customer_stats.customer_id),"
    "  first_day_cents = coalesce((SELECT sum(amount_cents) FROM orders o "
    "    WHERE o.customer_id = customer_stats.customer_id "
    "    AND o.at / 86400000 = customer_stats.first_order_at / 86400000), 0);"
    "CREATE TABLE customer_months ("
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  month INTEGER NOT NULL, PRIMARY KEY (customer_id, month)) WITHOUT ROWID;"
    "INSERT OR IGNORE INTO customer_months SELECT customer_id, "
    "  CAST(strftime('%Y', at / 1000, 'unixepoch') AS INTEGER) * 12 "
    "  + CAST(strftime('%m', at / 1000, 'unixepoch') AS INTEGER) - 1 FROM orders;"
    "CREATE TABLE cohort_cells (cohort INTEGER NOT NULL, month INTEGER NOT NULL,"
    "  customers INTEGER NOT NULL, PRIMARY KEY (cohort, month)) WITHOUT ROWID;"
    "INSERT INTO cohort_cells SELECT f.first, m.month, count(*) FROM customer_months m "
    "  JOIN (SELECT customer_id, min(month) AS first FROM customer_months GROUP BY customer_id) f "
    "  USING (customer_id) GROUP BY f.first, m.month;"
    "CREATE TABLE month_retained (month INTEGER PRIMARY KEY, customers INTEGER NOT NULL);"
    "INSERT INTO month_retained SELECT m.month, count(*) FROM customer_months m "
    "  JOIN customer_months p ON p.customer_id = m.customer_id AND p.month = m.month - 1 "
    "  GROUP BY m.month;"
    "CREATE TABLE value_models (name TEXT PRIMARY KEY, body TEXT NOT NULL, at INTEGER NOT NULL);"
    "CREATE TABLE goals (name TEXT PRIMARY KEY, metric TEXT NOT NULL, target REAL NOT NULL,"
    "  direction TEXT NOT NULL, period TEXT NOT NULL, start INTEGER, owner TEXT,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);",

    /* 18: deals (store/deal.h): the sales pipeline.  rot_at is the deal's
     * due time for deal.rotting (no activity for the pipeline's rot_after),
     * rotted_at its fired mark; the partial index keeps the due lookup to
     * open deals that have not rotted. */
    "CREATE TABLE deals ("
    "  id INTEGER PRIMARY KEY,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  pipeline TEXT NOT NULL, name TEXT NOT NULL, amount_cents INTEGER NOT NULL,"
    "  currency TEXT, stage TEXT NOT NULL, status TEXT NOT NULL, probability REAL,"
    "  forecast_category TEXT, expected_close INTEGER, owner TEXT, team TEXT, source TEXT,"
    "  competitors TEXT, next_step TEXT, lost_reason TEXT, lost_to TEXT,"
    "  won_order_id INTEGER, stage_entered_at INTEGER NOT NULL,"
    "  last_activity_at INTEGER NOT NULL, rot_at INTEGER, rotted_at INTEGER,"
    "  closed_at INTEGER, attrs TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE INDEX deals_customer ON deals(customer_id, id);"
    "CREATE INDEX deals_close ON deals(expected_close);"
    "CREATE INDEX deals_closed ON deals(closed_at) WHERE closed_at IS NOT NULL;"
    "CREATE INDEX deals_rot ON deals(rot_at) WHERE status = 'open' AND rotted_at IS NULL "
    "  AND rot_at IS NOT NULL;"
    "CREATE TABLE deal_history ("
    "  id INTEGER PRIMARY KEY,"
    "  deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,"
    "  at INTEGER NOT NULL, from_stage TEXT, to_stage TEXT, status TEXT NOT NULL, by TEXT,"
    "  note TEXT);"
    "CREATE INDEX deal_history_deal ON deal_history(deal_id, id);",

    /* 19: campaigns (store/campaign.h): the campaign, and its audience
     * frozen at launch, each member in the treated or the control group.
     * A member row stays `pending` until the launch's slices checked its
     * consent and hooks; the partial index finds the next slice's work.
     * customer.merge moves a loser's memberships by the foreign key; where
     * both were members of one campaign the survivor's row is kept and the
     * loser's goes with the loser (the primary key stops the move). */
    "CREATE TABLE campaigns ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  kind TEXT NOT NULL, channel TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'draft'"
    "    CHECK (status IN ('draft', 'active', 'completed', 'cancelled')),"
    "  segment TEXT NOT NULL,"
    "  control_pct REAL NOT NULL CHECK (control_pct >= 0 AND control_pct <= 0.5),"
    "  seed INTEGER NOT NULL,"
    "  attribution_window_ms INTEGER NOT NULL,"
    "  launched_at INTEGER, ends_at INTEGER, finished_at INTEGER,"
    "  budget_cents INTEGER, cost_cents INTEGER,"
    "  owner TEXT, description TEXT,"
    "  attrs TEXT NOT NULL DEFAULT '{}',"
    "  created_by TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE INDEX campaigns_status ON campaigns(status, id);"
    "CREATE TABLE campaign_members ("
    "  campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,"
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  grp TEXT NOT NULL CHECK (grp IN ('treated', 'control')),"
    "  status TEXT NOT NULL DEFAULT 'pending',"
    "  reason TEXT,"
    "  added_at INTEGER NOT NULL,"
    "  until_at INTEGER NOT NULL,"
    "  sent_at INTEGER, responded_at INTEGER, converted_at INTEGER,"
    "  order_id INTEGER,"
    "  orders INTEGER NOT NULL DEFAULT 0,"
    "  revenue_cents INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (campaign_id, customer_id)) WITHOUT ROWID;"
    "CREATE INDEX campaign_members_customer ON campaign_members(customer_id, until_at);"
    "CREATE INDEX campaign_members_pending ON campaign_members(campaign_id, customer_id) "
    "  WHERE status = 'pending';",

    /* 20: goals remember the status they last announced, and for which
     * period (goal.at_risk / achieved / missed, commands/cmd_goal.c). */
    ("ALTER TABLE goals ADD COLUMN status TEXT;"
     "ALTER TABLE goals ADD COLUMN status_period INTEGER;"),
};

#define NVERSIONS ((int)(sizeof(versions) / sizeof(versions[0])))

int kith_migrate_latest(void)
{
    return NVERSIONS;
}

static int user_version(kith_store *s, int *v)
{
    kith_stmt *st = kith_store_stmt(s, "PRAGMA user_version");
    if (!st || sqlite3_step(st) != SQLITE_ROW) return kith_store_error(s, "user_version");
    *v = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return 0;
}

int kith_migrate(kith_store *s)
{
    int v = 0;
    int rc = user_version(s, &v);
    if (rc) return rc;
    if (v > NVERSIONS) {
        kith_error("store: database schema version %d is newer than this kithd (%d)", v, NVERSIONS);
        return KITH_ECONFIG;
    }
    for (; v < NVERSIONS; v++) {
        char bump[64];
        snprintf(bump, sizeof(bump), "PRAGMA user_version=%d", v + 1);
        if ((rc = kith_store_exec(s, "BEGIN IMMEDIATE")) < 0) return rc;
        rc = kith_store_exec(s, versions[v]);
        if (!rc) rc = kith_store_exec(s, bump);
        if (!rc) rc = kith_store_exec(s, "COMMIT");
        if (rc) {
            kith_store_exec(s, "ROLLBACK");
            kith_error("store: migration to version %d failed", v + 1);
            return rc;
        }
        kith_info("store: schema migrated to version %d", v + 1);
    }
    return 0;
}
