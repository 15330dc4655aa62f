-- Catalog v2: indexes for the catalog's keyset lists, the seller's inventory, unread
-- notifications and due media deletions. Full-text search is per engine (sqlite/, postgresql/).

CREATE INDEX products_live_newest ON products(deleted_at, created_at, id);
CREATE INDEX products_live_price ON products(deleted_at, price_cents, id);
CREATE INDEX notifications_user_unread ON notifications(user_id, read_at, created_at, id);
CREATE INDEX media_deletions_due ON media_deletions(next_attempt_at);
