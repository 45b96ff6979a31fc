CREATE TABLE identities (
    id UUID NOT NULL,
    traits JSONB NOT NULL,
    created_at timestamp NOT NULL,
    CONSTRAINT "primary" PRIMARY KEY (id)
);
