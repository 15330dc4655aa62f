#pragma once
// The mail_outbox table: MailQueue's journal, so queued mail survives a stop or a crash and
// mail a stopped process left behind is sent by another (several processes on PostgreSQL).

#include "database.h"
#include "mailer.h"

namespace Mercato {

class MailOutboxTable : public MailJournal
{
public:
    explicit MailOutboxTable(Database &database);
    Result<QString> add(const MailMessage &message) override;
    Status attempted(const QString &id, int attempts, qint64 nextAttemptAtMs,
                     const QString &error) override;
    Status finished(const QString &id) override;
    Result<QList<JournaledMail>> claim(qint64 leaseMs) override;
    void threadEnds() override;

    // Messages in the table, whoever tends them.
    Result<qint64> count();
    const QString &instanceId() const { return m_instance; }

private:
    Database &m_db;
    const QString m_instance; // this process's queue: random per run
};

} // namespace Mercato
