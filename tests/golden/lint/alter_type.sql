-- Column types changed: a widening PostgreSQL makes in place, or a rewrite.
ALTER TABLE accounts ALTER COLUMN email TYPE varchar(320);
ALTER TABLE accounts ALTER COLUMN bio TYPE text;
ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(14,2);
ALTER TABLE accounts ALTER COLUMN seen_at TYPE timestamp with time zone;
ALTER TABLE accounts ALTER COLUMN id TYPE bigint;
ALTER TABLE accounts ALTER COLUMN code TYPE varchar(8) USING left(code, 8);
ALTER TABLE accounts ALTER COLUMN flag TYPE char(2);
ALTER TABLE accounts ALTER COLUMN tags TYPE varchar(64)[];
