#pragma once
// Outgoing mail: the Mailer port (one blocking delivery), the default adapter that writes
// RFC 5322 `.eml` files into an outbox folder, and MailQueue, which delivers off the
// caller's thread with retries and backoff. SmtpMailer (smtpmailer.h) is the other adapter.

#include "result.h"

#include <QString>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace Mercato {

struct MailMessage
{
    QString to; // one address
    QString subject;
    QString textBody; // plain text, UTF-8
};

// The message as RFC 5322 text (CRLF lines, encoded-word subject when not ASCII,
// quoted-printable UTF-8 body).
QByteArray renderMail(const MailMessage &message, const QString &from);
// The bare address of `Name <a@b>` or `a@b`.
QString mailAddress(const QString &mailbox);

class Mailer
{
public:
    virtual ~Mailer() = default;
    // Delivers one message, blocking. An Unavailable error is worth retrying; any other
    // error is permanent.
    virtual Status deliver(const MailMessage &message) = 0;
    // For logs: where mail goes (never a password).
    virtual QString describe() const = 0;
};

// Writes each message as `<ms>-<random>.eml` into a folder, atomically (temporary file, then
// rename), so a reader never sees half a message.
class OutboxMailer : public Mailer
{
public:
    OutboxMailer(QString directory, QString from);
    Status deliver(const MailMessage &message) override;
    QString describe() const override;
    const QString &directory() const { return m_directory; }

private:
    QString m_directory;
    QString m_from;
};

struct RetryPolicy
{
    int maxAttempts = 6;
    int initialBackoffMs = 1000; // doubled after each failure
    int maxBackoffMs = 5 * 60 * 1000;
    // A journaled message whose queue has not touched it for this long (its process
    // stopped) is taken over by another queue. Longer than maxBackoffMs plus a delivery.
    int claimLeaseMs = 10 * 60 * 1000;
};

// A message kept by a MailJournal, with its delivery state.
struct JournaledMail
{
    QString id;
    MailMessage message;
    int attempts = 0;
    qint64 nextAttemptAtMs = 0; // epoch ms
};

// The durable side of MailQueue: each message is kept from enqueue until it is delivered or
// given up, so mail queued before a stop or a crash still goes out. Called from the
// enqueuing threads (add) and from the queue's thread (the rest).
class MailJournal
{
public:
    virtual ~MailJournal() = default;
    virtual Result<QString> add(const MailMessage &message) = 0;
    virtual Status attempted(const QString &id, int attempts, qint64 nextAttemptAtMs,
                             const QString &error)
            = 0;
    // Delivered or given up: forgotten.
    virtual Status finished(const QString &id) = 0;
    // Messages this journal's queue may take: its own (a queue replaced in this process) and
    // those whose lease ran out (a stopped process). Claims them.
    virtual Result<QList<JournaledMail>> claim(qint64 leaseMs) = 0;
    // The queue's thread ends (database connections are per thread).
    virtual void threadEnds() {}
};

// Delivers queued messages on its own thread: callers never wait for a mail server. With a
// journal, queued messages survive the queue; without one, messages still queued when it
// is destroyed are dropped (and counted in the log).
class MailQueue
{
public:
    explicit MailQueue(std::unique_ptr<Mailer> mailer, RetryPolicy policy = {});
    ~MailQueue();
    MailQueue(const MailQueue &) = delete;
    MailQueue &operator=(const MailQueue &) = delete;

    // From now on every message is journaled, and what the journal holds for this queue
    // (or abandoned by another) is delivered too. `journal` must outlive the queue.
    void setJournal(MailJournal *journal);
    void enqueue(MailMessage message);
    // Tests: true once nothing is queued or in flight, false after `timeoutMs`.
    bool waitUntilIdle(int timeoutMs);
    Mailer &mailer() { return *m_mailer; }

    struct Counts
    {
        int delivered = 0;
        int failed = 0;  // given up on
        int retried = 0; // failed attempts that were retried
    };
    Counts counts() const;

private:
    struct Item
    {
        MailMessage message;
        int attempts = 0;
        std::chrono::steady_clock::time_point due;
        QString journalId; // empty: not journaled
    };
    void run();
    void claimFromJournal(std::unique_lock<std::mutex> &lock);

    std::unique_ptr<Mailer> m_mailer;
    RetryPolicy m_policy;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_idle;
    std::deque<Item> m_items;
    bool m_busy = false;
    bool m_stopping = false;
    MailJournal *m_journal = nullptr;
    std::chrono::steady_clock::time_point m_nextClaim
            = std::chrono::steady_clock::time_point::max();
    Counts m_counts;
    std::thread m_thread;
};

} // namespace Mercato
