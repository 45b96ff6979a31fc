drop index concurrently PERSON_NAME_IDX;
