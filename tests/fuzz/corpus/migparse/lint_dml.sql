-- Data changes: a whole-table UPDATE or DELETE is almost always a mistake.
UPDATE users SET active = true;
UPDATE users SET active = false WHERE last_seen < now() - interval '1 year';
DELETE FROM sessions;
DELETE FROM sessions WHERE expires_at < now();
