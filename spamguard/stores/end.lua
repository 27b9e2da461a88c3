-- spamguard: forget an engagement that ended normally.
--
-- KEYS: 1 concluded, 2 session hash, 3 transaction order

wipe_session(KEYS[2], KEYS[3])
redis.call('DEL', KEYS[1])
return 1
