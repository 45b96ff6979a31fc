alter table PERSON add column AGE int;
