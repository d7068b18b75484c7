-- Tests of cleaning.lua (run with: kithd test-scripts)

local function create(fields)
  return crm.call("customer.create", fields)
end

test("full-width text becomes half-width and spaces are tidied", function()
  local c = create({ name = "　张　 三 ", company = "ＡＢＣ　Ｔｒａｄｉｎｇ " })
  assert(c.name == "张 三", "name: " .. c.name)
  assert(c.company == "ABC Trading", "company: " .. c.company)
end)

test("e-mails are trimmed, folded and lower-cased", function()
  local c = create({ name = "Ann", email = " Ａｎｎ＠Example.COM " })
  assert(c.email == "ann@example.com", "email: " .. tostring(c.email))
  local got = crm.call("customer.get", { email = "ANN@example.com" })
  assert(got.id == c.id, "found by the same address in capitals")
end)

test("phones are written in E.164 with the default country", function()
  local cases = {
    { "１３８ ００１３ ８０００", "+8613800138000" },
    { "138-0013-8000", "+8613800138000" },
    { "+86 138 0013 8000", "+8613800138000" },
    { "0086 13800138000", "+8613800138000" },
    { "(020) 8888 1234", "+862088881234" },
    { "+44 20 7946 0958", "+442079460958" },
  }
  for _, case in ipairs(cases) do
    local c = create({ name = "P", phone = case[1] })
    assert(c.phone == case[2], case[1] .. " -> " .. tostring(c.phone) .. ", want " .. case[2])
  end
end)

test("what cannot be a phone number is only tidied", function()
  local c = create({ name = "Q", phone = " call  me maybe " })
  assert(c.phone == "call me maybe", "phone: " .. tostring(c.phone))
  local short = create({ name = "R", phone = "12 34" })
  assert(short.phone == "12 34", "phone: " .. tostring(short.phone))
end)

test("updates are cleaned too, and a cleaned value matches its raw form", function()
  local c = create({ name = "Bob" })
  local u = crm.call("customer.update", { id = c.id, phone = "１３９ 0000 1111", email = "BOB@X.CN " })
  assert(u.phone == "+8613900001111", "phone: " .. tostring(u.phone))
  assert(u.email == "bob@x.cn", "email: " .. tostring(u.email))
end)

test("an address that is still not one after cleaning is refused", function()
  local ok, err = pcall(crm.call, "customer.create", { name = "Z", email = "not an address" })
  assert(not ok, "expected a refusal")
  assert(tostring(err):find("email"), "error names the e-mail: " .. tostring(err))
end)
