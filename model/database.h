#pragma once
// The shop's database: URL parsing, per-thread connections, transactions, migrations.

#include "result.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QString>
#include <QVariantList>
#include <functional>
#include <memory>
#include <mutex>

namespace Mercato {

enum class Engine { Sqlite, Postgres };

struct DatabaseUrl
{
    Engine engine = Engine::Sqlite;
    QString path; // sqlite
    QString host; // postgresql: host name or socket directory
    int port = 5432;
    QString user;
    QString password;
    QString name;

    // `sqlite:PATH` or `postgresql://user:pass@host:port/db` (also `postgres://`,
    // `?host=/socket/dir` for a Unix socket).
    static Result<DatabaseUrl> parse(const QString &url);
    // The URL without its password, for logs and the console.
    QString redacted() const;
};

class Database
{
public:
    explicit Database(DatabaseUrl url);
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    // Opens this thread's connection, then brings the schema up to date. Refuses a database
    // whose schema is newer than this binary knows.
    Status open();

    Engine engine() const { return m_url.engine; }
    const DatabaseUrl &url() const { return m_url; }

    // The calling thread's connection, opened on first use. Never share it across threads.
    QSqlDatabase connection();
    // Dynamic property of a connection's driver: a number unique to each opened session.
    static constexpr const char *kSessionProperty = "mercatoSession";
    // Closes and removes the calling thread's connection now. A thread's connection is also
    // released by itself when the thread ends (QThread or not), so this is only for a thread
    // that lives on without needing its connection (a pooled thread between jobs).
    void releaseThreadConnection();
    // True when the database answers a trivial query from this thread.
    bool ping();

    // Runs `work` on the database's writer thread and waits for it (SQLite), or on the calling
    // thread (PostgreSQL, whose row locks let writers run side by side). Writes that follow one
    // another there keep their pages cached: SQLite empties a connection's page cache whenever
    // another connection has committed, so checkouts alternating between the workers' own
    // connections read every page again. The thread has its own connection like any other;
    // `work` uses Database::connection() and Transaction as usual. Nothing it touches may
    // belong to the calling thread's open transaction (it would wait for that one's lock).
    void runOnWriter(const std::function<void()> &work);

    int schemaVersion();
    static int latestSchemaVersion();

private:
    friend class Transaction;

    QString connectionName() const;
    // Closes and removes the connection `name` if it is still one of this database's.
    void releaseConnection(const QString &name);
    struct ThreadConnections; // the connections a thread opened, released as it ends
    Status configure(QSqlDatabase &db);
    Status migrate();

    DatabaseUrl m_url;
    QString m_prefix;
    std::mutex m_mutex; // guards m_names and the creation of m_writer
    QStringList m_names;
    class WriterThread;
    std::unique_ptr<WriterThread> m_writer; // SQLite, started by the first runOnWriter
};

// One statement with positional binds; on failure the error is logged (without values) and
// returned as Unavailable or Internal.
Result<QSqlQuery> execSql(const QSqlDatabase &db, const QString &sql,
                          const QVariantList &binds = {});
bool isUniqueViolation(const QSqlError &error);
// Whether `url` can be opened and answers a query, on a throwaway connection of the calling
// thread (the console's first start tests a PostgreSQL URL with it, off the GUI thread). The
// error is the driver's message on one line.
Status checkConnection(const DatabaseUrl &url);
// Statements (execSql, transaction begin) run on the application's main thread since start:
// the console keeps queries off its GUI thread, and its tests check this stays still.
quint64 mainThreadStatementCount();

// A write transaction (BEGIN IMMEDIATE on SQLite, so a busy writer waits instead of failing);
// rolls back on destruction unless committed.
class Transaction
{
public:
    Transaction(Database &database);
    ~Transaction();
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;

    Status begin();
    Status commit();
    void rollback();
    QSqlDatabase db() const { return m_db; }

private:
    QSqlDatabase m_db;
    Engine m_engine;
    bool m_active = false;
};

} // namespace Mercato
