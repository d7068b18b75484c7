--[[
classification.lua - every customer in one class, so each class can be
treated differently (seed 002: 重要客户 / 普通客户 / 潜在客户).

  key        spent KEY_MIN_SPENT or more, or ordered KEY_MIN_ORDERS times,
             and ordered within ACTIVE_DAYS: the customers worth a
             dedicated manager and priority service
  regular    ordered within ACTIVE_DAYS
  potential  has not ordered yet, or not for ACTIVE_DAYS: to be won or won
             back

The class is customer.class (with class_reasons), re-evaluated whenever a
request writes the customer, by segment.refresh and in the daily churn
sweep; customer.class_changed fires when it moves.  Staff can pin a class
with customer.update {class_override = "key"} until they clear it (null).
Segment and churn functions see c.class, and customer.list filters by it.
]]

local DAY = crm.DAY or 86400000
local KEY_MIN_SPENT  = 5000   -- total spent that makes an active customer key
local KEY_MIN_ORDERS = 5      -- or this many orders
local ACTIVE_DAYS    = 365    -- an order within this many days keeps key or regular

crm.classify {
  classes = {
    { name = "key",       label = "重要客户" },
    { name = "regular",   label = "普通客户" },
    { name = "potential", label = "潜在客户" },
  },
  fn = function(c, s)
    local orders, spent = s.orders or 0, s.total_spent or 0
    local last = s.last_order_at
    if orders == 0 or not last then return "potential", { "no order yet" } end
    local days = math.floor((crm.now() - last) / DAY)
    if days > ACTIVE_DAYS then
      return "potential", { string.format("no order for %d days", days) }
    end
    if spent >= KEY_MIN_SPENT or orders >= KEY_MIN_ORDERS then
      return "key", { string.format("spent %.2f over %d orders, the last %d days ago", spent, orders, days) }
    end
    return "regular", { string.format("%d orders, the last %d days ago", orders, days) }
  end,
}
