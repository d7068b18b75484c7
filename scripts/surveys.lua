--[[
surveys.lua - the shipped satisfaction surveys, kept in git, and when they go out.

WHAT IT DOES
  definitions    crm.survey.define declares two surveys.  When the rules load,
                 each one that does not exist yet is created and activated (by
                 rule:surveys.lua); one that exists is left alone, since a
                 survey with answers never changes its questions.  To change
                 a survey, declare it under a new name (purchase_nps_v2) and
                 point the rules at it; close the old one with survey.close.
    purchase_nps   "How likely are you to recommend us?" (0-10, the overall
                   question) and why.
    service_csat   overall satisfaction (1-5, the overall question) and one
                   1-5 rating per dimension: product_quality,
                   service_attitude, after_sales, price, delivery.  The
                   dimensions feed the drivers of survey.results.
  first purchase a customer's first order sends purchase_nps NPS_AFTER later
                 (the invitation waits as pending and goes out at its time,
                 as survey.invited with its token).  Orders backdated by more
                 than MAX_ORDER_AGE_DAYS (imported history) send nothing.  A
                 customer invited to any survey within the survey's
                 quiet_days (30) is suppressed by survey.send itself.

  Not here: the CSAT survey after a ticket closes, and the ticket for a
  detractor, belong with the ticket rules.  survey.answered's data carries
  what they need: response.scores {overall, nps, nps_class (promoter,
  passive, detractor), csat, ces, dimensions} and the customer.

EVENTS
  crm.after("order.created")   invites after the first order (same transaction;
                               a failed invitation is logged, never fails the order)

KNOBS (below)
  NPS_SURVEY, NPS_AFTER, NPS_EXPIRES_IN, MAX_ORDER_AGE_DAYS, NPS_CHANNEL.
]]

local NPS_SURVEY         = "purchase_nps"
local NPS_AFTER          = "7d"    -- after the first order
local NPS_EXPIRES_IN     = "14d"   -- after it is sent
local NPS_CHANNEL        = "email"
local MAX_ORDER_AGE_DAYS = 14

-------------------------------------------------------------------------------

local DAY = crm.DAY or 86400000

crm.survey.define {
  name = "purchase_nps",
  title = "How was your first purchase?",
  kind = "nps",
  questions = {
    { key = "recommend", type = "nps", overall = true, required = true,
      text = "How likely are you to recommend us to a friend or colleague?" },
    { key = "reason", type = "text", text = "What is the main reason for your score?" },
  },
}

local function rating(key, dimension, text)
  return { key = key, type = "rating", dimension = dimension, text = text }
end

crm.survey.define {
  name = "service_csat",
  title = "How did we do?",
  kind = "csat",
  questions = {
    { key = "overall", type = "rating", overall = true, required = true,
      text = "Overall, how satisfied are you with our service?" },
    rating("product_quality", "product_quality", "The quality of the product"),
    rating("service_attitude", "service_attitude", "The attitude of our staff"),
    rating("after_sales", "after_sales", "Our after-sales service"),
    rating("price", "price", "The price"),
    rating("delivery", "delivery", "The delivery"),
    { key = "comment", type = "text", text = "Anything else you want to tell us?" },
  },
}

local function to_ms(t)
  if type(t) == "number" then return t end
  if type(t) ~= "string" then return nil end
  local ok, ms = pcall(crm.time, t)
  return ok and ms or nil
end

crm.after("order.created", function(ev)
  if ev.import then return end  -- an imported order is history, not an experience to rate
  local o, c = ev.order, ev.customer
  if not o or not c then return end
  local s = crm.stats(c.id)
  if not s or s.orders ~= 1 then return end
  local at = to_ms(o.at)
  if at and (crm.now() - at) > MAX_ORDER_AGE_DAYS * DAY then return end
  local survey = crm.survey.get(NPS_SURVEY)
  if not survey or survey.status ~= "active" then return end
  local ok, err = pcall(crm.survey.invite, {
    survey = NPS_SURVEY, customer = c.id, after = NPS_AFTER,
    expires_in = NPS_EXPIRES_IN, channel = NPS_CHANNEL,
    context = { order_id = o.id },
  })
  if not ok then crm.log("warn", "no " .. NPS_SURVEY .. " invitation for customer " .. c.id .. ": " .. tostring(err)) end
end)
