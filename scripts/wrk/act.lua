-- POSTs /v1/reservations/{id}/ACTION (cancel or confirm, from the environment) for each id in the
-- file IDS, once each, with or without a unique Idempotency-Key (KEYED=1), then ends the process.
local ids = {}
for line in io.lines(os.getenv("IDS") or "ids.txt") do ids[#ids + 1] = line end
local action = os.getenv("ACTION") or "cancel"
local keyed = os.getenv("KEYED") == "1"
local user = os.getenv("USER_ID") or "bench"
local next_index, answered, refused = 0, 0, 0

function request()
    next_index = next_index + 1
    local id = ids[((next_index - 1) % #ids) + 1]
    local headers = { ["X-User-Id"] = user, ["Content-Type"] = "application/json" }
    if keyed then headers["Idempotency-Key"] = "act-" .. id end
    local body = action == "confirm" and '{"paymentIntentId":"pay_bench"}' or ""
    return wrk.format("POST", "/v1/reservations/" .. id .. "/" .. action, headers, body)
end

function response(status, headers, body)
    answered = answered + 1
    if status ~= 200 then refused = refused + 1 end
    if answered >= #ids then
        io.write(string.format("%s answered: %d, not 200: %d\n", action, answered, refused))
        io.flush()
        os.exit(0)
    end
end
