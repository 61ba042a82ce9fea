-- The holds of hold.lua with AUTH_MODE=jwt: the same events, quantities and 1000 callers, each
-- caller with its own bearer token (read from the file TOKENS, one per line, bench-0 first) instead
-- of X-User-Id. Each token is verified once per loop and then found in that loop's cache.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")

local events = {}
for id in string.gmatch(os.getenv("EVENTS") or "evt_bench_0", "[^,]+") do events[#events + 1] = id end
local tokens = {}
for line in io.lines(os.getenv("TOKENS") or "tokens.txt") do tokens[#tokens + 1] = "Bearer " .. line end
local counter = 0

function request()
    counter = counter + 1
    local event = events[(counter % #events) + 1]
    local quantity = (math.floor(counter / #events) % 2) + 1
    local body = '{"eventId":"' .. event .. '","quantity":' .. quantity .. '}'
    return wrk.format("POST", "/v1/reservations", {
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = "k-" .. tag .. "-" .. counter,
        ["Authorization"] = tokens[(counter % #tokens) + 1],
    }, body)
end

function response(status, headers, body)
    count(status, body)
end
