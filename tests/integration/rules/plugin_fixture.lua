-- Fixture plugin (copied to plugins/fixture/plugin.lua): two methods.
local config = crm.plugin{
  name = "fixture",
  version = "2.3.4",
  description = "integration test plugin",
  priority = 50,
  config = {
    greeting = {type = "string", default = "Hi", description = "how hello greets"},
  },
}

crm.method("hello", {
  summary = "Greets someone",
  role = "viewer",
  params = {
    {name = "who", type = "string", required = true, description = "whom to greet"},
  },
}, function(params, ctx)
  return {greeting = config.greeting .. ", " .. params.who, caller = ctx.caller, role = ctx.role}
end)

crm.method("spend", {
  summary = "Tags a customer 'spent' and spends their points",
  role = "agent",
  params = {
    {name = "customer_id", type = "integer", required = true, description = "the customer"},
    {name = "points", type = "integer", required = true, description = "points to spend"},
  },
}, function(params, ctx)
  crm.customer.update(params.customer_id, {tags = crm.array({"spent"})})
  return crm.loyalty.redeem(params.customer_id, params.points, "spent by the fixture plugin")
end)
