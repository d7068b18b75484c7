-- Tests of churn.lua (run with: kithd test-scripts)

local DAY = crm.DAY or 86400000

local function new_customer(fields)
  return crm.call("customer.create", fields or { name = "Test Customer" })
end

local function order(id, amount, days_ago)
  local p = { customer_id = id, amount = amount }
  if days_ago then p.at = crm.iso(crm.now() - days_ago * DAY) end
  return crm.call("order.create", p)
end

local function churn(id)
  return crm.call("churn.get", { customer_id = id })
end

local function complain(id, summary)
  return crm.call("interaction.log", { customer_id = id, type = "complaint", summary = summary or "unhappy" })
end

-- Resolves the customer's open complaint tickets (scripts/service.lua opens
-- one for each complaint logged).
local function resolve_complaints(id)
  local page = crm.call("ticket.list", { customer_id = id, status = "active" })
  for _, t in ipairs(page.items) do
    crm.call("ticket.resolve", { id = t.id, resolution = "sorted", root_cause = "test",
                                 category = t.category or "other" })
  end
end

local function has_reason(r, pattern)
  for _, s in ipairs(r.reasons or {}) do
    if type(s) == "string" and s:find(pattern) then return true end
  end
  return false
end

local function reasons(r)
  local t = {}
  for _, s in ipairs(r.reasons or {}) do t[#t + 1] = tostring(s) end
  return "[" .. table.concat(t, "; ") .. "]"
end

test("a prospect has no churn risk, even after a long time", function()
  local c = new_customer({ name = "Never Ordered" })
  advance("400d")
  local r = churn(c.id)
  assert(r.risk == 0, "risk of a prospect should be 0, got " .. tostring(r.risk))
  assert(#(r.reasons or {}) == 0, "a prospect should have no reasons, got " .. reasons(r))
end)

test("a customer who just ordered has no risk", function()
  local c = new_customer({ name = "Fresh Buyer" })
  order(c.id, 30)
  advance("1d")
  local r = churn(c.id)
  assert(r.risk == 0, "risk right after an order should be 0, got " .. tostring(r.risk))
end)

test("risk grows with the gap measured against the customer's own rhythm", function()
  local weekly = new_customer({ name = "Wendy Weekly" })
  order(weekly.id, 20, 14)
  order(weekly.id, 20, 7)      -- every 7 days, last one a week ago
  local monthly = new_customer({ name = "Molly Monthly" })
  order(monthly.id, 20, 60)
  order(monthly.id, 20, 30)    -- every 30 days, last one 30 days ago
  advance("11d")               -- weekly: 18 days (2.6x); monthly: 41 days (1.4x)
  local w, m = churn(weekly.id), churn(monthly.id)
  assert(w.risk >= 0.7, "weekly buyer silent for 18 days: risk should be >= 0.7, got " .. tostring(w.risk))
  assert(m.risk < 0.3, "monthly buyer silent for 41 days: risk should be < 0.3, got " .. tostring(m.risk))
  assert(has_reason(w, "no order"), "expected a gap reason, got " .. reasons(w))
  assert(has_reason(w, "usual 7d"), "the gap reason should name the rhythm, got " .. reasons(w))
end)

test("a one-order customer is measured against 60 days", function()
  local c = new_customer({ name = "Single Sale" })
  order(c.id, 20)
  advance("60d")
  assert(churn(c.id).risk == 0, "risk at 60 days should be 0")
  advance("90d")               -- 150 days = 2.5 x 60
  local r = churn(c.id)
  assert(r.risk >= 0.7, "risk at 150 days should be >= 0.7, got " .. tostring(r.risk))
  assert(r.risk <= 1, "risk must stay within 0..1, got " .. tostring(r.risk))
  advance("400d")
  r = churn(c.id)
  assert(r.risk == 1, "risk after more than a year should be 1, got " .. tostring(r.risk))
end)

test("complaints raise the risk but alone stay below the threshold", function()
  local c = new_customer({ name = "Cranky Customer" })
  order(c.id, 20)
  complain(c.id, "late")
  local one = churn(c.id).risk
  complain(c.id, "broken")
  complain(c.id, "rude driver")
  local r = churn(c.id)
  assert(one > 0, "one complaint on one order should add some risk, got " .. tostring(one))
  assert(r.risk > one, "more complaints should add more risk: " .. tostring(one) .. " -> " .. tostring(r.risk))
  assert(r.risk < 0.7, "complaints alone should stay below 0.7, got " .. tostring(r.risk))
  assert(has_reason(r, "3 complaints"), "expected a complaint reason, got " .. reasons(r))
end)

test("complaints push a late customer over the threshold", function()
  local c = new_customer({ name = "Late And Cross" })
  order(c.id, 20)
  advance("100d")              -- 1.67 x 60: gap risk 0.33
  local before = churn(c.id).risk
  assert(before < 0.7, "late customer without complaints: risk below 0.7, got " .. tostring(before))
  complain(c.id, "never again")
  complain(c.id, "refund please")
  local r = churn(c.id)
  assert(r.risk >= 0.7, "late customer with 2 complaints: risk >= 0.7, got " .. tostring(r.risk))
end)

test("many orders dilute old complaints", function()
  local c = new_customer({ name = "Loyal Grumbler" })
  for i = 1, 20 do order(c.id, 10, 21 - i) end
  complain(c.id, "one bad day")
  resolve_complaints(c.id)
  local r = churn(c.id)
  assert(r.risk < 0.1, "1 complaint over 20 recent orders: risk < 0.1, got " .. tostring(r.risk))
end)

test("an old complaint weighs half as much as a recent one", function()
  local c = new_customer({ name = "Long Forgiven" })
  order(c.id, 20)
  complain(c.id, "late")
  resolve_complaints(c.id)
  order(c.id, 20)
  local fresh = churn(c.id)
  assert(has_reason(fresh, "1 complaint / 2 orders$"), "expected a plain complaint reason, got " .. reasons(fresh))
  advance("200d")
  order(c.id, 20)              -- the gap is gone again; only the complaint is left
  local old = churn(c.id)
  assert(has_reason(old, "the last 200d ago"), "expected the complaint's age, got " .. reasons(old))
  -- 1 complaint / 3 orders x 0.3 = 0.1, halved: 0.05
  assert(old.risk == 0.05, "an old complaint should count half: risk 0.05, got " .. tostring(old.risk))
end)

test("an open complaint ticket adds risk until it is resolved", function()
  local c = new_customer({ name = "Still Waiting" })
  for i = 1, 10 do order(c.id, 10, 11 - i) end
  complain(c.id, "where is my refund")
  local open = churn(c.id)
  assert(has_reason(open, "1 open complaint"), "expected the open complaint, got " .. reasons(open))
  resolve_complaints(c.id)
  local done = churn(c.id)
  assert(not has_reason(done, "open complaint"), "no open complaint after resolving: " .. reasons(done))
  -- 1 complaint / 10 orders x 0.3 = 0.03; open: + 0.1
  assert(open.risk == 0.13 and done.risk == 0.03,
         "risk 0.13 while open and 0.03 after, got " .. tostring(open.risk) .. " and " .. tostring(done.risk))
end)

test("a new order clears the risk", function()
  local c = new_customer({ name = "Back Again" })
  order(c.id, 20)
  advance("200d")
  assert(churn(c.id).risk >= 0.7, "risk after 200 days should be >= 0.7")
  order(c.id, 20)
  local r = churn(c.id)
  assert(r.risk < 0.7, "risk after a new order should fall below 0.7, got " .. tostring(r.risk))
end)

test("with a value model, a repeat buyer's gap risk is blended with 1 - P(alive)", function()
  -- A model fitted elsewhere (value.fit takes its parameters as given).
  crm.call("value.fit", { params = { r = 0.243, alpha = 4.414, a = 0.793, b = 2.426 } })
  local c = new_customer({ name = "Steady" })
  order(c.id, 20, 90)
  order(c.id, 20, 60)
  order(c.id, 20, 30)
  advance("1m")
  local v = crm.call("value.get", { customer_id = c.id })
  local r = churn(c.id)
  -- The gap (30 days) equals the rhythm: no gap risk, so the risk is the
  -- model's half alone.
  local want = math.floor((0.5 * (1 - v.p_alive)) * 100 + 0.5) / 100
  assert(r.risk == want, "risk " .. tostring(want) .. " expected, got " .. tostring(r.risk))
  assert(want > 0, "the model sees some risk")
  assert(has_reason(r, "alive"), "expected P(alive) among the reasons, got " .. reasons(r))
  -- A one-order customer keeps the gap signal alone.
  local once = new_customer({ name = "Once" })
  order(once.id, 20, 10)
  advance("1m")
  assert(churn(once.id).risk == 0, "one order 10 days ago: no risk")
end)
