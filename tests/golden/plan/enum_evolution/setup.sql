CREATE SCHEMA billing;
CREATE TYPE billing.state AS ENUM ('open', 'closed', 'void');
