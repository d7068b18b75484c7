--[[
segmentation.lua - the customer segments.

WHAT IT DOES
  Defines five dynamic segments (crm.segment).  Kith re-evaluates a
  customer's segments when the customer or their stats change and on
  segment.refresh, publishing segment.entered / segment.left.

    vip            spent VIP_MIN_SPENT or more in total, or earned
                   VIP_MIN_LIFETIME_POINTS loyalty points over their lifetime
    new_customers  created within the last NEW_CUSTOMER_DAYS days
    at_risk        has ordered but is slipping: no order for AT_RISK_RATIO x
                   their own rhythm (average days between orders;
                   DEFAULT_RHYTHM_DAYS after a single order), or at least
                   AT_RISK_COMPLAINTS complaints with a complaint for every
                   other order or worse; not yet dormant
    dormant        has ordered, but not for DORMANT_DAYS days
    key_accounts   attrs.classification is one of KEY_CLASSIFICATIONS
                   ("key" or "A", in any case)

  new_customers, at_risk and dormant depend on the passing of time, not only
  on writes: run segment.refresh regularly, e.g. with the job below.

EVENTS AND JOBS
  crm.segment for each segment above.
  job "segments.refresh"   refreshes every segment, one per slice (args.name:
                           only that one).
         kith schedule.create name=segments-daily cron="15 3 * * *" job=segments.refresh

KNOBS (below)
  VIP_MIN_SPENT, VIP_MIN_LIFETIME_POINTS, NEW_CUSTOMER_DAYS, AT_RISK_RATIO,
  DEFAULT_RHYTHM_DAYS, MIN_RHYTHM_DAYS, AT_RISK_COMPLAINTS, DORMANT_DAYS,
  KEY_CLASSIFICATIONS.
]]

local VIP_MIN_SPENT           = 1000   -- total spent that makes a VIP
local VIP_MIN_LIFETIME_POINTS = 2000   -- or lifetime loyalty points (gold tier in loyalty.lua)
local NEW_CUSTOMER_DAYS       = 30     -- "new" for this many days after creation
local AT_RISK_RATIO           = 1.5    -- at risk when the gap passes rhythm x this
local DEFAULT_RHYTHM_DAYS     = 60     -- rhythm of a one-order customer
local MIN_RHYTHM_DAYS         = 7      -- never expect orders more often than this
local AT_RISK_COMPLAINTS      = 2      -- this many complaints (and 1 per 2 orders) is at risk
local DORMANT_DAYS            = 180    -- no order for this long: dormant
local KEY_CLASSIFICATIONS     = { "key", "a" }   -- attrs.classification values (any case)

-------------------------------------------------------------------------------

local DAY = crm.DAY or 86400000

local KEY = {}
for _, v in ipairs(KEY_CLASSIFICATIONS) do KEY[string.lower(v)] = true end

local function days_since(ms)
  if type(ms) ~= "number" then return nil end
  return (crm.now() - ms) / DAY
end

crm.segment("vip",
  string.format("spent %d or more, or %d+ lifetime points", VIP_MIN_SPENT, VIP_MIN_LIFETIME_POINTS),
  function(c, s)
    return (s.total_spent or 0) >= VIP_MIN_SPENT
        or (s.lifetime_points or 0) >= VIP_MIN_LIFETIME_POINTS
  end)

crm.segment("new_customers",
  string.format("created within the last %d days", NEW_CUSTOMER_DAYS),
  function(c, s)
    local age = days_since(c.created_at)
    return age ~= nil and age < NEW_CUSTOMER_DAYS
  end)

crm.segment("at_risk",
  string.format("no order for %.1fx their usual gap, or repeated complaints; not dormant", AT_RISK_RATIO),
  function(c, s)
    local orders = s.orders or 0
    local gap = days_since(s.last_order_at)
    if orders <= 0 or gap == nil or gap >= DORMANT_DAYS then return false end
    local rhythm = s.avg_days_between_orders or DEFAULT_RHYTHM_DAYS
    if rhythm < MIN_RHYTHM_DAYS then rhythm = MIN_RHYTHM_DAYS end
    if gap >= AT_RISK_RATIO * rhythm then return true end
    local complaints = s.complaints or 0
    return complaints >= AT_RISK_COMPLAINTS and complaints * 2 >= orders
  end)

crm.segment("dormant",
  string.format("has ordered, but not in the last %d days", DORMANT_DAYS),
  function(c, s)
    local gap = days_since(s.last_order_at)
    return (s.orders or 0) > 0 and gap ~= nil and gap >= DORMANT_DAYS
  end)

crm.segment("key_accounts",
  "attrs.classification is key or A",
  function(c, s)
    local cls = c.attrs and c.attrs.classification
    return type(cls) == "string" and KEY[string.lower(cls)] == true
  end)

-- One segment per slice: the scheduler calls again while {more = true}.
crm.job("segments.refresh", function(ctx)
  local only = ctx.args and ctx.args.name
  if only then return crm.call("segment.refresh", { name = only }) end
  local st = ctx.state
  if not st then
    st = { names = {}, next = 1, entered = 0, left = 0 }
    for _, seg in ipairs(crm.call("segment.list", {})) do st.names[#st.names + 1] = seg.name end
  end
  local name = st.names[st.next]
  if name then
    local r = crm.call("segment.refresh", { name = name })
    st.entered = st.entered + ((r and r.entered) or 0)
    st.left = st.left + ((r and r.left) or 0)
    st.next = st.next + 1
    if st.names[st.next] then return { more = true, state = st } end
  end
  crm.log("info", string.format("segments.refresh: %d segments, %d entered, %d left",
    #st.names, st.entered, st.left))
  return { segments = #st.names, entered = st.entered, left = st.left }
end)
