-- RESPONDER_MAX_PER_SECOND over every worker: responder calls start at least ARGV[1] ms apart.
-- The key holds the next free start time (ms since the epoch); each call takes it and moves it
-- on, so callers are spaced evenly and any second holds at most the cap, however many workers
-- share it. One round trip per call, no polling: the answer is how long to wait.
--
-- KEYS[1] the next free start time   ARGV[1] interval between starts (ms)
-- Returns the wait (ms) before this call may start.
local interval = tonumber(ARGV[1])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local start = tonumber(redis.call('GET', KEYS[1])) or now
if start < now then start = now end
local nextStart = start + interval
redis.call('SET', KEYS[1], tostring(nextStart), 'PX', math.ceil(nextStart - now) + 1000)
return math.ceil(start - now)
