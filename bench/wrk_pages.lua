-- wrk script of bench/bench_pages.py (see its docstring): many residents, each with their own cookies.
--
--   wrk -t2 -c16 -d10s -s bench/wrk_pages.lua URL -- RESIDENTS_FILE EXPECTED_STATUS MARKER
--
-- RESIDENTS_FILE has one resident a line: `Cookie header<TAB>form body` (no body: a GET; a body: a POST of
-- it as application/x-www-form-urlencoded). Requests go to the residents in turn, each thread starting at
-- its own place, so consecutive requests are different residents with different drafts.
-- A response whose status is not EXPECTED_STATUS, or whose body lacks MARKER (a plain string), is counted
-- as unexpected. done() prints wrk_report.lua's `BENCH_JSON {...}` line, then `BENCH_PAGES {"unexpected": N}`.

local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "wrk_report.lua")  -- setup() (thread ids) and done() (the BENCH_JSON line)

local report_setup, report_done = setup, done
local threads = {}
local prepared = {}
local position = 0
local expected = 200
local marker = nil
unexpected = 0

function init(args)
  local path = assert(args[1], "RESIDENTS_FILE is missing")
  expected = tonumber(args[2] or "200")
  marker = args[3]
  if marker == "" then marker = nil end
  for line in io.lines(path) do
    local cookie, body = line:match("^([^\t]*)\t?(.*)$")
    local headers = {["Cookie"] = cookie, ["Accept-Language"] = "ja"}
    if body ~= nil and body ~= "" then
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      table.insert(prepared, wrk.format("POST", nil, headers, body))
    else
      table.insert(prepared, wrk.format("GET", nil, headers, nil))
    end
  end
  assert(#prepared > 0, "no resident in " .. path)
  position = math.floor((id or 0) * #prepared / 10)
end

function setup(thread)
  report_setup(thread)
  table.insert(threads, thread)
end

function request()
  position = position % #prepared + 1
  return prepared[position]
end

function response(status, headers, body)
  if status ~= expected or (marker ~= nil and not body:find(marker, 1, true)) then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  report_done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + (thread:get("unexpected") or 0)
  end
  io.write(string.format('BENCH_PAGES {"unexpected": %d}\n', total))
end
