-- wrk script for bench/load.py: counts every response outside 2xx (wrk's own "status
-- errors" count only 4xx/5xx) and prints one machine-readable summary line at the end.
-- Each wrk thread runs its own Lua state; setup() keeps the threads so done() can sum them.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
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
