-- Appends exchanges to IPs' histories, each unless its message id was written before, in two
-- steps so a call touches each history once however many of its entries it holds:
-- appendHistory() for each message (1 when it is new, 0 for a repeat: a retried or redelivered
-- job, or an id twice in the call; a repeat changes nothing), then applyHistories() once.
-- Both keys of an IP share its hash slot.
local histories = { order = {}, byKey = {} }

local function appendHistory(historyKey, writtenKey, id, entryJson, nowMs)
  if redis.call('ZADD', writtenKey, 'NX', nowMs, id) == 0 then
    return 0
  end
  local history = histories.byKey[historyKey]
  if not history then
    history = { writtenKey = writtenKey, entries = {} }
    histories.byKey[historyKey] = history
    histories.order[#histories.order + 1] = historyKey
  end
  history.entries[#history.entries + 1] = entryJson
  return 1
end

-- Pushes each history's new entries, oldest first so the newest ends up first, then bounds the
-- list and the written ids and renews both TTLs: the ids' own is the longer (the worker passes
-- at least the history's), as they must outlive any job that could write an entry again.
local function applyHistories(maxEntries, ttlSeconds, rememberedIds, writtenTtlSeconds)
  for _, historyKey in ipairs(histories.order) do
    local history = histories.byKey[historyKey]
    redis.call('LPUSH', historyKey, unpack(history.entries))
    redis.call('LTRIM', historyKey, 0, tonumber(maxEntries) - 1)
    redis.call('ZREMRANGEBYRANK', history.writtenKey, 0, -(tonumber(rememberedIds) + 1))
    redis.call('EXPIRE', historyKey, ttlSeconds)
    redis.call('EXPIRE', history.writtenKey, writtenTtlSeconds)
  end
end
