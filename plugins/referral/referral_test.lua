-- Tests of the referral plugin (run with: kithd test-scripts)

local function new_customer(fields)
  return crm.call("customer.create", fields)
end

local function get(id)
  return crm.call("customer.get", { id = id })
end

-- The customer's referral code (assigned right after creation, so read it back).
local function code_of(c)
  return crm.call("customer.get", { id = c.id }).attrs.referral_code
end

local function order(id, amount)
  return crm.call("order.create", { customer_id = id, amount = amount })
end

local function points(id)
  return crm.call("loyalty.balance", { customer_id = id }).points
end

local function referral_entries(id)
  local out = {}
  local page = crm.call("loyalty.history", { customer_id = id, limit = 100 })
  for _, e in ipairs(page.items or {}) do
    if type(e.reason) == "string" and e.reason:sub(1, 9) == "referral:" then out[#out + 1] = e end
  end
  return out
end

-- Fails the test at the caller's line unless got == want.
local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s: expected %s, got %s", what, tostring(want), tostring(got)), 2)
  end
end

test("every new customer gets a unique referral code", function()
  local seen = {}
  for i = 1, 20 do
    local c = new_customer({ name = "Customer " .. i })
    local code = code_of(c)
    assert(type(code) == "string" and code:match("^R[2-9A-HJ-NP-Z]+$"),
      "customer " .. i .. " has no well-formed referral code: " .. tostring(code))
    assert(not seen[code], "referral code " .. code .. " given twice")
    seen[code] = true
  end
end)

test("plugin.referral.code returns the customer's code", function()
  local c = new_customer({ name = "Rhea Referrer" })
  local r = crm.call("plugin.referral.code", { customer_id = c.id })
  eq(r.code, get(c.id).attrs.referral_code, "code from plugin.referral.code")
end)

test("plugin.referral.code assigns a code to a customer who has none", function()
  local c = new_customer({ name = "Legacy Customer" })
  crm.call("customer.update", { id = c.id, attrs = { referral_code = crm.null } })
  assert(get(c.id).attrs.referral_code == nil, "the code should be removed")
  local r = crm.call("plugin.referral.code", { customer_id = c.id })
  assert(type(r.code) == "string" and r.code ~= "", "expected a new code, got " .. tostring(r.code))
  eq(get(c.id).attrs.referral_code, r.code, "the new code is stored in attrs.referral_code")
  eq(crm.call("plugin.referral.code", { customer_id = c.id }).code, r.code, "the code on a second call")
end)

test("plugin.referral.code fails with not_found for an unknown customer", function()
  local ok, err = pcall(crm.call, "plugin.referral.code", { customer_id = 987654 })
  assert(not ok, "expected an error for an unknown customer")
  eq(type(err) == "table" and err.code, -32004, "error code")
end)

test("plugin.referral.lookup checks a code, in any case", function()
  local c = new_customer({ name = "Lou Lookup" })
  local r = crm.call("plugin.referral.lookup", { code = " " .. string.lower(code_of(c)) })
  eq(r.valid, true, "valid for an existing code")
  eq(r.customer_id, c.id, "customer_id of the code's owner")
  eq(r.name, "Lou Lookup", "name of the code's owner")
  local none = crm.call("plugin.referral.lookup", { code = "RNOSUCH9" })
  eq(none.valid, false, "valid for an unknown code")
  assert(none.customer_id == nil, "no customer_id for an unknown code")
end)

test("the referrer earns points on the referred customer's first order only", function()
  local alice = new_customer({ name = "Alice" })
  local bob = new_customer({ name = "Bob", attrs = { referred_by_code = code_of(alice) } })
  eq(bob.attrs.referred_by, alice.id, "bob's attrs.referred_by")
  eq(points(alice.id), 0, "alice's points before bob orders")
  order(bob.id, 50)
  local entries = referral_entries(alice.id)
  eq(#entries, 1, "alice's referral ledger entries after bob's first order")
  eq(entries[1].points, 100, "points for the referral")
  eq(entries[1].reason, "referral: Bob", "reason of the referral entry")
  eq(points(alice.id), 100, "alice's points")
  order(bob.id, 50)
  eq(#referral_entries(alice.id), 1, "alice's referral ledger entries after bob's second order")
  eq(#referral_entries(bob.id), 0, "bob earns no referral points himself")
end)

test("a code typed in lower case with spaces still counts", function()
  local alice = new_customer({ name = "Alice" })
  local code = " " .. string.lower(code_of(alice)) .. " "
  local carl = new_customer({ name = "Carl", attrs = { referred_by_code = code } })
  eq(carl.attrs.referred_by, alice.id, "carl's attrs.referred_by")
  order(carl.id, 10)
  eq(#referral_entries(alice.id), 1, "alice's referral entries")
end)

test("an unknown code does not block the sign-up and earns nothing", function()
  local dan = new_customer({ name = "Dan", attrs = { referred_by_code = "RNOSUCH9" } })
  assert(dan.id, "the customer should be created")
  assert(dan.attrs.referred_by == nil, "no referrer should be recorded")
  order(dan.id, 10)
  eq(#referral_entries(dan.id), 0, "referral entries")
end)

test("an imported referral code is kept, a taken one is refused", function()
  local a = new_customer({ name = "Imported", attrs = { referral_code = "rold1234" } })
  eq(code_of(a), "ROLD1234", "imported code, upper-cased")
  local ok = pcall(crm.call, "customer.create", { name = "Copycat", attrs = { referral_code = "ROLD1234" } })
  assert(not ok, "a second customer with the same referral code should be refused")
end)

test("codes of the generated shape are reserved for their own customer", function()
  local a = new_customer({ name = "Ann" })
  local code = code_of(a)
  local ok = pcall(crm.call, "customer.create", { name = "Thief", attrs = { referral_code = code } })
  assert(not ok, "a new customer may not take an existing generated code")
  -- another code of the same shape stands for another (future) customer
  local last = code:sub(-1)
  local other = code:sub(1, -2) .. (last == "Z" and "Y" or "Z")
  ok = pcall(crm.call, "customer.create", { name = "Squatter", attrs = { referral_code = other } })
  assert(not ok, "a new customer may not take a code generated for another id: " .. other)
end)

test("no reward when the referrer was deleted", function()
  local gone = new_customer({ name = "Gone" })
  local eve = new_customer({ name = "Eve", attrs = { referred_by_code = code_of(gone) } })
  crm.call("customer.delete", { id = gone.id })
  order(eve.id, 10)   -- must not fail
  eq(#crm.call("order.list", { customer_id = eve.id }).items, 1, "eve's orders")
end)

test("staff can add a missed referral code before the first order", function()
  local alice = new_customer({ name = "Alice" })
  local fay = new_customer({ name = "Fay" })
  crm.call("customer.update", { id = fay.id, attrs = { referred_by_code = string.lower(code_of(alice)) } })
  local f = get(fay.id)
  eq(f.attrs.referred_by, alice.id, "fay's attrs.referred_by after the update")
  eq(f.attrs.referred_by_code, code_of(alice), "fay's referred_by_code, normalised")
  order(fay.id, 10)
  eq(#referral_entries(alice.id), 1, "alice's referral entries")
end)

test("a customer cannot refer themselves or take someone else's code", function()
  local gus = new_customer({ name = "Gus" })
  local hal = new_customer({ name = "Hal" })
  crm.call("customer.update", { id = gus.id, attrs = { referred_by_code = code_of(gus) } })
  assert(get(gus.id).attrs.referred_by == nil, "no self-referral recorded")
  order(gus.id, 10)
  eq(#referral_entries(gus.id), 0, "referral entries for referring oneself")
  local hals = code_of(hal)
  local ok = pcall(crm.call, "customer.update", { id = hal.id, attrs = { referral_code = code_of(gus) } })
  assert(not ok, "taking another customer's referral code should be refused")
  eq(code_of(hal), hals, "hal keeps his code")
end)

test("changing referred_by_code to an unknown code drops the referrer", function()
  local alice = new_customer({ name = "Alice" })
  local ivy = new_customer({ name = "Ivy", attrs = { referred_by_code = code_of(alice) } })
  eq(ivy.attrs.referred_by, alice.id, "ivy's referrer at creation")
  crm.call("customer.update", { id = ivy.id, attrs = { referred_by_code = "RNOSUCH9" } })
  assert(get(ivy.id).attrs.referred_by == nil, "the referrer should be dropped")
  order(ivy.id, 10)
  eq(#referral_entries(alice.id), 0, "alice's referral entries")
end)
