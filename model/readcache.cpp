#include "readcache.h"

#include "preparedsql.h"

#include <QMutexLocker>
#include <QSqlDriver>
#include <QSqlQuery>

namespace Mercato {

ReadCache::ReadCache(Database &database)
    : m_database(database)
{}

std::optional<QByteArray> ReadCache::stamp()
{
    if (m_database.engine() != Engine::Sqlite)
        return std::nullopt;
    // data_version moves when any other connection (thread or process) commits;
    // total_changes() counts this connection's own writes, which data_version ignores.
    const QSqlDatabase db = m_database.connection();
    const QVariant serial
            = db.driver() ? db.driver()->property(Database::kSessionProperty) : QVariant();
    if (!serial.isValid())
        return std::nullopt;
    const QByteArray session = QByteArray::number(serial.toULongLong());
    auto q = execPrepared(db, QStringLiteral("SELECT data_version, total_changes() "
                                             "FROM pragma_data_version"));
    if (!q)
        return std::nullopt;
    std::optional<QByteArray> s;
    if (q.value()->next())
        s = session + '/' + q.value()->value(0).toByteArray() + '/'
            + q.value()->value(1).toByteArray();
    q.value()->finish();
    return s;
}

std::optional<QByteArray> ReadCache::find(const QString &key, const QByteArray &stamp)
{
    const QString connection = m_database.connection().connectionName();
    QMutexLocker lock(&m_mutex);
    const auto perThread = m_entries.constFind(connection);
    if (perThread == m_entries.constEnd())
        return std::nullopt;
    const auto it = perThread->constFind(key);
    if (it == perThread->constEnd() || it->stamp != stamp)
        return std::nullopt;
    return it->answer;
}

void ReadCache::store(const QString &key, const QByteArray &stamp, const QByteArray &answer)
{
    const QString connection = m_database.connection().connectionName();
    QMutexLocker lock(&m_mutex);
    auto &perThread = m_entries[connection];
    // Entries of an older stamp can never be served again.
    if (perThread.size() >= kMaxEntriesPerThread
        || (!perThread.isEmpty() && perThread.cbegin()->stamp != stamp))
        perThread.clear();
    perThread.insert(key, Entry{stamp, answer});
}

} // namespace Mercato
