-- says ---- create above / drop below ---- in a comment, not on a line of its own
create table notes(id int);
