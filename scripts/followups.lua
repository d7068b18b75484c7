--[[
followups.lua - follow-up tasks (crm.remind) so nobody falls through the cracks.

WHAT IT DOES
  first order    a thank-you call THANK_YOU_DUE after a customer's first order,
                 for the owner or SALES_OWNER.  Skipped for orders backdated by
                 more than THANK_YOU_MAX_AGE_DAYS (imported history).
  churn warning  a win-back call due WIN_BACK_DUE when the churn rule warns,
                 unless a win-back task for the customer is still open.
  VIP check-in   job "followups.vip_checkin": every member of the vip segment
                 with no interaction for VIP_CHECKIN_DAYS days (or never
                 contacted and a customer for that long) and no open task at
                 all gets a check-in task due VIP_CHECKIN_DUE.
  at risk        job "followups.at_risk_weekly": refreshes the at_risk segment
                 (REFRESH_AT_RISK_FIRST) and gives each member a follow-up due
                 AT_RISK_DUE, for their owner (SALES_OWNER when none), unless
                 one from an earlier week is still open.

  Complaints are worked as tickets with SLAs (scripts/service.lua), not as
  follow-up tasks.

  Each task's note starts with a fixed prefix (NOTE_* below), which is how the
  open-task checks recognise their own tasks.  The jobs work through the
  segment a slice at a time (args.batch: customers per slice).

EVENTS AND JOBS
  crm.after("order.created")        thank-you call after the first order
  crm.on("churn.warning")           win-back call
  job "followups.vip_checkin"       daily:
         kith schedule.create name=vip-checkin cron="0 8 * * *" job=followups.vip_checkin
  job "followups.at_risk_weekly"    every Monday at 09:00:
         kith schedule.create name=at-risk-weekly cron="0 9 * * 1" tz=Europe/London job=followups.at_risk_weekly

KNOBS (below)
  owners, due times, VIP_CHECKIN_DAYS, THANK_YOU_MAX_AGE_DAYS,
  REFRESH_AT_RISK_FIRST, the note prefixes.
]]

local SALES_OWNER            = "sales"    -- everything else without an owner
local THANK_YOU_DUE          = "3d"
local THANK_YOU_MAX_AGE_DAYS = 14
local WIN_BACK_DUE           = "1d"
local VIP_CHECKIN_DAYS       = 30
local VIP_CHECKIN_DUE        = "1d"
local AT_RISK_DUE            = "1d"
local REFRESH_AT_RISK_FIRST  = true   -- bring at_risk up to date before the weekly run

local NOTE_THANK_YOU = "Thank-you call: "
local NOTE_WIN_BACK  = "Win-back call: "
local NOTE_VIP       = "VIP check-in: "
local NOTE_AT_RISK   = "At risk: "

-------------------------------------------------------------------------------

local DAY = crm.DAY or 86400000

-- A time as ms (records from crm.call carry ms; accept ISO strings too).
local function to_ms(t)
  if type(t) == "number" then return t end
  if type(t) == "string" and crm.time then
    local ok, ms = pcall(crm.time, t)
    if ok and type(ms) == "number" then return ms end
  end
  return nil
end

local function owner_of(c, fallback)
  local o = c and c.owner
  if type(o) == "string" and o ~= "" then return o end
  return fallback
end


