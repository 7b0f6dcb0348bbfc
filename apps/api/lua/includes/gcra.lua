-- GCRA rate limit: at most `limit` admissions per `period` ms, bursts up to the full limit.
-- One key per subject holds its theoretical arrival time (TAT, ms since the epoch), so the
-- limit costs a few bytes whatever the traffic.
-- Returns allowed (1|0), remaining, retry after (ms), reset (ms until the window is full again).
local function gcraTake(key, limit, period, now)
  local interval = period / limit
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  local nextTat = tat + interval
  local allowedAt = nextTat - period
  if allowedAt > now then
    return 0, 0, math.ceil(allowedAt - now), math.ceil(tat - now)
  end
  redis.call('SET', key, tostring(nextTat), 'PX', math.ceil(nextTat - now))
  return 1, math.floor((now + period - nextTat) / interval), 0, math.ceil(nextTat - now)
end
