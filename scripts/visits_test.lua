-- Tests of visits.lua (run with: kithd test-scripts)

local DAY = crm.DAY or 86400000
local HOUR = crm.HOUR or 3600000

local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s: expected %s, got %s", what, tostring(want), tostring(got)), 2)
  end
end

local function is_null(v) return v == nil or v == crm.null end

-- A key account (vip: spent 1000+), a regular (one small order), a prospect.
local function three_customers(prefix)
  local key = crm.call("customer.create", { name = prefix .. " Key", owner = "alice" })
  crm.call("order.create", { customer_id = key.id, amount = 1500 })
  local reg = crm.call("customer.create", { name = prefix .. " Regular" })
  crm.call("order.create", { customer_id = reg.id, amount = 20 })
  local pro = crm.call("customer.create", { name = prefix .. " Prospect", owner = "bob" })
  return key, reg, pro
end

local function due_by_id(params)
  local out = {}
  for _, row in ipairs(crm.call("visit.due", params or { limit = 1000 }).items) do
    out[row.customer.id] = row
  end
  return out
end

local function open_tasks(id, prefix)
  local out = {}
  for _, t in ipairs(crm.call("task.list", { customer_id = id, status = "open" }).items) do
    if prefix == nil or t.note:sub(1, #prefix) == prefix then out[#out + 1] = t end
  end
  return out
end

local function planned_visits(id)
  return crm.call("visit.list", { customer_id = id, status = "planned" }).items
end

test("the cadence: key accounts monthly, customers who ordered quarterly, prospects never", function()
  local key, reg, pro = three_customers("Cadence")
  local due = due_by_id()
  eq(due[key.id] and due[key.id].class, "key", "class of the vip customer")
  eq(due[key.id].visit_every, "30d", "key accounts' cadence")
  assert(is_null(due[key.id].last_visit_at), "never visited")
  eq(due[reg.id] and due[reg.id].class, "regular", "class of the customer with an order")
  eq(due[reg.id].visit_every, "90d", "regular cadence")
  eq(due[pro.id], nil, "a prospect has no cadence")
  local keys = due_by_id({ class = "key", limit = 1000 })
  eq(keys[reg.id], nil, "class filter leaves out regulars")
  assert(keys[key.id], "class filter keeps key accounts")
end)

test("visits.plan_cadence plans a visit for every customer due, by the owner", function()
  local key, reg = three_customers("Planner")
  crm.call("schedule.create", { name = "visit-cadence", every = "7d", job = "visits.plan_cadence" })
  crm.call("schedule.run", { name = "visit-cadence" })
  advance("1s")
  local kv, rv = planned_visits(key.id), planned_visits(reg.id)
  eq(#kv, 1, "visits planned for the key account")
  eq(kv[1].owner, "alice", "visitor of a customer with an owner")
  eq(kv[1].purpose, "relationship", "purpose")
  eq(#rv, 1, "visits planned for the regular")
  eq(rv[1].owner, "sales", "visitor of a customer without an owner")
  local due = due_by_id()
  eq(due[key.id], nil, "nothing is due once a visit is planned")
  eq(due[reg.id], nil, "nothing is due once a visit is planned")
  crm.call("schedule.delete", { name = "visit-cadence" })
end)

test("visit.upcoming a day before, visit.missed 4h after, and the visitor's task", function()
  local c = crm.call("customer.create", { name = "Missy", owner = "carol" })
  local v = crm.call("visit.plan", { customer_id = c.id, at = "2d", by = "carol", purpose = "service" })
  advance("23h")
  assert(is_null(crm.visit.get(v.id).reminded_at), "no reminder before planned_at - 1d")
  advance("2h")
  local now = crm.visit.get(v.id)
  assert(not is_null(now.reminded_at), "visit.upcoming fired a day before")
  eq(now.status, "planned", "still planned")
  advance("1d")    -- planned_at + 1h
  advance("175m")  -- planned_at + 3h55m
  eq(crm.visit.get(v.id).status, "planned", "within the grace")
  advance("10m")   -- planned_at + 4h05m
  now = crm.visit.get(v.id)
  eq(now.status, "missed", "missed after the grace")
  local tasks = open_tasks(c.id, "Missed visit: ")
  eq(#tasks, 1, "missed-visit tasks")
  eq(tasks[1].owner, "carol", "the task goes to the visitor")
  advance("1d")
  eq(#open_tasks(c.id, "Missed visit: "), 1, "visit.missed fired once")
end)

test("a late report completes the visit; the customer is due again after the cadence", function()
  local key = three_customers("Late")
  local v = crm.call("visit.plan", { customer_id = key.id, at = "1h", purpose = "sales" })
  advance("6h")
  eq(crm.visit.get(v.id).status, "missed", "missed")
  local r = crm.call("visit.report", {
    id = v.id, outcome = "partial", summary = "met the buyer",
    agreements = { { note = "send the price list", due = "2d" } },
  })
  eq(r.status, "done", "reported late")
  eq(#open_tasks(key.id, "send the price list"), 1, "the agreement became a task")
  local s = crm.stats(key.id)
  eq(s.visits_completed, 1, "visits_completed")
  eq(due_by_id()[key.id], nil, "just visited: not due")
  advance("31d")
  eq(due_by_id()[key.id] and due_by_id()[key.id].class, "key", "due again a month later")
end)
