-- Refunds v2: a refund request may answer a complaint that asks for money back.

ALTER TABLE refund_requests ADD COLUMN complaint_id TEXT REFERENCES complaints(id);
CREATE INDEX refund_requests_complaint ON refund_requests(complaint_id);
