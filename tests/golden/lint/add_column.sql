-- Rails-style migration: columns added to a busy table.
ALTER TABLE orders ADD COLUMN shipped_at timestamptz;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS weight_g integer NOT NULL;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS gift boolean NOT NULL DEFAULT false;
ALTER TABLE orders ALTER COLUMN total TYPE numeric(14,2);
-- several columns in one statement (Ente's 4_update_subscriptions_schema): each named
ALTER TABLE orders
    ADD COLUMN product_id text NOT NULL,
    ADD COLUMN payment_provider text NOT NULL;
