-- spamguard: begin a check. Atomically read a sender's window and append the new post.
-- One call per checked message. Times are the caller's clock (never Redis's), so this
-- store and the in-memory one give the same answers; key TTLs only free memory.
--
-- KEYS: 1 concluded, 2 session hash, 3 transaction order, 4 events, 5 texts, 6 strikes
-- ARGV: 1 now, 2 session expiry, 3 idle ttl ms, 4 has transaction id ("1"/"0"),
--       5 transaction id, 6 max transactions, 7 sender member, 8 oldest kept event time,
--       9 oldest kept strike time, 10 max events, 11 texts kept, 12 event, 13 event text,
--       14 window ttl ms
-- Returns {1} concluded, {2, outcome} a retried transaction, or
--         {0, strikes, events (oldest first), texts of the newest events}.

local now = tonumber(ARGV[1])
local concluded = redis.call('GET', KEYS[1])
if concluded then
  if tonumber(concluded) > now then
    return {1}
  end
  redis.call('DEL', KEYS[1])
end

local expires = redis.call('HGET', KEYS[2], '@')
if expires and tonumber(expires) <= now then
  wipe_session(KEYS[2], KEYS[3])
end
redis.call('HSET', KEYS[2], '@', ARGV[2], 'm' .. ARGV[7], '1')
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])

if ARGV[4] == '1' then
  local field = 't' .. ARGV[5]
  local recorded = redis.call('HGET', KEYS[2], field)
  if recorded then
    return {2, recorded}
  end
  redis.call('HSET', KEYS[2], field, 'allow')
  if redis.call('RPUSH', KEYS[3], ARGV[5]) > tonumber(ARGV[6]) then
    redis.call('HDEL', KEYS[2], 't' .. redis.call('LPOP', KEYS[3]))
  end
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
end

-- The window: drop posts that fell out of it (each post is dropped once: O(1) amortised).
local events = redis.call('LRANGE', KEYS[4], 0, -1)
local oldest = tonumber(ARGV[8])
local first = 1
while events[first] and tonumber(string.match(events[first], '^[^|]+')) <= oldest do
  first = first + 1
end
local window = {}
for i = first, #events do
  window[#window + 1] = events[i]
end
local texts_kept = tonumber(ARGV[11])
local texts = {}
if texts_kept > 0 then
  texts = redis.call('LRANGE', KEYS[5], 0, -1)
end

local kept = math.min(#window + 1, tonumber(ARGV[10]))
if kept > 0 then
  redis.call('RPUSH', KEYS[4], ARGV[12])
  redis.call('LTRIM', KEYS[4], -kept, -1)
  redis.call('PEXPIRE', KEYS[4], ARGV[14])
else
  redis.call('DEL', KEYS[4])
end
if texts_kept > 0 then
  redis.call('RPUSH', KEYS[5], ARGV[13])
  redis.call('LTRIM', KEYS[5], -texts_kept, -1)
  redis.call('PEXPIRE', KEYS[5], ARGV[14])
else
  redis.call('DEL', KEYS[5])
end

local strikes = redis.call('LRANGE', KEYS[6], 0, -1)
local strike_oldest = tonumber(ARGV[9])
local dropped = 0
while strikes[dropped + 1] and tonumber(strikes[dropped + 1]) <= strike_oldest do
  dropped = dropped + 1
end
if dropped > 0 then
  redis.call('LTRIM', KEYS[6], dropped, -1)
end

return {0, #strikes - dropped, window, texts}
