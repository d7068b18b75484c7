-- Tests of campaigns.lua (run with: kithd test-scripts)

local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s: expected %s, got %s", what, tostring(want), tostring(got)), 2)
  end
end

local function consenting(name)
  local c = crm.call("customer.create", { name = name })
  crm.call("consent.set", { customer_id = c.id, purpose = "marketing", channel = "email",
                            granted = true, source = "test" })
  return c
end

-- Launches in the world run from the due source, a slice per step of the
-- clock: step until no member is pending.
local function launch(name, control_pct, seed)
  local camp = crm.call("campaign.create", { name = name, segment = "new_customers",
                                             control_pct = control_pct, seed = seed })
  crm.call("campaign.launch", { id = camp.id })
  for _ = 1, 200 do
    if crm.call("campaign.get", { id = camp.id }).audience.pending == 0 then return camp end
    advance("1s")
  end
  error("campaign " .. name .. " did not settle")
end

local function member(camp, customer)
  local params = { id = camp.id, limit = 1000 }
  repeat
    local page = crm.call("campaign.members", params)
    for _, m in ipairs(page.items) do
      if m.customer_id == customer.id then return m end
    end
    params.cursor = page.next_cursor
  until params.cursor == nil or params.cursor == crm.null
  return nil
end

local function touches(customer)
  local n = 0
  for _, i in ipairs(crm.call("interaction.list", { customer_id = customer.id }).items) do
    if i.attrs and i.attrs.campaign then n = n + 1 end
  end
  return n
end

test("an open complaint vetoes the member; the others get one logged touch", function()
  local happy = consenting("Happy Buyer")
  local angry = consenting("Angry Buyer")
  crm.call("ticket.create", { customer_id = angry.id, kind = "complaint", subject = "Broken" })
  local camp = launch("spring_rule_test", 0, 1)
  local m = member(camp, happy)
  eq(m.group, "treated", "control_pct 0 treats everyone")
  eq(m.status, "sent", "the touch marks the member sent")
  local log = crm.call("interaction.list", { customer_id = happy.id }).items
  eq(#log, 1, "one interaction")
  eq(log[1].type, "email", "on the campaign's channel")
  eq(log[1].attrs.campaign, "spring_rule_test", "tagged with the campaign")
  m = member(camp, angry)
  eq(m.status, "excluded", "the complainer is excluded")
  eq(m.reason, "vetoed", "by the rule")
  eq(touches(angry), 0, "and never touched")
end)

test("no consent excludes; control members are never touched", function()
  local silent = crm.call("customer.create", { name = "No Consent" })
  local people = {}
  for i = 1, 16 do people[i] = consenting("Panel " .. i) end
  local camp = launch("panel_rule_test", 0.5, 12345)
  local m = member(camp, silent)
  eq(m.status .. "/" .. tostring(m.reason), "excluded/no_consent", "without a grant")
  local control = 0
  for _, c in ipairs(people) do
    m = member(camp, c)
    if m.group == "control" then
      control = control + 1
      eq(m.status, "targeted", "a control member is held out")
      eq(touches(c), 0, "a control member gets no touch")
    else
      eq(touches(c), 1, "a treated member gets one touch")
    end
  end
  assert(control > 0 and control < #people, "both groups drawn, control " .. control)
end)
