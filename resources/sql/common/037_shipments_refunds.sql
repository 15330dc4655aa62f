-- Fulfilment by shipments: each seller ships units of its own lines, in parts, with a carrier
-- and tracking; a line counts its shipped units. Refunds: every refund of an order (one that
-- answers a customer's request, or one a seller made) with its lines; a provider refund names
-- the refund it pays.
CREATE TABLE shipments (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    seller_id TEXT NOT NULL REFERENCES users(id),
    carrier TEXT,
    tracking_number TEXT,
    tracking_url TEXT,
    shipped_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX shipments_order ON shipments(order_id, shipped_at, id);
CREATE INDEX shipments_seller ON shipments(seller_id, order_id);

CREATE TABLE shipment_items (
    shipment_id TEXT NOT NULL REFERENCES shipments(id),
    order_item_id TEXT NOT NULL REFERENCES order_items(id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (shipment_id, order_item_id)
);
CREATE INDEX shipment_items_line ON shipment_items(order_item_id);

ALTER TABLE order_items ADD COLUMN shipped_quantity INTEGER NOT NULL DEFAULT 0;

-- Lines marked shipped before shipments existed: one shipment (no tracking) per order, seller
-- and time of marking, holding every unit of those lines that was not refunded; delivered
-- when each of its lines was.
INSERT INTO shipments (id, order_id, seller_id, carrier, tracking_number, tracking_url,
                       shipped_at, delivered_at)
SELECT 'shp-' || order_id || '-' || seller_id || '-' || CAST(shipped_at AS TEXT), order_id,
       seller_id, NULL, NULL, NULL, shipped_at,
       CASE WHEN COUNT(delivered_at) = COUNT(*) THEN MAX(delivered_at) END
FROM order_items WHERE shipped_at IS NOT NULL AND quantity > refunded_quantity
GROUP BY order_id, seller_id, shipped_at;
INSERT INTO shipment_items (shipment_id, order_item_id, quantity)
SELECT 'shp-' || order_id || '-' || seller_id || '-' || CAST(shipped_at AS TEXT), id,
       quantity - refunded_quantity
FROM order_items WHERE shipped_at IS NOT NULL AND quantity > refunded_quantity;
UPDATE order_items SET shipped_quantity = quantity - refunded_quantity
WHERE shipped_at IS NOT NULL AND quantity > refunded_quantity;
-- A paid order with one seller's lines shipped is partly shipped.
INSERT INTO order_status_history (order_id, status, at)
SELECT o.id, 'partially_shipped', (SELECT MAX(s.shipped_at) FROM shipments s WHERE s.order_id = o.id)
FROM orders o WHERE o.status = 'paid' AND EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id);
UPDATE orders SET status = 'partially_shipped'
WHERE status = 'paid' AND EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = orders.id);

CREATE TABLE refunds (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    seller_id TEXT NOT NULL REFERENCES users(id),
    refund_request_id TEXT REFERENCES refund_requests(id),
    reason TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    coins_returned BIGINT NOT NULL DEFAULT 0,
    shipping_refunded_cents BIGINT NOT NULL DEFAULT 0,
    restock INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX refunds_order ON refunds(order_id, created_at, id);
CREATE INDEX refunds_seller ON refunds(seller_id, created_at, id);

CREATE TABLE refund_items (
    refund_id TEXT NOT NULL REFERENCES refunds(id),
    order_item_id TEXT NOT NULL REFERENCES order_items(id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    amount_cents BIGINT NOT NULL,
    coins_returned BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (refund_id, order_item_id)
);
CREATE INDEX refund_items_line ON refund_items(order_item_id);

ALTER TABLE payment_refunds ADD COLUMN refund_id TEXT;

-- Requests approved before refunds existed are refunds with the request's id.
INSERT INTO refunds (id, order_id, seller_id, refund_request_id, reason, amount_cents,
                     coins_returned, shipping_refunded_cents, restock, created_at)
SELECT id, order_id, seller_id, id, reason, COALESCE(amount_cents, 0), COALESCE(coins_returned, 0),
       0, restock, COALESCE(decided_at, updated_at)
FROM refund_requests WHERE status IN ('approved', 'refunded', 'refund_failed');
INSERT INTO refund_items (refund_id, order_item_id, quantity, amount_cents, coins_returned)
SELECT id, order_item_id, quantity, COALESCE(amount_cents, 0), COALESCE(coins_returned, 0)
FROM refund_requests WHERE status IN ('approved', 'refunded', 'refund_failed');
UPDATE payment_refunds SET refund_id = refund_request_id WHERE refund_request_id IS NOT NULL;
CREATE INDEX payment_refunds_refund ON payment_refunds(refund_id);
