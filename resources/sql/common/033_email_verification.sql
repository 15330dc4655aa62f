-- Proof of an email address: a link mailed to it. A new account stays unverified until its
-- link is followed; a change of email takes effect only when the link mailed to the new
-- address is followed. Accounts from before count as verified.
ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 1;

CREATE TABLE email_confirmations (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL CHECK (kind IN ('verify', 'change')),
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE INDEX email_confirmations_user ON email_confirmations (user_id);
