#pragma once
// Forgot password: single-use reset tokens (256-bit, stored hashed, valid 30 minutes) sent by
// mail, and the reset that consumes one. A request is handled on a background thread, so the
// caller's answer takes the same time whether or not the email belongs to an account.

#include "result.h"

#include <QString>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace Mercato {

class Shop;

class PasswordResets
{
public:
    static constexpr qint64 kLifetimeMs = 30 * 60 * 1000;
    static constexpr int kTokenBytes = 32;
    // At most one reset mail per account in this time, whoever asks.
    static constexpr qint64 kMailIntervalMs = 5 * 60 * 1000;

    explicit PasswordResets(Shop &shop);
    ~PasswordResets();
    PasswordResets(const PasswordResets &) = delete;
    PasswordResets &operator=(const PasswordResets &) = delete;

    // Queues the request and returns at once. For an active account that was sent no reset
    // mail in the last 5 minutes, a token is stored and a mail with the link
    // `{publicUrl}/reset-password?token=...` is queued; for any other email nothing happens.
    void request(const QString &email);
    // Consumes `token` and sets the password: 422 (field newPassword) for a password the
    // policy refuses, 400 (field token) for an unknown, used or expired token. Revokes every
    // refresh token of the user and refuses access tokens issued before.
    Status reset(const QString &token, const QString &newPassword);

    // Tests: true once every queued request has been handled.
    bool waitUntilIdle(int timeoutMs);

private:
    void run();
    void handle(const QString &email);

    Shop &m_shop;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_idle;
    std::deque<QString> m_emails;
    bool m_busy = false;
    bool m_stopping = false;
    std::thread m_thread;
};

} // namespace Mercato
