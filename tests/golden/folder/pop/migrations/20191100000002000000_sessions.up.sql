CREATE TABLE sessions (
    id UUID NOT NULL PRIMARY KEY,
    identity_id UUID NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    issued_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
