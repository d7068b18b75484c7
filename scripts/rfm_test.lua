-- Tests of rfm.lua (run with: kithd test-scripts)

local DAY = crm.DAY or 86400000

local function order(id, amount, days_ago)
  return crm.call("order.create", { customer_id = id, amount = amount,
                                    at = crm.iso(crm.now() - days_ago * DAY) })
end

local function segments(id)
  local out = {}
  for _, s in ipairs(crm.call("customer.get", { id = id }).segments) do out[s] = true end
  return out
end

-- Cuts as value.fit would set them: recency 10/30/60/120 days, orders
-- 1/2/4/8, spent 50/100/200/400.
local CUTS = { recency_days = { 10, 30, 60, 120 }, orders = { 1, 2, 4, 8 },
               spent = { 50, 100, 200, 400 } }

test("no model, no RFM segments", function()
  local c = crm.call("customer.create", { name = "A" })
  order(c.id, 500, 1)
  assert(not segments(c.id).rfm_champions, "no cuts yet")
end)

test("champions, can't lose them, hibernating by the cuts", function()
  crm.call("value.fit", { params = { r = 0.24, alpha = 4.4, a = 0.79, b = 2.4 }, rfm_cuts = CUTS })
  local champ = crm.call("customer.create", { name = "Champ" })
  for i = 1, 9 do order(champ.id, 60, 10 - i) end        -- 9 orders, the last a day ago
  local quiet = crm.call("customer.create", { name = "Quiet" })
  for i = 1, 9 do order(quiet.id, 60, 300 - i) end       -- 9 orders, the last 291 days ago
  local once = crm.call("customer.create", { name = "Once" })
  order(once.id, 20, 90)                                  -- r 2, f 1
  assert(segments(champ.id).rfm_champions, "champion")
  assert(segments(quiet.id).rfm_cant_lose_them, "can't lose them")
  assert(segments(once.id).rfm_hibernating, "hibernating")
  local v = crm.call("value.get", { customer_id = champ.id })
  assert(v.rfm.code == "555", "champ scores 555, got " .. tostring(v.rfm.code))
end)
