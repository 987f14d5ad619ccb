-- wrk script: the questions of ask.lua, and one request in ten a question never asked before
-- (a new number in it), so that with the semantic stage 90% of the questions are found in the
-- encoder's memory and 10% run the model.
local questions = {
  "quanto costa la carta d'identità?",
  "orari della biblioteca",
  "come pago la tari",
  "biblioteca",
  "come si fa il cambio di residenza",
  "quando passa il camion dei gelati",
}
local n = 0
local id = tostring({}):match("0x(%x+)") or "0"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  n = n + 1
  local q
  if n % 10 == 0 then
    q = "ho una domanda sulla pratica numero " .. id .. "-" .. n
  else
    q = questions[(n % #questions) + 1]
  end
  return wrk.format(nil, nil, nil, '{"question":"' .. q .. '"}')
end
