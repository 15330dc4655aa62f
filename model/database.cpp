#include "database.h"
#include "dbpool.h"
#include "preparedsql.h"
#include "walcheckpointer.h"

#include "clock.h"
#include "ids.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QLoggingCategory>
#include <QPointer>
#include <QRegularExpression>
#include <QSet>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlRecord>
#include <QThread>
#include <QThreadStorage>
#include <QUrl>
#include <QUrlQuery>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <thread>

#include <pthread.h>

Q_LOGGING_CATEGORY(lcDb, "mercato.db")

namespace Mercato {

Result<DatabaseUrl> DatabaseUrl::parse(const QString &text)
{
    DatabaseUrl url;
    if (text.startsWith(QLatin1String("sqlite:"))) {
        url.engine = Engine::Sqlite;
        url.path = text.mid(7);
        if (url.path.startsWith(QLatin1String("//")))
            url.path = url.path.mid(2);
        if (url.path.isEmpty())
            return Error::validation(QStringLiteral("database"),
                                     QStringLiteral("sqlite: URL without a file path"));
        return url;
    }
    if (text.startsWith(QLatin1String("postgresql://"))
        || text.startsWith(QLatin1String("postgres://"))) {
        const QUrl u(text, QUrl::StrictMode);
        if (!u.isValid())
            return Error::validation(QStringLiteral("database"),
                                     QStringLiteral("malformed PostgreSQL URL"));
        url.engine = Engine::Postgres;
        url.host = u.host();
        url.port = u.port(5432);
        url.user = u.userName();
        url.password = u.password();
        url.name = u.path().mid(1);
        const QUrlQuery query(u);
        if (query.hasQueryItem(QStringLiteral("host")))
            url.host = query.queryItemValue(QStringLiteral("host"), QUrl::FullyDecoded);
        if (query.hasQueryItem(QStringLiteral("port")))
            url.port = query.queryItemValue(QStringLiteral("port")).toInt();
        if (url.name.isEmpty() || url.port <= 0 || url.port > 65535)
            return Error::validation(QStringLiteral("database"),
                                     QStringLiteral("PostgreSQL URL needs a database name and "
                                                    "a valid port"));
        if (url.host.isEmpty())
            url.host = QStringLiteral("localhost");
        return url;
    }
    return Error::validation(QStringLiteral("database"),
                             QStringLiteral("database URL must start with sqlite: or "
                                            "postgresql://"));
}

QString DatabaseUrl::redacted() const
{
    if (engine == Engine::Sqlite)
        return QStringLiteral("sqlite:") + path;
    // Concatenated, not arg()-chained: a user name holding "%1" was itself replaced.
    return QStringLiteral("postgresql://") + user + QLatin1Char('@') + host + QLatin1Char(':')
           + QString::number(port) + QLatin1Char('/') + name;
}

namespace {
// The databases that exist: a thread that ends releases its connections only of these.
std::mutex s_liveMutex;
QSet<const Database *> s_live; // guarded by s_liveMutex
} // namespace

// Each thread's connections, released when the thread ends: QThreadStorage deletes this as its
// thread finishes (a QThread's before wait() returns, another thread's as it exits, the main
// thread's with the application), on that thread, while it is still the connection's owner.
struct Database::ThreadConnections
{
    QList<QPair<Database *, QString>> owned;

    ~ThreadConnections()
    {
        for (const auto &[database, name] : std::as_const(owned)) {
            std::lock_guard lock(s_liveMutex); // the database is not destroyed meanwhile
            if (s_live.contains(database))
                database->releaseConnection(name);
        }
    }

    static ThreadConnections &current()
    {
        static QThreadStorage<ThreadConnections *> storage;
        if (!storage.hasLocalData())
            storage.setLocalData(new ThreadConnections);
        return *storage.localData();
    }
};

Database::Database(DatabaseUrl url)
    : m_url(std::move(url))
    , m_prefix(QStringLiteral("mercato-") + Ids::newId().left(8))
{
    std::lock_guard lock(s_liveMutex);
    s_live.insert(this);
}

namespace {
// The pool gauge's view: connection name -> owning thread's name, per Database. Kept here so
// the gauge needs no change to Database's layout.
std::mutex s_poolMutex;
QHash<const Database *, QHash<QString, QString>> s_pool;

void notePoolConnection(const Database *database, const QString &name, const QString &thread,
                        bool removed = false)
{
    std::lock_guard lock(s_poolMutex);
    if (removed) {
        auto it = s_pool.find(database);
        if (it != s_pool.end()) {
            it->remove(name);
            if (it->isEmpty())
                s_pool.erase(it);
        }
        return;
    }
    s_pool[database].insert(name, thread.isEmpty() ? QStringLiteral("thread") : thread);
}
} // namespace

QStringList connectionThreads(const Database &database)
{
    std::lock_guard lock(s_poolMutex);
    return s_pool.value(&database).values();
}

// The thread of Database::runOnWriter: one job at a time, in the order they came.
class Database::WriterThread
{
public:
    explicit WriterThread(Database &database)
        : m_database(database)
        , m_thread([this] { loop(); })
    {}

