-- Creates LIMIT holds (one wrk thread, -t1) and appends each new reservation id to the file IDS,
-- then ends the process. Used to prepare ids for scenarios that act on existing reservations.
local events = {}
for id in string.gmatch(os.getenv("EVENTS") or "evt_bench_0", "[^,]+") do events[#events + 1] = id end
local limit = tonumber(os.getenv("LIMIT") or "10000")
local user = os.getenv("USER_ID") or "bench"
counter, answered = 0, 0
local out = nil

function init(args)
    out = assert(io.open(os.getenv("IDS") or "ids.txt", "a"))
end

function request()
    counter = counter + 1
    local body = '{"eventId":"' .. events[(counter % #events) + 1] .. '","quantity":1}'
    return wrk.format("POST", "/v1/reservations", {
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = "rec-" .. tostring(os.time()) .. "-" .. counter,
        ["X-User-Id"] = user,
    }, body)
end

function response(status, headers, body)
    if status == 201 then
        local id = string.match(body, '"reservationId":"([^"]+)"')
        if id then out:write(id, "\n"); answered = answered + 1 end
    end
    if answered >= limit then
        out:close()
        os.exit(0)
    end
end
