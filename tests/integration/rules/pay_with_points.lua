-- Fixture: an order whose external_id starts with "pts-" is paid with
-- loyalty points: one point per unit of its amount.
crm.after("order.created", function(ev)
  local o = ev.order
  if o.external_id and o.external_id:sub(1, 4) == "pts-" then
    crm.loyalty.redeem(o.customer_id, math.floor(o.amount), "paid with points: order #" .. o.id)
  end
end)
