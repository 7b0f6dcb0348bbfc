-- Redis Cluster, step 2 of recording messages (see ExchangeRecorder): the counters, atomic in
-- the `{stats}` slot, once per message id, for every message of the call. An id stays in the
-- counting set until the worker has cleared its IP's not-yet-counted mark (step 3) and then
-- this entry (step 4), so a retry after a crash between the steps never counts twice. Entries
-- a crash left behind are dropped after ARGV[2] ms.
--
-- KEYS[1] counting ids (zset); message n (from 0) has 7 keys from KEYS[7n + 2]: total, day
--   total, minute total, senders, day senders, online, day IPs
-- ARGV[1] now ms  ARGV[2] keep crash leftovers (ms)  ARGV[3] online since ms
-- ARGV[4] online TTL s  ARGV[5] leaderboard size   (every message's)
-- Message n has 5 values from ARGV[5n + 6]: id, ip, sent at ms, day expire-at, minute
--   expire-at (unix s)
--
-- Returns one 1/0 per message: 1 when this call counted it (an id twice in the call counts once).
--- @include "includes/count-message.lua"

local count = (#KEYS - 1) / 7
if count ~= math.floor(count) or #ARGV ~= 5 + 5 * count then
  return redis.error_reply('count-message-once: expected 7 keys and 5 values per message')
end

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (tonumber(ARGV[1]) - tonumber(ARGV[2])))
local counted = {}
for n = 0, count - 1 do
  local argAt = 5 * n + 6
  counted[n + 1] = redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[argAt])
  if counted[n + 1] == 1 then
    tallyMessageAt(7 * n + 2, argAt + 1)
  end
end
applyTally(ARGV[3], ARGV[4], ARGV[5])
return counted
