-- Takes or renews one stream's lease in its client's count of open streams, shared by every API
-- process. Leases end on their own (a process that died never releases its own), so expired
-- ones are dropped before counting.
--
-- KEYS[1] the client's stream leases (sorted set: lease id -> lease end, ms)
-- ARGV[1] lease id  ARGV[2] lease length (ms)  ARGV[3] most leases the client may hold, or 0
--         to renew a lease it holds whatever the count
-- Returns 1 when the lease is held, 0 when the client holds the most it may already.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local max = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if max > 0 and redis.call('ZSCORE', KEYS[1], ARGV[1]) == false and redis.call('ZCARD', KEYS[1]) >= max then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
