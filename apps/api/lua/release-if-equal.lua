-- Deletes KEYS[1] only while it still holds ARGV[1]: a request releases its own claim, never
-- one that another request has taken since.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
