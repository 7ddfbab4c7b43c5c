-- The events benchmark's wrk script (bench/events_bench runs it):
--
--     wrk -t 1 -c 32 -d 10s -s bench/events.lua URL -- EVENTS_FILE
--
-- POSTs the events of EVENTS_FILE in turn, each thread from another
-- place in the list.  EVENTS_FILE has one request a line, written by
-- bench/events_bench: what goes after URL's path (a query string, or
-- nothing), a tab, the JSON body; the events are signed there (Sign, T:
-- MD5 has no place in a load client's loop).  Every answer that is not
-- 200 is counted and the first one kept; done() prints one line that
-- events_bench reads:
--
--     events-wrk: requests N seconds S non200 N status N connect N read N
--     write N timeout N mean US p50 US p90 US p99 US p999 US max US
--
-- (on one line; latencies in microseconds), then "events-wrk-first-bad:"
-- and the status and body of the first answer that was not 200, if any.

local requests = {}
local n, i = 0, 0

non200 = 0
first_bad = ""

function init(args)
    local file = args[1] or error("events.lua: no events file")

    for line in io.lines(file) do
        local tab = line:find("\t", 1, true)

        if tab then
            n = n + 1
            requests[n] = wrk.format("POST", wrk.path .. line:sub(1, tab - 1),
                                     { ["Content-Type"] = "application/json" },
                                     line:sub(tab + 1))
        end
    end

    if n == 0 then
        error("events.lua: no events in " .. file)
    end

    -- threads start at different events
    i = (wrk_thread_index or 0) * 7919 % n
end


function request()
    i = i % n + 1
    return requests[i]
end


function response(status, headers, body)
    if status ~= 200 then
        non200 = non200 + 1

        if first_bad == "" then
            first_bad = status .. " " .. (body or ""):sub(1, 300)
        end
    end
end


local threads = {}

function setup(thread)
    thread:set("wrk_thread_index", #threads)
    table.insert(threads, thread)
end


function done(summary, latency, requests)
    local bad, first = 0, ""

    for _, t in ipairs(threads) do
        bad = bad + t:get("non200")

        if first == "" then
            first = t:get("first_bad")
        end
    end

    local e = summary.errors

    io.write(string.format(
        "events-wrk: requests %d seconds %.6f non200 %d status %d "
        .. "connect %d read %d write %d timeout %d mean %.1f p50 %d "
        .. "p90 %d p99 %d p999 %d max %d\n",
        summary.requests, summary.duration / 1e6, bad, e.status,
        e.connect, e.read, e.write, e.timeout, latency.mean,
        latency:percentile(50), latency:percentile(90),
        latency:percentile(99), latency:percentile(99.9), latency.max))

    if first ~= "" then
        io.write("events-wrk-first-bad: "
                 .. first:gsub("[\r\n]+", " ") .. "\n")
    end
end
