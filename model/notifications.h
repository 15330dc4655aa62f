#pragma once
// A user's notifications: the rows Notifier writes, listed newest first, read one or all.

#include "database.h"

#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace Mercato {

struct NotificationItem
{
    QString id;
    QString kind;
    QString title;
    QString body;
    QJsonObject data;
    qint64 createdAt = 0;
    std::optional<qint64> readAt;
};

struct NotificationPage
{
    QList<NotificationItem> items;
    QString nextCursor;
    qint64 unreadCount = 0;
};

class Notifications
{
public:
    explicit Notifications(Database &database)
        : m_database(database)
    {}

    // Newest first; `unreadOnly` keeps those not read yet. A bad cursor: BadRequest naming it.
    Result<NotificationPage> list(const QString &userId, bool unreadOnly, int limit,
                                  const QString &cursor);
    // Only the user's own: another's is NotFound. Reading a read one again changes nothing.
    Status markRead(const QString &userId, const QString &notificationId);
    Status markAllRead(const QString &userId);
    Result<qint64> unreadCount(const QString &userId);

private:
    Database &m_database;
};

} // namespace Mercato
