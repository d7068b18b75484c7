-- Tests of lifecycle.lua (run with: kithd test-scripts)

local DAY = crm.DAY or 86400000

local function new_customer(fields)
  return crm.call("customer.create", fields or { name = "Test Customer" })
end

local function get(id)
  return crm.call("customer.get", { id = id })
end

local function order(id, amount, days_ago)
  local p = { customer_id = id, amount = amount }
  if days_ago then p.at = crm.iso(crm.now() - days_ago * DAY) end
  return crm.call("order.create", p)
end

-- Fails the test at the caller's line unless got == want.
local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s: expected %s, got %s", what, tostring(want), tostring(got)), 2)
  end
end

-- Runs a schedule now: schedule.run makes it due, the scheduler runs it once
-- the request commits, which in a test happens when the clock moves.
local function run_now(name)
  crm.call("schedule.run", { name = name })
  advance("1s")
end

test("a new customer is a prospect", function()
  local c = new_customer({ name = "Pat Prospect" })
  eq(get(c.id).stage, "prospect", "stage of a new customer")
end)

test("the stage follows the number of orders", function()
  local c = new_customer({ name = "Olga Orders" })
  order(c.id, 10)
  eq(get(c.id).stage, "first_purchase", "stage after 1 order")
  order(c.id, 10)
  eq(get(c.id).stage, "repeat", "stage after 2 orders")
  order(c.id, 10)
  order(c.id, 10)
  eq(get(c.id).stage, "repeat", "stage after 4 orders")
  order(c.id, 10)
  eq(get(c.id).stage, "loyal", "stage after 5 orders")
end)

test("two orders adding up to 1000 make a customer loyal, one big order does not", function()
  local big = new_customer({ name = "Bea Big" })
  order(big.id, 1500)
  eq(get(big.id).stage, "first_purchase", "one order of 1500")
  local two = new_customer({ name = "Tom Two" })
  order(two.id, 400)
  order(two.id, 600)
  eq(get(two.id).stage, "loyal", "two orders adding up to 1000")
end)

test("an order that does not change the stage writes nothing", function()
  local c = new_customer({ name = "Una Unchanged" })
  order(c.id, 10)
  order(c.id, 10)
  local before = get(c.id)
  eq(before.stage, "repeat", "stage after 2 orders")
  advance("1h")
  order(c.id, 10)
  local after = get(c.id)
  eq(after.stage, "repeat", "stage after 3 orders")
  eq(after.updated_at, before.updated_at, "updated_at (no customer write expected)")
end)

test("a customer who stops buying is churned and comes back with a new order", function()
  local c = new_customer({ name = "Carl Churner" })
  order(c.id, 50, 60)
  order(c.id, 50, 30)               -- ordering every 30 days
  eq(get(c.id).stage, "repeat", "stage with a recent rhythm")
  advance("20d")                    -- 50 days since the last order: late, not gone
  eq(get(c.id).stage, "repeat", "stage 50 days after the last order")
  advance("40d")                    -- 90 days: 3x the rhythm
  eq(get(c.id).stage, "churned", "stage 90 days after the last order")
  order(c.id, 50)
  eq(get(c.id).stage, "repeat", "stage after ordering again")
end)

test("a backdated order does not bring a churned customer back", function()
  local c = new_customer({ name = "Bea Backdated" })
  order(c.id, 50, 60)
  order(c.id, 50, 30)
  advance("100d")
  eq(get(c.id).stage, "churned", "stage 130 days after the last order")
  order(c.id, 50, 200)              -- an old order, imported late
  eq(get(c.id).stage, "churned", "stage after importing an old order")
  order(c.id, 50)
  eq(get(c.id).stage, "repeat", "stage after a new order")
end)

test("a one-order customer churns after a long silence", function()
  local c = new_customer({ name = "Otto Once" })
  order(c.id, 30)
  advance("100d")
  eq(get(c.id).stage, "first_purchase", "stage after 100 days")
  advance("60d")
  eq(get(c.id).stage, "churned", "stage after 160 days")
end)

