-- Fixture: an after hook that fails for orders of exactly 13, after the
-- other files' hooks (points.lua) have already written their points.
crm.after("order.created", function(ev)
  if ev.order.amount == 13 then
    error("orders of 13 are unlucky")
  end
end)
