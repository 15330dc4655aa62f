#include "notifications.h"

#include "clock.h"
#include "cursor.h"

#include <QJsonDocument>

namespace Mercato {

Result<NotificationPage> Notifications::list(const QString &userId, bool unreadOnly, int limit,
                                             const QString &cursor)
{
    const QString scope = QStringLiteral("notifications|%1|%2").arg(userId).arg(int(unreadOnly));
    QStringList where{QStringLiteral("user_id = ?")};
    QVariantList binds{userId};
    if (unreadOnly)
        where.append(QStringLiteral("read_at IS NULL"));
    if (!cursor.isEmpty()) {
        const auto after = Cursor::decode(scope, cursor);
        if (!after || after->size() != 2 || !Cursor::isNumber(after->at(0))
            || after->at(1).typeId() != QMetaType::QString) {
            const QString message = QStringLiteral("cursor is not one this list made");
            return Error{ErrorCode::BadRequest, message, {{QStringLiteral("cursor"), message}}};
        }
        where.append(QStringLiteral("(created_at < ? OR (created_at = ? AND id < ?))"));
        binds << after->at(0).toLongLong() << after->at(0).toLongLong() << after->at(1).toString();
    }
    limit = std::clamp(limit, 1, 100);
    binds.append(limit + 1);
    const QSqlDatabase db = m_database.connection();
    auto q = execSql(
            db,
            QStringLiteral("SELECT id, kind, title, body, data, created_at, read_at "
                           "FROM notifications WHERE %1 ORDER BY created_at DESC, id DESC LIMIT ?")
                    .arg(where.join(QStringLiteral(" AND "))),
            binds);
    if (!q)
        return q.error();
    NotificationPage page;
    bool more = false;
    while (q->next()) {
        if (page.items.size() == limit) {
            more = true;
            break;
        }
        NotificationItem n;
        n.id = q->value(0).toString();
        n.kind = q->value(1).toString();
        n.title = q->value(2).toString();
        n.body = q->value(3).toString();
        n.data = QJsonDocument::fromJson(q->value(4).toString().toUtf8()).object();
        n.createdAt = q->value(5).toLongLong();
        if (!q->value(6).isNull())
            n.readAt = q->value(6).toLongLong();
        page.items.append(n);
    }
    if (more)
        page.nextCursor = Cursor::encode(
                scope, {double(page.items.last().createdAt), page.items.last().id});
    auto count = unreadCount(userId);
    if (!count)
        return count.error();
    page.unreadCount = count.value();
    return page;
}

Result<qint64> Notifications::unreadCount(const QString &userId)
{
    auto q = execSql(
            m_database.connection(),
            QStringLiteral(
                    "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL"),
            {userId});
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : 0;
}

Status Notifications::markRead(const QString &userId, const QString &notificationId)
{
    const QSqlDatabase db = m_database.connection();
    auto found = execSql(db,
                         QStringLiteral("SELECT 1 FROM notifications WHERE id = ? AND user_id = ?"),
                         {notificationId, userId});
    if (!found)
        return found.error();
    if (!found->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such notification"));
    auto q = execSql(db,
                     QStringLiteral("UPDATE notifications SET read_at = ? WHERE id = ? AND "
                                    "user_id = ? AND read_at IS NULL"),
                     {Clock::nowMs(), notificationId, userId});
    if (!q)
        return q.error();
    return Ok{};
}

Status Notifications::markAllRead(const QString &userId)
{
    auto q = execSql(
            m_database.connection(),
            QStringLiteral(
                    "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL"),
            {Clock::nowMs(), userId});
    if (!q)
        return q.error();
    return Ok{};
}

} // namespace Mercato
