-- The durable mail outbox: a message is a row from the transaction that causes it until it is
-- delivered or given up (then the row goes: a reset link must not outlive its delivery).
-- claimed_by/claimed_until: the claim of the sender delivering it now; a row is free when
-- claimed_until has passed (0: unclaimed), so mail a killed process held goes out again.
CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    claimed_by TEXT NOT NULL DEFAULT '',
    claimed_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at);
CREATE INDEX mail_outbox_claim ON mail_outbox(claimed_by);
