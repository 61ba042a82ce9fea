-- A mixed, steady load for scripts/soak.sh: holds (best available, 1-2 seats, a unique
-- Idempotency-Key that also travels as the reservationToken, from 500 callers per wrk thread, so
-- no caller comes near the per-caller limits), and for each 201 one follow-up (by its owner) —
-- confirm, cancel, extend (60 s) or a read, in turn — while the rest of the holds expire by
-- themselves (run the server with short holds). One hold in twenty is sent again with its key and
-- body once its 201 came back: it must replay (`Idempotent-Replayed: true`, the same reservation).
--
-- As in lifecycle.lua, response() cannot tell which request it answers, so it reads the body: a
-- 201 with "Reservation created" is a hold (its reservationToken names the key), and the replay
-- header marks a retry. Prints the usual RESULT line (report.lua) and, from done(), one line
--   MIXED holds=… followups=… retries=… replays=… replay_mismatches=…
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")

local events = {}
for id in string.gmatch(os.getenv("EVENTS") or "evt_bench_0", "[^,]+") do events[#events + 1] = id end
holds, followups, retries, replays, mismatches = 0, 0, 0, 0, 0  -- globals for done()
local queue, head, tail = {}, 1, 0      -- {id, user} of holds waiting for a follow-up
local again, againHead, againTail = {}, 1, 0  -- {key, body, id} of holds to send again
local bodies = {}                        -- key → body, for holds not yet answered
local callers = 500                      -- per thread, as many callers as a real audience spreads over

-- The caller of hold number n (its key ends in n): the same for its retry and its follow-up.
local function userOf(n)
    return "mixed-" .. tag .. "-" .. (n % callers)
end

local function holdRequest(key, body)
    local n = tonumber(key:match("-(%d+)$"))
    return wrk.format("POST", "/v1/reservations", {
        ["Content-Type"] = "application/json", ["Idempotency-Key"] = key, ["X-User-Id"] = userOf(n),
    }, body)
end

function request()
    if againHead <= againTail then
        local retry = again[againHead]
        again[againHead] = nil
        againHead = againHead + 1
        retries = retries + 1
        return holdRequest(retry.key, retry.body)
    end
    if head <= tail then
        local id, user = queue[head].id, queue[head].user
        queue[head] = nil
        head = head + 1
        followups = followups + 1
        local turn = followups % 4
        if turn == 0 then
            return wrk.format("POST", "/v1/reservations/" .. id .. "/confirm",
                { ["Content-Type"] = "application/json", ["X-User-Id"] = user }, '{"paymentIntentId":"pay_soak"}')
        elseif turn == 1 then
            return wrk.format("POST", "/v1/reservations/" .. id .. "/cancel", { ["X-User-Id"] = user })
        elseif turn == 2 then
            return wrk.format("POST", "/v1/reservations/" .. id .. "/extend",
                { ["Content-Type"] = "application/json", ["X-User-Id"] = user }, '{"seconds":60}')
        end
        return wrk.format("GET", "/v1/reservations/" .. id, { ["X-User-Id"] = user })
    end
    holds = holds + 1
    local event = events[(holds % #events) + 1]
    local quantity = (math.floor(holds / #events) % 2) + 1
    local key = "m-" .. tag .. "-" .. holds
    local body = '{"eventId":"' .. event .. '","quantity":' .. quantity .. ',"reservationToken":"' .. key .. '"}'
    bodies[key] = body
    return holdRequest(key, body)
end

function response(status, headers, body)
    -- Business refusals (an expired hold confirmed, a sold one cancelled) are part of the mix.
    if status == 409 then
        answered = answered + 1
    else
        count(status, body)
    end
    if status ~= 201 then return end
    local id = body:match('"reservationId":"([^"]+)"')
    local key = body:match('"reservationToken":"([^"]+)"')
    if not id or not key then return end
    if headers["Idempotent-Replayed"] == "true" then
        replays = replays + 1
        if bodies[key] ~= id then mismatches = mismatches + 1 end
        bodies[key] = nil
        return
    end
    local n = tonumber(key:match("-(%d+)$"))
    tail = tail + 1
    queue[tail] = { id = id, user = userOf(n) }
    if n % 20 == 0 then
        againTail = againTail + 1
        again[againTail] = { key = key, body = bodies[key] }
        bodies[key] = id  -- what the replay must name
    else
        bodies[key] = nil
    end
end

function done(summary, latency, requests)
    report(summary, latency)
    local totals = { holds = 0, followups = 0, retries = 0, replays = 0, mismatches = 0 }
    for _, thread in ipairs(wrk_threads) do
        for name, _ in pairs(totals) do totals[name] = totals[name] + (thread:get(name) or 0) end
    end
    io.write(string.format("MIXED holds=%d followups=%d retries=%d replays=%d replay_mismatches=%d\n",
        totals.holds, totals.followups, totals.retries, totals.replays, totals.mismatches))
end
