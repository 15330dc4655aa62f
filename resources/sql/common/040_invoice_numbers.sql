-- Invoice numbers: one counter row per kind of document and year, taken with a row lock in
-- the transaction that pays the order, so numbers have no gap and no repeat across processes.
CREATE TABLE document_counters (
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (kind, year)
);
ALTER TABLE orders ADD COLUMN invoice_number TEXT;
CREATE UNIQUE INDEX orders_invoice_number ON orders(invoice_number);
