// Migrations on an empty database, a migration missing below the highest applied one (an
// upgrade from a release without it), refusal of a newer schema, per-thread connections,
// transactions that roll back, the writer thread.

#include "support/testsupport.h"

#include "model/database.h"
#include "model/ids.h"
#include "model/walcheckpointer.h"

#include <QFile>
#include <QSet>
#include <QSqlDriver>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <thread>

#include <cstring>
#include <mutex>

using namespace Mercato;

class TestDatabase : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parsesUrls_data();
    void parsesUrls();
    void migratesFromEmpty();
    void refusesNewerSchema();
    void appliesMigrationMissingBelowTheHighest();
    void connectionsArePerThread();
    void endedThreadLeavesNoConnection();
    void transactionRollsBack();
    void walCopiedBackOffTheWritersThreads();
    void writerThreadRunsWritesInTurn();
};

void TestDatabase::parsesUrls_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<int>("engine");
    QTest::newRow("sqlite-path") << "sqlite:/tmp/x.db" << true << int(Engine::Sqlite);
    QTest::newRow("sqlite-empty") << "sqlite:" << false << 0;
    QTest::newRow("postgres") << "postgresql://u:p@db.example:5433/shop" << true
                              << int(Engine::Postgres);
    QTest::newRow("postgres-socket")
            << "postgresql://u@/shop?host=/run/pg&port=54329" << true << int(Engine::Postgres);
    QTest::newRow("postgres-no-db") << "postgresql://u:p@host:5432/" << false << 0;
    QTest::newRow("postgres-bad-port") << "postgresql://u@host:99999/db" << false << 0;
    QTest::newRow("mysql") << "mysql://u@h/db" << false << 0;
    QTest::newRow("garbage") << "not a url" << false << 0;
}

void TestDatabase::parsesUrls()
{
    QFETCH(QString, url);
    QFETCH(bool, valid);
    QFETCH(int, engine);
    const auto parsed = DatabaseUrl::parse(url);
    QCOMPARE(parsed.ok(), valid);
    if (valid) {
        QCOMPARE(int(parsed->engine), engine);
        QVERIFY(!parsed->redacted().contains(QLatin1String(":p@")));
    } else {
        QCOMPARE(parsed.error().code, ErrorCode::Validation);
    }
}

void TestDatabase::migratesFromEmpty()
{
    QTemporaryDir dir;
    Database db(DatabaseUrl::parse(Test::freshDatabaseUrl(dir.path())).value());
    const Status opened = db.open();
    QVERIFY2(opened.ok(), qPrintable(opened.error().detail));
    QVERIFY(Database::latestSchemaVersion() >= 1);
    QCOMPARE(db.schemaVersion(), Database::latestSchemaVersion());
    for (const char *table : {"users", "products", "stock_ledger", "orders", "order_items",
                              "notifications", "coin_ledger", "refund_requests", "complaints"}) {
        QSqlQuery q(db.connection());
        QVERIFY2(q.exec(QStringLiteral("SELECT COUNT(*) FROM ") + QLatin1String(table)), table);
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toInt(), 0);
    }
    // Opening again is a no-op.
    QVERIFY(db.open().ok());
    QCOMPARE(db.schemaVersion(), Database::latestSchemaVersion());
    db.releaseThreadConnection();
}

void TestDatabase::refusesNewerSchema()
{
    QTemporaryDir dir;
    const auto url = DatabaseUrl::parse(Test::freshDatabaseUrl(dir.path())).value();
    {
        Database db(url);
        QVERIFY(db.open().ok());
        QSqlQuery q(db.connection());
        QVERIFY(q.exec(
                QStringLiteral("INSERT INTO schema_version (version, applied_at) VALUES (%1, 0)")
                        .arg(Database::latestSchemaVersion() + 7)));
        db.releaseThreadConnection();
    }
    Database again(url);
    const Status s = again.open();
    QVERIFY(!s.ok());
    QVERIFY2(s.error().detail.contains(QLatin1String("newer")), qPrintable(s.error().detail));
    QVERIFY(s.error().detail.contains(QString::number(Database::latestSchemaVersion() + 7)));
    again.releaseThreadConnection();
}

namespace {

bool hasTable(QSqlDatabase db, const QString &table)
{
    QSqlQuery q(db);
    return q.exec(QStringLiteral("SELECT COUNT(*) FROM ") + table) && q.next();
}

QList<int> recordedVersions(QSqlDatabase db)
{
    QList<int> out;
    QSqlQuery q(db);
    if (q.exec(QStringLiteral("SELECT version FROM schema_version ORDER BY version"))) {
        while (q.next())
            out.append(q.value(0).toInt());
    }
    return out;
}

} // namespace

