-- Create, then confirm or cancel: POST /v1/reservations (best available, 1-2 seats, a unique
-- Idempotency-Key), and for every 201 one POST /v1/reservations/{id}/confirm (with
-- {"paymentIntentId":"pay_x"}) or /cancel, alternating. Every HTTP request counts as one request.
-- Holds go to the events in EVENTS (comma-separated, from the environment).
--
-- wrk keeps one request in flight per connection, but it shares one Lua state among all the
-- connections of a thread and tells request() nothing about which connection asks. So the state
-- machine lives in the thread: response() parses reservationId from each 201 and queues the
-- follow-up; the next request() (from whichever connection is free first) sends a queued
-- follow-up if there is one, else a new hold. Each connection still waits for its answer before it
-- sends again, every follow-up goes out as soon as a connection is free (at most one round trip
-- after its 201), and the queue never holds more than one entry per connection. All requests of a
-- thread use one X-User-Id, so the follow-up's owner is the hold's owner.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")

local events = {}
for id in string.gmatch(os.getenv("EVENTS") or "evt_bench_0", "[^,]+") do events[#events + 1] = id end
local holds, followups = 0, 0
local queue, head, tail = {}, 1, 0  -- FIFO of reservation ids waiting for confirm or cancel
local user

function init(args)
    user = "life-" .. tag
end

function request()
    if head <= tail then
        local id = queue[head]
        queue[head] = nil
        head = head + 1
        followups = followups + 1
        if followups % 2 == 0 then
            return wrk.format("POST", "/v1/reservations/" .. id .. "/confirm",
                { ["Content-Type"] = "application/json", ["X-User-Id"] = user }, '{"paymentIntentId":"pay_x"}')
        end
        return wrk.format("POST", "/v1/reservations/" .. id .. "/cancel", { ["X-User-Id"] = user })
    end
    holds = holds + 1
    local event = events[(holds % #events) + 1]
    local quantity = (math.floor(holds / #events) % 2) + 1  -- alternates per event
    local body = '{"eventId":"' .. event .. '","quantity":' .. quantity .. '}'
    return wrk.format("POST", "/v1/reservations", {
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = "l-" .. tag .. "-" .. holds,
        ["X-User-Id"] = user,
    }, body)
end

function response(status, headers, body)
    count(status, body)
    if status == 201 then
        local id = body:match('"reservationId":"([^"]+)"')
        if id then
            tail = tail + 1
            queue[tail] = id
        end
    end
end
