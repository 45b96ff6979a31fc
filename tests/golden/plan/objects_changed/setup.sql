-- model/objects' models against a database that differs in every
-- property of the objects beside tables and of the new column kinds
CREATE EXTENSION citext;
CREATE EXTENSION hstore;
CREATE DOMAIN posint AS bigint DEFAULT 2 CHECK (VALUE >= 0);
CREATE DOMAIN email AS citext CHECK (VALUE ~ '@');
CREATE DOMAIN code AS text;
CREATE DOMAIN unused AS int;
CREATE SEQUENCE ticket_no START 1 INCREMENT 1;
CREATE SEQUENCE countdown AS smallint INCREMENT -1;
CREATE SEQUENCE leftover;
CREATE TABLE users (
    id bigint PRIMARY KEY,
    uid uuid NOT NULL,
    email email NOT NULL UNIQUE,
    login citext,
    handle text,
    name text,
    name_lc text GENERATED ALWAYS AS (upper(name)) STORED,
    karma posint,
    n smallserial
);
INSERT INTO users (id, uid, email) VALUES (1, '00000000-0000-0000-0000-000000000000', 'a@b');
