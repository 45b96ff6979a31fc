-- Keys and checks: validated at once they scan under a lock.
ALTER TABLE order_lines ADD CONSTRAINT order_lines_order_fkey
    FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE;
ALTER TABLE order_lines ADD CONSTRAINT order_lines_qty_check
    CHECK (quantity > 0) NOT VALID;
ALTER TABLE order_lines VALIDATE CONSTRAINT order_lines_qty_check;
