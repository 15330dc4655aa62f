-- Discount codes: a seller's codes (percent or amount off its own lines), how often each is
-- held by an order, and on each order the code it used and what it took off; each line keeps
-- its share of the code beside its share of every discount, so refunds stay exact.
-- Tax: the owner's rates per country (thousandths of a percent, 7.7% = 7700) and the default
-- in store_settings; each order freezes its rate and the tax contained in each line and in
-- its shipping.
CREATE TABLE discount_codes (
    id TEXT PRIMARY KEY,
    seller_id TEXT NOT NULL REFERENCES users(id),
    code TEXT NOT NULL,
    code_norm TEXT NOT NULL,
    kind TEXT NOT NULL,
    value BIGINT NOT NULL,
    min_subtotal_cents BIGINT NOT NULL DEFAULT 0,
    starts_at BIGINT,
    ends_at BIGINT,
    max_uses BIGINT,
    once_per_customer INTEGER NOT NULL DEFAULT 0,
    uses BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
-- A deleted code keeps its name: the orders that used it still show it.
CREATE UNIQUE INDEX discount_codes_code ON discount_codes(code_norm);
CREATE INDEX discount_codes_seller ON discount_codes(seller_id, created_at, id);

ALTER TABLE orders ADD COLUMN discount_code_id TEXT;
ALTER TABLE orders ADD COLUMN discount_code TEXT;
ALTER TABLE orders ADD COLUMN code_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN tax_rate_milli BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN tax_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN shipping_tax_cents BIGINT NOT NULL DEFAULT 0;
CREATE INDEX orders_discount_code ON orders(discount_code_id, customer_id);
ALTER TABLE order_items ADD COLUMN code_share_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE order_items ADD COLUMN tax_cents BIGINT NOT NULL DEFAULT 0;

CREATE TABLE tax_rates (
    country TEXT PRIMARY KEY,
    rate_milli BIGINT NOT NULL
);
