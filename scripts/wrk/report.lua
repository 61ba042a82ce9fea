-- Shared by the benchmark scenarios (loaded with dofile from each of them; see scripts/bench.sh).
--
-- Every wrk thread has its own Lua state. `count(status, body)` keeps thread-level globals, answered
-- and non2xx and the first non-2xx answer's status and error code (globals, not locals: only
-- globals can be read back with thread:get), and done() sums them over the threads registered in
-- setup(). done() prints one machine-readable line
--   RESULT requests=… seconds=… rps=… p50_ms=… p90_ms=… p99_ms=… max_ms=… non2xx=… socket_errors=…
-- and, when some answer was not 2xx, "NON2XX <status> × <count>, …; first: <status> <code>, …".
-- `wrk_threads` and `run_tag` are for the scenario files: RUN (from the environment) names the wrk
-- run, so two runs against one server never send the same Idempotency-Key.

answered, non2xx = 0, 0
statuses = ""  -- non-2xx statuses seen, "status:count,…" (a string: thread:get copies it simply)
example = ""   -- the first non-2xx body's error code, e.g. "503 SERVICE_UNAVAILABLE"
local by_status = {}
wrk_threads = {}
run_tag = os.getenv("RUN") or tostring(os.time())

function count(status, body)
    answered = answered + 1
    if status >= 200 and status <= 299 then return end
    non2xx = non2xx + 1
    by_status[status] = (by_status[status] or 0) + 1
    local parts = {}
    for code, n in pairs(by_status) do parts[#parts + 1] = code .. ":" .. n end
    statuses = table.concat(parts, ",")
    if example == "" then
        example = status .. " " .. ((body or ""):match('"code":"([^"]+)"') or "")
    end
end

-- Registers a thread and gives it a unique `tag` global (run tag plus thread number).
function register(thread)
    table.insert(wrk_threads, thread)
    thread:set("tag", run_tag .. "-" .. #wrk_threads)
end

function setup(thread)
    register(thread)
end

function report(summary, latency)
    local total, bad, examples, merged = 0, 0, {}, {}
    for _, thread in ipairs(wrk_threads) do
        total = total + (thread:get("answered") or 0)
        bad = bad + (thread:get("non2xx") or 0)
        local e = thread:get("example") or ""
        if e ~= "" then examples[#examples + 1] = e end
        for code, n in string.gmatch(thread:get("statuses") or "", "(%d+):(%d+)") do
            merged[code] = (merged[code] or 0) + tonumber(n)
        end
    end
    local e = summary.errors
    local seconds = summary.duration / 1e6
    io.write(string.format(
        "RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d socket_errors=%d answered=%d\n",
        summary.requests, seconds, summary.requests / seconds,
        latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
        latency.max / 1000, bad, e.connect + e.read + e.write + e.timeout, total))
    if bad > 0 then
        local parts = {}
        for code, n in pairs(merged) do parts[#parts + 1] = code .. " × " .. n end
        io.write("NON2XX " .. table.concat(parts, ", ") .. "; first: " .. table.concat(examples, "; ") .. "\n")
    end
    return total, bad
end

function done(summary, latency, requests)
    report(summary, latency)
end
