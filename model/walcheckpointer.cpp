#include "walcheckpointer.h"

#include <QLoggingCategory>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

Q_LOGGING_CATEGORY(lcCheckpoint, "mercato.db.checkpoint")

namespace Mercato {

namespace {
// A WAL this long (about 8 MiB of 4 KiB pages) is started again.
constexpr qint64 kRestartFrames = 2000;
// A checkpoint copies each page changed since the last one into the database file once: after
// 10,000 WAL pages (about 40 MiB) instead of SQLite's 1,000, the pages every checkout touches
// (stock, indexes, the outbox) are copied and synced a tenth as often.
constexpr int kAutomaticPages = 10000;
std::atomic<int> g_checkpointers{0};
} // namespace

int automaticCheckpointPages()
{
    return g_checkpointers.load() > 0 ? 0 : kAutomaticPages;
}

WalCheckpointer::WalCheckpointer(Database &database, int intervalMs)
    : m_database(database)
    , m_intervalMs(intervalMs)
    , m_thread([this] { run(); })
{
    g_checkpointers.fetch_add(1);
}

WalCheckpointer::~WalCheckpointer()
{
    g_checkpointers.fetch_sub(1);
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void WalCheckpointer::run()
{
    bool stopping = false;
    while (!stopping) {
        {
            std::unique_lock lock(m_mutex);
            stopping = m_wake.wait_for(lock, std::chrono::milliseconds(m_intervalMs),
                                       [this] { return m_stopping; });
        }
        const QSqlDatabase db = m_database.connection();
        if (!db.isOpen())
            continue;
        QSqlQuery q(db);
        // Answers (busy, frames in the WAL, frames copied back): busy is 0 for PASSIVE.
        if (!q.exec(QStringLiteral("PRAGMA wal_checkpoint(PASSIVE)")) || !q.next()) {
            qCWarning(lcCheckpoint) << "checkpoint failed:" << q.lastError().text();
            continue;
        }
        const qint64 frames = q.value(1).toLongLong();
        if (frames <= 0 || q.value(2).toLongLong() != frames)
            continue;
        m_checkpoints.fetch_add(1);
        q.finish();
        // All copied back, but a WAL starts again from its first page only when a writer
        // finds no reader on it; under a steady stream of reads that rarely happens, the WAL
        // grows past the automatic threshold and then every commit checkpoints on its own
        // thread. RESTART waits (the busy timeout) for the readers to leave the WAL; all its
        // pages are in the database already, so it has nothing to copy.
        if (frames >= kRestartFrames && !q.exec(QStringLiteral("PRAGMA wal_checkpoint(RESTART)")))
            qCWarning(lcCheckpoint) << "restarting the WAL failed:" << q.lastError().text();
    }
}

} // namespace Mercato
