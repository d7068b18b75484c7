-- Tests of pipeline.lua (run with: kithd test-scripts)

local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s: expected %s, got %s", what, tostring(want), tostring(got)), 2)
  end
end

local function tasks(id, prefix)
  local out = {}
  for _, t in ipairs(crm.call("task.list", { customer_id = id, status = "open", limit = 200 }).items) do
    if t.note:sub(1, #prefix) == prefix then out[#out + 1] = t end
  end
  return out
end

local function new_deal(fields)
  local c = crm.call("customer.create", { name = "Buyer" })
  local p = { customer_id = c.id, name = "Fleet renewal", amount = 12000, owner = "alice" }
  for k, v in pairs(fields or {}) do p[k] = v end
  return crm.call("deal.create", p), c
end

test("stages and probabilities: qualification 10% first, proposal needs a close date", function()
  local d = new_deal()
  eq(d.stage, "qualification", "first stage")
  eq(d.probability, 0.10, "probability")
  local ok, err = pcall(crm.call, "deal.move", { id = d.id, stage = "proposal" })
  eq(ok, false, "proposal without expected_close")
  eq(tostring(err):find("expected_close", 1, true) ~= nil, true, "names the field")
  crm.call("deal.update", { id = d.id, expected_close = crm.iso(crm.now() + 30 * crm.DAY) })
  d = crm.call("deal.move", { id = d.id, stage = "proposal" })
  eq(d.probability, 0.50, "proposal probability")
  eq(d.forecast_category, "best_case", "category follows")
end)

test("negotiation needs a next step (exit criterion)", function()
  local d = new_deal({ expected_close = crm.iso(crm.now() + crm.DAY) })
  local ok = pcall(crm.call, "deal.move", { id = d.id, stage = "negotiation" })
  eq(ok, false, "vetoed without next_step")
  eq(crm.call("deal.get", { id = d.id }).stage, "qualification", "unchanged")
  crm.call("deal.update", { id = d.id, next_step = "send the contract" })
  eq(crm.call("deal.move", { id = d.id, stage = "negotiation" }).stage, "negotiation", "moved")
end)

test("a deal idle for 14 days rots once and the owner is reminded", function()
  local d, c = new_deal()
  advance("13d")
  eq(#tasks(c.id, "Deal idle: "), 0, "not yet")
  advance("2d")
  eq(#tasks(c.id, "Deal idle: "), 1, "reminded")
  eq(crm.call("deal.get", { id = d.id }).rotting, true, "rotting")
  advance("20d")
  eq(#tasks(c.id, "Deal idle: "), 1, "once per idle spell")
  crm.call("deal.update", { id = d.id, next_step = "call back" })
  eq(crm.call("deal.get", { id = d.id }).rotting, false, "activity clears it")
end)

test("a won deal with create_order books the order and a thank-you task", function()
  local d, c = new_deal()
  local w = crm.call("deal.win", { id = d.id, create_order = true })
  eq(w.status, "won", "won")
  eq(crm.stats(c.id).orders, 1, "the order")
  eq(crm.stats(c.id).total_spent, 12000, "its amount")
  eq(#tasks(c.id, "Thank the customer for "), 1, "thank-you task")
end)
