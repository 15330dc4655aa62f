#pragma once
// Writes notifications inside the caller's transaction and announces them after commit.

#include "database.h"
#include "events.h"

#include <QJsonObject>
#include <QList>

namespace Mercato {

struct PendingNotification
{
    QString userId;
    QString kind;
    QString title;
};

class Notifier
{
public:
    explicit Notifier(ModelEvents &events)
        : m_events(events)
    {}

    // Inserts one notification row using `db` (the open transaction's connection).
    // `pending` collects what to announce once the transaction has committed.
    Status add(const QSqlDatabase &db, const QString &userId, const QString &kind,
               const QString &title, const QString &body, const QJsonObject &data,
               QList<PendingNotification> *pending);
    // Emits ModelEvents::notificationCreated for each, after commit.
    void announce(const QList<PendingNotification> &pending);

private:
    ModelEvents &m_events;
};

} // namespace Mercato
