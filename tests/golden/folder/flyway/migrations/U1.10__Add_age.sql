alter table PERSON drop column AGE;