    ~WriterThread()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_wake.notify_one();
        m_thread.join();
    }

    bool isCurrent() const { return std::this_thread::get_id() == m_thread.get_id(); }

    void run(const std::function<void()> &work)
    {
        Job job;
        job.work = &work;
        std::unique_lock lock(m_mutex);
        m_queue.push_back(&job);
        m_wake.notify_one();
        job.finished.wait(lock, [&job] { return job.done; });
    }

private:
    struct Job
    {
        const std::function<void()> *work = nullptr;
        std::condition_variable finished;
        bool done = false; // guarded by m_mutex
    };

    void loop()
    {
        // Named for ps, top and perf too (a std::thread otherwise keeps its creator's name).
        pthread_setname_np(pthread_self(), "db-writer");
        QThread::currentThread()->setObjectName(QStringLiteral("db-writer"));
        std::unique_lock lock(m_mutex);
        for (;;) {
            m_wake.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
            if (m_queue.empty())
                break; // stopping, and every job that came has run
            Job *job = m_queue.front();
            m_queue.pop_front();
            lock.unlock();
            (*job->work)();
            lock.lock();
            job->done = true;
            job->finished.notify_one();
        }
    }

    Database &m_database;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Job *> m_queue; // guarded by m_mutex
    bool m_stopping = false;   // guarded by m_mutex
    std::thread m_thread;      // last: starts once the members above exist
};

void Database::runOnWriter(const std::function<void()> &work)
{
    if (m_url.engine != Engine::Sqlite) {
        work();
        return;
    }
    WriterThread *writer = nullptr;
    {
        std::lock_guard lock(m_mutex);
        if (!m_writer)
            m_writer = std::make_unique<WriterThread>(*this);
        writer = m_writer.get();
    }
    if (writer->isCurrent()) {
        work();
        return;
    }
    writer->run(work);
}

Database::~Database()
{
    m_writer.reset(); // its jobs finish and its thread's end removes its connection
    {
        std::lock_guard lock(s_liveMutex); // waits for a thread releasing one of ours
        s_live.remove(this);
    }
    {
        std::lock_guard lock(s_poolMutex);
        s_pool.remove(this);
    }
    // Connections of threads that never released theirs: only the names remain valid here.
    std::lock_guard lock(m_mutex);
    for (const QString &name : std::as_const(m_names)) {
        if (QSqlDatabase::contains(name))
            QSqlDatabase::removeDatabase(name);
    }
}

QString Database::connectionName() const
{
    return m_prefix + QLatin1Char('-')
           + QString::number(reinterpret_cast<quintptr>(QThread::currentThread()), 16);
}

namespace {

// Prepared statements of one connection, a child of its driver (so they go with it).
constexpr qsizetype kMaxPreparedPerConnection = 256;

class StatementCache : public QObject
{
public:
    using QObject::QObject;
    QHash<QString, QSqlQuery> statements;
};

// Found by name: StatementCache has no meta-object of its own to cast by.
StatementCache *findStatementCache(QSqlDriver *driver)
{
    static const QString name = QStringLiteral("mercato-statement-cache");
    return static_cast<StatementCache *>(
            driver->findChild<QObject *>(name, Qt::FindDirectChildrenOnly));
}

StatementCache *statementCache(QSqlDriver *driver, bool create)
{
    thread_local QSqlDriver *lastDriver = nullptr;
    thread_local QPointer<StatementCache> lastCache;
    if (driver == lastDriver && lastCache)
        return lastCache;
    static const QString name = QStringLiteral("mercato-statement-cache");
    auto *cache = findStatementCache(driver);
    if (!cache && create) {
        cache = new StatementCache(driver);
        cache->setObjectName(name);
    }
    lastDriver = driver;
    lastCache = cache;
    return cache;
}

// A closed connection's statements are gone (SQLite finalises them; a new PostgreSQL session
// has none): forget them before it is opened again.
void dropStatements(const QSqlDatabase &db)
{
    if (QSqlDriver *driver = db.driver()) {
        // No thread_local here: a thread's connections are also released as the thread ends,
        // after its thread_local objects are gone (one made again then would never be freed).
        if (StatementCache *cache = findStatementCache(driver))
            cache->statements.clear();
    }
}

} // namespace

