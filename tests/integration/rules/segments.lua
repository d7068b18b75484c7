-- Fixture: two segments on stats.total_spent; a customer moves from
-- "regular" to "big_spender" as they spend more.
crm.segment("regular", "spent at least 100 and under 500", function(c, s)
  return s.total_spent >= 100 and s.total_spent < 500
end)

crm.segment("big_spender", "spent 500 or more", function(c, s)
  return s.total_spent >= 500
end)
