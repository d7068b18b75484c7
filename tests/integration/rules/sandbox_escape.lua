-- Fixture: rules that try to reach outside.  The customer's name picks the
-- attempt; attrs.path names a file the attempt would create.
crm.before("customer.created", function(ev)
  local c = ev.customer
  local path = c.attrs and c.attrs.path
  if c.name == "execute" then os.execute("touch " .. path) end
  if c.name == "io" then io.open(path, "w"):write("x") end
  if c.name == "require" then require("io").open(path, "w") end
  if c.name == "load" then load("io.open('" .. path .. "', 'w')")() end
end)
