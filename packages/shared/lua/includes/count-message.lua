-- Counts messages in the global stats, in two steps so a call touches each key once however
-- many of its messages the key counts: tallyMessageAt() for each message, then applyTally()
-- once. Every key shares the `{stats}` hash slot.
--
-- Per message, keys: total, dayTotal, minuteTotal, senders, daySenders, online, dayIps
--              values: ip, sentAtMs, dayExpireAt, minuteExpireAt (unix s)
-- Per call: onlineSinceMs, onlineTtlSeconds, leaderboardSize
--
-- Every skip below is exact, not sampled: a key's fixed expiry time is set when the key is
-- created (only these scripts create them), and a set is trimmed or pruned only when a new
-- member made it grow.
local tally = { messages = 0, order = {}, byKey = {} }

-- The tally of one key: what kind of key, and what this call adds to it.
local function tallyOf(key, kind, expireAt)
  local entry = tally.byKey[key]
  if not entry then
    entry = { kind = kind, expireAt = expireAt, count = 0, members = {}, memberOrder = {} }
    tally.byKey[key] = entry
    tally.order[#tally.order + 1] = key
  end
  return entry
end

-- Adds `value` to `member` of a key's tally (a count, or for the online set the latest time).
local function addMember(entry, member, value, latest)
  local current = entry.members[member]
  if current == nil then
    entry.memberOrder[#entry.memberOrder + 1] = member
    entry.members[member] = value
  elseif latest then
    if value > current then entry.members[member] = value end
  else
    entry.members[member] = current + value
  end
end

-- The message whose seven keys start at KEYS[keyAt] and four values at ARGV[argAt].
local function tallyMessageAt(keyAt, argAt)
  local ip, sentAtMs = ARGV[argAt], tonumber(ARGV[argAt + 1])
  local dayExpireAt, minuteExpireAt = ARGV[argAt + 2], ARGV[argAt + 3]
  tally.messages = tally.messages + 1
  tally.total = KEYS[keyAt]
  local day, minute = tallyOf(KEYS[keyAt + 1], 'counter', dayExpireAt), tallyOf(KEYS[keyAt + 2], 'counter', minuteExpireAt)
  day.count = day.count + 1
  minute.count = minute.count + 1
  addMember(tallyOf(KEYS[keyAt + 3], 'leaderboard', nil), ip, 1, false)
  addMember(tallyOf(KEYS[keyAt + 4], 'leaderboard', dayExpireAt), ip, 1, false)
  addMember(tallyOf(KEYS[keyAt + 5], 'online', nil), ip, sentAtMs, true)
  addMember(tallyOf(KEYS[keyAt + 6], 'ips', dayExpireAt), ip, 1, true)
end

local function applyTally(onlineSinceMs, onlineTtlSeconds, leaderboardSize)
  if tally.messages == 0 then return end
  redis.call('INCRBY', tally.total, tally.messages)
  local keep = -(tonumber(leaderboardSize) + 1)
  for _, key in ipairs(tally.order) do
    local entry = tally.byKey[key]
    if entry.kind == 'counter' then
      -- INCRBY answers the count itself when it created the key.
      if redis.call('INCRBY', key, entry.count) == entry.count then
        redis.call('EXPIREAT', key, entry.expireAt)
      end
    elseif entry.kind == 'leaderboard' then
      -- Leaderboards keep their top `leaderboardSize` senders: bounded, and exact for the top.
      -- A score equal to the increment is a new member (or a new key, after an erasure).
      local grew = false
      for _, ip in ipairs(entry.memberOrder) do
        if tonumber(redis.call('ZINCRBY', key, entry.members[ip], ip)) == entry.members[ip] then grew = true end
      end
      if grew then
        redis.call('ZREMRANGEBYRANK', key, 0, keep)
        if entry.expireAt then redis.call('EXPIREAT', key, entry.expireAt) end
      end
    elseif entry.kind == 'online' then
      -- GT: a late retry of an older message never moves an IP's last-seen time back. The set
      -- grows only when an IP joins: prune then; reads prune too.
      local grew = false
      for _, ip in ipairs(entry.memberOrder) do
        if redis.call('ZADD', key, 'GT', entry.members[ip], ip) == 1 then grew = true end
      end
      if grew then redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. onlineSinceMs) end
      redis.call('EXPIRE', key, onlineTtlSeconds)
    else
      -- PFADD answers 1 whenever it creates the key.
      if redis.call('PFADD', key, unpack(entry.memberOrder)) == 1 then
        redis.call('EXPIREAT', key, entry.expireAt)
      end
    end
  end
end
