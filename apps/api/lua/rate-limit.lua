-- GCRA rate limit: at most ARGV[1] admissions per ARGV[2] ms, bursts up to the full limit.
-- One key per subject holds its theoretical arrival time (TAT, ms since the epoch), so the
-- limit costs one round trip and a few bytes whatever the traffic.
--
-- KEYS[1] the subject's TAT key   ARGV[1] limit   ARGV[2] period (ms)
-- Returns {allowed (1|0), remaining, retry after (ms), reset (ms until the window is full again)}
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local interval = period / limit

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local next_tat = tat + interval
local allowed_at = next_tat - period

if allowed_at > now then
  return {0, 0, math.ceil(allowed_at - now), math.ceil(tat - now)}
end

redis.call('SET', KEYS[1], tostring(next_tat), 'PX', math.ceil(next_tat - now))
local remaining = math.floor((now + period - next_tat) / interval)
return {1, remaining, 0, math.ceil(next_tat - now)}
