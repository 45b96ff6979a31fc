-- +migrate StatementBegin
CREATE TABLE a (id int);
-- +migrate StatementEnd
DROP TABLE a;
