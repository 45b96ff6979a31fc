CREATE TABLE identities (
    id UUID NOT NULL PRIMARY KEY,
    traits JSONB NOT NULL,
    created_at timestamp NOT NULL
);
