-- Tests of surveys.lua (run with: kithd test-scripts)

local function new_customer(name)
  return crm.call("customer.create", { name = name or "Survey Customer" })
end

local function invitations(id)
  return crm.call("survey.invitations", { survey = "purchase_nps", customer_id = id }).items
end

test("the shipped surveys exist and are active after the load", function()
  for _, name in ipairs({ "purchase_nps", "service_csat" }) do
    local s = crm.survey.get(name)
    assert(s, name .. " should exist")
    assert(s.status == "active", name .. " should be active, is " .. tostring(s.status))
    assert(tostring(s.created_by):match("^rule:.*surveys%.lua$"), "created_by: " .. tostring(s.created_by))
  end
  local dims = {}
  for _, q in ipairs(crm.survey.get("service_csat").questions) do
    if q.dimension then dims[#dims + 1] = q.dimension end
  end
  assert(table.concat(dims, ",") == "product_quality,service_attitude,after_sales,price,delivery",
         "dimensions: " .. table.concat(dims, ","))
  assert(crm.survey.get("no_such_survey") == nil, "an unknown survey is nil")
end)

test("a first purchase invites to the NPS survey 7 days later, once", function()
  local c = new_customer("First Buyer")
  crm.call("order.create", { customer_id = c.id, amount = 20 })
  local inv = invitations(c.id)
  assert(#inv == 1, "one invitation, got " .. #inv)
  assert(inv[1].status == "pending", "pending until its time, is " .. inv[1].status)
  assert(inv[1].token == nil, "lists never show the token")
  assert(crm.stats(c.id).last_invited_at ~= nil, "last_invited_at is set")
  crm.call("order.create", { customer_id = c.id, amount = 30 })
  assert(#invitations(c.id) == 1, "a second order invites nobody")
  advance("6d")
  assert(invitations(c.id)[1].status == "pending", "not sent after 6 days")
  advance("1d")
  inv = invitations(c.id)[1]
  assert(inv.status == "sent", "sent after 7 days, is " .. inv.status)
  assert(inv.context.order_id ~= nil, "the order is the context")
end)

test("an answer sets the stats and carries the NPS class", function()
  local c = new_customer("Detractor")
  crm.call("order.create", { customer_id = c.id, amount = 20 })
  advance("7d")
  local r = crm.call("survey.respond", { survey = "purchase_nps", customer_id = c.id,
                                         answers = { recommend = 3, reason = "slow" } })
  assert(r.scores.nps == 3 and r.scores.nps_class == "detractor", "scores: " .. tostring(r.scores.nps_class))
  local s = crm.stats(c.id)
  assert(s.last_nps == 3, "last_nps: " .. tostring(s.last_nps))
  assert(s.surveys_answered == 1, "surveys_answered: " .. tostring(s.surveys_answered))
  assert(invitations(c.id)[1].status == "answered", "the invitation is answered")
end)

test("an unanswered invitation expires 14 days after it was sent", function()
  local c = new_customer("Silent")
  crm.call("order.create", { customer_id = c.id, amount = 20 })
  advance("7d")
  advance("13d")
  assert(invitations(c.id)[1].status == "sent", "still open after 13 days")
  advance("1d")
  assert(invitations(c.id)[1].status == "expired", "expired after 14 days")
end)

test("backdated orders send no survey", function()
  local c = new_customer("Imported")
  crm.call("order.create", { customer_id = c.id, amount = 20, at = crm.iso(crm.now() - 90 * crm.DAY) })
  assert(#invitations(c.id) == 0, "no invitation for an imported order")
end)
