-- wrk script of bench/bench_api.py (see its docstring). It can be run by hand too:
--
--   wrk -t2 -c16 -d10s -s bench/wrk_report.lua http://127.0.0.1:8000/healthz
--   wrk -t2 -c16 -d10s -s bench/wrk_report.lua http://127.0.0.1:8000/api/v1/procedures/bench-thirty/submissions \
--       -- BODY_FILE
--
-- With a BODY_FILE every request is a POST of that file as JSON; without, a GET. In the body, `%N%` and
-- `%Z%` are replaced on every request by a 4-digit number, half-width and full-width (全角): bench_api.py
-- puts them in place of the last digits of the phone numbers, so every request files other numbers.
-- Thread k uses the numbers k*1000 … k*1000+999 in turn (up to 10 threads).
-- When the run ends it prints one line, `BENCH_JSON {...}`, with the counts and latency percentiles
-- (microseconds) that bench_api.py reads.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local template = nil
local counter = 0

local function full_width(digits)
  -- U+FF10 (０) is EF BC 90 in UTF-8; the other digits follow it
  return (digits:gsub("%d", function(d) return "\239\188" .. string.char(144 + tonumber(d)) end))
end

function init(args)
  local path = args[1]
  if path ~= nil then
    local f = assert(io.open(path, "rb"))
    local body = f:read("*a")
    f:close()
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    if body:find("%N%", 1, true) or body:find("%Z%", 1, true) then
      template = body
      -- defined here, so that only a body with markers makes wrk call Lua for every request
      -- (wrk looks for request() after init)
      request = function()
        local digits = string.format("%04d", ((id or 0) % 10) * 1000 + counter % 1000)
        counter = counter + 1
        local text = template:gsub("%%N%%", digits):gsub("%%Z%%", full_width(digits))
        return wrk.format(nil, nil, nil, text)
      end
    else
      wrk.body = body
    end
  end
  wrk.headers["Accept-Language"] = "ja"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non_2xx_3xx": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
