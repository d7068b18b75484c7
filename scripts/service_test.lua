-- Tests of service.lua (run with: kithd test-scripts)

local HOUR = 3600000

local function new_customer(fields)
  return crm.call("customer.create", fields or { name = "Service Customer" })
end

local function eq(got, want, what)
  assert(got == want, string.format("%s: got %s, want %s", what, tostring(got), tostring(want)))
end

local function tickets_of(id)
  return crm.call("ticket.list", { customer_id = id }).items
end

-- A time as ms: rules see times as ms numbers, ISO strings are parsed.
local function ms(t)
  if type(t) == "number" then return t end
  return crm.time(t)
end

test("a complaint interaction opens one routed complaint ticket", function()
  local c = new_customer({ name = "Parcel Pat", owner = "alice" })
  local i = crm.call("interaction.log", { customer_id = c.id, type = "complaint",
                                          summary = "The parcel arrived late and the box was crushed" })
  local ts = tickets_of(c.id)
  eq(#ts, 1, "tickets")
  local t = ts[1]
  eq(t.kind, "complaint", "kind")
  eq(t.status, "new", "status")
  eq(t.interaction_id, i.id, "the interaction it came from")
  eq(t.category, "delivery", "category from the keywords")
  eq(t.team, "logistics", "delivery problems go to logistics")
  eq(t.owner, "alice", "the customer's owner takes it")
  eq(t.sla.policy, "complaint", "SLA policy")
  local s = crm.stats(c.id)
  eq(s.complaints, 1, "the complaint counts once")
  eq(s.open_complaints, 1, "open complaints")
  -- The ticket's own interactions do not open more tickets.
  crm.call("ticket.notify", { id = t.id, channel = "email", summary = "we are on it" })
  eq(#tickets_of(c.id), 1, "tickets after notify")
end)

test("Chinese keywords categorise too, and the rest goes to support", function()
  local c = new_customer({ name = "王芳" })
  crm.call("interaction.log", { customer_id = c.id, type = "complaint", summary = "客服态度很差" })
  local t = tickets_of(c.id)[1]
  eq(t.category, "service_attitude", "category")
  eq(t.team, "support", "team")
  local d = new_customer({ name = "No Keywords" })
  local u = crm.call("ticket.create", { customer_id = d.id, kind = "inquiry", subject = "Opening hours?" })
  eq(u.category, nil, "no category without a keyword")
  eq(u.team, "support", "team")
  eq(u.sla.policy, "default", "policy")
end)

test("key accounts are raised to high and get the key complaint SLA", function()
  local c = new_customer({ name = "Key Kim", attrs = { classification = "key" } })
  local segs = crm.call("segment.of", { customer_id = c.id })
  local member = false
  for _, s in ipairs(segs) do member = member or s == "key_accounts" end
  assert(member, "the customer should be a key account")
  local t = crm.call("ticket.create", { customer_id = c.id, kind = "complaint", subject = "Wrong invoice" })
  eq(t.priority, "high", "priority")
  eq(t.sla.policy, "key_complaint", "policy")
end)

test("SLA business hours skip the weekend (Asia/Shanghai)", function()
  local c = new_customer({ name = "Friday Fang" })
  -- Friday 2027-01-08 17:00 in Shanghai; 4h to respond: 1h on Friday, 3h on Monday.
  local t = crm.call("ticket.create", { customer_id = c.id, kind = "complaint",
                                        subject = "Invoice wrong", at = "2027-01-08T17:00:00+08:00" })
  eq(t.sla.policy, "complaint", "policy")
  eq(ms(t.sla.respond_by), ms("2027-01-11T12:00:00+08:00"), "respond by Monday noon")
  -- 3d = 27 business hours: Friday 1h, then 26h = two 9h days and 8h: Wednesday 17:00.
  eq(ms(t.sla.resolve_by), ms("2027-01-13T17:00:00+08:00"), "resolve by Wednesday 17:00")
end)

test("SLA business hours across the spring DST change (Europe/Berlin)", function()
  local c = new_customer({ name = "Eva Europa", attrs = { region = "eu" } })
  -- Friday 2027-03-26 16:00 CET; clocks go forward on Sunday 2027-03-28.
  -- 1d is one business day of 8h (09:00-17:00): Friday 1h, Monday 7h, so
  -- Monday 16:00 CEST, which is 14:00 UTC (15:00 UTC without DST).
  local t = crm.call("ticket.create", { customer_id = c.id, kind = "request",
                                        subject = "Change my address", at = "2027-03-26T16:00:00+01:00" })
  eq(t.team, "eu", "team")
  eq(t.sla.policy, "eu", "policy")
  eq(ms(t.sla.respond_by), ms("2027-03-29T14:00:00Z"), "respond by Monday 16:00 CEST")
end)

test("a breach escalates to the team lead once, after one warning", function()
  local c = new_customer({ name = "Urgent Ursula" })
  local t = crm.call("ticket.create", { customer_id = c.id, kind = "repair", priority = "urgent",
                                        subject = "Heating broken", team = "support" })
  eq(t.sla.policy, "urgent", "policy")
  eq(ms(t.sla.respond_by) - ms(t.created_at), HOUR, "urgent: 1h round the clock")
  advance("50m")                                      -- past 80% of the hour
  local w = crm.ticket.get(t.id)
  eq(#w.sla.warned, 1, "one warning so far")
  eq(#w.sla.breached, 0, "no breach yet")
  advance("15m")
  local b = crm.ticket.get(t.id)
  eq(b.sla.breached[1], "respond", "the respond deadline breached")
  eq(b.owner, "support_lead", "reassigned to the lead")
  local tasks = crm.call("task.list", { owner = "support_lead", customer_id = c.id }).items
  eq(#tasks, 1, "one escalation task")
  assert(tasks[1].note:find("SLA breached %(respond%)"), "task note: " .. tasks[1].note)
  advance("2h")                                       -- nothing fires twice
  eq(#crm.call("task.list", { owner = "support_lead", customer_id = c.id }).items, 1, "still one task")
  eq(crm.stats(c.id).sla_breaches, 1, "breaches counted once")
end)

test("waiting pauses the clock", function()
  local c = new_customer({ name = "Patient Paul" })
  local t = crm.call("ticket.create", { customer_id = c.id, kind = "repair", priority = "urgent",
                                        subject = "Fridge noisy" })
  crm.call("ticket.accept", { id = t.id })
  local before = ms(crm.ticket.get(t.id).sla.resolve_by)
  crm.call("ticket.wait", { id = t.id, reason = "waiting for the part" })
  advance("10h")                                      -- longer than the 8h to resolve
  local waiting = crm.ticket.get(t.id)
  eq(#waiting.sla.breached, 0, "no breach while waiting")
  crm.call("ticket.resume", { id = t.id })
  local after = ms(crm.ticket.get(t.id).sla.resolve_by)
  assert(after - before >= 10 * HOUR, "resolve_by moved by the wait: " .. (after - before) / HOUR .. "h")
end)

test("a resolved complaint is compensated, double when late", function()
  local c = new_customer({ name = "Compensated Carl" })
  local t = crm.call("ticket.create", { customer_id = c.id, kind = "complaint", subject = "Scratched table" })
  crm.call("ticket.resolve", { id = t.id, resolution = "refunded 10%", root_cause = "packing",
                               category = "product_quality" })
  eq(crm.loyalty.balance(c.id).points, 50, "points after an on-time resolve")
  local late = crm.call("ticket.create", { customer_id = c.id, kind = "complaint", subject = "Dented lamp",
                                           priority = "urgent" })
  advance("9h")                                       -- past the 8h to resolve
  crm.call("ticket.resolve", { id = late.id, resolution = "replaced", root_cause = "courier",
                               category = "delivery" })
  eq(crm.loyalty.balance(c.id).points, 150, "points after a late resolve")
end)

test("closing asks for a CSAT an hour later; an unhappy answer opens a ticket", function()
  local c = new_customer({ name = "Feedback Fay" })
  local t = crm.call("ticket.create", { customer_id = c.id, kind = "inquiry", subject = "Warranty?" })
  crm.call("ticket.resolve", { id = t.id, resolution = "two years" })
  crm.call("ticket.notify", { id = t.id, channel = "email" })
  crm.call("ticket.close", { id = t.id, satisfaction = 2 })
  local inv = crm.call("survey.invitations", { survey = "service_csat", customer_id = c.id }).items
  eq(#inv, 1, "one invitation")
  eq(inv[1].status, "pending", "not sent before the hour")
  advance("1h")
  inv = crm.call("survey.invitations", { survey = "service_csat", customer_id = c.id }).items
  eq(inv[1].status, "sent", "sent after the hour")
  crm.call("survey.respond", { survey = "service_csat", customer_id = c.id, comment = "slow answers",
                               answers = { overall = 1, service_attitude = 2 } })
  local open = crm.call("ticket.list", { customer_id = c.id, status = "new" }).items
  eq(#open, 1, "a new ticket for the unhappy answer")
  eq(open[1].kind, "complaint", "kind")
  eq(open[1].priority, "high", "priority")
  eq(open[1].description, "slow answers", "the comment")
end)

test("a happy answer opens nothing", function()
  local c = new_customer({ name = "Happy Hal" })
  local sent = crm.call("survey.send", { survey = "service_csat", customer_id = c.id })
  crm.call("survey.respond", { survey = "service_csat", customer_id = c.id, answers = { overall = 5 } })
  eq(#tickets_of(c.id), 0, "no ticket")
  assert(sent.invited == 1, "invited")
end)

test("service.autoclose closes told tickets resolved a week ago", function()
  local c = new_customer({ name = "Quiet Quinn" })
  local told = crm.call("ticket.create", { customer_id = c.id, kind = "request", subject = "New card" })
  crm.call("ticket.resolve", { id = told.id, resolution = "sent" })
  crm.call("ticket.notify", { id = told.id, channel = "sms" })
  local untold = crm.call("ticket.create", { customer_id = c.id, kind = "request", subject = "New pin" })
  crm.call("ticket.resolve", { id = untold.id, resolution = "sent" })
  crm.call("schedule.create", { name = "autoclose-test", every = "1d", job = "service.autoclose" })
  advance("8d")
  eq(crm.ticket.get(told.id).status, "closed", "the told ticket closed")
  eq(crm.ticket.get(untold.id).status, "resolved", "the untold one waits for its notification")
  crm.call("schedule.delete", { name = "autoclose-test" })
end)
