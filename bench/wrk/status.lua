-- wrk script for answers that must all have one status: the expected status is the script's
-- first argument (`wrk ... URL -- 304`, 200 by default); every other answer is counted (a redirect to
-- the sign-in page would otherwise pass as a page), and the figures are printed as one JSON line at the end.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  expected = tonumber(args[1]) or 200
end

function response(status, headers, body)
  if status ~= expected then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local not_ok = 0
  for _, thread in ipairs(threads) do
    not_ok = not_ok + thread:get("bad")
  end
  io.write(string.format(
    'BENCH {"requests": %d, "micros": %d, "not_ok": %d, "socket_errors": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, not_ok,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
