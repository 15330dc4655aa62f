-- Full-text search over products(name, description): a generated tsvector with the `simple`
-- configuration (no stemming, no stop words: the same words as SQLite's unicode61) and a GIN index.
ALTER TABLE products ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, name || ' ' || description)) STORED;
CREATE INDEX products_search ON products USING GIN (search);
