-- Counts one message in the global stats. Every key shares the `{stats}` hash slot.
--
-- k: total, dayTotal, minuteTotal, senders, daySenders, online, dayIps (key names)
-- a: ip, sentAtMs, dayExpireAt, minuteExpireAt (unix s), onlineSinceMs, onlineTtlSeconds,
--    leaderboardSize
local function countMessage(k, a)
  redis.call('INCR', k.total)

  redis.call('INCR', k.dayTotal)
  redis.call('EXPIREAT', k.dayTotal, a.dayExpireAt)
  redis.call('INCR', k.minuteTotal)
  redis.call('EXPIREAT', k.minuteTotal, a.minuteExpireAt)

  -- Leaderboards keep their top `leaderboardSize` senders: bounded, and exact for the top.
  local keep = -(tonumber(a.leaderboardSize) + 1)
  redis.call('ZINCRBY', k.senders, 1, a.ip)
  redis.call('ZREMRANGEBYRANK', k.senders, 0, keep)
  redis.call('ZINCRBY', k.daySenders, 1, a.ip)
  redis.call('ZREMRANGEBYRANK', k.daySenders, 0, keep)
  redis.call('EXPIREAT', k.daySenders, a.dayExpireAt)

  -- GT: a late retry of an older message never moves an IP's last-seen time back.
  redis.call('ZADD', k.online, 'GT', a.sentAtMs, a.ip)
  redis.call('ZREMRANGEBYSCORE', k.online, '-inf', '(' .. a.onlineSinceMs)
  redis.call('EXPIRE', k.online, a.onlineTtlSeconds)

  redis.call('PFADD', k.dayIps, a.ip)
  redis.call('EXPIREAT', k.dayIps, a.dayExpireAt)
end
