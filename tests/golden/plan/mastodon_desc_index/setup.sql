-- Tables and indexes as Mastodon's db/schema.rb has them (trimmed).
CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    username character varying DEFAULT ''::character varying NOT NULL,
    domain character varying,
    locked boolean DEFAULT false NOT NULL,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL
);
CREATE UNIQUE INDEX index_accounts_on_username_and_domain_lower
    ON accounts (lower((username)::text), COALESCE(lower((domain)::text), ''::text));
CREATE TABLE statuses (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    in_reply_to_id bigint,
    visibility integer DEFAULT 0 NOT NULL,
    text text DEFAULT ''::text NOT NULL,
    deleted_at timestamp without time zone,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL
);
ALTER TABLE statuses RENAME CONSTRAINT statuses_account_id_fkey TO fk_9bda1543f7;
CREATE INDEX index_statuses_20190820 ON statuses
    (account_id, id DESC, visibility, updated_at) WHERE deleted_at IS NULL;
CREATE INDEX index_statuses_on_in_reply_to_id ON statuses (in_reply_to_id)
    WHERE in_reply_to_id IS NOT NULL;
INSERT INTO accounts VALUES (1, 'alice', NULL, false, now(), now());
INSERT INTO statuses VALUES (1, 1, NULL, 0, 'hello', NULL, now(), now());
