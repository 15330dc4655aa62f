-- Seller suspension and the category tree.
--
-- A suspended seller keeps its row, products and orders; the API's status `suspended` is
-- derived from suspended_at (users.status keeps what the account was: pending or active).
ALTER TABLE users ADD COLUMN suspended_at BIGINT;

-- The owner's category tree, at most 5 levels. `path` is the ids from the root down to the
-- category itself, each followed by '/' ('/a/b/c/'): a category's descendants are the rows
-- whose path starts with its own. `product_count` holds the live products (not deleted,
-- seller not suspended) directly in the category; the API adds up those of its descendants.
-- The parent's key is checked at commit, so a copy of the table may insert a child before
-- a parent it was moved under later.
CREATE TABLE categories (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    parent_id TEXT REFERENCES categories(id) DEFERRABLE INITIALLY DEFERRED,
    path TEXT NOT NULL,
    depth INTEGER NOT NULL CHECK (depth BETWEEN 1 AND 5),
    product_count BIGINT NOT NULL DEFAULT 0 CHECK (product_count >= 0),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX categories_parent ON categories(parent_id);
CREATE INDEX categories_path ON categories(path);

ALTER TABLE products ADD COLUMN category_id TEXT REFERENCES categories(id);
CREATE INDEX products_category ON products(category_id, deleted_at, created_at, id);
