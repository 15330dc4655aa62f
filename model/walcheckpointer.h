#pragma once
// SQLite: the WAL copied back into the database file by a thread of its own. Without it, the
// commit that takes the WAL past `wal_autocheckpoint` pages runs the checkpoint on the
// committing thread, copying thousands of pages and fsyncing, while the next writer waits for
// its turn. While one runs, connections opened in this process leave checkpoints to it
// (connections opened before keep the automatic checkpoint, and other processes theirs).
// Each pass is PASSIVE (it neither waits for nor blocks readers and writers), then, once all
// is copied and the WAL is long, RESTART: it waits for readers to leave the WAL, so the next
// writer starts it again from its first page.

#include "database.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace Mercato {

// `wal_autocheckpoint` for SQLite connections opened from now on: 10,000 pages, or 0 (off)
// while a WalCheckpointer runs in this process.
int automaticCheckpointPages();

class WalCheckpointer
{
public:
    explicit WalCheckpointer(Database &database, int intervalMs = 250);
    ~WalCheckpointer(); // stops the thread; the last pass runs first
    WalCheckpointer(const WalCheckpointer &) = delete;
    WalCheckpointer &operator=(const WalCheckpointer &) = delete;

    // Passes after which every page of a non-empty WAL was in the database file.
    quint64 checkpoints() const { return m_checkpoints.load(); }

private:
    void run();

    Database &m_database;
    const int m_intervalMs;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false; // guarded by m_mutex
    std::atomic<quint64> m_checkpoints{0};
    std::thread m_thread;
};

} // namespace Mercato
