-- spamguard: settle a check that blocked or terminated.
--
-- KEYS: 1 session hash
-- ARGV: 1 sender member, 2 "terminate" or "block", 3 numbers: now, concluded until,
--       concluded ttl ms, strikes kept (-1: the outcome is no strike) (doubles), 4 outcome, 5 transaction id (absent
--       when none)
-- Returns 1 when something was recorded, 0 when the session was gone.

local session = KEYS[1]
if ARGV[2] == 'terminate' then
  -- Nothing of the live state is needed any more: every later post is refused.
  wipe_session(session)
  redis.call('HSET', session, 'c', string.sub(ARGV[3], 9, 16))
  redis.call('PEXPIRE', session, (struct.unpack('<d', ARGV[3], 17)))
  return 1
end

local strike_field = 'k' .. ARGV[1]
local tx = ARGV[5]
local fields
if tx then
  fields = redis.call('HMGET', session, '@', strike_field, 'm' .. ARGV[1], 't' .. tx)
else
  fields = redis.call('HMGET', session, '@', strike_field, 'm' .. ARGV[1])
end
if not fields[1] then
  return 0
end
local changes = {}
if fields[4] then
  -- The outcome stays after the fingerprint of the post it judged (see begin.lua).
  changes[1] = 't' .. tx
  changes[2] = string.sub(fields[4], 1, 8) .. ARGV[4]
end
local kept = struct.unpack('<d', ARGV[3], 25)
if kept > 0 and not fields[3] then
  -- The sender was evicted by the senders cap since its post began: a strike now would
  -- outlive it, uncounted by the cap.
  kept = -1
end
if kept > 0 then
  -- The session hash lives an idle TTL (at least the strike window) past the newest
  -- post, so a strike needs no TTL of its own.
  local strikes = (fields[2] or '') .. string.sub(ARGV[3], 1, 8)
  local excess = #strikes / 8 - kept
  if excess > 0 then
    strikes = string.sub(strikes, 8 * excess + 1)
  end
  changes[#changes + 1] = strike_field
  changes[#changes + 1] = strikes
elseif kept == 0 and fields[2] then
  redis.call('HDEL', session, strike_field)
end
if #changes > 0 then
  redis.call('HSET', session, unpack(changes))
end
return 1
