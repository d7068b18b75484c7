--[[
referral - a refer-a-friend programme.

WHAT IT DOES
  - Every customer gets a referral code in attrs.referral_code: "R" and 7
    letters and digits (no 0/O/1/I, so it can be read out over the phone).
    The code is the customer's id scrambled, so it is unique by construction
    and finding its owner is a single lookup, never a search.  It is written
    right after the customer is created, in the same transaction: it is in
    customer.create's reply, in customer.get and in the customer.updated
    event that follows customer.created (not in customer.created itself).  Customers from
    before the plugin get theirs the first time plugin.referral.code is
    asked for it.
  - A code given at creation (imported from an older system) is kept,
    upper-cased, unless another customer already has it; codes of the
    generated shape are reserved for the customer they were generated for.
    (Imported codes are found by searching attrs, which is slower.)
  - A new customer may name the code of whoever referred them in
    attrs.referred_by_code.  A known code records the referrer's id in
    attrs.referred_by; an unknown one is kept but earns nothing (or refuses
    the customer when reject_unknown_codes is set).  Staff may add or fix
    referred_by_code later; it counts until the customer's first order.
  - When a referred customer's FIRST order arrives, the referrer earns
    `points` loyalty points with the reason "referral: <new customer's name>"
    (expiring after expires_days days; 0 = never).  Later orders earn nothing
    more.  Nobody earns for referring themselves.

  Methods:
    plugin.referral.code   {customer_id}  -> {customer_id, code}
    plugin.referral.lookup {code}         -> {code, valid, customer_id?, name?}: whether
                                             the code exists, and whose it is

CONFIG (lines in config/kith.conf; the plugin loads only with `enabled yes`,
        the other values shown are the defaults)
    plugin.referral.enabled yes
    # points the referrer earns for each referred customer's first order
    plugin.referral.points 100
    # days until those points expire; 0: never
    plugin.referral.expires_days 365
    # yes: refuse to create a customer whose referred_by_code is unknown
    plugin.referral.reject_unknown_codes no

EVENTS
  crm.before("customer.created")   resolves referred_by_code
  crm.after("customer.created")    assigns the code (checks an imported one)
  crm.before("customer.updated")   keeps codes unique and referred_by in step when
                                   staff edit referral_code or referred_by_code
                                   (a referral counts only until the first order)
  crm.after("order.created")       rewards the referrer on the first order

KNOBS (below): CODE_PREFIX, CODE_ALPHABET (32 symbols), CODE_DIGITS, and the
  scramble CODE_MULT / CODE_MULT2 / CODE_OFFSET (set these before codes are
  handed out).
]]

local config = crm.plugin {
  name = "referral",
  version = "1.0.0",
  description = "Refer-a-friend: referral codes, and points for the referrer on the friend's first order",
  priority = 50,
  config = {
    points = { type = "integer", default = 100, description = "points the referrer earns per referred customer's first order" },
    expires_days = { type = "integer", default = 365, description = "days until referral points expire (0: never)" },
    reject_unknown_codes = { type = "boolean", default = false, description = "refuse new customers naming an unknown referral code" },
  },
}

local CODE_PREFIX   = "R"
local CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"   -- 32 symbols, no 0/O/1/I
local CODE_DIGITS   = 7            -- 7 x 5 bits: ids up to 34 billion
-- The scramble that turns a customer id into a code.  Change these only
-- before any code is handed out: existing codes would stop being found.
local CODE_MULT     = 0x4F1BBCDD3  -- odd
local CODE_MULT2    = 0x2C9277B5B  -- odd
local CODE_OFFSET   = 0x1F3A5C7E9

-------------------------------------------------------------------------------
-- Codes.  A customer's code is their id scrambled (an invertible mix of
-- multiplications by odd numbers and xor-shifts, modulo 2^35) and written in
-- base 32: unique by construction, and turned back into the id to find its
-- owner without searching.  Codes of another shape (imported ones) are
-- searched for.

local BITS = 5 * CODE_DIGITS
local MASK = (1 << BITS) - 1
local SHIFT = BITS - BITS // 2         -- x ~ (x >> SHIFT) is its own inverse

local function inverse(m)              -- of an odd m, modulo 2^BITS (Newton)
  local inv = m
  for _ = 1, 6 do inv = inv * (2 - m * inv) end
  return inv & MASK
end

local M1, M2 = (CODE_MULT & MASK) | 1, (CODE_MULT2 & MASK) | 1
local INV1, INV2 = inverse(M1), inverse(M2)
local OFFSET = CODE_OFFSET & MASK

local function encode(id)
  if math.type(id) ~= "integer" or id < 0 or id > MASK then return nil end
  local x = (id * M1 + OFFSET) & MASK
  x = x ~ (x >> SHIFT)
  x = (x * M2) & MASK
  x = x ~ (x >> SHIFT)
  local chars = {}
  for i = CODE_DIGITS, 1, -1 do
    local d = x & 31
    chars[i] = CODE_ALPHABET:sub(d + 1, d + 1)
    x = x >> 5
  end
  return CODE_PREFIX .. table.concat(chars)
end

