create table u (id int);
