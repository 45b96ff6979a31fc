-- Every index and key option the models can say (issue 13), built in SQL.
-- models/ says each of them: the plan must be empty.
-- index_options_plain plans the same database against models that say
-- none of them: each must be a change there.
CREATE TABLE orgs (
    id bigint PRIMARY KEY,
    code text NOT NULL,
    region text NOT NULL,
    slug text,
    CONSTRAINT orgs_code_region_key UNIQUE (code, region)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT orgs_slug_key UNIQUE NULLS NOT DISTINCT (slug),
    CONSTRAINT orgs_code_key UNIQUE (code) INCLUDE (region)
);
CREATE TABLE users (
    id bigint PRIMARY KEY,
    email text NOT NULL,
    name text,
    org_id bigint,
    team_id bigint,
    manager_id bigint,
    created_at timestamp with time zone,
    CONSTRAINT users_org_id_fkey FOREIGN KEY (org_id) REFERENCES orgs (id)
        DEFERRABLE,
    CONSTRAINT users_team_id_fkey FOREIGN KEY (team_id) REFERENCES orgs (id)
        ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT users_manager_id_fkey FOREIGN KEY (manager_id)
        REFERENCES users (id) MATCH FULL
);
CREATE INDEX users_created_at_idx ON users (created_at DESC);
CREATE INDEX users_name_idx ON users (name NULLS FIRST);
CREATE INDEX users_email_idx ON users (email text_pattern_ops);
CREATE INDEX users_name_c ON users (name COLLATE "C");
CREATE INDEX users_lower_email ON users
    (lower(email) text_pattern_ops DESC NULLS LAST, id);
CREATE INDEX users_org_id_idx ON users (org_id) INCLUDE (name, email);
CREATE UNIQUE INDEX users_email_nnd ON users (email) NULLS NOT DISTINCT;
INSERT INTO orgs VALUES (1, 'acme', 'eu', NULL);
INSERT INTO users VALUES (1, 'a@example.com', 'A', 1, 1, NULL, now());
