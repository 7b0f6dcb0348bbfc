-- Redis Cluster, step 1 of recording messages (see ExchangeRecorder): the per-IP part, atomic
-- in one slot for every message of the call (their IPs' keys all hash to that slot). Writes
-- each entry unless its id was written before, and marks a new one as not yet counted.
--
-- Message n (from 0) has 3 keys from KEYS[3n + 1]: history, written ids, ids not yet counted
-- ARGV[1] max entries  ARGV[2] history TTL s  ARGV[3] now ms  ARGV[4] ids to remember
-- ARGV[5] written ids' TTL s
-- Message n has 3 values from ARGV[3n + 6]: id, entry JSON, completions channel (a new entry
-- is published there)
--
-- Returns one {written, toCount} per message, 1/0 each. toCount stays 1 for a repeat whose
-- counting never finished (the worker died between the steps), so the retry completes it.
--- @include "includes/append-history.lua"

local count = #KEYS / 3
if count ~= math.floor(count) or #ARGV ~= 5 + 3 * count then
  return redis.error_reply('record-history: expected 3 keys and 3 values per message')
end

local results = {}
for n = 0, count - 1 do
  local keyAt, argAt = 3 * n + 1, 3 * n + 6
  local uncounted, id, entryJson = KEYS[keyAt + 2], ARGV[argAt], ARGV[argAt + 1]
  local written = appendHistory(KEYS[keyAt], KEYS[keyAt + 1], id, entryJson, ARGV[3])
  if written == 1 then
    redis.call('SADD', uncounted, id)
    redis.call('EXPIRE', uncounted, ARGV[2])
    redis.call('PUBLISH', ARGV[argAt + 2], entryJson)
  end
  results[n + 1] = { written, redis.call('SISMEMBER', uncounted, id) }
end
applyHistories(ARGV[1], ARGV[2], ARGV[4], ARGV[5])
return results
