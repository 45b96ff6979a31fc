-- Everything the lint asks for: nothing to report.
CREATE TABLE IF NOT EXISTS invoices (id bigint PRIMARY KEY, total numeric(12,2));
ALTER TABLE invoices ADD COLUMN IF NOT EXISTS paid boolean;
CREATE INDEX CONCURRENTLY IF NOT EXISTS invoices_paid_idx ON invoices (paid) WHERE paid;
UPDATE invoices SET paid = false WHERE paid IS NULL;
