CREATE TABLE ok (id int);
ALTER TABLE ok ADD COLUM name text;
