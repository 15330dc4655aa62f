-- Accounts in the order they were made: ties of created_at (the same millisecond) are broken
-- by it, so "the oldest active seller" is always one and the same.
ALTER TABLE users ADD COLUMN seq INTEGER;
UPDATE users SET seq = rowid;

CREATE TRIGGER users_seq AFTER INSERT ON users
BEGIN
    UPDATE users SET seq = new.rowid WHERE rowid = new.rowid;
END;
