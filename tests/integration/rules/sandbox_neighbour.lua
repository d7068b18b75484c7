-- Fixture: loaded after sandbox_probe.lua (as b_neighbour.lua).  Reports what
-- it sees of the probe's globals and of the shared libraries.
neighbour_mark = true

crm.before("customer.created", function(ev)
  if ev.customer.name ~= "probe" then return end
  local a = ev.customer.attrs or {}
  a.neighbour = {
    secret = type(secret),
    tostring = tostring(42),
    upper = ("abc"):upper(),
    string_upper = string.upper("abc"),
    pi = math.pi > 3.14,
    insert = type(table.insert),
    time = type(os.time),
    get = type(crm.customer.get),
    remind = type(crm.remind),
  }
  ev.customer.attrs = a
end)
