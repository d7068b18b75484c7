--[[
service.lua - the service desk: complaints become tickets, tickets are routed
and held to SLAs, breaches escalate, and the loop closes with the customer.

WHAT IT DOES
  complaint -> ticket   every complaint logged with interaction.log (type
                 "complaint", not already about a ticket) opens a complaint
                 ticket in the same transaction, linked to that interaction.
  routing        crm.before("ticket.created"): a ticket without a category
                 gets one from keywords in its subject and description (zh and
                 en lists below); key accounts (members of KEY_SEGMENTS) are
                 raised to at least "high"; without a team, EU customers
                 (attrs.region == "eu") go to "eu", delivery problems to
                 "logistics", the rest to "support"; without an owner, the
                 customer's owner takes it.
  SLA policies   crm.sla below: urgent tickets 1h/8h round the clock; complaints
                 of key accounts (priority high) 2h/1d, other complaints 4h/3d,
                 everything else 1d/5d, counted in SERVICE_HOURS; the "eu"
                 team works EU_HOURS (Europe/Berlin, with its daylight saving).
  escalation     crm.on("ticket.sla_breached"): the ticket goes to its team's
                 lead (LEADS), who gets a task due ESCALATE_DUE, and the breach
                 is noted on the ticket.
  compensation   crm.after("ticket.resolved"): a resolved complaint earns
                 the customer COMPENSATION_POINTS (the ticket's
                 compensation.points when set), doubled when its resolve
                 deadline was breached.
  feedback loop  crm.on("ticket.closed"): the customer is invited to the
                 service_csat survey (scripts/surveys.lua) CSAT_AFTER later;
                 crm.after("survey.answered"): a detractor (NPS 0-6) or a
                 CSAT of 1-2 opens a high-priority complaint ticket quoting
                 the answer, so an unhappy voice is worked like a complaint.
  auto-close     job "service.autoclose" closes tickets that stayed resolved,
                 with the customer told, for AUTOCLOSE_AFTER:
                   kith schedule.create name=autoclose every=1h job=service.autoclose

  The interaction a complaint ticket is opened from keeps stats.complaints
  and the churn rule working as before; churn.lua also weighs open complaint
  tickets (stats.open_complaints).

EVENTS AND JOBS
  crm.after("interaction.logged"), crm.before("ticket.created"),
  crm.on("ticket.sla_breached"), crm.after("ticket.resolved"),
  crm.on("ticket.closed"), crm.after("survey.answered"),
  job "service.autoclose".

KNOBS (below)
  SERVICE_HOURS, EU_HOURS, KEY_SEGMENTS, LEADS, keyword lists, points, delays.
]]

local SERVICE_HOURS = { tz = "Asia/Shanghai", days = "MON-FRI", hours = "09:00-18:00" }
local EU_HOURS      = { tz = "Europe/Berlin", days = "MON-FRI", hours = "09:00-17:00" }
local KEY_SEGMENTS  = { vip = true, key_accounts = true }
local LEADS         = { support = "support_lead", logistics = "logistics_lead", eu = "eu_lead" }
local DEFAULT_LEAD  = "support_lead"
local ESCALATE_DUE  = "30m"
local COMPENSATION_POINTS = 50
local CSAT_SURVEY   = "service_csat"
local CSAT_AFTER    = "1h"
local DETRACTOR_MAX_CSAT = 2
local AUTOCLOSE_AFTER_DAYS = 7

-- Categories by keyword, first match wins; matched case-insensitively.
local CATEGORIES = {
  { "delivery", { "delivery", "deliver", "parcel", "courier", "shipping", "late",
                  "物流", "快递", "配送", "送货", "发货" } },
  { "product_quality", { "broken", "defect", "faulty", "damaged", "quality", "stopped working",
                         "质量", "坏", "破损", "故障" } },
  { "service_attitude", { "rude", "impolite", "attitude", "ignored", "态度", "不耐烦" } },
  { "price", { "price", "refund", "overcharged", "expensive", "charged twice",
               "价格", "退款", "太贵", "多收" } },
}

-------------------------------------------------------------------------------

local DAY = crm.DAY or 86400000

local function is_key_account(customer_id)
  local ok, names = pcall(crm.call, "segment.of", { customer_id = customer_id })
  if not ok or type(names) ~= "table" then return false end
  for _, name in ipairs(names) do
    if KEY_SEGMENTS[name] then return true end
  end
  return false
end

local function category_of(text)
  local lower = string.lower(text)
  for _, entry in ipairs(CATEGORIES) do
    for _, word in ipairs(entry[2]) do
      if string.find(lower, word, 1, true) then return entry[1] end
    end
  end
  return nil
end

local function short(s, n)
  s = tostring(s or "")
  if #s <= n then return s end
  return string.sub(s, 1, n - 3) .. "..."
end

local function to_ms(t)
  if type(t) == "number" then return t end
  if type(t) ~= "string" then return nil end
  local ok, ms = pcall(crm.time, t)
  return ok and ms or nil
end

crm.sla {
  warn_at = 0.8,
  calendar = SERVICE_HOURS,
  { name = "urgent", respond = "1h", resolve = "8h", calendar = false,
    match = function(t) return t.priority == "urgent" end },
  { name = "eu", respond = "1d", resolve = "5d", calendar = EU_HOURS,
    match = function(t) return t.team == "eu" end },
  { name = "key_complaint", respond = "2h", resolve = "1d",
    match = function(t) return t.kind == "complaint" and t.priority == "high" end },
  { name = "complaint", respond = "4h", resolve = "3d",
    match = function(t) return t.kind == "complaint" end },
  { name = "default", respond = "1d", resolve = "5d" },
}

