-- Reviews v2: a seller may hide an abusive review of its own product. A hidden review is kept
-- (its author still owns it) but is not listed, not served, and not counted in the rating.
ALTER TABLE reviews ADD COLUMN hidden_at BIGINT;
ALTER TABLE reviews ADD COLUMN hidden_by TEXT REFERENCES users(id);
