-- wrk script: POST JSON questions to the ask endpoint, rotating over a few real questions
-- (answer, clarify, decline), and count non-2xx responses.
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
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, bodies[(n % #bodies) + 1])
end
