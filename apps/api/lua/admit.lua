-- Admits a group of messages in one step, in order: each message's rate limit (GCRA), then,
-- if it was admitted and has an Idempotency-Key, the key's claim (SET NX, answering the value
-- the key held). Taken in order, two messages of one IP share its budget exactly, and a key
-- claimed earlier in the group is seen as claimed by a later message with the same key.
--
-- KEYS: per message, in order: its rate key if its rate flag is 1, then its idempotency key if
--       its claim value is not empty
-- ARGV[1] limit per period  ARGV[2] period (ms)  ARGV[3] idempotency key TTL (s)
-- ARGV[2i + 2] message i's rate flag (1: take from its budget)  ARGV[2i + 3] its claim value
--       ('' when it has no key), for i = 1..n
-- Returns per message {allowed (1|0), remaining, retry after (ms), reset (ms), the value its
-- key held before ('' when none, or not claimed)}
--- @include "includes/gcra.lua"

local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local verdicts = {}
local key = 1
for arg = 4, #ARGV, 2 do
  local allowed, remaining, retryAfter, reset = 1, 0, 0, 0
  if ARGV[arg] == '1' then
    allowed, remaining, retryAfter, reset = gcraTake(KEYS[key], limit, period, now)
    key = key + 1
  end
  local previous = ''
  if ARGV[arg + 1] ~= '' then
    if allowed == 1 then
      previous = redis.call('GET', KEYS[key]) or ''
      if previous == '' then
        redis.call('SET', KEYS[key], ARGV[arg + 1], 'EX', ARGV[3])
      end
    end
    key = key + 1
  end
  verdicts[#verdicts + 1] = { allowed, remaining, retryAfter, reset, previous }
end
return verdicts
