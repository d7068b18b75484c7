-- Fixture plugin (copied to plugins/dormant/plugin.lua) that the test's
-- config does not enable: it is listed, but its method is not served.
crm.plugin{name = "dormant", version = "0.1.0", description = "never enabled"}

crm.method("poke", {summary = "should not be reachable"}, function(params, ctx)
  return "poked"
end)
