-- The durable mail outbox: a message is a row from the moment it is queued until it is
-- delivered or given up (then the row goes: a reset link must not outlive its delivery).
-- claimed_by/claimed_at: the queue (process) that tends the row; a claim older than the
-- lease is taken over, so mail left by a stopped process still goes out.
CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    claimed_by TEXT NOT NULL,
    claimed_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX mail_outbox_claim ON mail_outbox(claimed_at);