void TestDatabase::appliesMigrationMissingBelowTheHighest()
{
    // A database migrated by the previous release: every migration up to the latest except
    // 010 (the mail outbox, numbered in the accounts' range but added after 030 and 031).
    QTemporaryDir dir;
    const auto url = DatabaseUrl::parse(Test::freshDatabaseUrl(dir.path())).value();
    QList<int> all;
    {
        Database db(url);
        QVERIFY(db.open().ok());
        all = recordedVersions(db.connection());
        QVERIFY(all.contains(10));
        QVERIFY(all.last() > 10);
        QVERIFY(hasTable(db.connection(), QStringLiteral("mail_outbox")));
        QSqlQuery q(db.connection());
        QVERIFY(q.exec(QStringLiteral("DROP TABLE mail_outbox")));
        QVERIFY(q.exec(QStringLiteral("DELETE FROM schema_version WHERE version = 10")));
        QVERIFY(!hasTable(db.connection(), QStringLiteral("mail_outbox")));
        QCOMPARE(db.schemaVersion(), Database::latestSchemaVersion());
        db.releaseThreadConnection();
    }
    Database again(url);
    const Status opened = again.open();
    QVERIFY2(opened.ok(), qPrintable(opened.error().detail));
    QVERIFY(hasTable(again.connection(), QStringLiteral("mail_outbox")));
    QCOMPARE(recordedVersions(again.connection()), all);
    QCOMPARE(again.schemaVersion(), Database::latestSchemaVersion());
    // The table is the migration's, usable as the outbox uses it.
    QVERIFY(execSql(again.connection(),
                    QStringLiteral("INSERT INTO mail_outbox (id, recipient, subject, body, "
                                   "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?)"),
                    {QStringLiteral("m1"), QStringLiteral("a@example.test"), QStringLiteral("s"),
                     QStringLiteral("b"), 0, 0})
                    .ok());
    // Opening again applies nothing more (it would fail: the table exists).
    QVERIFY(again.open().ok());
    QCOMPARE(recordedVersions(again.connection()), all);
    again.releaseThreadConnection();
}

void TestDatabase::connectionsArePerThread()
{
    QTemporaryDir dir;
    Database db(DatabaseUrl::parse(Test::freshDatabaseUrl(dir.path())).value());
    QVERIFY(db.open().ok());
    const QString mainName = db.connection().connectionName();
    QString otherName;
    bool otherWorks = false;
    QThread *t = QThread::create([&] {
        {
            QSqlDatabase c = db.connection();
            otherName = c.connectionName();
            QSqlQuery q(c);
            otherWorks = q.exec(QStringLiteral("SELECT COUNT(*) FROM users")) && q.next();
        }
        db.releaseThreadConnection();
    });
    t->start();
    QVERIFY(t->wait(20000));
    delete t;
    QVERIFY(otherWorks);
    QVERIFY(!otherName.isEmpty());
    QVERIFY(otherName != mainName);
    QVERIFY(!QSqlDatabase::contains(otherName)); // removed in its own thread
    db.releaseThreadConnection();
}

// A thread that ends without releasing its connection leaves none behind, whether a QThread or
// a plain std::thread; a later thread (often at the address of one that ended, which names the
// connection) gets a fresh session of its own, never the ended thread's.
void TestDatabase::endedThreadLeavesNoConnection()
{
    QTemporaryDir dir;
    Database db(DatabaseUrl::parse(Test::freshDatabaseUrl(dir.path())).value());
    QVERIFY(db.open().ok());
    const QStringList before = QSqlDatabase::connectionNames();
    struct Seen
    {
        QString name;
        quint64 session = 0;
        bool works = false;
    };
    auto use = [&db](Seen &seen) {
        QSqlDatabase c = db.connection();
        seen.name = c.connectionName();
        seen.session = c.driver()->property(Database::kSessionProperty).toULongLong();
        QSqlQuery q(c);
        seen.works = q.exec(QStringLiteral("SELECT COUNT(*) FROM users")) && q.next();
    };
    QSet<quint64> sessions;
    QSet<QString> names;
    int reusedNames = 0;
    for (int i = 0; i < 20; ++i) {
        Seen seen;
        if (i % 2 == 0) {
            std::thread t([&] { use(seen); });
            t.join();
        } else {
            QThread *t = QThread::create([&] { use(seen); });
            t->start();
            QVERIFY(t->wait(20000));
            delete t;
        }
        QVERIFY2(seen.works, qPrintable(QStringLiteral("thread %1").arg(i)));
        QVERIFY2(!QSqlDatabase::contains(seen.name),
                 qPrintable(QStringLiteral("thread %1 left %2 open").arg(i).arg(seen.name)));
        QVERIFY2(!sessions.contains(seen.session),
                 qPrintable(QStringLiteral("thread %1 got an ended thread's session").arg(i)));
        sessions.insert(seen.session);
        if (names.contains(seen.name))
            ++reusedNames;
        names.insert(seen.name);
    }
    QCOMPARE(QSqlDatabase::connectionNames(), before);
    qInfo("%d of 20 threads had the connection name of one that ended before", reusedNames);
    // A thread that released its connection by hand and then ended is no different.
    Seen seen;
    std::thread t([&] {
        use(seen);
        db.releaseThreadConnection();
    });
    t.join();
    QVERIFY(seen.works);
    QCOMPARE(QSqlDatabase::connectionNames(), before);
}

