#include "readcache.h"

#include "preparedsql.h"

#include <QMutexLocker>
#include <QSqlDriver>
#include <QSqlQuery>

#include <cstring>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Mercato {

namespace {

// The header of a SQLite WAL index (the `-shm` file; format in SQLite's walformat.html): two
// copies of a 48-byte header that the writer of every commit rewrites, the second copy first.
// Any commit, of any connection of any process, changes it (iChange, mxFrame, the salts after a
// WAL restart, the checksum). Reading it is what SQLite itself does to start a read
// transaction, without the locks and system calls around it.
constexpr int kHeaderBytes = 48;
constexpr quint32 kWalIndexVersion = 3007000;

// One thread's view of the WAL index of its connection's session (this thread's connection
// holds the index open while the session lasts, so the file cannot be replaced under it).
struct WalIndexView
{
    quint64 session = 0;
    const unsigned char *map = nullptr;
    bool unusable = false; // this session's file cannot be read this way: ask SQLite

    ~WalIndexView() { reset(0); }

    void reset(quint64 newSession)
    {
        if (map)
            ::munmap(const_cast<unsigned char *>(map), kHeaderBytes * 2);
        map = nullptr;
        unusable = false;
        session = newSession;
    }

    bool open(sqlite3 *handle)
    {
        const char *file = sqlite3_db_filename(handle, "main");
        if (!file || !*file)
            return false; // in-memory or temporary: no WAL index file
        const QByteArray path = QByteArray(file) + "-shm";
        const int fd = ::open(path.constData(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return false;
        struct stat st = {};
        void *m = MAP_FAILED;
        if (::fstat(fd, &st) == 0 && st.st_size >= kHeaderBytes * 2)
            m = ::mmap(nullptr, kHeaderBytes * 2, PROT_READ, MAP_SHARED, fd, 0);
        ::close(fd);
        if (m == MAP_FAILED)
            return false;
        map = static_cast<const unsigned char *>(m);
        return true;
    }

    // Both copies of the header agree and say the index is initialised: the header.
    std::optional<QByteArray> header() const
    {
        // Acquire loads, word by word: the first copy is read before the second (the writer
        // writes the second first), as SQLite's own reader does with a memory barrier.
        const auto *words = reinterpret_cast<const quint32 *>(map);
        quint32 first[kHeaderBytes / 4];
        quint32 second[kHeaderBytes / 4];
        for (int i = 0; i < kHeaderBytes / 4; ++i)
            first[i] = __atomic_load_n(words + i, __ATOMIC_ACQUIRE);
        for (int i = 0; i < kHeaderBytes / 4; ++i)
            second[i] = __atomic_load_n(words + kHeaderBytes / 4 + i, __ATOMIC_ACQUIRE);
        const auto *bytes = reinterpret_cast<const unsigned char *>(first);
        if (std::memcmp(first, second, sizeof first) != 0 || first[0] != kWalIndexVersion
            || bytes[12] != 1)
            return std::nullopt; // a commit is writing it, or not a WAL index we know
        return QByteArray(reinterpret_cast<const char *>(first), kHeaderBytes);
    }
};

thread_local WalIndexView t_walIndex;

} // namespace

ReadCache::ReadCache(Database &database, qint64 budgetBytesPerThread)
    : m_database(database)
    , m_budget(std::max<qint64>(0, budgetBytesPerThread))
{}

std::optional<QByteArray> ReadCache::stamp()
{
    // Inside a transaction the connection sees its own uncommitted writes: never stamped.
    if (openTransactionsOnThisThread() > 0)
        return std::nullopt;
    const QSqlDatabase db = m_database.connection();
    QSqlDriver *driver = db.driver();
    const QVariant serial = driver ? driver->property(Database::kSessionProperty) : QVariant();
    if (m_database.engine() == Engine::Postgres)
        return serial.isValid() ? postgresStamp(db, serial.toULongLong()) : std::nullopt;
    const QVariant handle = driver ? driver->handle() : QVariant();
    if (!serial.isValid() || qstrcmp(handle.typeName(), "sqlite3*") != 0)
        return std::nullopt;
    auto *sqlite = *static_cast<sqlite3 *const *>(handle.data());
    if (!sqlite || sqlite3_get_autocommit(sqlite) == 0)
        return std::nullopt;
    const quint64 session = serial.toULongLong();
    const QByteArray prefix = QByteArray::number(session) + '/';

    WalIndexView &view = t_walIndex;
    if (view.session != session)
        view.reset(session);
    if (view.map) {
        if (auto header = view.header())
            return prefix + "w" + *header;
    }

    // SQLite's own answer: data_version moves when any other connection (thread or process)
    // commits; total_changes() counts this connection's own writes, which data_version ignores.
    // It also opens the WAL index of this session, which the view above then reads.
    auto q = execPrepared(db, QStringLiteral("SELECT data_version, total_changes() "
                                             "FROM pragma_data_version"));
    if (!q)
        return std::nullopt;
    std::optional<QByteArray> s;
    if (q.value()->next())
        s = prefix + "v" + q.value()->value(0).toByteArray() + '/'
            + q.value()->value(1).toByteArray();
    q.value()->finish();
    if (!view.map && !view.unusable)
        view.unusable = !view.open(sqlite);
    return s;
}

std::optional<QByteArray> ReadCache::postgresStamp(const QSqlDatabase &db, quint64 session)
{
    // The cluster's transactions as a new snapshot sees them: the next transaction id to come
    // and those still running. Any commit between two stamps changes it: a transaction that
    // committed was either running at the first (listed) or began after it (a higher next id).
    // So an equal stamp means the same committed data. Activity of other databases of the
    // cluster changes it too: a needless miss, never a stale answer.
    auto q = execPrepared(db, QStringLiteral("SELECT CAST(pg_current_snapshot() AS text)"));
    if (!q)
        return std::nullopt;
    std::optional<QByteArray> s;
    if (q.value()->next())
        s = QByteArray::number(session) + "/p" + q.value()->value(0).toByteArray();
    q.value()->finish();
    return s;
}

std::optional<QByteArray> ReadCache::find(const QString &key, const QByteArray &stamp)
{
    const QString connection = m_database.connection().connectionName();
    QMutexLocker lock(&m_mutex);
    const auto perThread = m_entries.find(connection);
    if (perThread == m_entries.end() || perThread->stamp != stamp) {
        m_misses.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    const auto it = perThread->entries.constFind(key);
    if (it == perThread->entries.constEnd()) {
        m_misses.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    perThread->recent.splice(perThread->recent.begin(), perThread->recent, it->recent);
    m_hits.fetch_add(1, std::memory_order_relaxed);
    return it->answer;
}

void ReadCache::evictOldest(PerThread &perThread)
{
    const auto it = perThread.entries.find(perThread.recent.back());
    perThread.bytes -= it->cost;
    perThread.entries.erase(it);
    perThread.recent.pop_back();
    m_evictions.fetch_add(1, std::memory_order_relaxed);
}

void ReadCache::store(const QString &key, const QByteArray &stamp, const QByteArray &answer)
{
    // What an entry holds: the answer, its key (UTF-16) twice (table and recency list), and
    // the nodes around them.
    const qint64 cost = answer.size() + 2 * key.size() * qint64(sizeof(QChar)) + 128;
    if (cost > m_budget)
        return; // larger than everything this thread may keep: not kept at all
    const QString connection = m_database.connection().connectionName();
    QMutexLocker lock(&m_mutex);
    PerThread &perThread = m_entries[connection];
    if (perThread.stamp != stamp) {
        // Entries of an older stamp can never be served again.
        perThread.entries.clear();
        perThread.recent.clear();
        perThread.bytes = 0;
        perThread.stamp = stamp;
    }
    if (const auto old = perThread.entries.find(key); old != perThread.entries.end()) {
        perThread.bytes -= old->cost;
        perThread.recent.erase(old->recent);
        perThread.entries.erase(old);
    }
    while (!perThread.recent.empty()
           && (perThread.bytes + cost > m_budget
               || perThread.entries.size() >= kMaxEntriesPerThread))
        evictOldest(perThread);
    perThread.recent.push_front(key);
    perThread.entries.insert(key, Entry{answer, cost, perThread.recent.begin()});
    perThread.bytes += cost;
}

qint64 ReadCache::bytes() const
{
    QMutexLocker lock(&m_mutex);
    qint64 total = 0;
    for (const PerThread &perThread : m_entries)
        total += perThread.bytes;
    return total;
}

} // namespace Mercato
