#include "notifier.h"

#include "clock.h"
#include "ids.h"

#include <QJsonDocument>

namespace Mercato {

Status Notifier::add(const QSqlDatabase &db, const QString &userId, const QString &kind,
                     const QString &title, const QString &body, const QJsonObject &data,
                     QList<PendingNotification> *pending)
{
    auto q = execSql(db,
                     QStringLiteral("INSERT INTO notifications (id, user_id, kind, title, body, "
                                    "data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
                     {Ids::newId(), userId, kind, title, body,
                      QString::fromUtf8(QJsonDocument(data).toJson(QJsonDocument::Compact)),
                      Clock::nowMs()});
    if (!q)
        return q.error();
    if (pending)
        pending->append({userId, kind, title});
    return Ok{};
}

void Notifier::announce(const QList<PendingNotification> &pending)
{
    for (const PendingNotification &n : pending)
        Q_EMIT m_events.notificationCreated(n.userId, n.kind, n.title);
}

} // namespace Mercato
