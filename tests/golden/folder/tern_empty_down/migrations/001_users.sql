create table users(id int);

---- create above / drop below ----
