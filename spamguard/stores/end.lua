-- spamguard: forget an engagement that ended normally.
--
-- KEYS: 1 session hash

wipe_session(KEYS[1])
return 1
