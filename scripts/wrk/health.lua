-- GET /health: the HTTP layer alone, the baseline the other scenarios are compared with.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")

local request_bytes

function init(args)
    request_bytes = wrk.format("GET", "/health")
end

function request()
    return request_bytes
end

function response(status, headers, body)
    count(status, body)
end
