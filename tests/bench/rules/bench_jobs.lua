--[[
bench_jobs.lua - jobs for the benchmarks in tests/bench (not shipped rules).

bench.followup_all: a follow-up task for every customer, worked through in
slices: each call handles customers until SLICE_MS of CPU time has gone, then
returns {more = true, state = cursor} and is called again on a later pass.
This is the shape of a real automation ("a follow-up for each member of a
segment"), stretched over every customer.
]]

local SLICE_MS = 0.3
local PAGE = 1

crm.job("bench.followup_all", function(ctx)
  local started = os.clock()
  local cursor = ctx.state
  repeat
    local page = crm.call("customer.list", { limit = PAGE, cursor = cursor })
    for _, c in ipairs(page.items) do
      crm.remind{ customer = c.id, owner = c.owner or "bench", due = "7d",
                  note = "bench follow-up for " .. c.name }
    end
    cursor = page.next_cursor
    if not cursor then return { more = false } end
  until (os.clock() - started) * 1000 >= SLICE_MS
  return { more = true, state = cursor }
end)
