-- Redis Cluster, step 1 of recording messages (see ExchangeRecorder): the per-IP part, atomic
-- in one slot for every message of the call (their IPs' keys all hash to that slot). Writes
-- each entry unless its id was written before, and marks a new one as not yet counted; an
-- answer to a message recorded failed replaces its failed entry once, and is not counted again
-- (see append-history.lua).
--
-- Message n (from 0) has 4 keys from KEYS[4n + 1]: history, written ids, failed ids, ids not
--   yet counted
-- ARGV[1] max entries  ARGV[2] history TTL s  ARGV[3] now ms  ARGV[4] ids to remember
-- ARGV[5] ids' TTL s  ARGV[6] failed ids to remember
-- Message n has 4 values from ARGV[4n + 7]: id, entry JSON, completions channel (a new or
--   replacing entry is published there), 1 if it failed else 0
--
-- Returns one {written, toCount} per message: written 0/1/2 as appendHistory answers, toCount
-- 1/0. toCount stays 1 for a repeat whose counting never finished (the worker died between the
-- steps), so the retry completes it.
--- @include "includes/append-history.lua"

local count = #KEYS / 4
if count ~= math.floor(count) or #ARGV ~= 6 + 4 * count then
  return redis.error_reply('record-history: expected 4 keys and 4 values per message')
end

local results = {}
for n = 0, count - 1 do
  local keyAt, argAt = 4 * n + 1, 4 * n + 7
  local uncounted, id, entryJson = KEYS[keyAt + 3], ARGV[argAt], ARGV[argAt + 1]
  local written = appendHistory(KEYS[keyAt], KEYS[keyAt + 1], KEYS[keyAt + 2], id, entryJson, ARGV[argAt + 3] == '1', ARGV[3])
  if written == 1 then
    redis.call('SADD', uncounted, id)
    redis.call('EXPIRE', uncounted, ARGV[2])
  end
  if written ~= 0 then
    redis.call('PUBLISH', ARGV[argAt + 2], entryJson)
  end
  results[n + 1] = { written, redis.call('SISMEMBER', uncounted, id) }
end
applyHistories(ARGV[1], ARGV[2], ARGV[4], ARGV[5], ARGV[6])
return results
