--[[
campaigns.lua - who a campaign may touch, and what a touch leaves behind.

WHAT IT DOES
  no marketing   crm.before("campaign.member_added"): a customer with an open
  to complaints  complaint ticket (stats.open_complaints > 0, see service.lua)
                 is not marketed to: the hook vetoes, and the member is kept
                 as excluded with reason "vetoed".  The hook runs for treated
                 and control members alike, so the two groups stay comparable
                 (a veto that only hit the treated would bias the uplift).
  the touch      crm.on("campaign.member_added"), which fires for treated
                 members only: the touch is logged as an outbound interaction
                 on the campaign's channel (TOUCH_TYPES), tagged with the
                 campaign in attrs, and the member is marked sent with
                 campaign.track.  A real deployment sends the message here
                 (an e-mail gateway, an SMS provider) before logging it.

EVENTS
  crm.before("campaign.member_added")   the veto
  crm.on("campaign.member_added")       the touch

  Consent is the server's: members without a marketing grant on the
  campaign's channel never reach these hooks (excluded, no_consent).

KNOBS (below)
  VETO_OPEN_COMPLAINTS, TOUCH_TYPES, TOUCH_SUMMARY.
]]

local VETO_OPEN_COMPLAINTS = true      -- no marketing while a complaint is open
local TOUCH_TYPES = {                  -- campaign channel -> interaction type
  email = "email", sms = "sms", phone = "call", wechat = "chat", mail = "note",
}
local TOUCH_SUMMARY = "Campaign %s: %s message sent"

-------------------------------------------------------------------------------

crm.before("campaign.member_added", function(ev)
  if not VETO_OPEN_COMPLAINTS then return end
  local s = crm.stats(ev.customer.id)
  if s and (s.open_complaints or 0) > 0 then
    error(string.format("customer %d has %d open complaint ticket(s)", ev.customer.id,
                        s.open_complaints))
  end
end)

crm.on("campaign.member_added", function(ev)
  local m = ev.member
  crm.call("interaction.log", {
    customer_id = m.customer_id,
    type = TOUCH_TYPES[m.channel] or "note",
    summary = string.format(TOUCH_SUMMARY, m.campaign, m.channel),
    attrs = { campaign_id = m.campaign_id, campaign = m.campaign, direction = "outbound" },
  })
  crm.call("campaign.track", { id = m.campaign_id, customer_id = m.customer_id, event = "sent" })
end)