-- A complaint logged as an interaction opens its ticket.
crm.after("interaction.logged", function(ev)
  local i = ev.interaction
  if not i or i.type ~= "complaint" or i.ticket_id or i.direction == "out" then return end
  local attrs = type(i.attrs) == "table" and i.attrs or {}
  crm.call("ticket.create", {
    customer_id = i.customer_id,
    kind = "complaint",
    subject = short(i.summary, 120),
    description = i.summary,
    channel = attrs.channel,
    touchpoint = i.touchpoint,
    interaction_id = i.id,
  })
end)

-- Routing: category, priority, team and owner for a new ticket.
crm.before("ticket.created", function(ev)
  local t, c = ev.ticket, ev.customer or {}
  if not t.category then
    t.category = category_of((t.subject or "") .. " " .. (t.description or ""))
  end
  if (t.priority == "normal" or t.priority == "low") and is_key_account(t.customer_id) then
    t.priority = "high"
  end
  if not t.team then
    local attrs = type(c.attrs) == "table" and c.attrs or {}
    if attrs.region == "eu" then t.team = "eu"
    elseif t.category == "delivery" then t.team = "logistics"
    else t.team = "support" end
  end
  if not t.owner and type(c.owner) == "string" then t.owner = c.owner end
end)

-- Escalation: a breached deadline goes to the team's lead.
crm.on("ticket.sla_breached", function(ev)
  local t = ev.ticket
  if not t then return end
  local lead = LEADS[t.team or ""] or DEFAULT_LEAD
  if t.owner ~= lead and (t.status == "new" or t.status == "open" or t.status == "waiting") then
    crm.call("ticket.update", { id = t.id, owner = lead })
  end
  crm.call("ticket.comment", { id = t.id, internal = true,
    body = string.format("SLA %s deadline breached; escalated to %s", ev.deadline or "?", lead) })
  crm.remind {
    customer = t.customer_id,
    owner = lead,
    due = ESCALATE_DUE,
    note = string.format("SLA breached (%s): ticket #%d %s", ev.deadline or "?", t.id,
                         short(t.subject, 80)),
  }
end)

-- Compensation: points for a resolved complaint, double when we were late.
crm.after("ticket.resolved", function(ev)
  local t = ev.ticket
  if not t or t.kind ~= "complaint" then return end
  local comp = type(t.compensation) == "table" and t.compensation or {}
  local points = math.tointeger(comp.points) or COMPENSATION_POINTS
  local sla = type(t.sla) == "table" and t.sla or {}
  local late = false
  for _, which in ipairs(type(sla.breached) == "table" and sla.breached or {}) do
    if which == "resolve" then late = true end
  end
  if late then points = points * 2 end
  if points > 0 then
    crm.loyalty.award(t.customer_id, points, string.format("sorry: ticket #%d", t.id))
  end
end)

-- The feedback loop: ask how we did once the ticket is closed...
crm.on("ticket.closed", function(ev)
  local t = ev.ticket
  if not t or not crm.survey then return end
  local survey = crm.survey.get(CSAT_SURVEY)
  if not survey or survey.status ~= "active" then return end
  local ok, err = pcall(crm.survey.invite, { survey = CSAT_SURVEY, customer = t.customer_id,
    after = CSAT_AFTER, channel = "email", context = { ticket_id = t.id } })
  if not ok then
    crm.log("warn", "no " .. CSAT_SURVEY .. " invitation for ticket " .. t.id .. ": " .. tostring(err))
  end
end)

-- ...and treat an unhappy answer as a complaint.
crm.after("survey.answered", function(ev)
  local r = ev.response
  local scores = r and type(r.scores) == "table" and r.scores or {}
  if not r or not r.customer_id then return end
  local unhappy = scores.nps_class == "detractor"
    or (type(scores.csat) == "number" and scores.csat <= DETRACTOR_MAX_CSAT)
  if not unhappy then return end
  local score = scores.nps_class == "detractor" and ("NPS " .. tostring(scores.nps))
    or ("CSAT " .. tostring(scores.csat))
  local comment = type(r.comment) == "string" and r.comment or ""
  crm.call("ticket.create", {
    customer_id = r.customer_id,
    kind = "complaint",
    priority = "high",
    subject = short(string.format("Unhappy survey answer (%s, %s)", tostring(r.survey), score), 120),
    description = comment ~= "" and comment or nil,
    channel = "web",
    attrs = { survey = r.survey, response_id = r.id },
  })
end)

-- Auto-close: resolved, customer told, nothing heard for a week.
crm.job("service.autoclose", function(ctx)
  local cutoff = crm.now() - AUTOCLOSE_AFTER_DAYS * DAY
  local page = crm.call("ticket.list", { status = "resolved", limit = 200,
    cursor = ctx.state and ctx.state.cursor or nil })
  local closed = (ctx.state and ctx.state.closed) or 0
  for _, t in ipairs(page.items or {}) do
    local resolved = to_ms(t.resolved_at)
    local told = to_ms(t.customer_notified_at)
    if resolved and told and told >= resolved and resolved <= cutoff then
      crm.call("ticket.close", { id = t.id })
      closed = closed + 1
    end
  end
  local cursor = page.next_cursor
  if cursor and cursor ~= crm.null then
    return { more = true, state = { cursor = cursor, closed = closed } }
  end
  return { closed = closed }
end)
