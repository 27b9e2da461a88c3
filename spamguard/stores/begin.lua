-- spamguard: begin a check. Atomically read a sender's window and append the new post.
-- One call per checked message. Times are the caller's clock (never Redis's), so this
-- store and the in-memory one give the same answers; key TTLs only free memory.
--
-- KEYS: 1 session hash, 2 the sender's posts
-- ARGV: 1 sender member, 2 numbers, 3 the post's normalised text, 4 client transaction
--       id (absent when none)
-- ARGV[2]: now, session expiry, oldest kept post time, oldest kept strike time, idle
--   ttl ms, window ttl ms, max posts, texts kept, max transactions (doubles); then the
--   post's time (double), fingerprint (uint64) and length (uint32); then the most
--   senders the session keeps (double).
-- Returns "c" concluded, "r" .. outcome for a retried transaction, "x" .. problem when
-- the keys hold something else, or "w" .. strikes and the number of posts that left the
-- window by time (uint32 each) .. the posts string as it was (empty when none): the
-- caller drops those posts, and their texts, itself.

local session, posts, member, numbers, tx = KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[4]
local now, _, oldest, strike_oldest, idle_ms, window_ms, max_events, keys_needed, max_tx =
  struct.unpack('<ddddddddd', numbers)
local max_senders = struct.unpack('<d', numbers, 93)
local strike_field, member_field = 'k' .. member, 'm' .. member

local fields
if tx then
  fields = redis.pcall('HMGET', session, '@', 'c', strike_field, member_field, 'n', 't' .. tx, 'q')
else
  fields = redis.pcall('HMGET', session, '@', 'c', strike_field, member_field, 'n')
end
if fields.err then
  return 'x' .. fields.err
end
local expires, concluded, strikes, seen, senders, recorded, sequence =
  fields[1], fields[2], fields[3], fields[4], fields[5], fields[6], fields[7]
