-- Counts one message in the global stats. Every key shares the `{stats}` hash slot.
--
-- k: total, dayTotal, minuteTotal, senders, daySenders, online, dayIps (key names)
-- a: ip, sentAtMs, dayExpireAt, minuteExpireAt (unix s), onlineSinceMs, onlineTtlSeconds,
--    leaderboardSize
--
-- This runs once per message, so it skips what cannot have changed: a key's fixed expiry time
-- is set when the key is created (only this script creates them), and a set is trimmed or
-- pruned only when a new member made it grow. Every skip is exact, not sampled.
local function countMessage(k, a)
  redis.call('INCR', k.total)

  if redis.call('INCR', k.dayTotal) == 1 then
    redis.call('EXPIREAT', k.dayTotal, a.dayExpireAt)
  end
  if redis.call('INCR', k.minuteTotal) == 1 then
    redis.call('EXPIREAT', k.minuteTotal, a.minuteExpireAt)
  end

  -- Leaderboards keep their top `leaderboardSize` senders: bounded, and exact for the top.
  -- A score of 1 is a new member (or a new key, after an erasure emptied it).
  local keep = -(tonumber(a.leaderboardSize) + 1)
  if redis.call('ZINCRBY', k.senders, 1, a.ip) == '1' then
    redis.call('ZREMRANGEBYRANK', k.senders, 0, keep)
  end
  if redis.call('ZINCRBY', k.daySenders, 1, a.ip) == '1' then
    redis.call('ZREMRANGEBYRANK', k.daySenders, 0, keep)
    redis.call('EXPIREAT', k.daySenders, a.dayExpireAt)
  end

  -- GT: a late retry of an older message never moves an IP's last-seen time back. The set
  -- grows only when an IP joins (ZADD answers 1): prune then; reads prune too.
  if redis.call('ZADD', k.online, 'GT', a.sentAtMs, a.ip) == 1 then
    redis.call('ZREMRANGEBYSCORE', k.online, '-inf', '(' .. a.onlineSinceMs)
  end
  redis.call('EXPIRE', k.online, a.onlineTtlSeconds)

  -- PFADD answers 1 whenever it creates the key.
  if redis.call('PFADD', k.dayIps, a.ip) == 1 then
    redis.call('EXPIREAT', k.dayIps, a.dayExpireAt)
  end
end

-- countMessage with its arguments in the calling script's KEYS and ARGV: the seven keys from
-- KEYS[keyAt] and the seven values from ARGV[argAt], in the order listed above, so each entry
-- script states only where they start.
local function countMessageAt(keyAt, argAt)
  countMessage(
    { total = KEYS[keyAt], dayTotal = KEYS[keyAt + 1], minuteTotal = KEYS[keyAt + 2], senders = KEYS[keyAt + 3],
      daySenders = KEYS[keyAt + 4], online = KEYS[keyAt + 5], dayIps = KEYS[keyAt + 6] },
    { ip = ARGV[argAt], sentAtMs = ARGV[argAt + 1], dayExpireAt = ARGV[argAt + 2], minuteExpireAt = ARGV[argAt + 3],
      onlineSinceMs = ARGV[argAt + 4], onlineTtlSeconds = ARGV[argAt + 5], leaderboardSize = ARGV[argAt + 6] })
end
