-- hold.lua's requests at a steady RATE a second (from the environment; run wrk with one thread,
-- -t1): each connection pauses before each request, and once a second the pause is corrected by
-- the rate just reached (the server's latency adds to the pause), so C connections send about RATE
-- holds a second instead of as many as the server takes (scripts/bench-outbox.sh).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "hold.lua")

local rate = tonumber(os.getenv("RATE") or "5000")
local connections = tonumber(os.getenv("CONNECTIONS") or "50")
local target = connections * 1000 / rate  -- ms between one connection's requests
local pause = target
local second, sent = os.time(), 0

function delay()
    local now = os.time()
    if now ~= second then
        if sent > 0 then
            -- This second's cycle per connection was connections × 1000 / sent ms, of which `pause`
            -- was ours: the rest is the server's latency, which the next pause leaves room for.
            local latency = connections * 1000 / (sent / (now - second)) - pause
            pause = math.max(target - latency, 0)
        end
        second, sent = now, 0
    end
    sent = sent + 1
    return math.floor(pause)
end
