-- Writes one finished message: the history entry, and the counters it feeds, in one atomic
-- step and exactly once per message id (a repeat changes nothing and counts nothing).
--
-- KEYS[1] history   KEYS[2] written ids   (the IP's slot)
-- KEYS[3..9] total, day total, minute total, senders, day senders, online, day IPs ({stats})
-- ARGV[1] id  ARGV[2] entry JSON  ARGV[3] max entries  ARGV[4] history TTL s  ARGV[5] now ms
-- ARGV[6] ids to remember  ARGV[7] ip  ARGV[8] sent at ms  ARGV[9] day expire-at (unix s)
-- ARGV[10] minute expire-at (unix s)  ARGV[11] online since ms  ARGV[12] online TTL s
-- ARGV[13] leaderboard size  ARGV[14] completions channel (the entry is published there)
--
--- @include "includes/append-history.lua"
--- @include "includes/count-message.lua"

if appendHistory(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]) == 0 then
  return 0
end
countMessage(
  { total = KEYS[3], dayTotal = KEYS[4], minuteTotal = KEYS[5], senders = KEYS[6],
    daySenders = KEYS[7], online = KEYS[8], dayIps = KEYS[9] },
  { ip = ARGV[7], sentAtMs = ARGV[8], dayExpireAt = ARGV[9], minuteExpireAt = ARGV[10],
    onlineSinceMs = ARGV[11], onlineTtlSeconds = ARGV[12], leaderboardSize = ARGV[13] })
redis.call('PUBLISH', ARGV[14], ARGV[2])
return 1
