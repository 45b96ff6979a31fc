create index concurrently PERSON_NAME_IDX on PERSON (NAME);
