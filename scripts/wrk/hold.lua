-- POST /v1/reservations: best-available holds of 1-2 seats, a unique Idempotency-Key per request
-- (run tag from RUN, thread number, counter), spread over the events named in EVENTS
-- (comma-separated, from the environment) and over 1000 users. Prints a RESULT line (report.lua).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")

local events = {}
for id in string.gmatch(os.getenv("EVENTS") or "evt_bench_0", "[^,]+") do events[#events + 1] = id end
local counter = 0

function request()
    counter = counter + 1
    -- quantity alternates per event (counter % 2 would give some events only pairs)
    local event = events[(counter % #events) + 1]
    local quantity = (math.floor(counter / #events) % 2) + 1
    local body = '{"eventId":"' .. event .. '","quantity":' .. quantity .. '}'
    return wrk.format("POST", "/v1/reservations", {
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = "k-" .. tag .. "-" .. counter,
        ["X-User-Id"] = "bench-" .. (counter % 1000),
    }, body)
end

function response(status, headers, body)
    count(status, body)
end
