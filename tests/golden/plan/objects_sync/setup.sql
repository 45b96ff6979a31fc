-- the models of model/objects, made in SQL by hand: in sync
CREATE EXTENSION citext;
CREATE EXTENSION pg_trgm;
CREATE EXTENSION pgcrypto SCHEMA public;
CREATE DOMAIN posint AS integer NOT NULL DEFAULT 1 CHECK (VALUE > 0);
CREATE DOMAIN email AS citext CHECK (VALUE ~ '@')
    CONSTRAINT email_short CHECK (length(VALUE) < 255);
CREATE DOMAIN code AS text COLLATE "C";
CREATE SEQUENCE ticket_no START 1000 INCREMENT 10 CACHE 5;
CREATE SEQUENCE countdown AS integer INCREMENT -1;
CREATE TABLE users (
    id bigserial PRIMARY KEY,
    uid uuid NOT NULL DEFAULT gen_random_uuid(),
    email email NOT NULL UNIQUE,
    login citext,
    handle text COLLATE "C",
    name text,
    name_lc text GENERATED ALWAYS AS (lower(name)) STORED,
    karma posint,
    n smallserial
);
CREATE INDEX users_name_idx ON users USING gin (name gin_trgm_ops);
