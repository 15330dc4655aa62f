#include "mailoutbox.h"

#include "clock.h"
#include "ids.h"

#include <QSqlQuery>
#include <QVariant>

namespace Mercato {

MailOutboxTable::MailOutboxTable(Database &database)
    : m_db(database)
    , m_instance(Ids::newId())
{}

Result<QString> MailOutboxTable::add(const MailMessage &message)
{
    const QString id = Ids::newId();
    const qint64 now = Clock::nowMs();
    auto q = execSql(
            m_db.connection(),
            QStringLiteral("INSERT INTO mail_outbox (id, recipient, subject, body, attempts, "
                           "next_attempt_at, claimed_by, claimed_at, created_at) "
                           "VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)"),
            {id, message.to, message.subject, message.textBody, now, m_instance, now, now});
    if (!q)
        return q.error();
    return id;
}

Status MailOutboxTable::attempted(const QString &id, int attempts, qint64 nextAttemptAtMs,
                                  const QString &error)
{
    auto q = execSql(m_db.connection(),
                     QStringLiteral("UPDATE mail_outbox SET attempts = ?, next_attempt_at = ?, "
                                    "last_error = ?, claimed_by = ?, claimed_at = ? WHERE id = ?"),
                     {attempts, nextAttemptAtMs, error, m_instance, Clock::nowMs(), id});
    if (!q)
        return q.error();
    return Ok{};
}

Status MailOutboxTable::finished(const QString &id)
{
    auto q = execSql(m_db.connection(), QStringLiteral("DELETE FROM mail_outbox WHERE id = ?"),
                     {id});
    if (!q)
        return q.error();
    return Ok{};
}

Result<QList<JournaledMail>> MailOutboxTable::claim(qint64 leaseMs)
{
    const QSqlDatabase db = m_db.connection();
    const qint64 now = Clock::nowMs();
    auto q = execSql(
            db,
            QStringLiteral("SELECT id, recipient, subject, body, attempts, next_attempt_at, "
                           "claimed_by, claimed_at FROM mail_outbox "
                           "WHERE claimed_by = ? OR claimed_at < ? ORDER BY created_at, id"),
            {m_instance, now - leaseMs});
    if (!q)
        return q.error();
    QList<JournaledMail> candidates;
    QList<QPair<QString, qint64>> previousClaims;
    while (q->next()) {
        JournaledMail m;
        m.id = q->value(0).toString();
        m.message.to = q->value(1).toString();
        m.message.subject = q->value(2).toString();
        m.message.textBody = q->value(3).toString();
        m.attempts = q->value(4).toInt();
        m.nextAttemptAtMs = q->value(5).toLongLong();
        previousClaims.append({q->value(6).toString(), q->value(7).toLongLong()});
        candidates.append(std::move(m));
    }
    q->finish();
    QList<JournaledMail> claimed;
    for (qsizetype i = 0; i < candidates.size(); ++i) {
        // Taken only if nobody claimed it since it was read: two processes never both send it.
        auto u = execSql(db,
                         QStringLiteral("UPDATE mail_outbox SET claimed_by = ?, claimed_at = ? "
                                        "WHERE id = ? AND claimed_by = ? AND claimed_at = ?"),
                         {m_instance, now, candidates.at(i).id, previousClaims.at(i).first,
                          previousClaims.at(i).second});
        if (!u)
            return u.error();
        if (u->numRowsAffected() == 1)
            claimed.append(candidates.at(i));
    }
    return claimed;
}

void MailOutboxTable::threadEnds()
{
    m_db.releaseThreadConnection();
}

Result<qint64> MailOutboxTable::count()
{
    auto q = execSql(m_db.connection(), QStringLiteral("SELECT COUNT(*) FROM mail_outbox"));
    if (!q)
        return q.error();
    if (!q->next())
        return qint64(0);
    return q->value(0).toLongLong();
}

} // namespace Mercato
