--[[
rfm.lua - segments by RFM (README "Measuring").

WHAT IT DOES
  value.fit refreshes the RFM quintile cuts over every customer who ordered;
  each customer's stats then carry rfm = {r, f, m, code, label}, scored when
  read: recency (5: the most recent fifth), frequency (orders) and monetary
  (total spent), 1 to 5 each.  The label is the usual grid of recency and
  frequency (store/value.c):
    champions          r 4-5, f 4-5    bought recently and often
    loyal              r 3-5, f 3-5    (not champions)
    potential_loyalist r 3-5, f 1-2    (r 4-5, f 1: new)
    new                r 4-5, f 1
    cant_lose_them     r 1-2, f 4-5    were frequent, now silent
    at_risk            r 1-2, f 2-3
    hibernating        r 2,   f 1
    lost               r 1,   f 1
  These segments follow the labels that call for action.  Without a fitted
  model (no value.fit yet) no one is in them.
]]

local function label_is(name)
  return function(c, s) return s.rfm ~= nil and s.rfm.label == name end
end

crm.segment("rfm_champions", "RFM: bought recently and often (r 4-5, f 4-5)",
  label_is("champions"))
crm.segment("rfm_loyal", "RFM: regular buyers (r 3-5, f 3-5, not champions)", label_is("loyal"))
crm.segment("rfm_cant_lose_them", "RFM: frequent buyers gone quiet (r 1-2, f 4-5)",
  label_is("cant_lose_them"))
crm.segment("rfm_at_risk", "RFM: repeat buyers slipping away (r 1-2, f 2-3)",
  label_is("at_risk"))
crm.segment("rfm_hibernating", "RFM: one order, a while ago (r 2, f 1)", label_is("hibernating"))
