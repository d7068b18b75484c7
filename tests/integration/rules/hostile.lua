-- Fixture: runs the Lua text in a new customer's attrs.hostile from a before
-- hook, so a test can put any hostile input inside a rule; attrs.probe_format
-- asks for what string.format and a string method give in a rule now.
BIG = string.rep("a", 2400) -- built once at load, as a rule might keep a table

crm.before("customer.created", function(ev)
  local a = ev.customer.attrs or {}
  if a.hostile then
    assert(load(a.hostile, "=hostile", "t", setmetatable({BIG = BIG}, {__index = _ENV})))()
  end
  if a.probe_format then
    ev.customer.attrs = {formatted = string.format("%05d", 42), upper = ("ab"):upper(),
                         found = select(2, ("hello"):find("l+"))}
  end
end)
