-- Redis Cluster, step 1 of recording a message (see ExchangeRecorder): the per-IP part, atomic
-- in the IP's slot. Writes the entry unless the id was written before, and marks a new one as
-- not yet counted.
--
-- KEYS[1] history   KEYS[2] written ids   KEYS[3] ids not yet counted
-- ARGV[1] id  ARGV[2] entry JSON  ARGV[3] max entries  ARGV[4] history TTL s  ARGV[5] now ms
-- ARGV[6] ids to remember  ARGV[7] completions channel (a new entry is published there)
--
-- Returns {written, toCount}: 1/0 each. toCount stays 1 for a repeat whose counting never
-- finished (the worker died between the steps), so the retry completes it.
--- @include "includes/append-history.lua"

local written = appendHistory(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
if written == 1 then
  redis.call('SADD', KEYS[3], ARGV[1])
  redis.call('EXPIRE', KEYS[3], ARGV[4])
  redis.call('PUBLISH', ARGV[7], ARGV[2])
end
return { written, redis.call('SISMEMBER', KEYS[3], ARGV[1]) }
