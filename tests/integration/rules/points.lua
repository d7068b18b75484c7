-- Fixture (integration tests): loyalty tiers by lifetime points, and one
-- point per whole unit of every order's amount.
crm.tiers{ {name = "bronze", min = 0}, {name = "silver", min = 100}, {name = "gold", min = 500} }

crm.after("order.created", function(ev)
  local points = math.floor(ev.order.amount)
  if points > 0 then
    crm.loyalty.award(ev.order.customer_id, points, "order #" .. ev.order.id)
  end
end)
