-- Fixture: a crm.on handler (after commit) that fails for customers named
-- "Boom", and one that notes every other new customer in attrs.
crm.on("customer.created", function(ev)
  if ev.customer.name == "Boom" then
    error("the on handler broke")
  end
end)

crm.on("customer.created", function(ev)
  if ev.customer.name ~= "Boom" then
    crm.customer.update(ev.customer.id, {attrs = {welcomed = true}})
  end
end)
