-- GET /v1/reservations/{id} of existing reservations: the ids come from the file IDS (one a line,
-- as hold-record.lua writes them) and are read in turn from a per-thread offset.
-- USER_ID (from the environment) must be the X-User-Id the holds were created with, or every GET
-- is a 404 (a caller sees only its own reservations).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")

local ids = {}
local user = os.getenv("USER_ID") or "anonymous"
local next_index = 1

function init(args)
    local path = assert(os.getenv("IDS"), "IDS: a file of reservation ids")
    for line in io.lines(path) do
        if #line > 0 then ids[#ids + 1] = line end
    end
    assert(#ids > 0, "no ids in " .. path)
    -- threads start apart: thread n at n/8 of the list (wrap-around)
    next_index = math.floor((tonumber(tag:match("(%d+)$")) or 0) * #ids / 8) % #ids + 1
end

function request()
    local id = ids[next_index]
    next_index = next_index % #ids + 1
    return wrk.format("GET", "/v1/reservations/" .. id, { ["X-User-Id"] = user })
end

function response(status, headers, body)
    count(status, body)
end
