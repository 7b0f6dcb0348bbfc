-- Appends one exchange to an IP's history unless that message id was written before.
-- Both keys share the IP's hash slot. Returns 1 when it wrote, 0 for a repeat (a retried or
-- redelivered job), in which case nothing changes.
local function appendHistory(historyKey, writtenKey, id, entryJson, maxEntries, ttlSeconds, nowMs, rememberedIds)
  if redis.call('ZADD', writtenKey, 'NX', nowMs, id) == 0 then
    return 0
  end
  redis.call('ZREMRANGEBYRANK', writtenKey, 0, -(tonumber(rememberedIds) + 1))
  redis.call('LPUSH', historyKey, entryJson)
  redis.call('LTRIM', historyKey, 0, tonumber(maxEntries) - 1)
  redis.call('EXPIRE', historyKey, ttlSeconds)
  redis.call('EXPIRE', writtenKey, ttlSeconds)
  return 1
end
