---- tern: disable-tx ----
create index concurrently users_email_idx on users (email);

---- create above / drop below ----
---- tern: disable-tx ----
drop index concurrently users_email_idx;