void TestDatabase::transactionRollsBack()
{
    QTemporaryDir dir;
    Database db(DatabaseUrl::parse(Test::freshDatabaseUrl(dir.path())).value());
    QVERIFY(db.open().ok());
    {
        Transaction tx(db);
        QVERIFY(tx.begin().ok());
        QVERIFY(execSql(tx.db(),
                        QStringLiteral("INSERT INTO store_settings (name, value) VALUES (?, ?)"),
                        {QStringLiteral("a"), QStringLiteral("1")})
                        .ok());
        // no commit: rolled back on scope exit
    }
    {
        auto q = execSql(db.connection(), QStringLiteral("SELECT COUNT(*) FROM store_settings"));
        QVERIFY(q.ok() && q->next());
        QCOMPARE(q->value(0).toInt(), 0);
    }
    {
        Transaction tx(db);
        QVERIFY(tx.begin().ok());
        QVERIFY(execSql(tx.db(),
                        QStringLiteral("INSERT INTO store_settings (name, value) VALUES (?, ?)"),
                        {QStringLiteral("a"), QStringLiteral("1")})
                        .ok());
        // A duplicate key is a Conflict, not an internal error.
        auto dup = execSql(tx.db(),
                           QStringLiteral("INSERT INTO store_settings (name, value) VALUES (?, ?)"),
                           {QStringLiteral("a"), QStringLiteral("2")});
        QVERIFY(!dup.ok());
        QCOMPARE(dup.error().code, ErrorCode::Conflict);
    }
    db.releaseThreadConnection();
}

namespace {
// mxFrame (frames in the WAL) and nBackfill (frames copied into the database file) from the
// WAL index header (SQLite's walformat.html).
QPair<quint32, quint32> walFrames(const QString &databasePath)
{
    QFile shm(databasePath + QStringLiteral("-shm"));
    if (!shm.open(QIODevice::ReadOnly))
        return {0, 0};
    const QByteArray h = shm.read(136);
    if (h.size() < 136)
        return {0, 0};
    quint32 mxFrame = 0;
    quint32 backfill = 0;
    std::memcpy(&mxFrame, h.constData() + 16, 4);
    std::memcpy(&backfill, h.constData() + 96, 4);
    return {mxFrame, backfill};
}

// `count` write transactions on a thread of their own; its connection's wal_autocheckpoint.
int writeOnAThread(Database &db, const QString &prefix, int count)
{
    int autoPages = -1;
    QThread *t = QThread::create([&] {
        {
            QSqlQuery q(db.connection());
            if (q.exec(QStringLiteral("PRAGMA wal_autocheckpoint")) && q.next())
                autoPages = q.value(0).toInt();
        }
        for (int i = 0; i < count; ++i) {
            Transaction tx(db);
            if (!tx.begin()
                || !execSql(
                        tx.db(),
                        QStringLiteral("INSERT INTO store_settings (name, value) VALUES (?, ?)"),
                        QVariantList{QString(prefix + QString::number(i)), QStringLiteral("x")})
                || !tx.commit())
                return;
        }
        db.releaseThreadConnection();
    });
    t->start();
    t->wait();
    delete t;
    return autoPages;
}
} // namespace

