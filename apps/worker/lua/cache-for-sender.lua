-- Caches an answer for one sender only: a field of the sender's cache hash, with its own expiry
-- inside the entry (a hash field has no TTL before Redis 7.4). The hash itself expires once its
-- longest-lived entry has, and never holds more than ARGV[4] entries: a full hash starts over,
-- which costs only cache misses.
--
-- KEYS[1] the sender's cache (hash)
-- ARGV[1] the text's hash (field)   ARGV[2] the entry (JSON)   ARGV[3] its TTL (s)
-- ARGV[4] the most entries the hash holds
local ttl = tonumber(ARGV[3])
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then
  redis.call('DEL', KEYS[1])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
-- TTL is -1 on a hash just created: every entry lives at most RESPONSE_CACHE_TTL_SECONDS.
if redis.call('TTL', KEYS[1]) < ttl then
  redis.call('EXPIRE', KEYS[1], ttl)
end
return 1
