#!lua name=kith_race
--[[
kith_race - the Redis side of tests/bench/race.sh: Kith's shipped rules
(scripts/loyalty.lua, segmentation.lua, lifecycle.lua, churn.lua,
followups.lua and the referral plugin's order hook) redone as a Redis 7
function library, so that an order costs Redis the same work it costs Kith,
in one atomic call.  Load it with
    redis-cli FUNCTION LOAD REPLACE "$(cat tests/bench/redis/kith_race.lua)"

KEYS (all times are Unix milliseconds, money is kept in integer cents)
  customer:<id>  hash: the record customer.get returns, stats, points and
                 segments included, so HGETALL is the whole answer:
                 name email stage owner created_at updated_at
                 orders total_cents total_spent first_order_at last_order_at
                 avg_days_between_orders complaints
                 points lifetime_points tier segments churn_risk
                 (birthday birthday_bonus_year referred_by: when present)
  order:<id>     hash: customer_id amount currency at created_at
  orders:<cid>   list of the customer's order ids
  ledger:<cid>   stream of loyalty entries: kind points reason expires_at
  segment:<name> set of member ids (at_risk dormant key_accounts
                 new_customers vip)
  task:<id>      hash, and tasks:due, a sorted set by due time (follow-ups)
  events         stream of the events Kith logs (type, customer_id and the
                 ids involved; Kith stores whole records), capped near
                 Kith's default retention of 1,000,000
  next:customer next:order next:task   id counters

FUNCTIONS
  FCALL customer_create 0 <name> <email>          -> the new id
  FCALL order_create 1 customer:<id> <amount>     -> the new order id
        (amount in major units, "19.99"; an unknown customer is an error)
  kith-bench --redis --preload N creates customers with plain HSET under
  ids reserved by INCRBY next:customer N; get is HGETALL customer:<id>.

Only customer:<id> is declared as a key; the other keys are derived from it,
which standalone Redis allows (a cluster would need hash tags).
]]

-- The shipped knobs, as in scripts/*.lua.
local TIERS = { { "bronze", 0 }, { "silver", 500 }, { "gold", 2000 }, { "platinum", 5000 } }
local TIER_MULTIPLIER = { bronze = 1.0, silver = 1.25, gold = 1.5, platinum = 2.0 }
local POINTS_PER_UNIT = 1
local EXPIRES_IN_MS = 365 * 86400000
local BIRTHDAY_BONUS = 250
local VIP_MIN_SPENT_CENTS = 100000
local VIP_MIN_LIFETIME_POINTS = 2000
local NEW_CUSTOMER_DAYS = 30
local AT_RISK_RATIO, DEFAULT_RHYTHM_DAYS, MIN_RHYTHM_DAYS = 1.5, 60, 7
local AT_RISK_COMPLAINTS, DORMANT_DAYS = 2, 180
local LOYAL_MIN_ORDERS, LOYAL_MIN_SPENT_CENTS = 5, 100000
local CHURN_THRESHOLD, COMPLAINT_WEIGHT, COMPLAINT_CAP = 0.7, 0.3, 0.6
local CHURN_GRACE_RATIO, CHURN_FULL_RATIO = 1.0, 3.0
local THANK_YOU_DUE_MS, SALES_OWNER = 3 * 86400000, "sales"
local REFERRAL_POINTS = 100
local EVENTS_KEEP = 1000000
local DAY = 86400000
local MANAGED_STAGES = { prospect = true, first_purchase = true, ["repeat"] = true, loyal = true, churned = true }
-- Segment names in the order Kith lists them.
local SEGMENTS = { "at_risk", "dormant", "key_accounts", "new_customers", "vip" }

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function event(type, cid, ...)
  redis.call('XADD', 'events', 'MAXLEN', '~', EVENTS_KEEP, '*', 'type', type, 'customer_id', cid, ...)
end

local function tier_of(lifetime)
  local name = TIERS[1][1]
  for _, t in ipairs(TIERS) do
    if lifetime >= t[2] then name = t[1] end
  end
  return name
end

-- Reads the fields of customer:<id> named in `names` into a table.
local function load(key, names)
  local vals = redis.call('HMGET', key, unpack(names))
  local c = {}
  for i, n in ipairs(names) do
    if vals[i] then c[n] = vals[i] end
  end
  return c
end

-- Awards points to a customer whose balance fields are in c (updated in
-- place); appends the ledger entry, logs the events, returns the fields to write.
local function award(cid, c, points, reason, now, out)
  redis.call('XADD', 'ledger:' .. cid, '*', 'kind', 'award', 'points', points, 'reason', reason,
    'expires_at', now + EXPIRES_IN_MS)
  c.points = (tonumber(c.points) or 0) + points
  c.lifetime_points = (tonumber(c.lifetime_points) or 0) + points
  out[#out + 1] = 'points'; out[#out + 1] = c.points
  out[#out + 1] = 'lifetime_points'; out[#out + 1] = c.lifetime_points
  event('loyalty.awarded', cid, 'points', points, 'reason', reason)
  local tier = tier_of(c.lifetime_points)
  if tier ~= (c.tier or 'bronze') then
    out[#out + 1] = 'tier'; out[#out + 1] = tier
    event('loyalty.tier_changed', cid, 'from', c.tier or 'bronze', 'to', tier)
    c.tier = tier
  end
end

-- segmentation.lua: which of SEGMENTS the customer is in.
local function segments_of(c, s, now)
  local in_seg = {}
  local gap = s.last_order_at and (now - s.last_order_at) / DAY
  in_seg.vip = s.total_cents >= VIP_MIN_SPENT_CENTS or s.lifetime_points >= VIP_MIN_LIFETIME_POINTS
  in_seg.new_customers = (now - (tonumber(c.created_at) or now)) / DAY < NEW_CUSTOMER_DAYS
  if s.orders > 0 and gap and gap < DORMANT_DAYS then
    local rhythm = math.max(s.avg_days or DEFAULT_RHYTHM_DAYS, MIN_RHYTHM_DAYS)
    in_seg.at_risk = gap >= AT_RISK_RATIO * rhythm
        or (s.complaints >= AT_RISK_COMPLAINTS and s.complaints * 2 >= s.orders)
  end
  in_seg.dormant = s.orders > 0 and gap ~= nil and gap >= DORMANT_DAYS
  local cls = c.classification and string.lower(c.classification)
  in_seg.key_accounts = cls == 'key' or cls == 'a'
  local names = {}
  for _, n in ipairs(SEGMENTS) do
    if in_seg[n] then names[#names + 1] = n end
  end
  return table.concat(names, ',')
end

-- Moves the customer between segment sets; returns the new list when it changed.
local function update_segments(cid, old, new)
  if old == new then return nil end
  local was, is = {}, {}
  for n in string.gmatch(old, '[^,]+') do was[n] = true end
  for n in string.gmatch(new, '[^,]+') do is[n] = true end
  for _, n in ipairs(SEGMENTS) do
    if is[n] and not was[n] then
      redis.call('SADD', 'segment:' .. n, cid)
      event('segment.entered', cid, 'segment', n)
    elseif was[n] and not is[n] then
      redis.call('SREM', 'segment:' .. n, cid)
      event('segment.left', cid, 'segment', n)
    end
  end
  return new
end

-- lifecycle.lua: the stage an order leaves the customer in (a new order
-- ends churned, so only the order-count stages are possible).
local function order_stage(s)
  if s.orders <= 0 then return 'prospect' end
  if s.orders >= LOYAL_MIN_ORDERS or (s.orders >= 2 and s.total_cents >= LOYAL_MIN_SPENT_CENTS) then
    return 'loyal'
  end
  if s.orders >= 2 then return 'repeat' end
  return 'first_purchase'
end

-- churn.lua: the risk score from the stats.
local function churn_risk(s, now)
  if s.orders <= 0 or not s.last_order_at then return 0 end
  local rhythm = math.max(s.avg_days or DEFAULT_RHYTHM_DAYS, MIN_RHYTHM_DAYS)
  local gap_days = (now - s.last_order_at) / DAY
  local gap_risk = (gap_days / rhythm - CHURN_GRACE_RATIO) / (CHURN_FULL_RATIO - CHURN_GRACE_RATIO)
  gap_risk = math.min(math.max(gap_risk, 0), 1)
  local complaint_risk = 0
  if s.complaints > 0 then
    complaint_risk = math.min(COMPLAINT_CAP, COMPLAINT_WEIGHT * s.complaints / s.orders)
  end
  local risk = 1 - (1 - gap_risk) * (1 - complaint_risk)
  return math.floor(math.min(math.max(risk, 0), 1) * 100 + 0.5) / 100
end

-- The UTC calendar day of a time in ms (days-from-civil inverted, as the
-- sandbox has no os.date): year, month, day.
local function civil_day(ms)
  local z = math.floor(ms / DAY) + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524)
    - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400 + (m <= 2 and 1 or 0)
  return y, m, d
end

-- loyalty.lua: whether today is the birthday b ("MM-DD" or "YYYY-MM-DD");
-- 29 February is celebrated on 28 February in other years.  Also the year.
local function is_birthday(b, now)
  local y, m, d = civil_day(now)
  local bm, bd = string.match(b, '(%d%d)%-(%d%d)$')
  bm, bd = tonumber(bm), tonumber(bd)
  if not bm then return false, y end
  local leap = y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)
  if bm == 2 and bd == 29 and not leap then bd = 28 end
  return bm == m and bd == d, y
end

local CUSTOMER_FIELDS = { 'name', 'stage', 'owner', 'created_at', 'orders', 'total_cents',
  'first_order_at', 'last_order_at', 'complaints', 'points', 'lifetime_points', 'tier',
  'segments', 'churn_risk', 'classification', 'birthday', 'birthday_bonus_year', 'referred_by' }

local function order_create(keys, args)
  local key = keys[1]
  local cid = string.match(key or '', '^customer:(%d+)$')
  local amount = tonumber(args[1])
  if not cid or not amount or amount ~= amount then
    return redis.error_reply('ERR usage: FCALL order_create 1 customer:<id> <amount>')
  end
  if redis.call('EXISTS', key) == 0 then
    return redis.error_reply('ERR not_found: no customer ' .. cid)
  end
  local c = load(key, CUSTOMER_FIELDS)
  local now = now_ms()
  local cents = math.floor(amount * 100 + 0.5)

  -- The order itself.
  local oid = redis.call('INCR', 'next:order')
  local amount_text = string.format('%.2f', cents / 100)
  redis.call('HSET', 'order:' .. oid, 'customer_id', cid, 'amount', amount_text,
    'currency', 'USD', 'at', now, 'created_at', now)
  redis.call('RPUSH', 'orders:' .. cid, oid)
  event('order.created', cid, 'order_id', oid, 'amount', amount_text)

  -- Per-customer stats, as Kith keeps them in customer_stats.
  local s = {
    orders = (tonumber(c.orders) or 0) + 1,
    total_cents = (tonumber(c.total_cents) or 0) + cents,
    first_order_at = tonumber(c.first_order_at) or now,
    last_order_at = now,
    complaints = tonumber(c.complaints) or 0,
  }
  if s.orders >= 2 then s.avg_days = (s.last_order_at - s.first_order_at) / DAY / (s.orders - 1) end
  local out = { 'orders', s.orders, 'total_cents', s.total_cents,
    'total_spent', string.format('%.2f', s.total_cents / 100),
    'first_order_at', s.first_order_at, 'last_order_at', now,
    'avg_days_between_orders', s.avg_days and string.format('%.6f', s.avg_days) or '' }

  -- loyalty.lua: points at the multiplier of the tier the customer is in.
  if amount > 0 then
    local mult = TIER_MULTIPLIER[c.tier or 'bronze'] or 1.0
    local points = math.floor(amount * POINTS_PER_UNIT * mult + 1e-6)
    if points > 0 then award(cid, c, points, 'order #' .. oid, now, out) end
  end
  if c.birthday then
    local today, year = is_birthday(c.birthday, now)
    if today and tonumber(c.birthday_bonus_year) ~= year then
      award(cid, c, BIRTHDAY_BONUS, 'birthday bonus ' .. year, now, out)
      out[#out + 1] = 'birthday_bonus_year'; out[#out + 1] = year
    end
  end
  s.lifetime_points = tonumber(c.lifetime_points) or 0

  -- followups.lua and the referral plugin: the first order.
  if s.orders == 1 then
    local tid = redis.call('INCR', 'next:task')
    local owner = (c.owner and c.owner ~= '') and c.owner or SALES_OWNER
    redis.call('HSET', 'task:' .. tid, 'customer_id', cid, 'owner', owner, 'status', 'open',
      'due_at', now + THANK_YOU_DUE_MS,
      'note', 'Thank-you call: ' .. (c.name or 'customer') .. ' placed their first order')
    redis.call('ZADD', 'tasks:due', now + THANK_YOU_DUE_MS, tid)
    event('task.created', cid, 'task_id', tid)
    local ref = c.referred_by
    if ref and ref ~= cid and redis.call('EXISTS', 'customer:' .. ref) == 1 then
      local r = load('customer:' .. ref, { 'points', 'lifetime_points', 'tier' })
      local rout = {}
      award(ref, r, REFERRAL_POINTS, 'referral: ' .. (c.name or cid), now, rout)
      redis.call('HSET', 'customer:' .. ref, unpack(rout))
    end
  end

  -- churn.lua, then lifecycle.lua and segmentation.lua on the new stats.
  local risk = churn_risk(s, now)
  local old_risk = tonumber(c.churn_risk) or 0
  if risk ~= old_risk then
    out[#out + 1] = 'churn_risk'; out[#out + 1] = risk
    if (risk >= CHURN_THRESHOLD) ~= (old_risk >= CHURN_THRESHOLD) then
      event(risk >= CHURN_THRESHOLD and 'churn.warning' or 'churn.cleared', cid, 'risk', risk)
    end
  end
  local stage = c.stage or 'prospect'
  if MANAGED_STAGES[stage] then
    local want = order_stage(s)
    if want ~= stage then
      out[#out + 1] = 'stage'; out[#out + 1] = want
      out[#out + 1] = 'updated_at'; out[#out + 1] = now
      event('customer.updated', cid, 'stage', want)
    end
  end
  local segs = update_segments(cid, c.segments or '', segments_of(c, s, now))
  if segs then out[#out + 1] = 'segments'; out[#out + 1] = segs end
  redis.call('HSET', key, unpack(out))
  return oid
end

local function customer_create(keys, args)
  local name, email = args[1], args[2]
  if not name or name == '' then
    return redis.error_reply('ERR usage: FCALL customer_create 0 <name> <email>')
  end
  local id = redis.call('INCR', 'next:customer')
  local now = now_ms()
  redis.call('HSET', 'customer:' .. id, 'name', name, 'email', email or '', 'stage', 'prospect',
    'created_at', now, 'updated_at', now, 'orders', 0, 'total_cents', 0, 'points', 0,
    'lifetime_points', 0, 'tier', 'bronze', 'segments', 'new_customers', 'churn_risk', 0,
    'referral_code', string.format('R%07X', id))
  redis.call('SADD', 'segment:new_customers', id)
  event('customer.created', id)
  event('segment.entered', id, 'segment', 'new_customers')
  return id
end

redis.register_function('order_create', order_create)
redis.register_function('customer_create', customer_create)
