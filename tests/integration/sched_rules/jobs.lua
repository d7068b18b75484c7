-- Fixture jobs for test_schedules.py (copied into a temporary scripts
-- folder).  Each job is small and deterministic.

-- Echoes what the scheduler hands a job: ctx.args, ctx.schedule, ctx.now.
crm.job("t.echo", function(ctx)
  return { args = ctx.args, schedule = ctx.schedule, now = ctx.now }
end)

-- Adds ctx.args.tag (default "scheduled") to every customer's tags.
crm.job("t.tag_all", function(ctx)
  local tag = (ctx.args and ctx.args.tag) or "scheduled"
  local tagged, cursor = 0, nil
  repeat
    local page = crm.call("customer.list", { limit = 500, cursor = cursor })
    for _, c in ipairs(page.items or {}) do
      local has = false
      local tags = {}
      for _, t in ipairs(c.tags or {}) do
        tags[#tags + 1] = t
        if t == tag then has = true end
      end
      if not has then
        tags[#tags + 1] = tag
        crm.customer.update(c.id, { tags = tags })
        tagged = tagged + 1
      end
    end
    cursor = page.next_cursor
    if cursor == crm.null then cursor = nil end
  until cursor == nil
  return { tagged = tagged }
end)

-- Writes, then fails: the write must roll back with the failed slice.
crm.job("t.fail", function(ctx)
  crm.call("customer.create", { name = "written by a failing job" })
  error("deliberate failure in t.fail")
end)

-- Walks every customer in slices of ctx.args.per_slice, marking each with
-- attrs.swept = ctx.args.mark; returns {more = true, state = ...} until the
-- end, then {swept = N, slices = K}.
crm.job("t.sliced", function(ctx)
  local per = (ctx.args and ctx.args.per_slice) or 50
  local mark = (ctx.args and ctx.args.mark) or "swept"
  local st = ctx.state
  if type(st) ~= "table" then st = { swept = 0, slices = 0 } end
  local params = { limit = per }
  if st.cursor ~= nil and st.cursor ~= crm.null then params.cursor = st.cursor end
  local page = crm.call("customer.list", params)
  for _, c in ipairs(page.items or {}) do
    crm.customer.update(c.id, { attrs = { swept = mark, slice = st.slices + 1 } })
    st.swept = st.swept + 1
  end
  st.slices = st.slices + 1
  local nxt = page.next_cursor
  if nxt ~= nil and nxt ~= crm.null then
    return { more = true, state = { cursor = nxt, swept = st.swept, slices = st.slices } }
  end
  return { swept = st.swept, slices = st.slices }
end)
