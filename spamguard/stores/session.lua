-- spamguard: shared by every script (prepended when the scripts are loaded).
--
-- A session is one hash, <base>:s, and each of its senders one string, <base>:p:<member>.
-- Numbers are little-endian binary; times are IEEE doubles, never text, so comparisons
-- here are the in-memory store's, bit for bit.
--
-- Session hash fields:
--   '@'          the session's expiry on the caller's clock (double)
--   'c'          concluded until (double); a concluded session holds nothing else
--   'm'<member>  the sender has (or had) a posts string: the time of its newest post
--                (double); wipe_session and evict_idlest_sender find them here
--   'n'          how many 'm' fields there are (uint32), at most the senders cap
--   'k'<member>  the sender's strike times, oldest first (doubles)
--   't'<id>      the outcome of client transaction <id>: the fingerprint of the post it
--                judged (uint64), then "action|code,code"
--   'q'          the transactions' sequence numbers: oldest, next (uint32 each)
--   'i'<seq>     the id of transaction number <seq> (uint32), so the oldest is forgotten
-- A sender's posts string: counts of posts n and texts m (uint32 each), then the n post
-- times (doubles), fingerprints (uint64) and lengths (uint32), column by column, oldest
-- first, then the normalised texts of the newest m posts (m <= n), each followed by
-- "\255" (a byte UTF-8 never holds).

-- Delete a session's live state: its senders' posts and its hash.
local function wipe_session(session_key)
  local base = string.sub(session_key, 1, -3)
  for _, field in ipairs(redis.call('HKEYS', session_key)) do
    if string.byte(field, 1) == 109 then -- 'm'
      redis.call('DEL', base .. ':p:' .. string.sub(field, 2))
    end
  end
  redis.call('DEL', session_key)
end

-- Forget the sender whose newest post is the oldest: its posts and its strikes. Only a
-- session at its senders cap pays this scan of its hash.
local function evict_idlest_sender(session_key)
  local victim, idlest = false, 0
  local all = redis.call('HGETALL', session_key)
  for i = 1, #all, 2 do
    local field, value = all[i], all[i + 1]
    if string.byte(field, 1) == 109 then -- 'm'
      local newest = -math.huge
      if #value == 8 then
        newest = struct.unpack('<d', value)
      end
      if not victim or newest < idlest then
        victim, idlest = string.sub(field, 2), newest
      end
    end
  end
  if victim then
    redis.call('DEL', string.sub(session_key, 1, -3) .. ':p:' .. victim)
    redis.call('HDEL', session_key, 'm' .. victim, 'k' .. victim)
  end
end
