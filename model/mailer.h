#pragma once
// Outgoing mail: the Mailer port (one blocking delivery), the default adapter that writes
// RFC 5322 `.eml` files into an outbox folder, and MailQueue, which delivers off the
// caller's thread with retries and backoff. SmtpMailer (smtpmailer.h) is the other adapter.

#include "result.h"

#include <QList>
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
    // The outbox row's id when it has one: the Message-ID is <id@domain>, so a receiver can
    // tell a repeat (delivery is at least once) from a new message.
    QString id = {};
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
    // How long a claimed outbox message is this queue's alone. A process killed while it held
    // a claim leaves the message to whoever claims after the lease (so it may go out twice:
    // at least once, never lost). Longer than one delivery can take.
    int claimLeaseMs = 60 * 1000;
    // How often the queue looks for due outbox mail (other processes' too) when not woken.
    int pollMs = 1000;
    // Outbox messages claimed at once.
    int claimBatch = 20;
};

// A message claimed from a MailJournal, with its delivery state.
struct JournaledMail
{
    MailMessage message; // message.id: the outbox row
    int attempts = 0;
    QString claim; // the claim that holds it: only its holder settles it
};

// The durable side of MailQueue (the mail_outbox table, model/mailoutbox.h): a message is a
// row from the transaction that causes it until it is delivered or given up. Called from the
// queue's thread, except add (the enqueuing thread).
class MailJournal
{
public:
    virtual ~MailJournal() = default;
    // Keeps `message` in its own statement (MailQueue::enqueue); transactional producers
    // write their rows in their own transaction instead.
    virtual Result<QString> add(const MailMessage &message) = 0;
    // Claims up to `max` due messages nobody holds (or whose holder's lease ran out).
    virtual Result<QList<JournaledMail>> claim(int max, qint64 leaseMs) = 0;
    virtual Status delivered(const JournaledMail &mail) = 0;
    // A failed attempt: tried again from `retryAtMs` (epoch ms), or given up (0): forgotten.
    virtual Status failed(const JournaledMail &mail, int attempts, qint64 retryAtMs,
                          const QString &error)
            = 0;
    // Not attempted (the queue stops): free for the next claim at once.
    virtual Status release(const JournaledMail &mail) = 0;
};

// Delivers mail on its own thread: callers never wait for a mail server. With a journal it is
// the outbox's sender: it claims due rows (several processes may share one database; a claim
// is one process's alone), delivers each, and deletes it or schedules a retry with backoff.
// Without one, messages still queued when it is destroyed are dropped (and counted in the log).
class MailQueue
{
public:
    explicit MailQueue(std::unique_ptr<Mailer> mailer, RetryPolicy policy = {});
    ~MailQueue();
    MailQueue(const MailQueue &) = delete;
    MailQueue &operator=(const MailQueue &) = delete;

    // From now on the queue sends what `journal` holds, and enqueue() writes there first.
    // `journal` must outlive the queue.
    void setJournal(MailJournal *journal);
    void enqueue(MailMessage message);
    // Look at the journal now (a producer committed mail); otherwise it looks every pollMs.
    void wake();
    // Tests: true once nothing is queued or in flight (with a journal: a look at it after
    // this call found nothing due), false after `timeoutMs`.
    bool waitUntilIdle(int timeoutMs);
    Mailer &mailer() { return *m_mailer; }
    const RetryPolicy &policy() const { return m_policy; }

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
        QString claim; // non-empty: a journal row held by this claim
    };
    void run();
    void claimFromJournal(std::unique_lock<std::mutex> &lock);
    bool holdsJournalItems() const;

    std::unique_ptr<Mailer> m_mailer;
    RetryPolicy m_policy;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_idle;
    std::deque<Item> m_items;
    bool m_busy = false;
    bool m_stopping = false;
    MailJournal *m_journal = nullptr;
    bool m_claimNow = false;
    std::chrono::steady_clock::time_point m_nextClaim;
    // Looks at the journal, numbered when they start: a wait for idle needs one that began
    // after the wait did (one already running may have read before the caller's commit).
    quint64 m_claimPasses = 0;
    quint64 m_lastEmptyPass = 0; // the number of the last one that found nothing due
    Counts m_counts;
    std::thread m_thread;
};

} // namespace Mercato
