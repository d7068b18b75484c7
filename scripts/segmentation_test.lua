-- Tests of segmentation.lua (run with: kithd test-scripts)

local DAY = crm.DAY or 86400000

local function new_customer(fields)
  return crm.call("customer.create", fields or { name = "Test Customer" })
end

local function order(id, amount, days_ago)
  local p = { customer_id = id, amount = amount }
  if days_ago then p.at = crm.iso(crm.now() - days_ago * DAY) end
  return crm.call("order.create", p)
end

local function segments_of(id)
  local set = {}
  for _, name in ipairs(crm.call("segment.of", { customer_id = id }) or {}) do set[name] = true end
  return set
end

local function is_in(id, segment, want, what)
  local got = segments_of(id)[segment] == true
  if got ~= want then
    error(string.format("%s: expected %s segment %s", what, want and "to be in" or "not to be in", segment), 2)
  end
end

local function refresh()
  crm.call("segment.refresh", {})
end

-- Runs a schedule now: schedule.run makes it due, the scheduler runs it once
-- the request commits, which in a test happens when the clock moves.
local function run_now(name)
  crm.call("schedule.run", { name = name })
  advance("1s")
end

test("the five segments are defined", function()
  local names = {}
  for _, s in ipairs(crm.call("segment.list", {})) do names[s.name] = s end
  for _, n in ipairs({ "vip", "new_customers", "at_risk", "dormant", "key_accounts" }) do
    assert(names[n], "segment " .. n .. " is missing from segment.list")
    assert(type(names[n].description) == "string" and names[n].description ~= "",
      "segment " .. n .. " has no description")
  end
end)

test("vip: total spent of 1000 or more", function()
  local c = new_customer({ name = "Vera Vip" })
  order(c.id, 600)
  is_in(c.id, "vip", false, "after spending 600")
  order(c.id, 400)
  is_in(c.id, "vip", true, "after spending 1000")
end)

test("vip: 2000 lifetime points, even after redeeming them", function()
  local c = new_customer({ name = "Paul Points" })
  crm.call("loyalty.award", { customer_id = c.id, points = 1999, reason = "migration" })
  is_in(c.id, "vip", false, "with 1999 lifetime points")
  crm.call("loyalty.award", { customer_id = c.id, points = 1, reason = "migration" })
  is_in(c.id, "vip", true, "with 2000 lifetime points")
  crm.call("loyalty.redeem", { customer_id = c.id, points = 1500, reason = "voucher" })
  refresh()
  is_in(c.id, "vip", true, "after redeeming 1500 of them")
end)

test("new_customers: for 30 days after creation", function()
  local c = new_customer({ name = "Nina New" })
  is_in(c.id, "new_customers", true, "just created")
  advance("29d")
  refresh()
  is_in(c.id, "new_customers", true, "29 days after creation")
  advance("2d")
  refresh()
  is_in(c.id, "new_customers", false, "31 days after creation")
end)

test("at_risk: late against their own rhythm, dormant after 180 days", function()
  local c = new_customer({ name = "Rita Rhythm" })
  order(c.id, 40, 20)
  order(c.id, 40, 10)          -- every 10 days, last one 10 days ago
  refresh()
  is_in(c.id, "at_risk", false, "10 days after the last order")
  advance("6d")                -- 16 days: 1.6x the rhythm
  refresh()
  is_in(c.id, "at_risk", true, "16 days after the last order")
  is_in(c.id, "dormant", false, "16 days after the last order")
  advance("170d")              -- 186 days
  refresh()
  is_in(c.id, "at_risk", false, "186 days after the last order")
  is_in(c.id, "dormant", true, "186 days after the last order")
  order(c.id, 40)
  is_in(c.id, "dormant", false, "after ordering again")
  is_in(c.id, "at_risk", false, "after ordering again")
end)

test("at_risk: a one-order customer after 90 days", function()
  local c = new_customer({ name = "Oscar One" })
  order(c.id, 25)
  advance("80d")
  refresh()
  is_in(c.id, "at_risk", false, "80 days after the only order")
  advance("15d")
  refresh()
  is_in(c.id, "at_risk", true, "95 days after the only order")
end)

test("at_risk: repeated complaints", function()
  local c = new_customer({ name = "Cora Complaint" })
  order(c.id, 25)
  order(c.id, 25)
  crm.call("interaction.log", { customer_id = c.id, type = "complaint", summary = "broken" })
  is_in(c.id, "at_risk", false, "after one complaint")
  crm.call("interaction.log", { customer_id = c.id, type = "complaint", summary = "broken again" })
  refresh()
  is_in(c.id, "at_risk", true, "after two complaints over two orders")
end)

test("prospects are neither at risk nor dormant", function()
  local c = new_customer({ name = "Never Bought" })
  advance("200d")
  refresh()
  is_in(c.id, "at_risk", false, "a prospect")
  is_in(c.id, "dormant", false, "a prospect")
end)

test("key_accounts: attrs.classification key or A", function()
  local a = new_customer({ name = "Acme", attrs = { classification = "A" } })
  local k = new_customer({ name = "Keystone", attrs = { classification = "Key" } })
  local b = new_customer({ name = "Bolt", attrs = { classification = "B" } })
  local n = new_customer({ name = "Nobody" })
  is_in(a.id, "key_accounts", true, "classification A")
  is_in(k.id, "key_accounts", true, "classification Key")
  is_in(b.id, "key_accounts", false, "classification B")
  is_in(n.id, "key_accounts", false, "no classification")
  crm.call("customer.update", { id = b.id, attrs = { classification = "key" } })
  is_in(b.id, "key_accounts", true, "classification changed to key")
  crm.call("customer.update", { id = a.id, attrs = { classification = crm.null } })
  is_in(a.id, "key_accounts", false, "classification removed")
end)

test("the segments.refresh job refreshes time-based segments", function()
  local c = new_customer({ name = "Jo Job" })
  advance("31d")
  crm.call("schedule.create", { name = "segments-test", every = "1d", job = "segments.refresh" })
  run_now("segments-test")
  is_in(c.id, "new_customers", false, "31 days after creation, after the job")
end)
