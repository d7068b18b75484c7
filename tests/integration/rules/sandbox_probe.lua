-- Fixture: probes the sandbox from inside a rule.  A customer named "probe"
-- gets attrs.probe = {what = what this rule saw or managed}.
secret = "the probe's own global"
tostring = function() return "hijacked" end  -- only this file's tostring

local function try(f)
  local ok = pcall(f)
  return ok and "allowed" or "refused"
end

crm.before("customer.created", function(ev)
  if ev.customer.name ~= "probe" then return end
  local seen = {
    io = type(io), os_execute = type(os.execute), os_getenv = type(os.getenv),
    os_remove = type(os.remove), os_exit = type(os.exit), require = type(require),
    package = type(package), debug = type(debug), dofile = type(dofile),
    loadfile = type(loadfile), collectgarbage = type(collectgarbage),
    string_dump = type(string.dump), rawset = type(rawset), coroutine = type(coroutine),
    neighbour_mark = type(neighbour_mark),
    set_string = try(function() string.upper = function() return "pwned" end end),
    set_math = try(function() math.pi = 3 end),
    set_table = try(function() table.insert = nil end),
    set_os = try(function() os.time = nil end),
    set_crm = try(function() crm.customer.get = nil end),
    set_crm_top = try(function() crm.remind = nil end),
    string_meta = try(function() getmetatable("").__index = {} end),
    protect_string = try(function() setmetatable(string, {}) end),
  }
  ev.customer.attrs = {probe = seen}
end)