namespace {
// A named connection of the calling thread to `url`, not opened yet.
QSqlDatabase addConnection(const DatabaseUrl &url, const QString &name)
{
    QSqlDatabase db;
    if (url.engine == Engine::Sqlite) {
        db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(url.path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=10000"));
    } else {
        db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
        db.setHostName(url.host);
        db.setPort(url.port);
        db.setUserName(url.user);
        db.setPassword(url.password);
        db.setDatabaseName(url.name);
        db.setConnectOptions(QStringLiteral("connect_timeout=5"));
    }
    return db;
}
} // namespace

Status checkConnection(const DatabaseUrl &url)
{
    const QString name = QStringLiteral("check-%1").arg(quintptr(QThread::currentThreadId()));
    QString failure;
    {
        QSqlDatabase db = addConnection(url, name);
        if (!db.open()) {
            failure = db.lastError().text().simplified(); // libpq's lines, as one
        } else {
            QSqlQuery q(db);
            if (!q.exec(QStringLiteral("SELECT 1")))
                failure = q.lastError().text().simplified();
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    if (!failure.isEmpty())
        return makeError(ErrorCode::Unavailable, failure);
    return Ok{};
}

QSqlDatabase Database::connection()
{
    const QString name = connectionName();
    if (QSqlDatabase::contains(name)) {
        QSqlDatabase db = QSqlDatabase::database(name, false);
        if (db.isOpen())
            return db;
        dropStatements(db);
        if (db.open() && configure(db).ok())
            return db;
        qCWarning(lcDb) << "reopening the database failed:" << db.lastError().text();
        return db;
    }
    QSqlDatabase db = addConnection(m_url, name);
    {
        std::lock_guard lock(m_mutex);
        m_names.append(name);
    }
    ThreadConnections::current().owned.append({this, name});
    notePoolConnection(this, name, QThread::currentThread()->objectName());
    if (!db.open()) {
        qCWarning(lcDb) << "cannot open" << m_url.redacted() << ":" << db.lastError().text();
        return db;
    }
    if (!configure(db).ok())
        db.close();
    return db;
}

void Database::releaseThreadConnection()
{
    const QString name = connectionName();
    ThreadConnections::current().owned.removeAll(QPair<Database *, QString>(this, name));
    releaseConnection(name);
}

void Database::releaseConnection(const QString &name)
{
    {
        std::lock_guard lock(m_mutex);
        m_names.removeAll(name);
    }
    notePoolConnection(this, name, {}, true);
    if (!QSqlDatabase::contains(name))
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(name, false);
        dropStatements(db);
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
}

Status Database::configure(QSqlDatabase &db)
{
    // Every (re)opened session gets a number of its own: per-session counters such as
    // SQLite's data_version start again, so ReadCache tells sessions apart by it.
    static std::atomic<quint64> sessions{0};
    if (QSqlDriver *driver = db.driver())
        driver->setProperty(kSessionProperty, QVariant::fromValue(++sessions));
    QStringList statements;
    if (m_url.engine == Engine::Sqlite) {
        statements
                = {QStringLiteral("PRAGMA journal_mode=WAL"),
                   QStringLiteral("PRAGMA synchronous=NORMAL"),
                   // No memory map: in WAL mode SQLite unmaps it whole whenever another
                   // connection has committed, and the next read maps it again and faults
                   // its pages back in. Under checkouts that was an munmap (with TLB flushes
                   // on every core) per request. Pages come from SQLite's cache or a read().
                   QStringLiteral("PRAGMA mmap_size=0"),
                   // Checkpoints: on the committing thread after 10,000 WAL pages, or
                   // none when a WalCheckpointer does them (walcheckpointer.h). Commits are
                   // as durable either way (the WAL is the log).
                   QStringLiteral("PRAGMA wal_autocheckpoint=%1").arg(automaticCheckpointPages()),
                   QStringLiteral("PRAGMA foreign_keys=ON")};
    } else {
        statements = {QStringLiteral("SET client_min_messages TO WARNING"),
                      QStringLiteral("SET TIME ZONE 'UTC'")};
    }
    for (const QString &sql : std::as_const(statements)) {
        QSqlQuery q(db);
        if (!q.exec(sql)) {
            qCWarning(lcDb) << "configuring the connection failed:" << q.lastError().text();
            return makeError(ErrorCode::Unavailable, QStringLiteral("database not usable"));
        }
    }
    return Ok{};
}

bool Database::ping()
{
    QSqlDatabase db = connection();
    if (!db.isOpen())
        return false;
    QSqlQuery q(db);
    if (q.exec(QStringLiteral("SELECT 1")) && q.next())
        return true;
    // A dropped server connection: try once more on a fresh one.
    db.close();
    db = connection();
    QSqlQuery again(db);
    return db.isOpen() && again.exec(QStringLiteral("SELECT 1")) && again.next();
}

namespace {
std::atomic<quint64> g_mainThreadStatements{0};

void countIfMainThread()
{
    const QCoreApplication *app = QCoreApplication::instance();
    if (app && QThread::currentThread() == app->thread())
        g_mainThreadStatements.fetch_add(1, std::memory_order_relaxed);
}
} // namespace

quint64 mainThreadStatementCount()
{
    return g_mainThreadStatements.load(std::memory_order_relaxed);
}

Result<QSqlQuery> execSql(const QSqlDatabase &db, const QString &sql, const QVariantList &binds)
{
    countIfMainThread();
    QSqlQuery q(db);
    q.setForwardOnly(true);
    if (!q.prepare(sql)) {
        qCWarning(lcDb).noquote() << "prepare failed:" << q.lastError().text() << "in" << sql;
        return makeError(db.isOpen() ? ErrorCode::Internal : ErrorCode::Unavailable,
                         QStringLiteral("database error"));
    }
    for (const QVariant &v : binds)
        q.addBindValue(v);
    if (!q.exec()) {
        Error e = makeError(ErrorCode::Internal, QStringLiteral("database error"));
        if (isUniqueViolation(q.lastError())) {
            e.code = ErrorCode::Conflict;
            return e;
        }
        qCWarning(lcDb).noquote() << "query failed:" << q.lastError().nativeErrorCode()
                                  << q.lastError().text() << "in" << sql;
        if (!db.isOpen() || q.lastError().type() == QSqlError::ConnectionError)
            e.code = ErrorCode::Unavailable;
        return e;
    }
    return q;
}

Result<QSqlQuery *> execPrepared(const QSqlDatabase &db, const QString &sql,
                                 const QVariantList &binds)
{
    QSqlDriver *driver = db.driver();
    if (!driver || !db.isOpen())
        return makeError(ErrorCode::Unavailable, QStringLiteral("database unavailable"));
    countIfMainThread();
    StatementCache *cache = statementCache(driver, true);
    auto it = cache->statements.find(sql);
    if (it == cache->statements.end()) {
        // Catalogue reads have many shapes (filters, sorts, page sizes): a bounded cache. What
        // goes is what no caller is reading (a finished statement is inactive).
        if (cache->statements.size() >= kMaxPreparedPerConnection) {
            for (auto old = cache->statements.begin(); old != cache->statements.end();)
                old = old->isActive() ? std::next(old) : cache->statements.erase(old);
        }
        QSqlQuery q(db);
        q.setForwardOnly(true);
        if (!q.prepare(sql)) {
            qCWarning(lcDb).noquote() << "prepare failed:" << q.lastError().text() << "in" << sql;
            return makeError(ErrorCode::Internal, QStringLiteral("database error"));
        }
        it = cache->statements.insert(sql, std::move(q));
    }
    QSqlQuery &q = it.value();
    for (int i = 0; i < binds.size(); ++i)
        q.bindValue(i, binds.at(i));
    if (!q.exec()) {
        const QSqlError error = q.lastError();
        q.finish();
        Error e = makeError(ErrorCode::Internal, QStringLiteral("database error"));
        if (isUniqueViolation(error)) {
            e.code = ErrorCode::Conflict;
            return e;
        }
        qCWarning(lcDb).noquote() << "query failed:" << error.nativeErrorCode() << error.text()
                                  << "in" << sql;
        // Whatever went wrong, the next use prepares the statement afresh.
        cache->statements.erase(it);
        if (!db.isOpen() || error.type() == QSqlError::ConnectionError)
            e.code = ErrorCode::Unavailable;
        return e;
    }
    return &q;
}

bool isUniqueViolation(const QSqlError &error)
{
    const QString code = error.nativeErrorCode();
    // PostgreSQL SQLSTATE 23505; SQLite extended code 2067 (or plain 19 constraint with text).
    return code == QLatin1String("23505") || code == QLatin1String("2067")
           || code == QLatin1String("1555")
           || (code == QLatin1String("19")
               && error.databaseText().contains(QLatin1String("UNIQUE")));
}

Transaction::Transaction(Database &database)
    : m_db(database.connection())
    , m_engine(database.engine())
{}

Transaction::~Transaction()
{
    if (m_active)
        rollback();
}

namespace {
thread_local int t_openTransactions = 0;
}

int openTransactionsOnThisThread()
{
    return t_openTransactions;
}

Status Transaction::begin()
{
    countIfMainThread();
    QSqlQuery q(m_db);
    const QString sql = m_engine == Engine::Sqlite ? QStringLiteral("BEGIN IMMEDIATE")
                                                   : QStringLiteral("BEGIN");
    if (!m_db.isOpen() || !q.exec(sql)) {
        qCWarning(lcDb) << "BEGIN failed:" << q.lastError().text();
        return makeError(ErrorCode::Unavailable, QStringLiteral("database busy or unavailable"));
    }
    m_active = true;
    ++t_openTransactions;
    return Ok{};
}

Status Transaction::commit()
{
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("COMMIT"))) {
        qCWarning(lcDb) << "COMMIT failed:" << q.lastError().text();
        rollback();
        return makeError(ErrorCode::Unavailable, QStringLiteral("could not commit"));
    }
    m_active = false;
    --t_openTransactions;
    return Ok{};
}

void Transaction::rollback()
{
    QSqlQuery q(m_db);
    q.exec(QStringLiteral("ROLLBACK"));
    if (m_active)
        --t_openTransactions;
    m_active = false;
}

// ---- migrations -------------------------------------------------------------------------

namespace {

struct Migration
{
    int version = 0;
    QString commonPath;
    QString enginePath;
};

std::map<int, Migration> availableMigrations(Engine engine)
{
    std::map<int, Migration> out;
    static const QRegularExpression versionRe(QStringLiteral("^(\\d+)_"));
    const QString engineDir = engine == Engine::Sqlite ? QStringLiteral(":/sql/sqlite")
                                                       : QStringLiteral(":/sql/postgresql");
    for (const auto &[dir, isEngine] :
         {std::pair{QStringLiteral(":/sql/common"), false}, std::pair{engineDir, true}}) {
        const QStringList files
                = QDir(dir).entryList({QStringLiteral("*.sql")}, QDir::Files, QDir::Name);
        for (const QString &file : files) {
            const auto m = versionRe.match(file);
            if (!m.hasMatch())
                continue;
            Migration &mig = out[m.captured(1).toInt()];
            mig.version = m.captured(1).toInt();
            (isEngine ? mig.enginePath : mig.commonPath) = dir + QLatin1Char('/') + file;
        }
    }
    return out;
}

QString readResource(const QString &path)
{
    if (path.isEmpty())
        return {};
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll());
}

// Splits a migration into statements: at a `;` ending a line, except inside a trigger body
// (until `END;`) or a dollar-quoted block.
QStringList splitStatements(const QString &script)
{
    QStringList out;
    QString current;
    bool inTrigger = false;
    bool inDollar = false;
    const QStringList lines = script.split(QLatin1Char('\n'));
    for (const QString &rawLine : lines) {
        const QString line = rawLine.trimmed();
        if (current.trimmed().isEmpty() && (line.isEmpty() || line.startsWith(QLatin1String("--"))))
            continue;
        current += rawLine + QLatin1Char('\n');
        if (line.count(QLatin1String("$$")) % 2 == 1)
            inDollar = !inDollar;
        if (line.startsWith(QLatin1String("CREATE TRIGGER"), Qt::CaseInsensitive))
            inTrigger = true;
        if (inDollar)
            continue;
        if (inTrigger) {
            if (line.compare(QLatin1String("END;"), Qt::CaseInsensitive) == 0) {
                out.append(current.trimmed());
                current.clear();
                inTrigger = false;
            }
            continue;
        }
        if (line.endsWith(QLatin1Char(';'))) {
            QString stmt = current.trimmed();
            stmt.chop(1);
            out.append(stmt);
            current.clear();
        }
    }
    if (!current.trimmed().isEmpty())
        out.append(current.trimmed());
    return out;
}

} // namespace

