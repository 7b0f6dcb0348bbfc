-- Appends exchanges to IPs' histories, exactly once per message id, in two steps so a call
-- touches each history once however many of its entries it holds: appendHistory() for each
-- message, then applyHistories() once. An IP's keys share its hash slot.
--
-- appendHistory() answers
--   1 for a new message: its entry is appended (the caller counts and publishes it);
--   2 for a message recorded failed that has now been answered (a retry, e.g. from the
--     dashboard): its failed entry is replaced by the answer, once (the caller publishes it,
--     and counts nothing: the message was counted when it failed);
--   0 for anything else, which changes nothing: a repeat (a retried or redelivered job, or an id
--     twice in the call), a failure of a message already recorded, or an answer to a failed
--     message whose entry is no longer in the history (erased, trimmed or expired).
-- Never the reverse: a failure never replaces an answer.
local histories = { order = {}, byKey = {} }

local function historyOf(historyKey, writtenKey, failedKey)
  local history = histories.byKey[historyKey]
  if not history then
    history = { writtenKey = writtenKey, failedKey = failedKey, entries = {}, failedChanged = false }
    histories.byKey[historyKey] = history
    histories.order[#histories.order + 1] = historyKey
  end
  return history
end

-- The stored entry of message `id`, as its JSON text. Inside a string value a quote is escaped,
-- so `"id":"<id>"` only matches the entry's own id field. Read a page at a time, newest first:
-- a retried message is usually recent, and a long history of long messages is never copied
-- whole into the script.
local ENTRIES_PER_PAGE = 50

local function storedEntry(historyKey, id)
  local marker = '"id":' .. cjson.encode(id)
  local from = 0
  while true do
    local page = redis.call('LRANGE', historyKey, from, from + ENTRIES_PER_PAGE - 1)
    for _, entryJson in ipairs(page) do
      if string.find(entryJson, marker, 1, true) then return entryJson end
    end
    if #page < ENTRIES_PER_PAGE then return nil end
    from = from + ENTRIES_PER_PAGE
  end
end

local function appendHistory(historyKey, writtenKey, failedKey, id, entryJson, isFailure, nowMs)
  if redis.call('ZSCORE', failedKey, id) then
    if isFailure then return 0 end
    local failedEntry = storedEntry(historyKey, id)
    if not failedEntry then return 0 end
    redis.call('LREM', historyKey, 1, failedEntry)
    redis.call('ZREM', failedKey, id)
    redis.call('ZADD', writtenKey, nowMs, id)
    local history = historyOf(historyKey, writtenKey, failedKey)
    history.entries[#history.entries + 1] = entryJson
    return 2
  end
  if redis.call('ZADD', writtenKey, 'NX', nowMs, id) == 0 then
    return 0
  end
  local history = historyOf(historyKey, writtenKey, failedKey)
  history.entries[#history.entries + 1] = entryJson
  if isFailure then
    redis.call('ZADD', failedKey, nowMs, id)
    history.failedChanged = true
  end
  return 1
end

-- Pushes each history's new entries, oldest first so the newest ends up first, then bounds the
-- list and the ids and renews the TTLs: the ids' own is the longer (the worker passes at least
-- the history's), as they must outlive any job that could write an entry again.
local function applyHistories(maxEntries, ttlSeconds, rememberedIds, idsTtlSeconds, rememberedFailedIds)
  for _, historyKey in ipairs(histories.order) do
    local history = histories.byKey[historyKey]
    redis.call('LPUSH', historyKey, unpack(history.entries))
    redis.call('LTRIM', historyKey, 0, tonumber(maxEntries) - 1)
    redis.call('ZREMRANGEBYRANK', history.writtenKey, 0, -(tonumber(rememberedIds) + 1))
    redis.call('EXPIRE', historyKey, ttlSeconds)
    redis.call('EXPIRE', history.writtenKey, idsTtlSeconds)
    if history.failedChanged then
      redis.call('ZREMRANGEBYRANK', history.failedKey, 0, -(tonumber(rememberedFailedIds) + 1))
      redis.call('EXPIRE', history.failedKey, idsTtlSeconds)
    end
  end
end
