-- spamguard: settle a check that blocked or terminated.
--
-- KEYS: 1 concluded, 2 session hash, 3 transaction order, 4 strikes
-- ARGV: 1 action ("block"/"terminate"), 2 outcome, 3 has transaction id ("1"/"0"),
--       4 transaction id, 5 now, 6 concluded until, 7 concluded ttl ms,
--       8 strike ttl ms, 9 strikes kept
-- Returns 1 when something was recorded, 0 when the session was gone.

if ARGV[1] == 'terminate' then
  -- Nothing of the live state is needed any more: every later post is refused.
  wipe_session(KEYS[2], KEYS[3])
  redis.call('SET', KEYS[1], ARGV[6], 'PX', ARGV[7])
  return 1
end

if redis.call('EXISTS', KEYS[2]) == 0 then
  return 0
end
if ARGV[3] == '1' then
  local field = 't' .. ARGV[4]
  if redis.call('HEXISTS', KEYS[2], field) == 1 then
    redis.call('HSET', KEYS[2], field, ARGV[2])
  end
end
local kept = tonumber(ARGV[9])
if kept > 0 then
  redis.call('RPUSH', KEYS[4], ARGV[5])
  redis.call('LTRIM', KEYS[4], -kept, -1)
  -- Only a new strike extends this key's life: allowed posts never do.
  redis.call('PEXPIRE', KEYS[4], ARGV[8])
end
return 1
