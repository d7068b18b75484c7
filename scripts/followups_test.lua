-- Tests of followups.lua (run with: kithd test-scripts)

local DAY = crm.DAY or 86400000

local function new_customer(fields)
  return crm.call("customer.create", fields or { name = "Test Customer" })
end

local function order(id, amount, days_ago)
  local p = { customer_id = id, amount = amount }
  if days_ago then p.at = crm.iso(crm.now() - days_ago * DAY) end
  return crm.call("order.create", p)
end

local function to_ms(t)
  if type(t) == "string" then return crm.time(t) end
  return t
end

-- The customer's open tasks whose note starts with prefix.
local function open_tasks(id, prefix)
  local out = {}
  local page = crm.call("task.list", { customer_id = id, status = "open", limit = 200 })
  for _, t in ipairs(page.items or {}) do
    if prefix == nil or (type(t.note) == "string" and t.note:sub(1, #prefix) == prefix) then
      out[#out + 1] = t
    end
  end
  return out
end

local function complete_all(id)
  for _, t in ipairs(open_tasks(id)) do crm.call("task.complete", { id = t.id, outcome = "done" }) end
end

-- Fails the test at the caller's line unless got == want.
local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s: expected %s, got %s", what, tostring(want), tostring(got)), 2)
  end
end

local function due_in(t, ms, what)
  local due = to_ms(t.due_at)
  if not (type(due) == "number" and math.abs(due - (crm.now() + ms)) <= 60000) then
    error(string.format("%s: due_at %s, expected about %s", what, tostring(t.due_at), crm.iso(crm.now() + ms)), 2)
  end
end

-- Runs a schedule now: schedule.run makes it due, the scheduler runs it once
-- the request commits, which in a test happens when the clock moves.
local function run_now(name)
  crm.call("schedule.run", { name = name })
  advance("1s")
end

test("other interactions create no task", function()
  local c = new_customer({ name = "Chatty Charlie", owner = "alice" })
  crm.call("interaction.log", { customer_id = c.id, type = "call", summary = "asked about opening hours" })
  crm.call("interaction.log", { customer_id = c.id, type = "note", summary = "prefers email" })
  eq(#open_tasks(c.id), 0, "open tasks after a call and a note")
end)

test("the first order gets a thank-you call in 3 days, later orders do not", function()
  local c = new_customer({ name = "Theo Thanks", owner = "bob" })
  order(c.id, 45)
  local tasks = open_tasks(c.id, "Thank-you call")
  eq(#tasks, 1, "thank-you tasks after the first order")
  eq(tasks[1].owner, "bob", "owner of the thank-you task")
  due_in(tasks[1], 3 * DAY, "thank-you task")
  order(c.id, 45)
  eq(#open_tasks(c.id, "Thank-you call"), 1, "thank-you tasks after the second order")
end)

test("no thank-you call for an imported old first order; sales when no owner", function()
  local old = new_customer({ name = "Old Import" })
  order(old.id, 45, 200)
  eq(#open_tasks(old.id, "Thank-you call"), 0, "thank-you tasks for an order 200 days old")
  local c = new_customer({ name = "No Owner" })
  order(c.id, 45)
  local tasks = open_tasks(c.id, "Thank-you call")
  eq(#tasks, 1, "thank-you tasks")
  eq(tasks[1].owner, "sales", "owner of the thank-you task without a customer owner")
end)

test("an order.import of today's first order makes no thank-you call", function()
  local c = new_customer({ name = "Imre Imported", owner = "bob" })
  local r = crm.call("order.import", { records = { { customer_id = c.id, amount = 45, external_id = "pos-1" } } })
  eq(r.created, 1, "orders imported")
  eq(crm.stats(c.id).orders, 1, "the imported order counts in the stats")
  eq(#open_tasks(c.id, "Thank-you call"), 0, "thank-you tasks for an imported order")
  order(c.id, 45)
  eq(#open_tasks(c.id, "Thank-you call"), 0, "a live second order is not a first order")
end)

test("a churn warning gets one win-back call", function()
  local c = new_customer({ name = "Wanda Winback", owner = "carol" })
  order(c.id, 45)
  complete_all(c.id)
  advance("150d")             -- a one-order customer is warned after 144 days
  local tasks = open_tasks(c.id, "Win-back call")
  eq(#tasks, 1, "win-back tasks after the churn warning")
  eq(tasks[1].owner, "carol", "owner of the win-back task")
  -- an order clears the warning; silence warns again while the first call is still open
  order(c.id, 45)
  advance("600d")
  eq(#open_tasks(c.id, "Win-back call"), 1, "win-back tasks while one is still open")
end)

local function make_vip(name, owner)
  local c = new_customer({ name = name, owner = owner })
  order(c.id, 1200)
  complete_all(c.id)            -- the thank-you call is done
  return c
end

test("followups.vip_checkin reminds VIPs nobody talked to for 30 days", function()
  local quiet = make_vip("Quiet Vip", "dave")
  local talked = make_vip("Talked Vip", "dave")
  local busy = make_vip("Busy Vip", "dave")
  local small = new_customer({ name = "Small Spender", owner = "dave" })
  order(small.id, 20)
  complete_all(small.id)
  advance("25d")
  crm.call("interaction.log", { customer_id = talked.id, type = "call", summary = "all good" })
  crm.call("task.create", { customer_id = busy.id, owner = "dave", note = "send catalogue", due = "30d" })
  advance("6d")                 -- 31 days after the orders
  crm.call("schedule.create", { name = "vip-test", cron = "0 8 * * *", job = "followups.vip_checkin" })
  run_now("vip-test")
  local tasks = open_tasks(quiet.id, "VIP check-in")
  eq(#tasks, 1, "check-in tasks of a VIP without contact for 31 days")
  eq(tasks[1].owner, "dave", "owner of the check-in task")
  eq(#open_tasks(talked.id, "VIP check-in"), 0, "check-in tasks of a VIP called 6 days ago")
  eq(#open_tasks(busy.id, "VIP check-in"), 0, "check-in tasks of a VIP with an open task")
  eq(#open_tasks(small.id, "VIP check-in"), 0, "check-in tasks of a customer who is not a VIP")
  run_now("vip-test")
  eq(#open_tasks(quiet.id, "VIP check-in"), 1, "check-in tasks after running the job twice")
end)

test("followups.at_risk_weekly gives each at-risk customer one follow-up", function()
  local risky = new_customer({ name = "Rick Risky", owner = "erin" })
  order(risky.id, 40, 20)
  order(risky.id, 40, 10)       -- every 10 days, last one 10 days ago
  local fine = new_customer({ name = "Fiona Fine", owner = "erin" })
  order(fine.id, 40, 20)
  order(fine.id, 40, 1)
  local ownerless = new_customer({ name = "Nora Noowner" })
  order(ownerless.id, 40, 100)  -- one order 100 days ago: 1.67 x 60 days
  advance("6d")                 -- risky: 16 days since the last order
  crm.call("schedule.create", { name = "at-risk-test", cron = "0 9 * * 1", job = "followups.at_risk_weekly" })
  run_now("at-risk-test")
  local tasks = open_tasks(risky.id, "At risk")
  eq(#tasks, 1, "at-risk tasks of an at-risk customer")
  eq(tasks[1].owner, "erin", "owner of the at-risk task")
  eq(#open_tasks(fine.id, "At risk"), 0, "at-risk tasks of a customer who is fine")
  local t2 = open_tasks(ownerless.id, "At risk")
  eq(#t2, 1, "at-risk tasks of a customer without an owner")
  eq(t2[1].owner, "sales", "owner of the at-risk task without a customer owner")
  run_now("at-risk-test")
  eq(#open_tasks(risky.id, "At risk"), 1, "at-risk tasks after a second run")
end)

test("followups.vip_checkin works through many VIPs in slices", function()
  local vips = {}
  for i = 1, 5 do vips[i] = make_vip("Sliced Vip " .. i, "gina") end
  advance("31d")
  crm.call("schedule.create", { name = "vip-sliced", every = "1d", job = "followups.vip_checkin",
    args = { batch = 2 } })
  run_now("vip-sliced")
  for i = 1, 5 do
    eq(#open_tasks(vips[i].id, "VIP check-in"), 1, "check-in tasks of VIP " .. i)
  end
end)
