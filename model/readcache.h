#pragma once
// Answers of public reads (the catalogue's first pages and searches) kept per thread
// connection and served again only while the database is provably unchanged.

#include "database.h"

#include <QByteArray>
#include <QHash>
#include <QMutex>
#include <QString>

#include <optional>

namespace Mercato {

class ReadCache
{
public:
    explicit ReadCache(Database &database);

    // What the calling thread's connection sees of the database now (SQLite: the WAL index
    // header; PostgreSQL: the cluster's current snapshot), or nothing when it cannot tell
    // (inside a transaction). Equal stamps mean no commit came between them, from any thread
    // or process. Take it before the read whose answer is stored under it: a commit during the
    // read then changes the next stamp, so the answer is never served.
    std::optional<QByteArray> stamp();

    // The answer kept under `key` for this thread if it was read under `stamp`.
    std::optional<QByteArray> find(const QString &key, const QByteArray &stamp);
    void store(const QString &key, const QByteArray &stamp, const QByteArray &answer);

    static constexpr int kMaxEntriesPerThread = 256;

private:
    std::optional<QByteArray> postgresStamp(const QSqlDatabase &db, quint64 session);

    struct Entry
    {
        QByteArray stamp;
        QByteArray answer;
    };

    Database &m_database;
    QMutex m_mutex;
    QHash<QString, QHash<QString, Entry>> m_entries; // connection name → key → entry
};

} // namespace Mercato
