--[[
duplicates.lua: which customers are probably the same person.

WHAT IT DOES
  crm.match below.  Customers are compared only when they share a blocking
  key: the same e-mail or phone (in the forms core compares, email_norm and
  phone_norm), the same external_id, or the same name at the same company.
  A pair scoring THRESHOLD or more is listed by customer.duplicates (and
  `kith duplicates`) until it is merged (customer.merge) or dismissed
  (customer.not_duplicate).

  Scores add up, capped at 1:
    same e-mail                     0.6
    same phone                      0.6
    same external_id                1.0
    same name (case and spaces
      aside)                        0.3
    same name and same company      0.5 more
  so an e-mail or a phone alone (a shared family or office line) is not
  enough, but with the same name, or both together, it is.

KNOBS (below)
  THRESHOLD and the weights.  Changing this file re-scans every customer in
  the background (job duplicates.scan); dismissed pairs stay dismissed.
]]

local THRESHOLD = 0.8
local W = { email = 0.6, phone = 0.6, external_id = 1.0, name = 0.3, company = 0.5 }

local function folded(s)
  if type(s) ~= "string" then return nil end
  s = s:lower():gsub("%s+", " "):match("^ ?(.-) ?$")
  if s == "" then return nil end
  return s
end

local function same(x, y)
  return x ~= nil and x == y
end

crm.match {
  keys = { "email_norm", "phone_norm", "external_id", "name_company" },
  threshold = THRESHOLD,
  score = function(a, b)
    local score, reasons = 0, {}
    local function add(w, why)
      score = score + w
      reasons[#reasons + 1] = why
    end
    if same(a.email_norm, b.email_norm) then add(W.email, "same e-mail") end
    if same(a.phone_norm, b.phone_norm) then add(W.phone, "same phone") end
    if same(a.external_id, b.external_id) then add(W.external_id, "same external id") end
    local name = same(folded(a.name), folded(b.name))
    if name then add(W.name, "same name") end
    if name and same(folded(a.company), folded(b.company)) then add(W.company, "same company") end
    return math.min(score, 1), reasons
  end,
}
