-- Full-text search over products(name, description): an FTS5 external-content table keyed by
-- the products' rowid, kept in step by triggers. Tokens: unicode61 without diacritics folding,
-- so words match as PostgreSQL's `simple` configuration matches them.
CREATE VIRTUAL TABLE products_fts USING fts5(
    name, description,
    content='products', content_rowid='rowid',
    tokenize='unicode61 remove_diacritics 0'
);

CREATE TRIGGER products_fts_insert AFTER INSERT ON products
BEGIN
    INSERT INTO products_fts(rowid, name, description) VALUES (new.rowid, new.name, new.description);
END;

CREATE TRIGGER products_fts_delete AFTER DELETE ON products
BEGIN
    INSERT INTO products_fts(products_fts, rowid, name, description)
        VALUES ('delete', old.rowid, old.name, old.description);
END;

CREATE TRIGGER products_fts_update AFTER UPDATE OF name, description ON products
BEGIN
    INSERT INTO products_fts(products_fts, rowid, name, description)
        VALUES ('delete', old.rowid, old.name, old.description);
    INSERT INTO products_fts(rowid, name, description) VALUES (new.rowid, new.name, new.description);
END;

INSERT INTO products_fts(products_fts) VALUES ('rebuild');
