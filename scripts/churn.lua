--[[
churn.lua - the churn rule: how likely a customer is to have stopped buying.

WHAT IT DOES
  Scores every customer from 0 (fine) to 1 (gone) with crm.churn.  Kith runs
  the score after the customer's writes and in its daily churn evaluation;
  crossing THRESHOLD publishes churn.warning, falling back below it
  churn.cleared (lifecycle.lua and followups.lua react to those).

  The risk combines two signals, each from 0 to 1, as independent odds:
      risk = 1 - (1 - gap_risk) * (1 - complaint_risk)

  gap_risk - the time since the last order measured against the customer's
    own rhythm (stats.avg_days_between_orders; DEFAULT_RHYTHM_DAYS for a
    customer with a single order).  Nothing while the gap is within
    GRACE_RATIO x rhythm, then rising linearly to 1 at FULL_RATIO x rhythm.
    With the defaults a customer who orders every 30 days is warned after
    72 days without an order, a one-order customer after 144 days.

  complaint_risk - complaints per order: COMPLAINT_WEIGHT for each complaint
    per order, at most COMPLAINT_CAP (so complaints alone never reach the
    threshold: they add to a customer who is also slipping away).  Two
    complaints on one order: 0.6; two complaints over 40 orders: 0.015.
    Complaints older than RECENT_DAYS (stats.last_complaint_at) count
    OLD_FACTOR as much: a complaint the customer got over matters less.
    Each complaint still open (stats.open_complaints, a complaint ticket not
    yet resolved) adds OPEN_WEIGHT more: an unresolved problem is the
    strongest complaint signal there is.  All of it together stays within
    COMPLAINT_CAP.

  With a fitted value model (value.fit; README "Measuring") the gap signal
  is blended with the model's view of the same question: for a customer
  with repeat purchases (stats.order_days > 1), the time risk is
      (1 - PALIVE_WEIGHT) * gap_risk + PALIVE_WEIGHT * (1 - stats.p_alive)
  BG/NBD's P(alive) weighs the customer's own frequency and recency against
  the whole base's, so a steady buyer on a long gap is not written off and
  a once-frequent buyer who went quiet is flagged sooner.  One-order
  customers keep the gap signal alone: the model counts them alive until
  they repeat, which says nothing about whether they left.

  Prospects (no orders) score 0: they never bought, so they cannot churn.

  reasons are short strings naming each signal that contributed, e.g.
    "no order in 95d (usual 30d)", "2 complaints / 1 order".

  What the stats cannot tell: stats hold counts, totals and first/last
  times, not each order's amount or each complaint's date.  So complaints are
  weighed per order (a lifetime ratio) with only the last one's age, and a
  falling order value cannot be seen; a customer buying less often shows up
  as a gap longer than their rhythm, which gap_risk covers.

EVENTS
  crm.churn{threshold, score}; no hooks of its own.

KNOBS (below)
  THRESHOLD, DEFAULT_RHYTHM_DAYS, MIN_RHYTHM_DAYS, GRACE_RATIO, FULL_RATIO,
  COMPLAINT_WEIGHT, COMPLAINT_CAP, RECENT_DAYS, OLD_FACTOR, OPEN_WEIGHT,
  PALIVE_WEIGHT.
]]

local THRESHOLD           = 0.7   -- risk at which churn.warning fires
local DEFAULT_RHYTHM_DAYS = 60    -- expected gap after a single order
local MIN_RHYTHM_DAYS     = 7     -- several orders on one day do not make a daily rhythm
local GRACE_RATIO         = 1.0   -- no gap risk until the gap passes rhythm x this
local FULL_RATIO          = 3.0   -- gap risk is 1 at rhythm x this
local COMPLAINT_WEIGHT    = 0.3   -- risk per complaint per order
local COMPLAINT_CAP       = 0.6   -- most risk complaints alone can add
local RECENT_DAYS         = 180   -- complaints older than this weigh OLD_FACTOR as much
local OLD_FACTOR          = 0.5
local OPEN_WEIGHT         = 0.1   -- risk per complaint ticket still open
local PALIVE_WEIGHT       = 0.5   -- share of the time signal taken from 1 - P(alive)

-------------------------------------------------------------------------------

local DAY = crm.DAY or 86400000

local function clamp01(x)
  if x ~= x or x < 0 then return 0 end   -- x ~= x: NaN
  if x > 1 then return 1 end
  return x
end

local function plural(n, word)
  return string.format("%d %s%s", n, word, n == 1 and "" or "s")
end

local function array(t)
  if crm.array then return crm.array(t) end
  return t
end

crm.churn {
  threshold = THRESHOLD,
  score = function(customer, stats)
    local s = stats or {}
    local orders = s.orders or 0
    if orders <= 0 or not s.last_order_at then
      return 0, array({})                   -- a prospect: never bought, cannot churn
    end
    local reasons = {}

    local rhythm = s.avg_days_between_orders or DEFAULT_RHYTHM_DAYS
    if rhythm < MIN_RHYTHM_DAYS then rhythm = MIN_RHYTHM_DAYS end
    local gap_days = (crm.now() - s.last_order_at) / DAY
    local gap_risk = clamp01((gap_days / rhythm - GRACE_RATIO) / (FULL_RATIO - GRACE_RATIO))
    if gap_risk > 0 then
      reasons[#reasons + 1] = string.format("no order in %dd (usual %dd)",
        math.floor(gap_days), math.floor(rhythm + 0.5))
    end

    if s.p_alive and (s.order_days or 0) > 1 then
      local model_risk = clamp01(1 - s.p_alive)
      gap_risk = (1 - PALIVE_WEIGHT) * gap_risk + PALIVE_WEIGHT * model_risk
      if model_risk >= 0.05 then
        reasons[#reasons + 1] = string.format("P(alive) %.2f", s.p_alive)
      end
    end

    local complaints = s.complaints or 0
    local complaint_risk = 0
    if complaints > 0 then
      complaint_risk = math.min(COMPLAINT_CAP, COMPLAINT_WEIGHT * complaints / orders)
      local age_days = s.last_complaint_at and (crm.now() - s.last_complaint_at) / DAY
      if age_days and age_days > RECENT_DAYS then
        complaint_risk = complaint_risk * OLD_FACTOR
        reasons[#reasons + 1] = plural(complaints, "complaint") .. " / " .. plural(orders, "order")
          .. string.format(", the last %dd ago", math.floor(age_days))
      else
        reasons[#reasons + 1] = plural(complaints, "complaint") .. " / " .. plural(orders, "order")
      end
    end
    local open = s.open_complaints or 0
    if open > 0 then
      complaint_risk = math.min(COMPLAINT_CAP, complaint_risk + OPEN_WEIGHT * open)
      reasons[#reasons + 1] = plural(open, "open complaint")
    end

    local risk = 1 - (1 - gap_risk) * (1 - complaint_risk)
    risk = math.floor(clamp01(risk) * 100 + 0.5) / 100
    return risk, array(reasons)
  end,
}
