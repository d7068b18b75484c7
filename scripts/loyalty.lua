--[[
loyalty.lua - the loyalty programme: tiers, points for orders, birthday bonus.

WHAT IT DOES
  Tiers (crm.tiers) follow the points a customer has EARNED over their
  lifetime; redeeming or expiring points never demotes anyone:
      bronze 0, silver 500, gold 2000, platinum 5000 lifetime points.

  Points for orders: every order earns POINTS_PER_UNIT points per unit of its
  amount (whatever its currency), times the multiplier of the tier the
  customer is in when they order (TIER_MULTIPLIER: higher tiers earn more),
  rounded down.  Orders of zero or less earn nothing.  The reason reads
  "order #<id>".  Points expire EXPIRES_IN after they are earned.

  Birthday bonus: customers with attrs.birthday ("MM-DD" or "YYYY-MM-DD")
  get BIRTHDAY_BONUS points once a year, on their birthday (29 February is
  celebrated on 28 February in other years):
    - from the daily job "loyalty.birthday_bonus", and
    - when they order on their birthday (if BIRTHDAY_ON_ORDER), so the bonus
      arrives even before the job has run that day.
  The year of the last bonus is kept in attrs.birthday_bonus_year, so the
  bonus is awarded once per year however often either path runs.  Days are
  calendar days in UTC shifted by UTC_OFFSET_MINUTES (the shop's time zone).

EVENTS AND JOBS
  crm.tiers{...}
  crm.after("order.created")       points for the order (+ birthday bonus)
  job "loyalty.birthday_bonus"     run it daily, shortly after midnight (it walks
                                   every customer, a slice at a time; args.batch:
                                   customers per slice):
         kith schedule.create name=birthdays cron="5 0 * * *" job=loyalty.birthday_bonus

KNOBS (below)
  TIERS, TIER_MULTIPLIER, POINTS_PER_UNIT, EXPIRES_IN, BIRTHDAY_BONUS,
  BIRTHDAY_ON_ORDER, UTC_OFFSET_MINUTES.
]]

local TIERS = {
  { name = "bronze",   min = 0 },
  { name = "silver",   min = 500 },
  { name = "gold",     min = 2000 },
  { name = "platinum", min = 5000 },
}
local TIER_MULTIPLIER    = { bronze = 1.0, silver = 1.25, gold = 1.5, platinum = 2.0 }
local POINTS_PER_UNIT    = 1        -- points per unit of currency spent (before the multiplier)
local EXPIRES_IN         = "365d"   -- earned points expire after this
local BIRTHDAY_BONUS     = 250      -- points on the birthday, once a year
local BIRTHDAY_ON_ORDER  = true     -- also award it when ordering on the birthday
local UTC_OFFSET_MINUTES = 0        -- the shop's time zone, for "which day is it"

-------------------------------------------------------------------------------

local DAY = crm.DAY or 86400000

crm.tiers(TIERS)

-- The calendar day of a time in ms: year, month, day.
local function day_of(ms)
  local t = os.date("!*t", (ms + UTC_OFFSET_MINUTES * 60000) // 1000)
  return t.year, t.month, t.day
end

local function is_leap(y)
  return y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)
end

-- month, day of a birthday string, or nil when it is not one.
local function parse_birthday(b)
  if type(b) ~= "string" then return nil end
  local m, d = b:match("^%d%d%d%d%-(%d%d)%-(%d%d)$")
  if not m then m, d = b:match("^(%d%d)%-(%d%d)$") end
  m, d = tonumber(m), tonumber(d)
  if not m or m < 1 or m > 12 or d < 1 or d > 31 then return nil end
  return m, d
end

-- Whether the day year-month-day is the birthday b.
local function is_birthday(b, year, month, day)
  local bm, bd = parse_birthday(b)
  if not bm then return false end
  if bm == 2 and bd == 29 and not is_leap(year) then bd = 28 end
  return bm == month and bd == day
end

-- Awards this year's birthday bonus unless already awarded; true if it did.
local function award_birthday(c, year)
  local attrs = c.attrs or {}
  if tonumber(attrs.birthday_bonus_year) == year then return false end
  crm.loyalty.award(c.id, BIRTHDAY_BONUS, string.format("birthday bonus %d", year),
    { expires_in = EXPIRES_IN })
  crm.customer.update(c.id, { attrs = { birthday_bonus_year = year } })
  return true
end

local function order_points(amount, tier)
  local mult = TIER_MULTIPLIER[tier or ""] or 1.0
  -- the epsilon absorbs float error: 0.29 * 100 is 28.999999999999996
  return math.floor(amount * POINTS_PER_UNIT * mult + 1e-6)
end

crm.after("order.created", function(ev)
  local order = ev.order
  local id = (ev.customer and ev.customer.id) or (order and order.customer_id)
  if not order or not id then return end

  local amount = tonumber(order.amount) or 0
  if amount > 0 then
    local bal = crm.loyalty.balance(id)
    local points = order_points(amount, bal and bal.tier)
    if points > 0 then
      crm.loyalty.award(id, points, string.format("order #%s", math.tointeger(order.id) or tostring(order.id)),
        { expires_in = EXPIRES_IN })
    end
  end

  -- An imported order earns its points (history counts toward the tier) but
  -- is no birthday celebration.
  if BIRTHDAY_ON_ORDER and not ev.import then
    local now = crm.now()
    local at = order.at or now
    -- only an order placed today counts (a backdated import is no celebration)
    if math.abs(now - at) < DAY then
      local c = ev.customer
      if not (c and c.id) then c = crm.customer.get(id) end
      if c and c.attrs and c.attrs.birthday ~= nil then
        local y, m, d = day_of(at)
        if is_birthday(c.attrs.birthday, y, m, d) then award_birthday(c, y) end
      end
    end
  end
end)

-- The job works in slices: each call handles customers for about
-- SLICE_SECONDS (or args.batch customers), then returns {more = true, state}
-- and the scheduler calls it again, each slice in its own transaction.
local SLICE_SECONDS = 0.03

crm.job("loyalty.birthday_bonus", function(ctx)
  local st = ctx.state or {}
  if not st.year then                   -- first slice: the day of this run
    st.year, st.month, st.day = day_of(ctx.now or crm.now())
    st.awarded = 0
  end
  local batch = math.tointeger(ctx.args and ctx.args.batch)
  local t0, cursor = os.clock(), st.cursor
  repeat
    local page = crm.call("customer.list", { limit = batch or 500, cursor = cursor })
    for _, c in ipairs(page.items or {}) do
      if c.attrs and c.attrs.birthday ~= nil and is_birthday(c.attrs.birthday, st.year, st.month, st.day) then
        if award_birthday(c, st.year) then st.awarded = st.awarded + 1 end
      end
    end
    cursor = page.next_cursor
    if cursor == crm.null then cursor = nil end
  until cursor == nil or batch or os.clock() - t0 > SLICE_SECONDS
  if cursor then
    st.cursor = cursor
    return { more = true, state = st }
  end
  crm.log("info", string.format("loyalty.birthday_bonus: %d bonuses awarded", st.awarded))
  return { awarded = st.awarded }
end)
