-- The store owner (one seller marked so; while none is, the oldest active seller), fulfilment
-- of each seller's own lines, and what each customer uploaded as evidence (the daily budget).
ALTER TABLE users ADD COLUMN is_owner INTEGER NOT NULL DEFAULT 0;

ALTER TABLE order_items ADD COLUMN shipped_at BIGINT;
ALTER TABLE order_items ADD COLUMN delivered_at BIGINT;
UPDATE order_items SET shipped_at = (SELECT o.updated_at FROM orders o WHERE o.id = order_items.order_id)
    WHERE order_id IN (SELECT id FROM orders WHERE status IN ('shipped', 'delivered'));
UPDATE order_items SET delivered_at = shipped_at
    WHERE order_id IN (SELECT id FROM orders WHERE status = 'delivered');

ALTER TABLE evidence_images ADD COLUMN customer_id TEXT;
ALTER TABLE evidence_images ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0;
CREATE INDEX evidence_images_customer ON evidence_images(customer_id, created_at);
