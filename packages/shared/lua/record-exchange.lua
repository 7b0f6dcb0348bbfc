-- Appends one exchange to an IP's history, exactly once per message id.
--
-- KEYS[1] history list (newest first)   KEYS[2] written-ids zset
-- ARGV[1] message id   ARGV[2] entry JSON   ARGV[3] max entries   ARGV[4] TTL seconds
-- ARGV[5] now (ms)     ARGV[6] how many written ids to remember
--
-- Returns 1 when the entry was written, 0 when this id had been written before (a retried
-- or redelivered job), in which case nothing changes.
if redis.call('ZADD', KEYS[2], 'NX', ARGV[5], ARGV[1]) == 0 then
  return 0
end
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[6]) + 1))
redis.call('LPUSH', KEYS[1], ARGV[2])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[3]) - 1)
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
