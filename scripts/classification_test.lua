-- Tests of classification.lua (run with: kithd test-scripts)

local DAY = crm.DAY or 86400000

local function order(id, amount, days_ago)
  local p = { customer_id = id, amount = amount }
  if days_ago then p.at = crm.iso(crm.now() - days_ago * DAY) end
  return crm.call("order.create", p)
end

local function class_of(id)
  return crm.call("customer.get", { id = id }).class
end

local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s: expected %s, got %s", what, tostring(want), tostring(got)), 2)
  end
end

test("a new customer is potential, an order makes them regular, big spending key", function()
  local c = crm.call("customer.create", { name = "Class Act" })
  eq(class_of(c.id), "potential", "class with no order")
  order(c.id, 120)
  eq(class_of(c.id), "regular", "class after one order")
  order(c.id, 6000)
  eq(class_of(c.id), "key", "class after spending 6,120")
  local got = crm.call("customer.get", { id = c.id })
  eq(type(got.class_reasons[1]), "string", "the reason given")
end)

test("five small orders make key; a year without one makes potential again", function()
  local c = crm.call("customer.create", { name = "Frequent" })
  for _ = 1, 5 do order(c.id, 10) end
  eq(class_of(c.id), "key", "class after five orders")
  advance("400d")
  crm.call("segment.refresh", {})
  eq(class_of(c.id), "potential", "class after 400 quiet days")
end)

test("an old imported order alone does not make a regular customer", function()
  local c = crm.call("customer.create", { name = "Lapsed" })
  order(c.id, 300, 500)
  eq(class_of(c.id), "potential", "class after an order 500 days ago")
end)

test("an override wins until it is cleared", function()
  local c = crm.call("customer.create", { name = "Pinned" })
  crm.call("customer.update", { id = c.id, class_override = "key" })
  eq(class_of(c.id), "key", "class with an override")
  crm.call("customer.update", { id = c.id, class_override = crm.null })
  eq(class_of(c.id), "potential", "class once the override is cleared")
end)
