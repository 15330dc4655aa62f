-- Credit notes: every refund gets its number from the 'credit_note' counter of
-- document_counters in the transaction that records it. Refunds recorded before keep none.
ALTER TABLE refunds ADD COLUMN credit_note_number TEXT;
CREATE UNIQUE INDEX refunds_credit_note_number ON refunds(credit_note_number);
