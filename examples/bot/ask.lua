-- wrk script: POST JSON questions to the ask endpoint, rotating over a few real questions
-- (answer, clarify, decline). With NEW_QUESTION_EVERY=N in the environment, one request in N
-- is a question never asked before (a new number in it), so that with the semantic stage
-- (N-1)/N of the questions are found in the encoder's memory and the others run the model.
local questions = {
  "quanto costa la carta d'identità?",
  "orari della biblioteca",
  "come pago la tari",
  "biblioteca",
  "come si fa il cambio di residenza",
  "quando passa il camion dei gelati",
}
local bodies = {}
for i, q in ipairs(questions) do
  bodies[i] = '{"question":"' .. q .. '"}'
end
local new_every = tonumber(os.getenv("NEW_QUESTION_EVERY") or "") or 0
-- Each wrk thread has its own Lua state: the address of a table tells them apart.
local id = tostring({}):match("0x(%x+)") or "0"
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  n = n + 1
  if new_every > 0 and n % new_every == 0 then
    return wrk.format(nil, nil, nil,
      '{"question":"ho una domanda sulla pratica numero ' .. id .. '-' .. n .. '"}')
  end
  return wrk.format(nil, nil, nil, bodies[(n % #bodies) + 1])
end
