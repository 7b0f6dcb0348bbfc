-- Takes one from a subject's budget (GCRA), as admit.lua does for messages, for requests that
-- claim nothing else: reads.
--
-- KEYS[1] the subject's rate key
-- ARGV[1] limit per period  ARGV[2] period (ms)
-- Returns {allowed (1|0), remaining, retry after (ms), reset (ms)}
--- @include "includes/gcra.lua"

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local allowed, remaining, retryAfter, reset = gcraTake(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), now)
return { allowed, remaining, retryAfter, reset }
