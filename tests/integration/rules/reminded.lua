-- Fixture: a crm.on handler that notes each reminder on its customer as an
-- interaction, so a test can count how often the handler ran.
crm.on("reminder.due", function(ev)
  crm.call("interaction.log", {customer_id = ev.task.customer_id, type = "note",
                               summary = "reminded of task " .. ev.task.id})
end)
