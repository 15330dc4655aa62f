-- Schema v1: every aggregate of the shop. Times are integer milliseconds since the epoch
-- (UTC), money is integer minor units, ids are opaque random strings.
-- {{SERIAL_PK}} becomes an auto-increment key on each engine.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    email_norm TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('customer', 'seller')),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending', 'disabled')),
    avatar_url TEXT,
    avatar_key TEXT,
    tokens_valid_after BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);

CREATE TABLE password_resets (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    seller_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    price_cents BIGINT NOT NULL CHECK (price_cents > 0),
    stock INTEGER NOT NULL CHECK (stock >= 0),
    low_stock_threshold INTEGER NOT NULL DEFAULT 5 CHECK (low_stock_threshold >= 0),
    low_stock_armed INTEGER NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 1,
    rating_sum INTEGER NOT NULL DEFAULT 0,
    rating_count INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX products_seller ON products(seller_id, created_at, id);
CREATE INDEX products_newest ON products(created_at, id);
CREATE INDEX products_price ON products(price_cents, id);

CREATE TABLE product_images (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products(id),
    position INTEGER NOT NULL,
    store_key TEXT NOT NULL,
    url TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX product_images_product ON product_images(product_id, position);

-- Every change of stock is one row here; a product's stock equals the sum of its deltas.
CREATE TABLE stock_ledger (
    id {{SERIAL_PK}},
    product_id TEXT NOT NULL REFERENCES products(id),
    delta INTEGER NOT NULL,
    reason TEXT NOT NULL,
    note TEXT,
    actor_id TEXT,
    order_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX stock_ledger_product ON stock_ledger(product_id, id);

CREATE TABLE cart_items (
    user_id TEXT NOT NULL REFERENCES users(id),
    product_id TEXT NOT NULL REFERENCES products(id),
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, product_id)
);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES users(id),
    status TEXT NOT NULL,
    subtotal_cents BIGINT NOT NULL,
    discount_cents BIGINT NOT NULL DEFAULT 0,
    coins_used BIGINT NOT NULL DEFAULT 0,
    total_cents BIGINT NOT NULL,
    currency TEXT NOT NULL,
    payment_provider TEXT,
    payment_state TEXT NOT NULL DEFAULT 'none',
    payment_ref TEXT,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX orders_customer ON orders(customer_id, created_at, id);
CREATE INDEX orders_status ON orders(status, expires_at);
CREATE INDEX orders_payment_ref ON orders(payment_ref);

CREATE TABLE order_items (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    product_id TEXT NOT NULL REFERENCES products(id),
    seller_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    unit_price_cents BIGINT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    line_total_cents BIGINT NOT NULL,
    discount_share_cents BIGINT NOT NULL DEFAULT 0,
    refunded_quantity INTEGER NOT NULL DEFAULT 0,
    refunded_cents BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX order_items_order ON order_items(order_id);
CREATE INDEX order_items_seller ON order_items(seller_id, order_id);
CREATE INDEX order_items_product ON order_items(product_id);

CREATE TABLE order_status_history (
    id {{SERIAL_PK}},
    order_id TEXT NOT NULL REFERENCES orders(id),
    status TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX order_status_history_order ON order_status_history(order_id, id);

CREATE TABLE payment_refunds (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    refund_request_id TEXT,
    provider TEXT NOT NULL,
    provider_ref TEXT,
    amount_cents BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX payment_refunds_state ON payment_refunds(state, next_attempt_at);

-- Coins: an append-only ledger; the balance is the sum of deltas.
CREATE TABLE coin_ledger (
    id {{SERIAL_PK}},
    user_id TEXT NOT NULL REFERENCES users(id),
    delta BIGINT NOT NULL,
    reason TEXT NOT NULL,
    order_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX coin_ledger_user ON coin_ledger(user_id, id);

-- One row per user and store-zone calendar day: the primary key makes the grant once only.
CREATE TABLE daily_rewards (
    user_id TEXT NOT NULL REFERENCES users(id),
    day TEXT NOT NULL,
    coins BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, day)
);

CREATE TABLE reviews (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products(id),
    author_id TEXT NOT NULL REFERENCES users(id),
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (product_id, author_id)
);
CREATE INDEX reviews_product ON reviews(product_id, created_at, id);

CREATE TABLE refund_requests (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    order_item_id TEXT NOT NULL REFERENCES order_items(id),
    customer_id TEXT NOT NULL REFERENCES users(id),
    seller_id TEXT NOT NULL REFERENCES users(id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT,
    amount_cents BIGINT,
    coins_returned BIGINT,
    restock INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX refund_requests_customer ON refund_requests(customer_id, created_at, id);
CREATE INDEX refund_requests_seller ON refund_requests(seller_id, status, created_at, id);
CREATE INDEX refund_requests_item ON refund_requests(order_item_id);

CREATE TABLE complaints (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    order_item_id TEXT REFERENCES order_items(id),
    customer_id TEXT NOT NULL REFERENCES users(id),
    seller_id TEXT NOT NULL REFERENCES users(id),
    subject TEXT NOT NULL,
    message TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX complaints_customer ON complaints(customer_id, created_at, id);
CREATE INDEX complaints_seller ON complaints(seller_id, status, created_at, id);

CREATE TABLE complaint_messages (
    id TEXT PRIMARY KEY,
    complaint_id TEXT NOT NULL REFERENCES complaints(id),
    author_id TEXT NOT NULL REFERENCES users(id),
    message TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX complaint_messages_complaint ON complaint_messages(complaint_id, created_at);

-- Evidence photos of refund requests and complaints.
CREATE TABLE evidence_images (
    id TEXT PRIMARY KEY,
    owner_kind TEXT NOT NULL CHECK (owner_kind IN ('refund', 'complaint')),
    owner_id TEXT NOT NULL,
    store_key TEXT NOT NULL,
    url TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX evidence_images_owner ON evidence_images(owner_kind, owner_id);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications(user_id, created_at, id);

CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL,
    route TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    response_location TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, route, idem_key)
);

CREATE TABLE webhook_events (
    event_id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    received_at BIGINT NOT NULL
);

-- Remote image deletions that failed, retried later so no asset is forgotten.
CREATE TABLE media_deletions (
    id TEXT PRIMARY KEY,
    store_key TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT
);

CREATE TABLE store_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
