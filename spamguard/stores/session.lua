-- spamguard: shared by every script (prepended when the scripts are loaded).
-- A session's keys are <base>:c, <base>:s and <base>:o, and per sender member
-- <base>:e:<member>, <base>:n:<member> and <base>:k:<member>; the session hash names
-- its senders as fields "m<member>".

-- Delete a session's live state: its senders' keys, its hash and its transaction order.
local function wipe_session(session_key, order_key)
  local base = string.sub(session_key, 1, -3)
  for _, field in ipairs(redis.call('HKEYS', session_key)) do
    if string.sub(field, 1, 1) == 'm' then
      local member = string.sub(field, 2)
      redis.call('DEL', base .. ':e:' .. member, base .. ':n:' .. member, base .. ':k:' .. member)
    end
  end
  redis.call('DEL', session_key, order_key)
end
