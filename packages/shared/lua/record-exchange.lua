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
countMessageAt(3, 7)
redis.call('PUBLISH', ARGV[14], ARGV[2])
return 1
