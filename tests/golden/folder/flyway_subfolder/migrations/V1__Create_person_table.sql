CREATE TABLE person (id int PRIMARY KEY, name varchar(100) NOT NULL);
