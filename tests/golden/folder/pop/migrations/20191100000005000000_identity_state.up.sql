ALTER TABLE identities ADD COLUMN state text;
UPDATE identities SET state = 'active';