-- Whether the customer has an open task (whose note starts with prefix, when given).
local function has_open_task(customer_id, prefix)
  local cursor
  repeat
    local page = crm.call("task.list", { customer_id = customer_id, status = "open", limit = 200, cursor = cursor })
    for _, t in ipairs(page.items or {}) do
      if prefix == nil then return true end
      if type(t.note) == "string" and t.note:sub(1, #prefix) == prefix then return true end
    end
    cursor = page.next_cursor
    if cursor == crm.null then cursor = nil end
  until cursor == nil
  return false
end

-- Jobs work in slices: each call handles customers for about SLICE_SECONDS
-- (or args.batch customers), then returns {more = true, state} and the
-- scheduler calls it again, each slice in its own transaction.
local SLICE_SECONDS = 0.03

-- Calls fn(customer) for the members of a segment, one slice's worth,
-- resuming at st.cursor.  Returns true when members remain.
local function walk_members(segment, st, batch, fn)
  local t0 = os.clock()
  repeat
    local page = crm.call("segment.members", { name = segment, limit = batch or 200, cursor = st.cursor })
    for _, c in ipairs(page.items or {}) do fn(c) end
    st.cursor = page.next_cursor
    if st.cursor == crm.null then st.cursor = nil end
  until st.cursor == nil or batch or os.clock() - t0 > SLICE_SECONDS
  return st.cursor ~= nil
end

local function batch_of(ctx)
  return math.tointeger(ctx and ctx.args and ctx.args.batch)
end

crm.after("order.created", function(ev)
  if ev.import then return end  -- history being loaded: nobody to thank today
  local o = ev.order
  local c = ev.customer or (o and o.customer_id and crm.customer.get(o.customer_id))
  if not o or not c then return end
  local s = crm.stats(c.id)
  if not s or s.orders ~= 1 then return end
  local at = to_ms(o.at)
  if at and (crm.now() - at) > THANK_YOU_MAX_AGE_DAYS * DAY then return end
  crm.remind {
    customer = c.id,
    owner = owner_of(c, SALES_OWNER),
    due = THANK_YOU_DUE,
    note = NOTE_THANK_YOU .. (c.name or "customer") .. " placed their first order",
  }
end)

crm.on("churn.warning", function(ev)
  local c = ev.customer
  if not c or not c.id then return end
  c = crm.customer.get(c.id)            -- as it stands now (the warning came after commit)
  if not c or has_open_task(c.id, NOTE_WIN_BACK) then return end
  local why = ""
  if type(ev.reasons) == "table" and #ev.reasons > 0 then why = ": " .. table.concat(ev.reasons, "; ") end
  crm.remind {
    customer = c.id,
    owner = owner_of(c, SALES_OWNER),
    due = WIN_BACK_DUE,
    note = NOTE_WIN_BACK .. string.format("%s, churn risk %.2f%s", c.name or "customer", tonumber(ev.risk) or 0, why),
  }
end)

crm.job("followups.vip_checkin", function(ctx)
  local now = ctx.now or crm.now()
  local st = ctx.state or { since = now - VIP_CHECKIN_DAYS * DAY, reminded = 0 }
  local more = walk_members("vip", st, batch_of(ctx), function(c)
    local s = crm.stats(c.id)
    local last = to_ms(s and s.last_interaction_at) or to_ms(c.created_at)
    if last and last > st.since then return end                    -- in touch recently
    if has_open_task(c.id) then return end                         -- someone is on it
    crm.remind {
      customer = c.id,
      owner = owner_of(c, SALES_OWNER),
      due = VIP_CHECKIN_DUE,
      note = NOTE_VIP .. (c.name or "customer") .. string.format(", no contact for %d+ days", VIP_CHECKIN_DAYS),
    }
    st.reminded = st.reminded + 1
  end)
  if more then return { more = true, state = st } end
  crm.log("info", string.format("followups.vip_checkin: %d reminders", st.reminded))
  return { reminded = st.reminded }
end)

crm.job("followups.at_risk_weekly", function(ctx)
  local st = ctx.state
  if not st then
    st = { reminded = 0 }
    if REFRESH_AT_RISK_FIRST then
      -- at_risk depends on the time since the last order: bring it up to
      -- date first, in a slice of its own
      crm.call("segment.refresh", { name = "at_risk" })
      return { more = true, state = st }
    end
  end
  local more = walk_members("at_risk", st, batch_of(ctx), function(c)
    if has_open_task(c.id, NOTE_AT_RISK) then return end
    crm.remind {
      customer = c.id,
      owner = owner_of(c, SALES_OWNER),
      due = AT_RISK_DUE,
      note = NOTE_AT_RISK .. (c.name or "customer") .. ", get in touch before they drift away",
    }
    st.reminded = st.reminded + 1
  end)
  if more then return { more = true, state = st } end
  crm.log("info", string.format("followups.at_risk_weekly: %d reminders", st.reminded))
  return { reminded = st.reminded }
end)
