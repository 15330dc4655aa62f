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

    // What the calling thread's connection sees of the database now, or nothing when the
    // engine cannot tell (PostgreSQL: other processes' commits are only known through
    // LISTEN/NOTIFY, which arrives late, so nothing is cached there). Take it before the read
    // whose answer is stored under it.
    std::optional<QByteArray> stamp();

    // The answer kept under `key` for this thread if it was read under `stamp`.
    std::optional<QByteArray> find(const QString &key, const QByteArray &stamp);
    void store(const QString &key, const QByteArray &stamp, const QByteArray &answer);

    static constexpr int kMaxEntriesPerThread = 256;

private:
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
