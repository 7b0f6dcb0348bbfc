-- Writes finished messages, many in one call: each one's history entry and the counters it
-- feeds, atomically and exactly once per message id. A repeat (a retried or redelivered job, or
-- the same id twice in this call) changes nothing and counts nothing.
--
-- Message n (from 0) has 9 keys from KEYS[9n + 1]:
--   history, written ids (the IP's slot); total, day total, minute total, senders, day senders,
--   online, day IPs ({stats})
-- ARGV[1] max entries  ARGV[2] history TTL s  ARGV[3] now ms  ARGV[4] ids to remember
-- ARGV[5] written ids' TTL s  ARGV[6] online since ms  ARGV[7] online TTL s
-- ARGV[8] leaderboard size   (every message's)
-- Message n has 7 values from ARGV[7n + 9]:
--   id, entry JSON, completions channel (the entry is published there), ip, sent at ms,
--   day expire-at, minute expire-at (unix s)
--
-- Returns one 1/0 per message: 1 when this call wrote it.
--- @include "includes/append-history.lua"
--- @include "includes/count-message.lua"

local count = #KEYS / 9
if count ~= math.floor(count) or #ARGV ~= 8 + 7 * count then
  return redis.error_reply('record-exchanges: expected 9 keys and 7 values per message')
end

local written = {}
for n = 0, count - 1 do
  local keyAt, argAt = 9 * n + 1, 7 * n + 9
  local entryJson = ARGV[argAt + 1]
  written[n + 1] = appendHistory(KEYS[keyAt], KEYS[keyAt + 1], ARGV[argAt], entryJson, ARGV[3])
  if written[n + 1] == 1 then
    tallyMessageAt(keyAt + 2, argAt + 3)
    redis.call('PUBLISH', ARGV[argAt + 2], entryJson)
  end
end
applyHistories(ARGV[1], ARGV[2], ARGV[4], ARGV[5])
applyTally(ARGV[6], ARGV[7], ARGV[8])
return written
