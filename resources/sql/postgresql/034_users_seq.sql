-- Accounts in the order they were made: ties of created_at (the same millisecond) are broken
-- by it, so "the oldest active seller" is always one and the same.
ALTER TABLE users ADD COLUMN seq BIGSERIAL;
