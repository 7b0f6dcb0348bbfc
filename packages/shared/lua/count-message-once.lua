-- Redis Cluster, step 2 of recording a message (see ExchangeRecorder): the counters, atomic in
-- the `{stats}` slot, once per message id. The id stays in the counting set until the worker
-- has cleared the IP's not-yet-counted mark (step 3) and then this entry (step 4), so a retry
-- after a crash between the steps never counts twice. Entries a crash left behind are dropped
-- after ARGV[3] ms.
--
-- KEYS[1] counting ids (zset)   KEYS[2..8] as in record-exchange.lua's KEYS[3..9]
-- ARGV[1] id  ARGV[2] now ms  ARGV[3] keep crash leftovers (ms)  ARGV[4..10] as in
-- record-exchange.lua's ARGV[7..13]
--- @include "includes/count-message.lua"

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (tonumber(ARGV[2]) - tonumber(ARGV[3])))
if redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1]) == 0 then
  return 0
end
countMessageAt(2, 4)
return 1
