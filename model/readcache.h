#pragma once
// Answers of public reads (the catalogue's first pages and searches) kept per thread
// connection, within a byte budget per thread (least recently used out first), and served
// again only while the database is provably unchanged.

#include "database.h"

#include <QByteArray>
#include <QHash>
#include <QMutex>
#include <QString>

#include <atomic>
#include <list>
#include <optional>

namespace Mercato {

class ReadCache
{
public:
    // `budgetBytesPerThread`: what one thread's entries may hold (keys and answers); 0 keeps
    // nothing.
    explicit ReadCache(Database &database, qint64 budgetBytesPerThread = 4 * 1024 * 1024);

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

    qint64 budgetBytesPerThread() const { return m_budget; }
    // For /metrics: bytes held by all threads' entries, and lookups so far.
    qint64 bytes() const;
    quint64 hits() const { return m_hits.load(std::memory_order_relaxed); }
    quint64 misses() const { return m_misses.load(std::memory_order_relaxed); }
    quint64 evictions() const { return m_evictions.load(std::memory_order_relaxed); }

private:
    std::optional<QByteArray> postgresStamp(const QSqlDatabase &db, quint64 session);

    struct Entry
    {
        QByteArray answer;
        qint64 cost = 0;
        std::list<QString>::iterator recent; // its place in PerThread::recent
    };
    // One thread's entries, all read under one stamp (older ones can never be served again).
    struct PerThread
    {
        QByteArray stamp;
        QHash<QString, Entry> entries;
        std::list<QString> recent; // keys, most recently used first
        qint64 bytes = 0;
    };
    void evictOldest(PerThread &perThread);

    Database &m_database;
    const qint64 m_budget;
    mutable QMutex m_mutex;
    QHash<QString, PerThread> m_entries; // connection name → its entries
    std::atomic<quint64> m_hits{0};
    std::atomic<quint64> m_misses{0};
    std::atomic<quint64> m_evictions{0};
};

} // namespace Mercato
