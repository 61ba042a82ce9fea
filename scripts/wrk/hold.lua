-- POST /v1/reservations: best-available holds of 1-2 seats, a unique Idempotency-Key per request
-- (run tag from RUN, thread number, counter), spread over the events named in EVENTS
-- (comma-separated, from the environment) and over 1000 users. Prints a RESULT line (report.lua).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")

local events = {}
for id in string.gmatch(os.getenv("EVENTS") or "evt_bench_0", "[^,]+") do events[#events + 1] = id end
-- With TOKENS (a file of bearer tokens, one per line, for bench-0 onwards; AUTH_MODE=jwt) each
-- caller sends its own token instead of X-User-Id.
local tokens = {}
if os.getenv("TOKENS") then
    for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = "Bearer " .. line end
end
local counter = 0

function request()
    counter = counter + 1
    -- quantity alternates per event (counter % 2 would give some events only pairs)
    local event = events[(counter % #events) + 1]
    local quantity = (math.floor(counter / #events) % 2) + 1
    local body = '{"eventId":"' .. event .. '","quantity":' .. quantity .. '}'
    local headers = {
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = "k-" .. tag .. "-" .. counter,
    }
    if #tokens > 0 then
        headers["Authorization"] = tokens[(counter % #tokens) + 1]
    else
        headers["X-User-Id"] = "bench-" .. (counter % 1000)
    end
    return wrk.format("POST", "/v1/reservations", headers, body)
end

function response(status, headers, body)
    count(status, body)
end
