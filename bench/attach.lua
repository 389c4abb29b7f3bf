-- wrk script: every request attaches a new photo (a unique minioObjectKey per request) to one
-- of the seeded work orders, whose ids are 00000000-0000-4000-8000-<12-digit n>.
local key = os.getenv("BENCH_KEY")
local run = os.getenv("BENCH_RUN")
local work_orders = tonumber(os.getenv("BENCH_WORK_ORDERS"))
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  counter = 0
end

function request()
  counter = counter + 1
  local wo = string.format("00000000-0000-4000-8000-%012d", (counter % work_orders) + 1)
  local body = string.format(
    '{"minioObjectKey":"wrk/%s/%d/%d","cdnUrl":"https://cdn.example.com/b.jpg","takenAt":"2026-04-15T12:00:00Z","step":"bench"}',
    run, id, counter)
  return wrk.format("POST", "/v1/work-orders/" .. wo .. "/photos",
    { ["X-API-Key"] = key, ["Content-Type"] = "application/json" }, body)
end
