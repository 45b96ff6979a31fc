create or replace function GREETING(who text) returns text
language sql immutable as $$ select 'Hello, ' || who $$;
