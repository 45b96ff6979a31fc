create table users(
  id serial primary key,
  name varchar not null
);

---- create above / drop below ----

drop table users;
