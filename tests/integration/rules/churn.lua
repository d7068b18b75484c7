-- Fixture: churn risk grows by 0.3 per complaint (warning at 0.5, i.e. from
-- the second complaint); a warning tags the customer "at-risk" after commit.
crm.churn{
  threshold = 0.5,
  score = function(c, s)
    local reasons = {}
    if s.complaints > 0 then
      reasons[1] = s.complaints .. " complaint(s)"
    end
    return math.min(1, s.complaints * 0.3), crm.array(reasons)
  end,
}

crm.on("churn.warning", function(ev)
  crm.customer.update(ev.customer.id, {tags = crm.array({"at-risk"})})
end)
