-- wrk script for the benchmark (bench/run.py sets the environment):
--   WRK_MODE=proposal: POST a new proposal each request, spread over WRK_ORDERS orders named
--     <WRK_PREFIX>-<n>, sellers SELLER-001..010 (the default selection), ids unique per run;
--     With WRK_LIMIT=n, exactly n proposals (one per order when n = WRK_ORDERS), then stop;
--   WRK_MODE=get: GET the URL's path (the load generator's own ceiling).
-- done() prints one JSON line the runner parses.
local mode = os.getenv("WRK_MODE") or "proposal"
local orders = tonumber(os.getenv("WRK_ORDERS") or "1")
local prefix = os.getenv("WRK_PREFIX") or "BENCH"
local run = os.getenv("WRK_RUN") or "0"
local limit = tonumber(os.getenv("WRK_LIMIT") or "0")
local counter = 0
local answered = 0
local headers = {["Content-Type"] = "application/json"}

request = function()
  if mode == "get" then
    return wrk.format("GET")
  end
  if limit > 0 and counter >= limit then
    return wrk.format("GET", "/health")  -- a connection asking after the last proposal: harmless
  end
  counter = counter + 1
  local body = string.format(
    '{"OrderReqID":"%s-%d","Seller":"SELLER-%03d","ProposalDictObj":{"ProposalID":"W%s-%d","Price":%d.25,"DeliveryDate":"2026-12-01T00:00:00Z"}}',
    prefix, counter % orders, 1 + (counter % 10), run, counter, 100 + counter % 900)
  return wrk.format("POST", nil, headers, body)
end

response = function(status, headers, body)
  answered = answered + 1
  if limit > 0 and answered == limit then
    -- stop() only idles the thread until -d runs out: the runner interrupts wrk on this line.
    io.write("WRK_LIMIT_REACHED\n")
    io.flush()
    wrk.thread:stop()
  end
end

done = function(summary, latency, requests)
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"non_2xx":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
