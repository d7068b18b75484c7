-- Fixture: a crm.on handler that takes about 60 ms (well inside the test's
-- 2 s budget) before it notes a welcome on a new customer, so a test can kill
-- kithd after the customer's commit but before the handler's.
crm.on("customer.created", function(ev)
  local start = os.clock()
  while os.clock() - start < 0.06 do end
  crm.call("interaction.log", {customer_id = ev.customer.id, type = "note", summary = "welcome"})
end)
