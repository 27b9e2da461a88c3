-- spamguard: forget an engagement that ended normally.
--
-- KEYS: 1 concluded, 2 session hash, 3 transaction order

local base = string.sub(KEYS[2], 1, -3)
for _, field in ipairs(redis.call('HKEYS', KEYS[2])) do
  if string.sub(field, 1, 1) == 'm' then
    local member = string.sub(field, 2)
    redis.call('DEL', base .. ':e:' .. member, base .. ':n:' .. member, base .. ':k:' .. member)
  end
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1
