CREATE TYPE level AS ENUM ('low', 'high');
CREATE TABLE things (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    name varchar(50) NOT NULL,
    lvl level NOT NULL DEFAULT 'low',
    tags text[] NOT NULL DEFAULT '{}',
    price numeric(10,2) CHECK (price > 0),
    seen timestamptz DEFAULT now(),
    CONSTRAINT things_pkey PRIMARY KEY (id),
    CONSTRAINT things_name_key UNIQUE (name)
);
CREATE INDEX things_tags_idx ON things USING gin (tags);
CREATE INDEX things_cheap ON things (price) WHERE price < 10;
COMMENT ON TABLE things IS 'stuff';
COMMENT ON COLUMN things.name IS 'what it is called';
