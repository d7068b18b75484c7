-- Fixture: rules over their budgets.  The customer's name picks the attempt;
-- orders of 999 spin in an after hook, once the order is written.
crm.before("customer.created", function(ev)
  local n = ev.customer.name
  if n == "spin" then
    while true do end
  elseif n == "spin in pcall" then
    while true do pcall(function() while true do end end) end
  elseif n == "bomb" then
    local t = {}
    while true do t[#t + 1] = string.rep("x", 4096) .. #t end
  elseif n == "bomb in pcall" then
    pcall(function() local s = "x" while true do s = s .. s end end)
  elseif n == "handler trap" then
    xpcall(function() while true do end end, function(e) while true do end end)
  elseif n == "deep" then
    local function f(k) return 1 + f(k + 1) end
    f(1)
  end
end)

crm.after("order.created", function(ev)
  if ev.order.amount == 999 then
    while true do end
  end
end)