-- The id a generated-shape code stands for, or nil for any other code.
local function decode(code)
  if type(code) ~= "string" or #code ~= #CODE_PREFIX + CODE_DIGITS
      or code:sub(1, #CODE_PREFIX) ~= CODE_PREFIX then
    return nil
  end
  local x = 0
  for i = #CODE_PREFIX + 1, #code do
    local d = CODE_ALPHABET:find(code:sub(i, i), 1, true)
    if not d then return nil end
    x = (x << 5) | (d - 1)
  end
  x = x ~ (x >> SHIFT)
  x = (x * INV2) & MASK
  x = x ~ (x >> SHIFT)
  return ((x - OFFSET) * INV1) & MASK
end

local function setting(name, default)
  local v = config and config[name]
  if v == nil then return default end
  return v
end

local function normalize(code)
  if type(code) ~= "string" then return nil end
  code = code:gsub("%s+", ""):upper()
  if code == "" then return nil end
  return code
end

-- The customer whose referral code this is, or nil.
local function owner_of_code(code)
  if not code then return nil end
  local id = decode(code)
  if id then
    local c = crm.customer.get(id)
    if c and type(c.attrs) == "table" and c.attrs.referral_code == code then return c end
    return nil
  end
  local found = crm.customer.find { attrs = { referral_code = code }, limit = 1 }
  return found and found[1] or nil
end

-- Raises unless customer `id` may hold `code`: a generated-shape code only
-- as its own, any other code when nobody else has it.
local function check_code(code, id)
  local for_id = decode(code)
  if for_id then
    if for_id ~= id then error("referral code " .. code .. " is reserved for another customer") end
    return
  end
  local holder = owner_of_code(code)
  if holder and holder.id ~= id then error("referral code " .. code .. " is already taken") end
end

local function name_of(c)
  if c and type(c.name) == "string" and c.name ~= "" then return c.name end
  return "customer #" .. tostring(c and c.id)
end

-- Resolves attrs.referred_by_code into attrs.referred_by (in place).
local function resolve_referrer(attrs, self_id)
  local by = normalize(attrs.referred_by_code)
  attrs.referred_by_code = by
  local referrer = owner_of_code(by)
  if referrer and referrer.id ~= self_id then
    attrs.referred_by = referrer.id
    return
  end
  attrs.referred_by = nil
  if by then
    if setting("reject_unknown_codes", false) == true then error("unknown referral code " .. by) end
    crm.log("info", "referral: unknown referral code " .. by)
  end
end

crm.before("customer.created", function(ev)
  local c = ev.customer
  if not c then return end
  if type(c.attrs) ~= "table" then c.attrs = {} end
  if c.attrs.referred_by_code ~= nil then resolve_referrer(c.attrs, nil) end
end)

-- The code is assigned once the id exists, in the same transaction.
crm.after("customer.created", function(ev)
  local c = ev.customer
  if not c or not c.id then return end
  local given = type(c.attrs) == "table" and c.attrs.referral_code or nil
  local code = normalize(given)
  if code then
    check_code(code, c.id)                -- an imported code
  else
    code = encode(c.id)
  end
  if code and code ~= given then
    crm.customer.update(c.id, { attrs = { referral_code = code } })
  end
end)

-- Staff may fix the codes later: keep them unique and referred_by in step.
crm.before("customer.updated", function(ev)
  local c, old = ev.customer, ev.old
  if not c or type(c.attrs) ~= "table" then return end
  local attrs = c.attrs
  local old_attrs = (old and type(old.attrs) == "table") and old.attrs or {}
  if attrs.referral_code ~= old_attrs.referral_code and attrs.referral_code ~= nil then
    local code = normalize(attrs.referral_code)
    if code then check_code(code, c.id) end
    attrs.referral_code = code
  end
  if attrs.referred_by_code ~= old_attrs.referred_by_code then
    resolve_referrer(attrs, c.id)
  end
end)

crm.after("order.created", function(ev)
  if ev.import then return end  -- history: the referral was rewarded (or not) long ago
  local id = (ev.customer and ev.customer.id) or (ev.order and ev.order.customer_id)
  if not id then return end
  local s = crm.stats(id)
  if not s or s.orders ~= 1 then return end          -- only the first order counts
  local c = crm.customer.get(id)
  if not c or type(c.attrs) ~= "table" then return end
  local referrer_id = tonumber(c.attrs.referred_by)
  if not referrer_id then
    -- a code that named nobody at creation may belong to someone by now
    local r = owner_of_code(normalize(c.attrs.referred_by_code))
    referrer_id = r and r.id
  end
  if not referrer_id or referrer_id == id then return end
  if not crm.customer.get(referrer_id) then return end  -- the referrer was deleted
  local points = math.tointeger(setting("points", 100)) or 100
  if points <= 0 then return end
  local days = math.tointeger(setting("expires_days", 365)) or 365
  local opts = days > 0 and { expires_in = days .. "d" } or nil
  crm.loyalty.award(referrer_id, points, "referral: " .. name_of(c), opts)
end)

crm.method("code", {
  summary = "A customer's referral code (assigned on the spot if they have none yet)",
  role = "agent",
  params = {
    { name = "customer_id", type = "integer", required = true, description = "the customer" },
  },
}, function(params, ctx)
  local c = crm.call("customer.get", { id = params.customer_id })   -- raises not_found
  local code = type(c.attrs) == "table" and c.attrs.referral_code or nil
  if type(code) ~= "string" or code == "" then
    code = encode(c.id)
    crm.customer.update(c.id, { attrs = { referral_code = code } })
  end
  return { customer_id = c.id, code = code }
end)

crm.method("lookup", {
  summary = "Checks a referral code: whether it is valid and whose it is",
  role = "viewer",
  params = {
    { name = "code", type = "string", required = true, description = "a referral code (any case, spaces ignored)" },
  },
}, function(params, ctx)
  local code = normalize(params.code)
  local c = owner_of_code(code)
  if not c then return { code = code or "", valid = false } end
  return { code = code, valid = true, customer_id = c.id, name = c.name }
end)
