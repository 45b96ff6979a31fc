-- no markers: all of it is the migration, which has no rollback
INSERT INTO teams VALUES (1, 'core');
