-- Add migration script here
CREATE TYPE mood AS ENUM ('ok');
CREATE TABLE history (id bigserial PRIMARY KEY, mood mood NOT NULL);
