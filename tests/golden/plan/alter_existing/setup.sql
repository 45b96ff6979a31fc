CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    login varchar(20) NOT NULL,
    email varchar(100),
    balance numeric(8,2) DEFAULT 0,
    legacy_flag boolean,
    created timestamp
);
CREATE INDEX accounts_legacy_idx ON accounts (legacy_flag);
INSERT INTO accounts VALUES (1, 'a', 'a@x', 1, true, now());
