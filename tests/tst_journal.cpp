// Logs under systemd: when JOURNAL_STREAM names stderr's device and inode (as systemd sets it
// for a service whose output goes to the journal), every log line carries its syslog priority
// as a `<N>` prefix, which journald stores as PRIORITY; anywhere else lines stay plain.
// No journald runs in CI: a real mercato-server writes to a file whose device:inode the test
// passes in JOURNAL_STREAM, exactly the check it makes against a journal's socket.

#include "support/testsupport.h"

#include "app/journallog.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

QByteArray deviceInode(const QString &path)
{
    struct stat st = {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return {};
    return QByteArray::number(qulonglong(st.st_dev)) + ':'
           + QByteArray::number(qulonglong(st.st_ino));
}

// Runs mercato-server with stderr into `logPath` and JOURNAL_STREAM=`journalStream`, makes one
// request and a refused login, stops it with SIGTERM; returns what it wrote to stderr.
QByteArray runServer(const QString &dir, const QString &logPath, const QByteArray &journalStream,
                     int *exitCode)
{
    QFile log(logPath);
    if (!log.open(QIODevice::WriteOnly)) // made first: its inode is what JOURNAL_STREAM names
        return {};
    log.close();
    const QByteArray stream = journalStream.isEmpty() ? deviceInode(logPath) : journalStream;
    const quint16 port = freePort();
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const QStringList keys = env.keys();
    for (const QString &k : keys) {
        if (k.startsWith(QLatin1String("MERCATO_")) || k == QLatin1String("QT_MESSAGE_PATTERN"))
            env.remove(k);
    }
    env.insert(QStringLiteral("JOURNAL_STREAM"), QString::fromLatin1(stream));
    env.insert(QStringLiteral("MERCATO_LISTEN"), QStringLiteral("127.0.0.1:%1").arg(port));
    env.insert(QStringLiteral("MERCATO_DATA_DIR"), dir + QStringLiteral("/data"));
    env.insert(QStringLiteral("MERCATO_JWT_SECRET"), QString::fromLatin1(testJwtKey()));
    QProcess server;
    server.setProcessEnvironment(env);
    server.setStandardOutputFile(QProcess::nullDevice());
    server.setStandardErrorFile(logPath, QIODevice::Append); // keeps the inode
    server.start(serverBinary(), {});
    if (!server.waitForStarted(5000))
        return {};
    bool up = false;
    for (int i = 0; i < 400 && !up; ++i) {
        up = httpRequest(port, "GET", "/healthz", {}, {}, 1000).status == 200;
        if (!up)
            QThread::msleep(50);
    }
    if (up) {
        httpRequest(port, "GET", "/api/v1/products/no-such-product");
        httpRequest(port, "POST", "/api/v1/auth/login",
                    R"({"email":"nobody@example.test","password":"wrong password"})",
                    {{"Content-Type", "application/json"}});
    }
    ::kill(pid_t(server.processId()), SIGTERM);
    server.waitForFinished(15000);
    *exitCode = up && server.exitStatus() == QProcess::NormalExit ? server.exitCode() : -1;
    return log.open(QIODevice::ReadOnly) ? log.readAll() : QByteArray();
}

class TestJournal : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void priorities_data()
    {
        QTest::addColumn<int>("type");
        QTest::addColumn<int>("priority");
        QTest::newRow("debug") << int(QtDebugMsg) << 7;
        QTest::newRow("info") << int(QtInfoMsg) << 6;
        QTest::newRow("warning") << int(QtWarningMsg) << 4;
        QTest::newRow("critical") << int(QtCriticalMsg) << 3;
        QTest::newRow("fatal") << int(QtFatalMsg) << 2;
    }
    void priorities()
    {
        QFETCH(int, type);
        QFETCH(int, priority);
        QCOMPARE(JournalLog::priority(QtMsgType(type)), priority);
    }

    void lines_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("one-line") << QStringLiteral("mercato.app: ready")
                                  << QByteArray("<4>mercato.app: ready\n");
        QTest::newRow("trailing-newline") << QStringLiteral("a\n") << QByteArray("<4>a\n");
        QTest::newRow("two-lines") << QStringLiteral("a\nb") << QByteArray("<4>a\n<4>b\n");
        QTest::newRow("empty") << QString() << QByteArray("<4>\n");
        QTest::newRow("unicode") << QStringLiteral("caf\u00e9") << QByteArray("<4>caf\xc3\xa9\n");
    }
    void lines()
    {
        QFETCH(QString, text);
        QFETCH(QByteArray, expected);
        QCOMPARE(JournalLog::lines(4, text), expected);
    }

    void streamDetection()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("stream"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        const QByteArray mine = deviceInode(path);
        QVERIFY(!mine.isEmpty());
        QVERIFY(JournalLog::streamIs(mine, f.handle()));
        const QByteArray otherInode
                = mine.left(mine.indexOf(':') + 1)
                  + QByteArray::number(mine.mid(mine.indexOf(':') + 1).toULongLong() + 1);
        QVERIFY(!JournalLog::streamIs(otherInode, f.handle()));
        QVERIFY(!JournalLog::streamIs("", f.handle()));
        QVERIFY(!JournalLog::streamIs("garbage", f.handle()));
        QVERIFY(!JournalLog::streamIs(mine + ":1", f.handle()));
        QVERIFY(!JournalLog::streamIs(mine, -1));
    }

    // Under the journal: every line has a priority; requests are info, the refused sign-in
    // (a 401 is still an answered request) too, and the start-up lines are there.
    void serverUnderJournal()
    {
        QTemporaryDir dir;
        int exitCode = -1;
        const QByteArray out
                = runServer(dir.path(), dir.filePath(QStringLiteral("stderr")), {}, &exitCode);
        QCOMPARE(exitCode, 0);
        const QList<QByteArray> lines = out.split('\n');
        int access = 0;
        int total = 0;
        static const QRegularExpression prefix(QStringLiteral("^<[0-7]>"));
        for (const QByteArray &line : lines) {
            if (line.isEmpty())
                continue;
            ++total;
            QVERIFY2(prefix.match(QString::fromUtf8(line)).hasMatch(), line.constData());
            if (line.startsWith("<6>mercato.access:"))
                ++access;
        }
        QVERIFY2(total >= 4, out.constData());
        QVERIFY2(access >= 3, out.constData()); // /healthz, the product, the login
        QVERIFY2(out.contains("<6>mercato.access:") && out.contains("/api/v1/products/"),
                 out.constData());
    }

    // Not the journal (JOURNAL_STREAM inherited but naming another file): plain lines.
    void serverElsewhere()
    {
        QTemporaryDir dir;
        int exitCode = -1;
        const QByteArray out
                = runServer(dir.path(), dir.filePath(QStringLiteral("stderr")), "1:1", &exitCode);
        QCOMPARE(exitCode, 0);
        QVERIFY2(out.contains("mercato.access:"), out.constData());
        QVERIFY2(!out.startsWith('<') && !out.contains("\n<"), out.constData());
    }
};

} // namespace

QTEST_GUILESS_MAIN(TestJournal)
#include "tst_journal.moc"
