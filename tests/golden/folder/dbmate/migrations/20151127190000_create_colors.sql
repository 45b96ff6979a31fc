-- migrate:up
CREATE TYPE colors AS ENUM ('red', 'green');

-- migrate:down
DROP TYPE colors;
