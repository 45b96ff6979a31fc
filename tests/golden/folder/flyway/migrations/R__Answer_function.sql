create or replace function ANSWER() returns int
language sql immutable as $$ select 42 $$;
