-- Fixture: before hooks on customer.created.  Announces every check on a
-- custom channel (so a veto that leaked would leave an event), vetoes the
-- name "Bad", and rewrites customers created with attrs.shout.
crm.before("customer.created", function(ev)
  local c = ev.customer
  crm.publish("gate.checked", {name = c.name})
  if c.name == "Bad" then
    error("no bad names")
  end
  if c.attrs and c.attrs.shout then
    c.name = string.upper(c.name)
    local tags = {}
    for i, t in ipairs(c.tags or {}) do tags[i] = t end
    tags[#tags + 1] = "loud"
    c.tags = crm.array(tags)
  end
end)
