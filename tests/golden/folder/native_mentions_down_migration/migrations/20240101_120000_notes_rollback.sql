-- Down migration of notes
DROP TABLE notes;
