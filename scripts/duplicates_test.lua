-- Tests of duplicates.lua (run with: kithd test-scripts)

local function create(fields)
  return crm.call("customer.create", fields)
end

local function pairs_of(id)
  return crm.call("customer.duplicates", { customer_id = id }).items
end

local function has(list, want)
  for _, r in ipairs(list) do
    if r == want then return true end
  end
  return false
end

test("same e-mail and same name is a duplicate, with its reasons", function()
  local a = create({ name = "Li Lei", email = "lilei@example.cn" })
  local b = create({ name = "li  lei", email = "LiLei@Example.cn " })
  local got = pairs_of(b.id)
  assert(#got == 1, "one pair, got " .. #got)
  assert(got[1].a == a.id and got[1].b == b.id, "the pair is (a, b) with a < b")
  assert(got[1].score >= 0.8 and got[1].score <= 1, "score " .. got[1].score)
  assert(has(got[1].reasons, "same e-mail") and has(got[1].reasons, "same name"),
         "reasons name the e-mail and the name")
end)

test("a shared phone alone is not enough, phone and e-mail are", function()
  local a = create({ name = "Wang Fang", phone = "138 0013 8001" })
  local b = create({ name = "Zhang Wei", phone = "+86 13800138001" })
  assert(#pairs_of(b.id) == 0, "a family line is not a duplicate")
  crm.call("customer.update", { id = b.id, email = "w@example.cn" })
  crm.call("customer.update", { id = a.id, email = "W@example.cn" })
  local got = pairs_of(a.id)
  assert(#got == 1 and has(got[1].reasons, "same phone"), "phone and e-mail together are")
end)

test("same name at the same company is a duplicate; at another it is not", function()
  local a = create({ name = "Chen Jing", company = "Acme" })
  local b = create({ name = "CHEN JING", company = "acme " })
  local c = create({ name = "Chen Jing", company = "Other Ltd" })
  assert(#pairs_of(b.id) == 1, "same company")
  assert(#pairs_of(c.id) == 0, "another company")
  assert(pairs_of(b.id)[1].a == a.id)
end)

test("an edit that removes the likeness removes the pair", function()
  local a = create({ name = "Zhao Min", email = "zm@example.cn" })
  local b = create({ name = "Zhao Min", email = "zm@example.cn" })
  assert(#pairs_of(a.id) == 1)
  crm.call("customer.update", { id = b.id, email = "other@example.cn" })
  assert(#pairs_of(a.id) == 0, "no longer alike")
end)

test("a dismissed pair stays dismissed", function()
  local a = create({ name = "Sun Li", email = "sl@example.cn" })
  local b = create({ name = "Sun Li", email = "sl@example.cn" })
  crm.call("customer.not_duplicate", { a = b.id, b = a.id })
  assert(#pairs_of(a.id) == 0, "gone from the open list")
  crm.call("customer.update", { id = a.id, phone = "13900000009" })
  crm.call("customer.update", { id = b.id, phone = "13900000009" })
  assert(#pairs_of(a.id) == 0, "not reopened by a later write")
  local dismissed = crm.call("customer.duplicates", { customer_id = a.id, status = "dismissed" })
  assert(#dismissed.items == 1, "listed as dismissed")
end)
