-- atlas:txmode none

ALTER TABLE users ADD COLUMN bio text;
ALTER TABLE users ADD COLUMN age int;