test("complaints alone do not churn a customer who just ordered", function()
  local c = new_customer({ name = "Cleo Complainer" })
  order(c.id, 30)
  for i = 1, 3 do
    crm.call("interaction.log", { customer_id = c.id, type = "complaint", summary = "late delivery " .. i })
  end
  advance("2d")
  eq(get(c.id).stage, "first_purchase", "stage after complaints")
end)

test("an order dated over a year ago makes an imported customer churned", function()
  local c = new_customer({ name = "Ida Import" })
  order(c.id, 80, 400)
  eq(get(c.id).stage, "churned", "stage with a last order 400 days ago")
end)

test("the lifecycle.refresh job repairs stale stages", function()
  local c = new_customer({ name = "Sam Stale" })
  order(c.id, 80, 400)
  crm.call("customer.update", { id = c.id, stage = "repeat" })     -- edited by hand
  eq(get(c.id).stage, "repeat", "stage edited by hand")
  local p = new_customer({ name = "Pia Pretend" })
  crm.call("customer.update", { id = p.id, stage = "loyal" })       -- no orders at all
  crm.call("schedule.create", { name = "lifecycle-test", every = "1d", job = "lifecycle.refresh" })
  run_now("lifecycle-test")
  eq(get(c.id).stage, "churned", "stage after lifecycle.refresh")
  eq(get(p.id).stage, "prospect", "stage of a customer without orders after lifecycle.refresh")
end)

test("the lifecycle.refresh job works through many customers in slices", function()
  local ids = {}
  for i = 1, 6 do
    local c = new_customer({ name = "Slice " .. i })
    order(c.id, 20, 400)                                             -- churned
    crm.call("customer.update", { id = c.id, stage = (i % 2 == 0) and "repeat" or "loyal" })
    ids[i] = c.id
  end
  local fine = new_customer({ name = "Fine Fred" })
  order(fine.id, 20)
  crm.call("schedule.create", { name = "lifecycle-sliced", every = "1d", job = "lifecycle.refresh",
    args = { batch = 1 } })
  run_now("lifecycle-sliced")
  for i = 1, 6 do eq(get(ids[i]).stage, "churned", "stage of customer " .. i .. " after the sliced run") end
  eq(get(fine.id).stage, "first_purchase", "stage of a customer who just ordered")
end)

test("a stage set by hand outside the five is left alone", function()
  local c = new_customer({ name = "Paula Partner", stage = "partner" })
  order(c.id, 10)
  order(c.id, 10)
  eq(get(c.id).stage, "partner", "custom stage after orders")
end)

-- The reasons each stage change gives, oldest first, from the history.
local function reasons(id)
  local out = {}
  for _, h in ipairs(crm.call("customer.stages", { customer_id = id }).history) do
    out[#out + 1] = h.to .. ": " .. tostring(h.reason)
  end
  return table.concat(out, " | ")
end

test("every stage change is in the history with its reason", function()
  local c = new_customer({ name = "Hanna History" })
  order(c.id, 50, 60)
  order(c.id, 50, 30)
  advance("60d")                    -- 90 days silent, rhythm 30: churned
  order(c.id, 50)
  -- Churned when the churn rule's warning came, some days past the rhythm.
  local got = reasons(c.id)
  assert(got:match("^prospect: created | first_purchase: first order | repeat: repeat order"
    .. " | churned: churn warning: no order for %d+ days %(rhythm 30%)"
    .. " | repeat: ordered again after churning$"), "stage history: " .. got)
  local h = crm.call("customer.stages", { customer_id = c.id }).history
  eq(h[2].by, "rule:lifecycle.lua", "who moved the stage on an order")
  -- The first-purchase stay ended with the second order, at once (the
  -- clock moves only with advance; a millisecond may pass between calls).
  assert(h[2].duration_s < 1, "time in first_purchase: " .. tostring(h[2].duration_s))
end)

test("how long customers stay in first purchase", function()
  for i = 1, 3 do
    local c = new_customer({ name = "Fay " .. i })
    order(c.id, 10)
    advance(tostring(i) .. "d")
    order(c.id, 10)
  end
  local d = crm.call("customer.stages", {}).stage_durations.first_purchase
  -- Stays of 1, 2 and 3 days (among any others the tests before left).
  assert(d.n >= 3, "finished first_purchase stays: " .. tostring(d.n))
  assert(d.median_s > 0, "median time in first_purchase")
end)