// The WAL is copied back by the checkpointer's thread: connections opened while it runs have
// no automatic checkpoint, and their pages still reach the database file.
void TestDatabase::walCopiedBackOffTheWritersThreads()
{
    QTemporaryDir dir;
    const DatabaseUrl url = DatabaseUrl::parse(Test::freshDatabaseUrl(dir.path())).value();
    if (url.engine != Engine::Sqlite)
        QSKIP("SQLite's WAL");
    Database db(url);
    QVERIFY(db.open().ok());
    QCOMPARE(automaticCheckpointPages(), 10000);

    // Without a checkpointer: 300 commits stay below the automatic threshold, nothing is copied.
    QCOMPARE(writeOnAThread(db, QStringLiteral("before-"), 300), 10000);
    const auto before = walFrames(url.path);
    QVERIFY2(before.first > 300, QByteArray::number(before.first).constData());
    QCOMPARE(before.second, quint32(0));

    {
        WalCheckpointer checkpointer(db, 20);
        QCOMPARE(automaticCheckpointPages(), 0);
        QCOMPARE(writeOnAThread(db, QStringLiteral("during-"), 300), 0);
        QTRY_VERIFY_WITH_TIMEOUT(checkpointer.checkpoints() > 0, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(walFrames(url.path).second == walFrames(url.path).first
                                         && walFrames(url.path).first > 0,
                                 10000);
    }
    QCOMPARE(automaticCheckpointPages(), 10000);
    auto rows = execSql(db.connection(), QStringLiteral("SELECT COUNT(*) FROM store_settings"));
    QVERIFY(rows && rows->next());
    QCOMPARE(rows->value(0).toInt(), 600);
    db.releaseThreadConnection();
}

// Database::runOnWriter from three threads at once: on SQLite every job runs on one thread of
// its own (not a caller's), one at a time, each on that thread's connection; a job that asks
// again runs at once. On PostgreSQL each runs on its caller's thread.
void TestDatabase::writerThreadRunsWritesInTurn()
{
    QTemporaryDir dir;
    Database db(DatabaseUrl::parse(Test::freshDatabaseUrl(dir.path())).value());
    QVERIFY(db.open().ok());
    const bool sqlite = db.engine() == Engine::Sqlite;
    constexpr int kCallers = 3;
    constexpr int kJobsEach = 40;
    std::mutex mutex;
    QSet<QThread *> callerThreads, jobThreads;
    QSet<QString> connections;
    int inside = 0, mostInside = 0, committed = 0;
    const auto job = [&] {
        {
            std::lock_guard lock(mutex);
            mostInside = std::max(mostInside, ++inside);
            jobThreads.insert(QThread::currentThread());
        }
        Transaction tx(db);
        const bool ok = tx.begin().ok()
                        && execSql(tx.db(),
                                   QStringLiteral("INSERT INTO store_settings (name, value) "
                                                  "VALUES (?, 'writer-test')"),
                                   {Ids::newId()})
                                   .ok()
                        && tx.commit().ok();
        QThread::usleep(100); // room for another job to overlap, were they not in turn
        std::lock_guard lock(mutex);
        connections.insert(tx.db().connectionName());
        --inside;
        committed += ok ? 1 : 0;
    };
    QList<QThread *> callers;
    for (int i = 0; i < kCallers; ++i) {
        callers.append(QThread::create([&] {
            {
                std::lock_guard lock(mutex);
                callerThreads.insert(QThread::currentThread());
            }
            for (int j = 0; j < kJobsEach; ++j)
                db.runOnWriter(job);
            db.releaseThreadConnection();
        }));
    }
    for (QThread *t : std::as_const(callers))
        t->start();
    for (QThread *t : std::as_const(callers))
        QVERIFY(t->wait(60000));
    qDeleteAll(callers);

    QCOMPARE(committed, kCallers * kJobsEach);
    auto count = execSql(db.connection(),
                         QStringLiteral("SELECT COUNT(*) FROM store_settings WHERE value = "
                                        "'writer-test'"));
    QVERIFY(count && count->next());
    QCOMPARE(count->value(0).toInt(), kCallers * kJobsEach);
    if (sqlite) {
        QCOMPARE(jobThreads.size(), 1);
        QVERIFY(!callerThreads.contains(*jobThreads.begin()));
        QCOMPARE(connections.size(), 1);
        QCOMPARE(mostInside, 1);
        bool nestedRan = false;
        QThread *outer = nullptr, *nested = nullptr;
        db.runOnWriter([&] {
            outer = QThread::currentThread();
            db.runOnWriter([&] {
                nested = QThread::currentThread();
                nestedRan = true;
            });
        });
        QVERIFY(nestedRan);
        QCOMPARE(nested, outer);
        QCOMPARE(outer, *jobThreads.begin());
    } else {
        QCOMPARE(jobThreads, callerThreads);
        QCOMPARE(connections.size(), kCallers);
    }
    db.releaseThreadConnection();
}

QTEST_GUILESS_MAIN(TestDatabase)
#include "tst_database.moc"
