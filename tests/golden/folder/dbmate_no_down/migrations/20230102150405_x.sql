-- a comment is fine before the first section
-- migrate:up
create table t (id int);
