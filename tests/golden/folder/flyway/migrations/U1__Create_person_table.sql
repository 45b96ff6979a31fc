drop table PERSON;
