-- spamguard: shared by every script (prepended when the scripts are loaded).
--
-- A session is one hash, <base>:s, and each of its senders one string, <base>:p:<member>.
-- Numbers are little-endian binary; times are IEEE doubles, never text, so comparisons
-- here are the in-memory store's, bit for bit.
--
-- Session hash fields:
--   '@'          the session's expiry on the caller's clock (double)
--   'c'          concluded until (double); a concluded session holds nothing else
--   'm'<member>  the sender has a posts string (wipe_session finds them here)
--   'k'<member>  the sender's strike times, oldest first (doubles)
--   't'<id>      the outcome of client transaction <id>: "action|code,code"
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
