--[[ The sales pipeline (README "Deals and the forecast").

  default pipeline   qualification 10% -> needs_analysis 25% -> proposal 50%
                     (needs amount and expected_close) -> negotiation 75%;
                     won and lost close it.  A deal idle for 14 days rots.
  exit criterion     crm.before("deal.moved"): a deal reaches negotiation
                     only with a next step agreed.
  rotting            crm.on("deal.rotting"): a reminder for the owner.
  won                crm.after("deal.won"): a thank-you call task.
]]

local NOTE_ROT = "Deal idle: "
local NOTE_WON = "Thank the customer for "

crm.pipeline {
  name = "default", rot_after = "14d",
  stages = {
    { name = "qualification", probability = 0.10, label = "需求确认" },
    { name = "needs_analysis", probability = 0.25, label = "需求分析" },
    { name = "proposal", probability = 0.50, label = "方案报价",
      require = { "amount", "expected_close" } },
    { name = "negotiation", probability = 0.75, label = "商务谈判" },
  },
}

crm.before("deal.moved", function(ev)
  if ev.to == "negotiation" and (ev.deal.next_step == nil or ev.deal.next_step == crm.null
      or ev.deal.next_step == "") then
    error("a deal enters negotiation with a next step agreed (set next_step)")
  end
end)

crm.on("deal.rotting", function(ev)
  local d = ev.deal
  crm.remind {
    customer = d.customer_id, owner = d.owner ~= crm.null and d.owner or nil, due = "1h",
    note = NOTE_ROT .. string.format("%s (%s, %s) has had no activity since %s",
      d.name, d.stage, tostring(d.amount), tostring(ev.idle_since)),
  }
end)

crm.after("deal.won", function(ev)
  local d = ev.deal
  crm.remind {
    customer = d.customer_id, owner = d.owner ~= crm.null and d.owner or nil, due = "1d",
    note = NOTE_WON .. d.name,
  }
end)
