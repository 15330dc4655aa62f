-- Addresses and shipping: the customer's address book, the store's shipping options, and on
-- each order its number, the shipping address and choice it froze and the fee it charged.
CREATE TABLE addresses (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    seq BIGINT NOT NULL,
    name TEXT NOT NULL,
    line1 TEXT NOT NULL,
    line2 TEXT,
    city TEXT NOT NULL,
    region TEXT,
    postal_code TEXT,
    country TEXT NOT NULL,
    phone TEXT,
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX addresses_user ON addresses(user_id, seq);

-- countries: NULL ships everywhere, else the codes between commas (",DE,AT,").
CREATE TABLE shipping_options (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    price_cents BIGINT NOT NULL,
    free_over_cents BIGINT,
    countries TEXT,
    min_days INTEGER,
    max_days INTEGER,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Existing orders are numbered in the order they were placed, from 1001.
ALTER TABLE orders ADD COLUMN number BIGINT;
UPDATE orders SET number = 1000 + (SELECT COUNT(*) FROM orders o2 WHERE o2.created_at < orders.created_at
    OR (o2.created_at = orders.created_at AND o2.id <= orders.id));
CREATE UNIQUE INDEX orders_number ON orders(number);
-- Orders placed while the store had no shipping option carry none (NULL and 0).
ALTER TABLE orders ADD COLUMN shipping_address TEXT;
ALTER TABLE orders ADD COLUMN shipping_option_id TEXT;
ALTER TABLE orders ADD COLUMN shipping_name TEXT;
ALTER TABLE orders ADD COLUMN shipping_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN shipping_refunded_cents BIGINT NOT NULL DEFAULT 0;
