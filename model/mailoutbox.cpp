#include "mailoutbox.h"

#include "clock.h"
#include "ids.h"
#include "preparedsql.h"

#include <QSqlQuery>
#include <QVariant>

namespace Mercato {

MailOutboxTable::MailOutboxTable(Database &database)
    : m_db(database)
{}

Result<QString> MailOutboxTable::add(const QSqlDatabase &db, const MailMessage &message)
{
    const QString id = Ids::newId();
    const qint64 now = Clock::nowMs();
    // Prepared once per connection: every checkout writes one.
    auto q = execPrepared(db,
                          QStringLiteral("INSERT INTO mail_outbox (id, recipient, subject, body, "
                                         "attempts, next_attempt_at, claimed_by, claimed_until, "
                                         "created_at) VALUES (?, ?, ?, ?, 0, ?, '', 0, ?)"),
                          {id, message.to, message.subject, message.textBody, now, now});
    if (!q)
        return q.error();
    q.value()->finish();
    return id;
}

Result<QString> MailOutboxTable::add(const MailMessage &message)
{
    return add(m_db.connection(), message);
}

Result<QList<JournaledMail>> MailOutboxTable::claim(int max, qint64 leaseMs)
{
    const QSqlDatabase db = m_db.connection();
    const qint64 now = Clock::nowMs();
    {
        // A read first, so an idle poll never takes SQLite's write lock. Finished before the
        // write below: an open read would pin this connection's snapshot.
        auto due = execSql(db,
                           QStringLiteral("SELECT id FROM mail_outbox WHERE next_attempt_at <= ? "
                                          "AND claimed_until < ? LIMIT 1"),
                           {now, now});
        if (!due)
            return due.error();
        const bool any = due->next();
        due->finish();
        if (!any)
            return QList<JournaledMail>{};
    }
    // One statement claims: a row whose claim is live is never taken (the condition is
    // checked again on the row once its lock is had); on PostgreSQL rows another sender is
    // claiming right now are skipped rather than waited for.
    const QString token = Ids::newId();
    const QString skipLocked = m_db.engine() == Engine::Postgres
                                       ? QStringLiteral(" FOR UPDATE SKIP LOCKED")
                                       : QString();
    auto u = execSql(db,
                     QStringLiteral("UPDATE mail_outbox SET claimed_by = ?, claimed_until = ? "
                                    "WHERE claimed_until < ? AND id IN (SELECT id FROM "
                                    "mail_outbox WHERE next_attempt_at <= ? AND claimed_until "
                                    "< ? ORDER BY next_attempt_at, id LIMIT ?%1)")
                             .arg(skipLocked),
                     {token, now + leaseMs, now, now, now, max});
    if (!u)
        return u.error();
    QList<JournaledMail> claimed;
    if (u->numRowsAffected() == 0)
        return claimed;
    u->finish();
    auto q = execSql(db,
                     QStringLiteral("SELECT id, recipient, subject, body, attempts FROM "
                                    "mail_outbox WHERE claimed_by = ? ORDER BY next_attempt_at, "
                                    "id"),
                     {token});
    if (!q)
        return q.error();
    while (q->next()) {
        JournaledMail m;
        m.message.id = q->value(0).toString();
        m.message.to = q->value(1).toString();
        m.message.subject = q->value(2).toString();
        m.message.textBody = q->value(3).toString();
        m.attempts = q->value(4).toInt();
        m.claim = token;
        claimed.append(std::move(m));
    }
    q->finish();
    return claimed;
}

Status MailOutboxTable::delivered(const JournaledMail &mail)
{
    auto q = execSql(m_db.connection(),
                     QStringLiteral("DELETE FROM mail_outbox WHERE id = ? AND claimed_by = ?"),
                     {mail.message.id, mail.claim});
    if (!q)
        return q.error();
    return Ok{};
}

Status MailOutboxTable::failed(const JournaledMail &mail, int attempts, qint64 retryAtMs,
                               const QString &error)
{
    if (retryAtMs == 0)
        return delivered(mail); // given up: the row goes too (the log says why)
    auto q = execSql(m_db.connection(),
                     QStringLiteral("UPDATE mail_outbox SET attempts = ?, next_attempt_at = ?, "
                                    "last_error = ?, claimed_by = '', claimed_until = 0 "
                                    "WHERE id = ? AND claimed_by = ?"),
                     {attempts, retryAtMs, error, mail.message.id, mail.claim});
    if (!q)
        return q.error();
    return Ok{};
}

Status MailOutboxTable::release(const JournaledMail &mail)
{
    auto q = execSql(m_db.connection(),
                     QStringLiteral("UPDATE mail_outbox SET claimed_by = '', claimed_until = 0 "
                                    "WHERE id = ? AND claimed_by = ?"),
                     {mail.message.id, mail.claim});
    if (!q)
        return q.error();
    return Ok{};
}

Result<qint64> MailOutboxTable::count()
{
    auto q = execSql(m_db.connection(), QStringLiteral("SELECT COUNT(*) FROM mail_outbox"));
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : qint64(0);
}

Result<MailOutboxTable::Depth> MailOutboxTable::depth()
{
    auto q = execSql(m_db.connection(),
                     QStringLiteral("SELECT COUNT(*), MIN(created_at) FROM mail_outbox"));
    if (!q)
        return q.error();
    Depth d;
    if (q->next()) {
        d.messages = q->value(0).toLongLong();
        d.oldestCreatedAtMs = q->value(1).isNull() ? 0 : q->value(1).toLongLong();
    }
    q->finish();
    return d;
}

} // namespace Mercato
