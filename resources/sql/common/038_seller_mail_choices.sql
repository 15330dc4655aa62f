-- A seller's opt-in mails: one for each paid order holding its lines, one for each product of its
-- that runs low. Off until the seller turns them on (GET/PATCH /me, the console's My account).
ALTER TABLE users ADD COLUMN mail_on_sale INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN mail_on_low_stock INTEGER NOT NULL DEFAULT 0;
