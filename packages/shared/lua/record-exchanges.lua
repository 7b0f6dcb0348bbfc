-- Writes finished messages, many in one call: each one's history entry and the counters it
-- feeds, atomically and exactly once per message id. A repeat (a retried or redelivered job, or
-- the same id twice in this call) changes nothing and counts nothing; an answer to a message
-- recorded failed replaces its failed entry once and counts nothing (see append-history.lua).
--
-- Message n (from 0) has 10 keys from KEYS[10n + 1]:
--   history, written ids, failed ids (the IP's slot); total, day total, minute total, senders,
--   day senders, online, day IPs ({stats})
-- ARGV[1] max entries  ARGV[2] history TTL s  ARGV[3] now ms  ARGV[4] ids to remember
-- ARGV[5] ids' TTL s  ARGV[6] failed ids to remember  ARGV[7] online since ms
-- ARGV[8] online TTL s  ARGV[9] leaderboard size   (every message's)
-- Message n has 8 values from ARGV[8n + 10]:
--   id, entry JSON, completions channel (the entry is published there), 1 if it failed else 0,
--   ip, sent at ms, day expire-at, minute expire-at (unix s)
--
-- Returns one 0/1/2 per message: 1 when this call wrote it, 2 when it replaced its failed
-- entry, 0 when it changed nothing.
--- @include "includes/append-history.lua"
--- @include "includes/count-message.lua"

local count = #KEYS / 10
if count ~= math.floor(count) or #ARGV ~= 9 + 8 * count then
  return redis.error_reply('record-exchanges: expected 10 keys and 8 values per message')
end

local written = {}
for n = 0, count - 1 do
  local keyAt, argAt = 10 * n + 1, 8 * n + 10
  local entryJson = ARGV[argAt + 1]
  written[n + 1] = appendHistory(KEYS[keyAt], KEYS[keyAt + 1], KEYS[keyAt + 2], ARGV[argAt], entryJson, ARGV[argAt + 3] == '1', ARGV[3])
  if written[n + 1] == 1 then
    tallyMessageAt(keyAt + 3, argAt + 4)
  end
  if written[n + 1] ~= 0 then
    redis.call('PUBLISH', ARGV[argAt + 2], entryJson)
  end
end
applyHistories(ARGV[1], ARGV[2], ARGV[4], ARGV[5], ARGV[6])
applyTally(ARGV[7], ARGV[8], ARGV[9])
return written
