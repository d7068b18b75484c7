--[[
visits.lua - how often customers are visited, and what happens when a visit
is missed.

WHAT IT DOES
  cadence        crm.visits: key accounts (members of the vip or key_accounts
                 segment, see segmentation.lua) are visited every KEY_EVERY,
                 customers who have ordered every REGULAR_EVERY; the rest
                 have no cadence.  The first class that matches wins.
                 visit.upcoming fires LEAD before a visit, visit.missed GRACE
                 after it when nobody checked in or reported.
  plan cadence   job "visits.plan_cadence": plans a visit PLAN_IN from now for
                 every customer visit.due lists (overdue by the cadence, with
                 nothing planned), visited by the customer's owner
                 (SALES_OWNER when none), purpose PLAN_PURPOSE.
  missed visit   crm.on("visit.missed"): a task for the visitor, due
                 MISSED_DUE, to reschedule it or report it late.

EVENTS AND JOBS
  crm.visits{...}                   the cadence (visit.due, visits.plan_cadence)
  crm.on("visit.missed")            the visitor's follow-up task
  job "visits.plan_cadence"         e.g. every Monday at 07:00:
         kith schedule.create name=visit-cadence cron="0 7 * * 1" job=visits.plan_cadence

KNOBS (below)
  KEY_SEGMENTS, KEY_EVERY, REGULAR_EVERY, LEAD, GRACE, PLAN_IN, PLAN_PURPOSE,
  SALES_OWNER, MISSED_DUE, NOTE_MISSED.
]]

local KEY_SEGMENTS  = { "vip", "key_accounts" }  -- members of any of these are key accounts
local KEY_EVERY     = "30d"       -- key accounts: monthly
local REGULAR_EVERY = "90d"       -- customers who have ordered: quarterly
local LEAD          = "1d"        -- visit.upcoming this long before a visit
local GRACE         = "4h"        -- visit.missed this long after it, if not reported
local PLAN_IN       = "3d"        -- the cadence job plans visits this far ahead
local PLAN_PURPOSE  = "relationship"
local SALES_OWNER   = "sales"     -- visitor of customers without an owner
local MISSED_DUE    = "2h"        -- the missed-visit task is due this soon
local NOTE_MISSED   = "Missed visit: "

-------------------------------------------------------------------------------

local KEY = {}
for _, name in ipairs(KEY_SEGMENTS) do KEY[name] = true end

local function is_key_account(c)
  for _, name in ipairs(crm.segments(c.id) or {}) do
    if KEY[name] then return true end
  end
  return false
end

crm.visits {
  lead = LEAD,
  grace = GRACE,
  { class = "key", every = KEY_EVERY, match = function(c, s) return is_key_account(c) end },
  { class = "regular", every = REGULAR_EVERY, match = function(c, s) return (s.orders or 0) > 0 end },
}

-- A slice plans up to args.batch visits (default 100); the scheduler calls
-- again while {more = true}.
crm.job("visits.plan_cadence", function(ctx)
  local args = ctx.args or {}
  local st = ctx.state or { planned = 0 }
  local page = crm.call("visit.due", { limit = args.batch or 100, cursor = st.cursor })
  for _, row in ipairs(page.items or {}) do
    local c = row.customer
    crm.call("visit.plan", {
      customer_id = c.id,
      at = args.plan_in or PLAN_IN,
      by = c.owner or SALES_OWNER,
      purpose = PLAN_PURPOSE,
      goals = { string.format("%s account: visit every %s", row.class, row.visit_every) },
    })
    st.planned = st.planned + 1
  end
  if page.next_cursor ~= crm.null and page.next_cursor ~= nil then
    st.cursor = page.next_cursor
    return { more = true, state = st }
  end
  crm.log("info", string.format("visits.plan_cadence: %d visits planned", st.planned))
  return { planned = st.planned }
end)

crm.on("visit.missed", function(ev)
  local v = ev.visit
  if not v then return end
  local c = ev.customer or {}
  crm.remind {
    customer = v.customer_id,
    owner = v.owner,
    due = MISSED_DUE,
    note = NOTE_MISSED .. string.format("%s (%s, planned %s): reschedule it or report it",
      c.name or ("customer " .. tostring(v.customer_id)), v.purpose or "visit", tostring(v.planned_at)),
  }
end)
