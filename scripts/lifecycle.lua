--[[
lifecycle.lua - keeps customer.stage up to date.

WHAT IT DOES
  Every customer is in one of five stages, written to customer.stage:

    prospect        no order yet (the default of a new customer)
    first_purchase  exactly one order
    repeat          two or more orders
    loyal           LOYAL_MIN_ORDERS or more orders, or at least two orders
                    adding up to LOYAL_MIN_SPENT or more
    churned         has bought before but stopped: the churn rule (churn.lua)
                    warned about them while they were overdue for their next
                    order (no order for longer than their own average gap
                    between orders, DEFAULT_RHYTHM_DAYS for a one-order
                    customer), or they have not ordered for CHURNED_AFTER_DAYS
                    whatever their rhythm.  A new order moves a churned
                    customer straight back to first_purchase/repeat/loyal.

  The stage is written (crm.stage, with a reason) only when it actually
  changes, so an order that leaves the stage as it was writes nothing and
  triggers no customer.updated event.  Each change lands in the customer's
  stage history (customer.stages) with its reason: "first order",
  "repeat order", "5 orders" or "spent 1000 in 2 orders" for loyal,
  "churn warning: no order for 75 days (rhythm 30)", "no order for 365
  days", "ordered again after churning", "churn warning cleared".

  A stage set by hand that is not one of the five (say "partner" or "test")
  is left alone while KEEP_CUSTOM_STAGES is true.

EVENTS AND JOBS
  crm.after("order.created")   recomputes the stage in the order's transaction
                               (an order dated in the past does not end churned)
  crm.after("customer.merged") recomputes it from the merged orders
  crm.on("churn.warning")      the churn evaluation flagged the customer:
                               churned if they are overdue
  crm.on("churn.cleared")      the warning is gone: back to their order stage
                               (unless silent for CHURNED_AFTER_DAYS)
  job "lifecycle.refresh"      re-evaluates every customer who has ordered, a
                               slice at a time (catches CHURNED_AFTER_DAYS as
                               time passes and repairs stages edited by hand;
                               args.batch: customers per slice).  Schedule it:
         kith schedule.create name=lifecycle-daily cron="30 3 * * *" job=lifecycle.refresh

KNOBS (below)
  LOYAL_MIN_ORDERS, LOYAL_MIN_SPENT, CHURNED_AFTER_DAYS, DEFAULT_RHYTHM_DAYS,
  MIN_RHYTHM_DAYS, CHURN_THRESHOLD (keep equal to churn.lua's THRESHOLD),
  KEEP_CUSTOM_STAGES.
]]

local LOYAL_MIN_ORDERS    = 5      -- this many orders make a customer loyal
local LOYAL_MIN_SPENT     = 1000   -- or at least two orders adding up to this much
local CHURNED_AFTER_DAYS  = 365    -- no order for this long: churned, whatever the rhythm
local DEFAULT_RHYTHM_DAYS = 60     -- expected gap between orders of a one-order customer
local MIN_RHYTHM_DAYS     = 7      -- never expect orders more often than this
local CHURN_THRESHOLD     = 0.7    -- the churn risk that counts as a warning (churn.lua)
local KEEP_CUSTOM_STAGES  = true   -- leave stages this file does not manage alone

-------------------------------------------------------------------------------

local DAY = crm.DAY or 86400000

local MANAGED = {
  prospect = true, first_purchase = true, ["repeat"] = true, loyal = true, churned = true,
}

-- The stage a customer's orders put them in, churn aside, and why.
local function order_stage(s)
  local orders = s.orders or 0
  if orders <= 0 then return "prospect", "no orders" end
  if orders >= LOYAL_MIN_ORDERS then return "loyal", orders .. " orders" end
  if orders >= 2 and (s.total_spent or 0) >= LOYAL_MIN_SPENT then
    return "loyal", string.format("spent %g in %d orders", s.total_spent, orders)
  end
  if orders >= 2 then return "repeat", "repeat order" end
  return "first_purchase", "first order"
end

-- The stage a customer should be in, and the reason.  churn_signal says
-- whether the churn rule warns about them: true, false, nil (unknown: a
-- churned customer stays churned while still overdue), or a function
-- returning one of those, called only when the answer matters.
local function target_stage(current, s, now, churn_signal)
  local base, why = order_stage(s)
  if base == "prospect" or not s.last_order_at then return base, why end
  local gap_days = (now - s.last_order_at) / DAY
  if gap_days >= CHURNED_AFTER_DAYS then
    return "churned", string.format("no order for %d days", math.floor(gap_days))
  end
  local rhythm = s.avg_days_between_orders or DEFAULT_RHYTHM_DAYS
  if rhythm < MIN_RHYTHM_DAYS then rhythm = MIN_RHYTHM_DAYS end
  if current == "churned" then
    why = gap_days <= rhythm and "ordered again after churning" or "churn warning cleared"
  end
  if gap_days <= rhythm then return base, why end     -- not overdue: not churned
  if type(churn_signal) == "function" then churn_signal = churn_signal() end
  if churn_signal == true or (churn_signal == nil and current == "churned") then
    return "churned", string.format("churn warning: no order for %d days (rhythm %d)",
      math.floor(gap_days), math.floor(rhythm))
  end
  return base, why
end

-- Recomputes one customer's stage and writes it when it changed.  c: the
-- customer record when the caller has it current, else it is read.
local function evaluate(id, churn_signal, now, c)
  if id == nil then return end
  c = c or crm.customer.get(id)
  if not c then return end                       -- deleted meanwhile
  if KEEP_CUSTOM_STAGES and c.stage ~= nil and not MANAGED[c.stage] then return end
  local s = crm.stats(id)
  if not s then return end
  local stage, why = target_stage(c.stage, s, now or crm.now(), churn_signal)
  if stage ~= c.stage then
    crm.stage(id, stage, why)
  end
end

local function customer_id(ev)
  if ev.customer and ev.customer.id then return ev.customer.id end
  if ev.order and ev.order.customer_id then return ev.order.customer_id end
  return nil
end

crm.after("order.created", function(ev)
  -- A new order brings the gap to 0, which ends churned; a backdated one
  -- (an import) leaves a churned customer churned while still overdue.
  -- ev.customer is current: this file is the only one that writes stages.
  local c = ev.customer
  evaluate(customer_id(ev), nil, nil, (c and c.id and c.stage ~= nil) and c or nil)
end)

-- A merge gives the survivor the losers' orders: its stage follows them.
crm.after("customer.merged", function(ev)
  evaluate(customer_id(ev))
end)

crm.on("churn.warning", function(ev)
  evaluate(customer_id(ev), true)
end)

crm.on("churn.cleared", function(ev)
  evaluate(customer_id(ev), false)
end)

-- The churn rule's current verdict on a customer, or nil when unknown.
local function churn_signal_of(id)
  local ok, r = pcall(crm.call, "churn.get", { customer_id = id })
  if ok and type(r) == "table" and type(r.risk) == "number" then
    return r.risk >= CHURN_THRESHOLD
  end
  return nil
end

-- The job works in slices: each call handles customers for about
-- SLICE_SECONDS (or args.batch customers), then returns {more = true, state}
-- and the scheduler calls it again, each slice in its own transaction.
local SLICE_SECONDS = 0.03

-- Prospects have no orders (their stage cannot go stale), so only the
-- stages of customers who have ordered are walked.
local WALKED = { "first_purchase", "repeat", "loyal", "churned" }

crm.job("lifecycle.refresh", function(ctx)
  local now = ctx.now or crm.now()
  local st = ctx.state or { stage = 1, checked = 0, changed = 0 }
  local batch = math.tointeger(ctx.args and ctx.args.batch)
  local t0 = os.clock()
  while WALKED[st.stage] do
    local page = crm.call("customer.list",
      { filter = { stage = WALKED[st.stage] }, limit = batch or 200, cursor = st.cursor })
    for _, c in ipairs(page.items or {}) do
      st.checked = st.checked + 1
      local s = crm.stats(c.id)
      if s then
        local want, why = target_stage(c.stage, s, now,
          function() return churn_signal_of(c.id) end)
        if want ~= c.stage then
          crm.stage(c.id, want, why)
          st.changed = st.changed + 1
        end
      end
    end
    st.cursor = page.next_cursor
    if st.cursor == crm.null then st.cursor = nil end
    if st.cursor == nil then st.stage = st.stage + 1 end
    if WALKED[st.stage] and (batch or os.clock() - t0 > SLICE_SECONDS) then
      return { more = true, state = st }
    end
  end
  crm.log("info", string.format("lifecycle.refresh: %d customers checked, %d stages changed",
    st.checked, st.changed))
  return { checked = st.checked, changed = st.changed }
end)
