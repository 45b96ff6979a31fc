-- migrate:up transaction:false
ALTER TYPE colors ADD VALUE 'orange' AFTER 'red';

-- migrate:down
