--[[
cleaning.lua: customer records are tidied before they are written.

WHAT IT DOES
  crm.before("customer.created") and crm.before("customer.updated"):
    * name, company, email, phone: full-width characters become half-width
      (全角→半角: "１３８" -> "138", "ＡＢＣ" -> "ABC", "＠" -> "@"), the
      ideographic space becomes a space, spaces are trimmed and runs of them
      collapse to one;
    * email: lower-cased, with no spaces left in it;
    * phone: written in E.164 ("+8613800138000").  A number written with "+"
      or "00" keeps its country; any other is taken to be in DEFAULT_COUNTRY
      and loses its national trunk prefix ("0" before an area code).  A
      value that cannot be a number (letters, too few or too many digits) is
      left as the user wrote it, tidied, and data.quality counts it invalid.

  Core compares e-mails and phones by their own comparable forms
  (email_norm, phone_norm), so lookups and duplicates work without this
  file; this file makes what people see uniform.

KNOBS (below)
  DEFAULT_COUNTRY  the calling code of numbers written without one: "86"
                   (China).  Set it to "1" for the US and Canada, "44" for
                   the UK, and so on, then `kith script.reload`.
  TRUNK_PREFIX     the national prefix dropped before adding the country
                   code ("0" in China, the UK and most of Europe; "" in
                   North America, where "1" is the country code itself).
]]

local DEFAULT_COUNTRY = "86"
local TRUNK_PREFIX    = "0"

-- Full-width forms U+FF01..U+FF5E are ASCII 0x21..0x7E shifted by 0xFEE0;
-- their UTF-8 starts with EF BC or EF BD.
local function half_width(s)
  s = s:gsub("\xEF[\xBC\xBD][\x80-\xBF]", function(ch)
    local cp = utf8.codepoint(ch)
    if cp >= 0xFF01 and cp <= 0xFF5E then return string.char(cp - 0xFEE0) end
    return ch
  end)
  return (s:gsub("\xE3\x80\x80", " "))
end

local function tidy(s)
  s = half_width(s):gsub("%s+", " ")
  return (s:match("^ ?(.-) ?$"))
end

local function email(s)
  return (tidy(s):gsub(" ", ""):lower())
end

-- E.164 for a number that can be one, else nil.
local function e164(s)
  local bare = s:gsub("[%s%-%./()]", "")
  local intl = bare:match("^%+(%d+)$") or bare:match("^00(%d+)$")
  local digits = intl
  if not intl then
    local national = bare:match("^%d+$")
    if not national then return nil end
    if TRUNK_PREFIX ~= "" and national:sub(1, #TRUNK_PREFIX) == TRUNK_PREFIX then
      national = national:sub(#TRUNK_PREFIX + 1)
    end
    digits = DEFAULT_COUNTRY .. national
  end
  if #digits < 8 or #digits > 15 then return nil end
  return "+" .. digits
end

local function phone(s)
  local t = tidy(s)
  return e164(t) or t
end

local function clean(ev)
  local c = ev.customer
  for _, field in ipairs({ "name", "company" }) do
    if type(c[field]) == "string" then c[field] = tidy(c[field]) end
  end
  if type(c.email) == "string" then c.email = email(c.email) end
  if type(c.phone) == "string" then c.phone = phone(c.phone) end
end

crm.before("customer.created", clean)
crm.before("customer.updated", clean)
