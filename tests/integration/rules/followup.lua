-- Fixture: a complaint creates a follow-up task for support, due in 2 days.
crm.after("interaction.logged", function(ev)
  local i = ev.interaction
  if i.type == "complaint" then
    crm.remind{customer = i.customer_id, owner = "support", due = "2d",
               note = "Follow up on complaint: " .. i.summary}
  end
end)
