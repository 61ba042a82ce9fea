-- POST /reservation.v1.ReservationService/CreateReservation over Connect with a binary protobuf
-- body: the same holds as hold.lua (best available, 1-2 seats, spread over EVENTS and 1000 users),
-- with the unique key in the `idempotency-key` metadata. Prints a RESULT line (report.lua).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")

local events = {}
for id in string.gmatch(os.getenv("EVENTS") or "evt_bench_0", "[^,]+") do events[#events + 1] = id end
local counter = 0

-- CreateReservationRequest: field 1 event_id (tag 0x0a, length-delimited), field 3 quantity
-- (tag 0x18, varint). Event ids are shorter than 128 bytes, so their length is one byte.
local bodies = {}
for i, event in ipairs(events) do
    bodies[i] = {}
    for quantity = 1, 2 do
        bodies[i][quantity] = "\x0a" .. string.char(#event) .. event .. "\x18" .. string.char(quantity)
    end
end

function request()
    counter = counter + 1
    local index = (counter % #events) + 1
    local quantity = (math.floor(counter / #events) % 2) + 1
    return wrk.format("POST", "/reservation.v1.ReservationService/CreateReservation", {
        ["Content-Type"] = "application/proto",
        ["Connect-Protocol-Version"] = "1",
        ["idempotency-key"] = "c-" .. tag .. "-" .. counter,
        ["x-user-id"] = "bench-" .. (counter % 1000),
    }, bodies[index][quantity])
end

function response(status, headers, body)
    count(status, body)
end