if (expires and #expires ~= 8) or (concluded and #concluded ~= 8)
    or (strikes and #strikes % 8 ~= 0) or (sequence and #sequence ~= 8)
    or (senders and #senders ~= 4) then
  return 'xunreadable session'
end

local fresh = false
if concluded then
  if struct.unpack('<d', concluded) > now then
    return 'c'
  end
  fresh = true
elseif expires and struct.unpack('<d', expires) <= now then
  fresh = true
end
if fresh then
  wipe_session(session)
  strikes, recorded, sequence, seen, senders = false, false, false, false, false
end

local expiry = string.sub(numbers, 9, 16)
local fingerprint = string.sub(numbers, 81, 88)
-- A recorded outcome is kept after the fingerprint of the post it judged: only the same
-- text is a retry. Another text under a known id is judged as a new post (else any post
-- could reuse an allowed post's id and get its "allow"); the id, in its old place in
-- the order, then stands for it.
local known = false
if recorded then
  if string.sub(recorded, 1, 8) == fingerprint then
    redis.call('HSET', session, '@', expiry)
    redis.call('PEXPIRE', session, idle_ms)
    return 'r' .. string.sub(recorded, 9)
  end
  known = true
end
local changes = {'@', expiry}

-- Strikes that decayed are dropped (each once).
local strike_count = 0
if strikes then
  local total = #strikes / 8
  local gone = 0
  while gone < total and struct.unpack('<d', strikes, 8 * gone + 1) <= strike_oldest do
    gone = gone + 1
  end
  strike_count = total - gone
  if gone > 0 then
    if strike_count > 0 then
      changes[#changes + 1] = strike_field
      changes[#changes + 1] = string.sub(strikes, 8 * gone + 1)
    else
      redis.call('HDEL', session, strike_field)
    end
  end
end

-- The window: posts that fell out of it are dropped (each once: O(1) amortised).
local value = false
if not fresh then
  value = redis.pcall('GET', posts)
  if type(value) == 'table' then
    return 'x' .. value.err
  end
end
local n, m, first = 0, 0, 0
local t0, f0, l0, x0 = 9, 9, 9, 9
if value then
  if #value < 8 then
    return 'xunreadable posts'
  end
  n, m = struct.unpack('<I4I4', value)
  f0 = t0 + 8 * n
  l0 = f0 + 8 * n
  x0 = l0 + 4 * n
  if #value < x0 - 1 or m > n then
    return 'xunreadable posts'
  end
  while first < n and struct.unpack('<d', value, t0 + 8 * first) <= oldest do
    first = first + 1
  end
end

-- Append the post, then cap the posts and the texts kept (texts only of kept posts).
local kept = math.min(n - first + 1, max_events)
if kept > 0 then
  local drop = n + 1 - kept -- of the stored posts
  local texts = math.min(m, kept - 1, keys_needed - 1) -- of the stored texts (-1: none)
  local start = x0
  for _ = 1, m - math.max(texts, 0) do
    start = string.find(value, '\255', start, true)
    if not start then
      return 'xunreadable posts'
    end
    start = start + 1
  end
  local head = struct.pack('<I4I4', kept, math.max(0, texts + 1))
  local times, fingerprints, lengths, text = '', '', '', ''
  if value then
    times = string.sub(value, t0 + 8 * drop, f0 - 1)
    fingerprints = string.sub(value, f0 + 8 * drop, l0 - 1)
    lengths = string.sub(value, l0 + 4 * drop, x0 - 1)
    text = string.sub(value, start)
  end
  if texts >= 0 then
    text = text .. ARGV[3] .. '\255'
  end
  redis.call('SET', posts, head .. times .. string.sub(numbers, 73, 80) .. fingerprints
    .. string.sub(numbers, 81, 88) .. lengths .. string.sub(numbers, 89, 92) .. text,
    'PX', window_ms)
elseif value then
  redis.call('DEL', posts)
end
-- Every sender that posts is counted against the cap, whether or not its window keeps
-- posts (a rule set may need none, and strikes are kept all the same).
if not seen then
  -- A new sender: beyond the cap, the sender whose newest post is the oldest goes.
  local count = senders and struct.unpack('<I4', senders) or 0
  if count >= max_senders then
    evict_idlest_sender(session)
  else
    changes[#changes + 1] = 'n'
    changes[#changes + 1] = struct.pack('<I4', count + 1)
  end
end
-- The time of the sender's newest post: its last activity, for the cap.
changes[#changes + 1] = member_field
changes[#changes + 1] = string.sub(numbers, 73, 80)

-- A new transaction id: recorded with a provisional "allow"; beyond the cap the oldest
-- one is forgotten.
local forget = false
if tx and known then
  changes[#changes + 1] = 't' .. tx
  changes[#changes + 1] = fingerprint .. 'allow'
elseif tx then
  local oldest_seq, next_seq = 0, 0
  if sequence then
    oldest_seq, next_seq = struct.unpack('<I4I4', sequence)
  end
  changes[#changes + 1] = 't' .. tx
  changes[#changes + 1] = fingerprint .. 'allow'
  changes[#changes + 1] = 'i' .. struct.pack('<I4', next_seq)
  changes[#changes + 1] = tx
  next_seq = next_seq + 1
  if next_seq - oldest_seq > max_tx then
    forget = 'i' .. struct.pack('<I4', oldest_seq)
    oldest_seq = oldest_seq + 1
  end
  changes[#changes + 1] = 'q'
  changes[#changes + 1] = struct.pack('<I4I4', oldest_seq, next_seq)
end
redis.call('HSET', session, unpack(changes))
if forget then
  local id = redis.call('HGET', session, forget)
  redis.call('HDEL', session, forget, 't' .. id)
end
redis.call('PEXPIRE', session, idle_ms)

return 'w' .. struct.pack('<I4I4', strike_count, first) .. (value or '')