int Database::latestSchemaVersion()
{
    const auto all = availableMigrations(Engine::Sqlite);
    return all.empty() ? 0 : all.rbegin()->first;
}

int Database::schemaVersion()
{
    QSqlDatabase db = connection();
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT MAX(version) FROM schema_version")) || !q.next())
        return 0;
    return q.value(0).toInt();
}

Status Database::open()
{
    if (m_url.engine == Engine::Sqlite) {
        const QFileInfo info(m_url.path);
        if (!QDir().mkpath(info.absolutePath()))
            return makeError(ErrorCode::Unavailable,
                             QStringLiteral("cannot create %1").arg(info.absolutePath()));
    }
    QSqlDatabase db = connection();
    if (!db.isOpen())
        return makeError(ErrorCode::Unavailable,
                         QStringLiteral("cannot open the database %1: %2")
                                 .arg(m_url.redacted(), db.lastError().text()));
    return migrate();
}

Status Database::migrate()
{
    QSqlDatabase db = connection();
    {
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER "
                                   "PRIMARY KEY, applied_at BIGINT NOT NULL)")))
            return makeError(ErrorCode::Unavailable,
                             QStringLiteral("cannot create schema_version: ")
                                     + q.lastError().text());
    }
    const auto migrations = availableMigrations(m_url.engine);
    const int latest = migrations.empty() ? 0 : migrations.rbegin()->first;
    // A database a newer Mercato migrated is left as it is: nothing applied, the open refused.
    const auto newerThanThisBuild = [&](int current) {
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("the database schema is version %1, newer than this "
                                        "Mercato knows (%2); upgrade Mercato before opening it")
                                 .arg(current)
                                 .arg(latest));
    };
    // Every migration this build has that schema_version does not record is applied, in
    // ascending order, whatever the highest recorded version: a migration numbered in an
    // area's reserved range can arrive after a higher-numbered one was already applied.
    QSet<int> applied;
    int highest = 0;
    const auto readApplied = [&]() -> Status {
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("SELECT version FROM schema_version")))
            return makeError(ErrorCode::Unavailable,
                             QStringLiteral("cannot read schema_version: ") + q.lastError().text());
        applied.clear();
        highest = 0;
        while (q.next()) {
            const int v = q.value(0).toInt();
            applied.insert(v);
            highest = std::max(highest, v);
        }
        return Ok{};
    };
    if (auto s = readApplied(); !s)
        return s;
    if (highest > latest)
        return newerThanThisBuild(highest);
    for (const auto &[version, migration] : migrations) {
        if (applied.contains(version))
            continue;
        Transaction tx(*this);
        if (auto s = tx.begin(); !s)
            return s;
        if (m_url.engine == Engine::Postgres) {
            // Several servers starting at once on one database: one migrates, the rest wait.
            QSqlQuery lock(db);
            lock.exec(QStringLiteral("SELECT pg_advisory_xact_lock(7263521)"));
        }
        // Read again under the lock (BEGIN IMMEDIATE on SQLite): another process may have
        // applied it, or a newer Mercato migrated the database, meanwhile.
        if (auto s = readApplied(); !s)
            return s;
        if (highest > latest)
            return newerThanThisBuild(highest);
        if (applied.contains(version))
            continue;
        QString script = readResource(migration.commonPath) + QLatin1Char('\n')
                         + readResource(migration.enginePath);
        script.replace(QLatin1String("{{SERIAL_PK}}"),
                       m_url.engine == Engine::Sqlite
                               ? QLatin1String("INTEGER PRIMARY KEY AUTOINCREMENT")
                               : QLatin1String("BIGSERIAL PRIMARY KEY"));
        const QStringList statements = splitStatements(script);
        for (const QString &sql : statements) {
            QSqlQuery q(db);
            if (!q.exec(sql)) {
                return makeError(ErrorCode::Internal, QStringLiteral("migration %1 failed: %2")
                                                              .arg(version)
                                                              .arg(q.lastError().text()));
            }
        }
        QSqlQuery mark(db);
        mark.prepare(
                QStringLiteral("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)"));
        mark.addBindValue(version);
        mark.addBindValue(Clock::nowMs());
        if (!mark.exec())
            return makeError(ErrorCode::Internal, mark.lastError().text());
        if (auto s = tx.commit(); !s)
            return s;
        qCInfo(lcDb) << "applied migration" << version << "on" << m_url.redacted();
    }
    const int current = schemaVersion();
    if (current > latest)
        return newerThanThisBuild(current);
    return Ok{};
}

} // namespace Mercato
