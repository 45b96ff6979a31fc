create table feeds(id serial primary key);
grant select on feeds to {{.app_user}};

---- create above / drop below ----

drop table feeds;
