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

-- countMessage with its arguments in the calling script's KEYS and ARGV, for scripts that count
-- many messages in one call: the seven keys from KEYS[keyAt]; ip, sentAtMs, dayExpireAt and
-- minuteExpireAt from ARGV[messageArgAt]; onlineSinceMs, onlineTtlSeconds and leaderboardSize,
-- the same for every message of a call, from ARGV[sharedArgAt]. Each script then states only
-- where they start.
local function countMessageAt(keyAt, messageArgAt, sharedArgAt)
  countMessage(
    { total = KEYS[keyAt], dayTotal = KEYS[keyAt + 1], minuteTotal = KEYS[keyAt + 2], senders = KEYS[keyAt + 3],
      daySenders = KEYS[keyAt + 4], online = KEYS[keyAt + 5], dayIps = KEYS[keyAt + 6] },
    { ip = ARGV[messageArgAt], sentAtMs = ARGV[messageArgAt + 1], dayExpireAt = ARGV[messageArgAt + 2],
      minuteExpireAt = ARGV[messageArgAt + 3], onlineSinceMs = ARGV[sharedArgAt],
      onlineTtlSeconds = ARGV[sharedArgAt + 1], leaderboardSize = ARGV[sharedArgAt + 2] })
end
