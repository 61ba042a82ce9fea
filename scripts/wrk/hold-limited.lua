-- Like hold.lua, but each wrk thread stops after LIMIT responses (from the environment), so a run
-- creates a known number of holds. Counts non-201 answers and prints them at the end.
local events = {}
for id in string.gmatch(os.getenv("EVENTS") or "evt_bench_0", "[^,]+") do events[#events + 1] = id end
local limit = tonumber(os.getenv("LIMIT") or "100000")
counter, answered, refused = 0, 0, 0  -- globals, so done() can read them from each thread
local threads = {}

function setup(thread)
    thread:set("tag", tostring(math.random(1, 1e9)))
    table.insert(threads, thread)
end

function request()
    counter = counter + 1
    local event = events[(counter % #events) + 1]
    local body = '{"eventId":"' .. event .. '","quantity":' .. ((counter % 2) + 1) .. '}'
    return wrk.format("POST", "/v1/reservations", {
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = "k-" .. tag .. "-" .. counter,
    }, body)
end

function response(status, headers, body)
    answered = answered + 1
    if status ~= 201 then refused = refused + 1 end
    if answered >= limit then wrk.thread:stop() end
end

function done(summary, latency, requests)
    local total, bad = 0, 0
    for _, thread in ipairs(threads) do
        total = total + (thread:get("answered") or 0)
        bad = bad + (thread:get("refused") or 0)
    end
    io.write(string.format("holds answered: %d, not 201: %d\n", total, bad))
end
