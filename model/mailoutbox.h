#pragma once
// The mail_outbox table (migration 010): mail is written in the same transaction as the change
// that causes it (add with the transaction's connection), so it exists exactly when that
// change does; MailQueue sends it. Claims make one process the sender of a row: a conditional
// UPDATE on claimed_until (with FOR UPDATE SKIP LOCKED on PostgreSQL), so two processes on one
// database send a message once in the normal case; one killed mid-delivery leaves its claim
// to lapse, and the message goes out again (at least once; the Message-ID carries the row id).

#include "database.h"
#include "mailer.h"

namespace Mercato {

class MailOutboxTable : public MailJournal
{
public:
    explicit MailOutboxTable(Database &database);

    // Inside the caller's transaction: `db` is its connection (Transaction::db()). Due at once.
    static Result<QString> add(const QSqlDatabase &db, const MailMessage &message);

    Result<QString> add(const MailMessage &message) override;
    Result<QList<JournaledMail>> claim(int max, qint64 leaseMs) override;
    Status delivered(const JournaledMail &mail) override;
    Status failed(const JournaledMail &mail, int attempts, qint64 retryAtMs,
                  const QString &error) override;
    Status release(const JournaledMail &mail) override;

    // Messages in the table, due or not, whoever holds them.
    Result<qint64> count();

    struct Depth
    {
        qint64 messages = 0;
        qint64 oldestCreatedAtMs = 0; // 0 when empty
    };
    // Messages waiting (due, retrying later or in flight) and the oldest one's age, in one
    // aggregate over a table that holds only undelivered mail.
    Result<Depth> depth();

private:
    Database &m_db;
};

} // namespace Mercato
