-- Like hold.lua, but stops after LIMIT responses (from the environment), so a run creates a known
-- number of holds. Run it with one wrk thread (-t1): the thread prints its counts and ends the
-- process when it reaches the limit (wrk itself would sleep out its whole -d duration).
-- Idempotency-Keys carry RUN (from the environment) when set, so two runs against one server
-- never share a key (the unseeded random tag is the same in every run).
local events = {}
for id in string.gmatch(os.getenv("EVENTS") or "evt_bench_0", "[^,]+") do events[#events + 1] = id end
local limit = tonumber(os.getenv("LIMIT") or "100000")
counter, answered, refused = 0, 0, 0  -- globals, so done() can read them from each thread
local threads = {}

function setup(thread)
    thread:set("tag", (os.getenv("RUN") or tostring(os.time())) .. "-" .. tostring(math.random(1, 1e9)))
    table.insert(threads, thread)
end

function request()
    counter = counter + 1
    -- quantity alternates per event (counter % 2 would give half the events only pairs when their
    -- number is even, and those run out of seats twice as fast)
    local event = events[(counter % #events) + 1]
    local quantity = (math.floor(counter / #events) % 2) + 1
    local body = '{"eventId":"' .. event .. '","quantity":' .. quantity .. '}'
    return wrk.format("POST", "/v1/reservations", {
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = "k-" .. tag .. "-" .. counter, ["X-User-Id"] = "bench-" .. (counter % 1000),
    }, body)
end

function response(status, headers, body)
    answered = answered + 1
    if status ~= 201 then
        refused = refused + 1
        if refused <= 5 then io.stderr:write("not 201: ", status, " ", body, "\n") end
    end
    if answered >= limit then
        io.write(string.format("holds answered: %d, not 201: %d\n", answered, refused))
        io.flush()
        os.exit(0)
    end
end

function done(summary, latency, requests)
    local total, bad = 0, 0
    for _, thread in ipairs(threads) do
        total = total + (thread:get("answered") or 0)
        bad = bad + (thread:get("refused") or 0)
    end
    io.write(string.format("holds answered: %d, not 201: %d\n", total, bad))
end
