-- The tables of index_options before their indexes and keys: the plan
-- adds each with its options (indexes CONCURRENTLY, foreign keys NOT
-- VALID then VALIDATE, the unique key through a concurrent index), and
-- the cluster check applies it and finds nothing left to do.
CREATE TABLE orgs (
    id bigint PRIMARY KEY,
    code text NOT NULL,
    region text NOT NULL,
    slug text
);
CREATE TABLE users (
    id bigint PRIMARY KEY,
    email text NOT NULL,
    name text,
    org_id bigint,
    team_id bigint,
    manager_id bigint,
    created_at timestamp with time zone
);
INSERT INTO orgs VALUES (1, 'acme', 'eu', NULL);
INSERT INTO users VALUES (1, 'a@example.com', 'A', 1, 1, NULL, now());
