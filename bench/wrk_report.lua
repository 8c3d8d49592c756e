-- wrk script for bench/load.py: counts every response outside 2xx (wrk's own "status
-- errors" count only 4xx/5xx) and prints one machine-readable summary line at the end.
-- Each wrk thread runs its own Lua state; setup() keeps the threads so done() can sum them.
--
-- Optional argument (after "--"): a file with one Cookie header value per line. Requests
-- then take these in turn, so that the load comes from that many different members rather
-- than from one session shared by every connection.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  requests = {}
  next_request = 0
  if args[1] then
    for cookie in io.lines(args[1]) do
      if cookie ~= "" then
        local headers = {}
        for name, value in pairs(wrk.headers) do headers[name] = value end
        headers["Cookie"] = cookie
        table.insert(requests, wrk.format(nil, nil, headers))
      end
    end
  end
  if #requests == 0 then
    table.insert(requests, wrk.format())
  end
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local non = 0
  for _, thread in ipairs(threads) do
    non = non + thread:get("non2xx")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "status_errors": %d, ' ..
    '"timeouts": %d, "latency_us": {"mean": %.1f, "stdev": %.1f, "p50": %d, "p90": %d, ' ..
    '"p95": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes, non,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max))
end
