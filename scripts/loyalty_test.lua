-- Tests of loyalty.lua (run with: kithd test-scripts)

local DAY = crm.DAY or 86400000

local function new_customer(fields)
  return crm.call("customer.create", fields or { name = "Test Customer" })
end

local function get(id)
  return crm.call("customer.get", { id = id })
end

local function order(id, amount)
  return crm.call("order.create", { customer_id = id, amount = amount })
end

local function balance(id)
  return crm.call("loyalty.balance", { customer_id = id })
end

local function history(id)
  return crm.call("loyalty.history", { customer_id = id, limit = 100 }).items or {}
end

local function count_reason(id, prefix)
  local n = 0
  for _, e in ipairs(history(id)) do
    if type(e.reason) == "string" and e.reason:sub(1, #prefix) == prefix then n = n + 1 end
  end
  return n
end

-- Fails the test at the caller's line unless got == want.
local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s: expected %s, got %s", what, tostring(want), tostring(got)), 2)
  end
end

local function mmdd(ms)
  return os.date("!%m-%d", ms // 1000)
end

local function year(ms)
  return tonumber(os.date("!%Y", ms // 1000))
end

local function schedule_job(name, job)
  crm.call("schedule.create", { name = name, every = "1d", job = job })
end

-- Runs a schedule now: schedule.run makes it due, the scheduler runs it once
-- the request commits, which in a test happens when the clock moves.
local function run_now(name)
  crm.call("schedule.run", { name = name })
  advance("1s")
end

test("a new customer is bronze with no points", function()
  local c = new_customer({ name = "Bob Bronze" })
  local b = balance(c.id)
  eq(b.points, 0, "points")
  eq(b.tier, "bronze", "tier")
end)

test("an order earns a point per unit, rounded down, reason order #id", function()
  local c = new_customer({ name = "Penny Points" })
  local o = order(c.id, 100)
  eq(balance(c.id).points, 100, "points after an order of 100")
  eq(count_reason(c.id, "order #" .. tostring(math.tointeger(o.id) or o.id)), 1, "ledger entries for the order")
  order(c.id, 19.99)
  eq(balance(c.id).points, 119, "points after another order of 19.99")
end)

test("higher tiers earn more per order", function()
  local s = new_customer({ name = "Sid Silver" })
  crm.call("loyalty.award", { customer_id = s.id, points = 500, reason = "welcome" })
  eq(balance(s.id).tier, "silver", "tier with 500 points")
  order(s.id, 100)
  eq(balance(s.id).points, 625, "silver: 500 + 100 x 1.25")

  local g = new_customer({ name = "Gil Gold" })
  crm.call("loyalty.award", { customer_id = g.id, points = 2000, reason = "welcome" })
  eq(balance(g.id).tier, "gold", "tier with 2000 points")
  order(g.id, 100)
  eq(balance(g.id).points, 2150, "gold: 2000 + 100 x 1.5")

  local p = new_customer({ name = "Pam Platinum" })
  crm.call("loyalty.award", { customer_id = p.id, points = 5000, reason = "welcome" })
  eq(balance(p.id).tier, "platinum", "tier with 5000 points")
  order(p.id, 100)
  eq(balance(p.id).points, 5200, "platinum: 5000 + 100 x 2")
end)

test("the order that crosses a tier earns at the old tier's rate", function()
  local c = new_customer({ name = "Cross Over" })
  order(c.id, 600)
  local b = balance(c.id)
  eq(b.points, 600, "points after an order of 600 as bronze")
  eq(b.tier, "silver", "tier after 600 points")
end)

test("order points expire after a year; the tier stays", function()
  local c = new_customer({ name = "Evan Expiry" })
  order(c.id, 600)
  local b = balance(c.id)
  assert(type(b.expiring) == "table" and #b.expiring >= 1, "expected the order's points in balance.expiring")
  local e = b.expiring[1]
  eq(e.points, 600, "expiring points")
  local at = type(e.at) == "string" and crm.time(e.at) or e.at
  assert(math.abs(at - (crm.now() + 365 * DAY)) <= DAY,
    "points should expire about 365 days from now, expiring at " .. tostring(e.at))
  advance("364d")
  eq(balance(c.id).points, 600, "points after 364 days")
  advance("2d")
  b = balance(c.id)
  eq(b.points, 0, "points after 366 days")
  eq(b.tier, "silver", "tier after the points expired")
end)

test("birthday bonus when ordering on the birthday, once a year", function()
  local now = crm.now()
  local c = new_customer({ name = "Betty Birthday", attrs = { birthday = mmdd(now) } })
  order(c.id, 10)
  eq(balance(c.id).points, 260, "points: 10 for the order + 250 birthday bonus")
  eq(get(c.id).attrs.birthday_bonus_year, year(now), "attrs.birthday_bonus_year")
  order(c.id, 10)
  eq(balance(c.id).points, 270, "a second order on the birthday earns no second bonus")
  eq(count_reason(c.id, "birthday bonus"), 1, "birthday bonus ledger entries")
end)

test("the birthday job awards the bonus once, YYYY-MM-DD birthdays too", function()
  local now = crm.now()
  local c = new_customer({ name = "Yuri Year", attrs = { birthday = "1990-" .. mmdd(now) } })
  local other = new_customer({ name = "Not Today", attrs = { birthday = mmdd(now + 40 * DAY) } })
  local none = new_customer({ name = "No Birthday" })
  local junk = new_customer({ name = "Bad Birthday", attrs = { birthday = "someday" } })
  schedule_job("birthdays-test", "loyalty.birthday_bonus")
  run_now("birthdays-test")
  eq(balance(c.id).points, 250, "points after the birthday job")
  run_now("birthdays-test")
  eq(balance(c.id).points, 250, "points after running the job twice")
  eq(balance(other.id).points, 0, "points of a customer whose birthday is not today")
  eq(balance(none.id).points, 0, "points of a customer without a birthday")
  eq(balance(junk.id).points, 0, "points of a customer with a malformed birthday")
end)

test("the birthday bonus comes again the next year", function()
  local now = crm.now()
  local c = new_customer({ name = "Annie Annual", attrs = { birthday = mmdd(now + DAY) } })
  schedule_job("birthdays-annual", "loyalty.birthday_bonus")
  run_now("birthdays-annual")
  eq(balance(c.id).points, 0, "no bonus the day before the birthday")
  advance("1d")
  run_now("birthdays-annual")
  eq(count_reason(c.id, "birthday bonus"), 1, "bonus on the birthday")
  -- a year later (365 or 366 days, leap years): the schedule runs every day
  -- on the way, and once more for each day around the next birthday
  advance("363d")
  for _ = 1, 4 do
    advance("1d")
    run_now("birthdays-annual")
  end
  local n = count_reason(c.id, "birthday bonus")
  assert(n == 2, "expected 2 birthday bonuses a year later, got " .. n)
end)

test("the birthday job works through many customers in slices", function()
  local now = crm.now()
  local born, others = {}, {}
  for i = 1, 7 do
    born[i] = new_customer({ name = "Party " .. i, attrs = { birthday = mmdd(now) } })
    others[i] = new_customer({ name = "Other " .. i, attrs = { birthday = mmdd(now + 100 * DAY) } })
  end
  crm.call("schedule.create", { name = "birthdays-sliced", every = "1d", job = "loyalty.birthday_bonus",
    args = { batch = 2 } })
  run_now("birthdays-sliced")
  for i = 1, 7 do
    eq(balance(born[i].id).points, 250, "points of birthday customer " .. i)
    eq(balance(others[i].id).points, 0, "points of other customer " .. i)
  end
  local found
  for _, sc in ipairs(crm.call("schedule.list", {}).items or crm.call("schedule.list", {})) do
    if sc.name == "birthdays-sliced" then found = sc end
  end
  assert(found, "schedule birthdays-sliced not listed")
  eq(found.last_status, "ok", "last_status of the sliced run")
end)

test("orders of zero earn nothing", function()
  local c = new_customer({ name = "Zed Zero" })
  order(c.id, 0)
  eq(balance(c.id).points, 0, "points after an order of 0")
end)
