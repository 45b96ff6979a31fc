create function answer() returns int language plpgsql as $$
begin
  return 42;
end;
$$;

---- create above / drop below ----

drop function answer();
