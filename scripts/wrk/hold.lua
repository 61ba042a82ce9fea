-- POST /v1/reservations: best-available holds of 1-2 seats, a unique Idempotency-Key per request,
-- spread over the events named in EVENTS (comma-separated, from the environment).
local events = {}
for id in string.gmatch(os.getenv("EVENTS") or "evt_bench_0", "[^,]+") do events[#events + 1] = id end
local counter = 0
local thread_tag = ""

function setup(thread)
    thread:set("tag", tostring(math.random(1, 1e9)))
end

function init(args)
    thread_tag = tag or tostring(math.random(1, 1e9))
    math.randomseed(tonumber(thread_tag))
end

function request()
    counter = counter + 1
    local event = events[(counter % #events) + 1]
    local quantity = (counter % 2) + 1
    local body = '{"eventId":"' .. event .. '","quantity":' .. quantity .. '}'
    return wrk.format("POST", "/v1/reservations", {
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = "k-" .. thread_tag .. "-" .. counter,
        ["X-User-Id"] = "bench-" .. (counter % 1000),
    }, body)
end
