// The admin command line of a headless server: `mercato-server user create` and
// `user reset-password` (passwords read from stdin) against the database a running
// mercato-server uses, checked over its HTTP API.

#include "support/testsupport.h"

#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

struct CliResult
{
    int exitCode = -1;
    QByteArray output; // stdout and stderr
};

class TestCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
        m_database = freshDatabaseUrl(m_dir.path());
        m_server = std::make_unique<ServerProcess>(serverEnv());
        QVERIFY2(m_server->start(), qPrintable(m_server->log()));
    }
    void cleanupTestCase()
    {
        if (m_server)
            MERCATO_VERIFY_CLEAN_EXIT(*m_server);
    }

    void createSellerThenSignIn()
    {
        const QByteArray password = "owner's long password";
        const CliResult r = cli({QStringLiteral("user"), QStringLiteral("create"),
                                 QStringLiteral("--role"), QStringLiteral("seller"),
                                 QStringLiteral("--email"), QStringLiteral("  Owner@Example.TEST "),
                                 QStringLiteral("--display-name"), QStringLiteral("The Owner")},
                                password + '\n');
        QVERIFY2(r.exitCode == 0, r.output.constData());
        QVERIFY(r.output.contains("created seller owner@example.test"));
        QVERIFY(!r.output.contains(password));

        // Seller approval is on, but the owner made this account: it is active at once.
        const auto login
                = signIn(QStringLiteral("owner@example.test"), QString::fromUtf8(password));
        QCOMPARE(login.status, 200);
        const QJsonObject user = login.json().value(QStringLiteral("user")).toObject();
        QCOMPARE(user.value(QStringLiteral("role")).toString(), QStringLiteral("seller"));
        QCOMPARE(user.value(QStringLiteral("displayName")).toString(), QStringLiteral("The Owner"));
        if (user.contains(QStringLiteral("status")))
            QCOMPARE(user.value(QStringLiteral("status")).toString(), QStringLiteral("active"));
    }

    void createCustomerWithDefaultName()
    {
        const CliResult r = cli({QStringLiteral("user"), QStringLiteral("create"),
                                 QStringLiteral("--role"), QStringLiteral("customer"),
                                 QStringLiteral("--email"), QStringLiteral("cathy@example.test")},
                                "cathy's long password\n");
        QVERIFY2(r.exitCode == 0, r.output.constData());
        const auto login = signIn(QStringLiteral("cathy@example.test"),
                                  QStringLiteral("cathy's long password"));
        QCOMPARE(login.status, 200);
        const QJsonObject user = login.json().value(QStringLiteral("user")).toObject();
        QCOMPARE(user.value(QStringLiteral("role")).toString(), QStringLiteral("customer"));
        QCOMPARE(user.value(QStringLiteral("displayName")).toString(), QStringLiteral("cathy"));
    }

    void createRefusesBadInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("stdinText");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QByteArray>("message");
        QTest::addColumn<QString>("email"); // must not be able to sign in afterwards
        const QString create = QStringLiteral("create");
        const QString user = QStringLiteral("user");
        const QString emailOpt = QStringLiteral("--email");
        const QString roleOpt = QStringLiteral("--role");
        QTest::newRow("role-admin") << QStringList{user,     create,
                                                   emailOpt, QStringLiteral("adm@example.test"),
                                                   roleOpt,  QStringLiteral("admin")}
                                    << QByteArray("a long enough password\n") << 1
                                    << QByteArray("role") << QStringLiteral("adm@example.test");
        QTest::newRow("short-password")
                << QStringList{user, create, emailOpt, QStringLiteral("short@example.test")}
                << QByteArray("short\n") << 1 << QByteArray("password")
                << QStringLiteral("short@example.test");
        QTest::newRow("no-password")
                << QStringList{user, create, emailOpt, QStringLiteral("none@example.test")}
                << QByteArray() << 1 << QByteArray("password")
                << QStringLiteral("none@example.test");
        QTest::newRow("password-is-email")
                << QStringList{user, create, emailOpt, QStringLiteral("sameas@example.test")}
                << QByteArray("SameAs@example.test\n") << 1 << QByteArray("password")
                << QStringLiteral("sameas@example.test");
        QTest::newRow("bad-email")
                << QStringList{user, create, emailOpt, QStringLiteral("not-an-email")}
                << QByteArray("a long enough password\n") << 1 << QByteArray("email")
                << QStringLiteral("not-an-email");
        QTest::newRow("no-email") << QStringList{user, create}
                                  << QByteArray("a long enough password\n") << 2
                                  << QByteArray("--email") << QString();
        QTest::newRow("unknown-subcommand")
                << QStringList{user, QStringLiteral("delete"), emailOpt,
                               QStringLiteral("x@example.test")}
                << QByteArray() << 2 << QByteArray("unknown command") << QString();
    }
    void createRefusesBadInput()
    {
        QFETCH(QStringList, args);
        QFETCH(QByteArray, stdinText);
        QFETCH(int, exitCode);
        QFETCH(QByteArray, message);
        QFETCH(QString, email);
        const CliResult r = cli(args, stdinText);
        QCOMPARE(r.exitCode, exitCode);
        QVERIFY2(r.output.contains(message), r.output.constData());
        if (!email.isEmpty())
            QCOMPARE(signIn(email, QStringLiteral("a long enough password")).status, 401);
    }

    void duplicateEmailIsRefused()
    {
        const QStringList args{QStringLiteral("user"), QStringLiteral("create"),
                               QStringLiteral("--email"), QStringLiteral("dup@example.test")};
        QCOMPARE(cli(args, "first long password\n").exitCode, 0);
        const CliResult again = cli({QStringLiteral("user"), QStringLiteral("create"),
                                     QStringLiteral("--email"), QStringLiteral("DUP@example.test")},
                                    "second long password\n");
        QCOMPARE(again.exitCode, 1);
        QCOMPARE(signIn(QStringLiteral("dup@example.test"), QStringLiteral("first long password"))
                         .status,
                 200);
        QCOMPARE(signIn(QStringLiteral("dup@example.test"), QStringLiteral("second long password"))
                         .status,
                 401);
    }

    void resetPasswordEndsSessions()
    {
        const QStringList create{QStringLiteral("user"), QStringLiteral("create"),
                                 QStringLiteral("--email"), QStringLiteral("reset@example.test")};
        QCOMPARE(cli(create, "the old long password\n").exitCode, 0);
        const auto login = signIn(QStringLiteral("reset@example.test"),
                                  QStringLiteral("the old long password"));
        QCOMPARE(login.status, 200);
        const QString access = login.json().value(QStringLiteral("accessToken")).toString();
        const QString refresh = login.json().value(QStringLiteral("refreshToken")).toString();

        const CliResult r = cli({QStringLiteral("user"), QStringLiteral("reset-password"),
                                 QStringLiteral("--email"), QStringLiteral("Reset@Example.test")},
                                "the new long password\n");
        QVERIFY2(r.exitCode == 0, r.output.constData());
        QVERIFY(!r.output.contains("the new long password"));

        QCOMPARE(signIn(QStringLiteral("reset@example.test"),
                        QStringLiteral("the old long password"))
                         .status,
                 401);
        QCOMPARE(signIn(QStringLiteral("reset@example.test"),
                        QStringLiteral("the new long password"))
                         .status,
                 200);
        Client c = client();
        c.setToken(access);
        QCOMPARE(c.get(QStringLiteral("/api/v1/me")).status, 401);
        c.setToken(QString());
        QCOMPARE(c.post(QStringLiteral("/api/v1/auth/refresh"),
                        {{QStringLiteral("refreshToken"), refresh}})
                         .status,
                 401);
    }

    void resetPasswordRefusals()
    {
        const CliResult unknown
                = cli({QStringLiteral("user"), QStringLiteral("reset-password"),
                       QStringLiteral("--email"), QStringLiteral("nobody@example.test")},
                      "a long enough password\n");
        QCOMPARE(unknown.exitCode, 1);
        const QStringList create{QStringLiteral("user"), QStringLiteral("create"),
                                 QStringLiteral("--email"), QStringLiteral("keep@example.test")};
        QCOMPARE(cli(create, "keep this long password\n").exitCode, 0);
        const CliResult weak = cli({QStringLiteral("user"), QStringLiteral("reset-password"),
                                    QStringLiteral("--email"), QStringLiteral("keep@example.test")},
                                   "short\n");
        QCOMPARE(weak.exitCode, 1);
        QCOMPARE(signIn(QStringLiteral("keep@example.test"),
                        QStringLiteral("keep this long password"))
                         .status,
                 200);
    }

private:
    QProcessEnvironment serverEnv() const
    {
        QProcessEnvironment env;
        env.insert(QStringLiteral("MERCATO_DATABASE"), m_database);
        env.insert(QStringLiteral("MERCATO_SELLER_APPROVAL"), QStringLiteral("on"));
        return env;
    }

    CliResult cli(const QStringList &args, const QByteArray &stdinText) const
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        const QStringList keys = env.keys();
        for (const QString &k : keys) {
            if (k.startsWith(QLatin1String("MERCATO_"))
                && !k.startsWith(QLatin1String("MERCATO_TEST_")))
                env.remove(k);
        }
        env.insert(QStringLiteral("MERCATO_DATA_DIR"), m_dir.path() + QStringLiteral("/cli"));
        env.insert(QStringLiteral("MERCATO_JWT_SECRET"), QString::fromLatin1(testJwtKey()));
        env.insert(QStringLiteral("MERCATO_TIMEZONE"), QStringLiteral("UTC"));
        const QProcessEnvironment extra = serverEnv();
        const QStringList extraKeys = extra.keys();
        for (const QString &k : extraKeys)
            env.insert(k, extra.value(k));
        QProcess p;
        p.setProcessEnvironment(env);
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(serverBinary(), args);
        if (!p.waitForStarted(10000))
            return {};
        p.write(stdinText);
        p.closeWriteChannel();
        if (!p.waitForFinished(60000)) {
            p.kill();
            p.waitForFinished(5000);
            return {};
        }
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAll()};
    }

    Client client() const { return Client(m_server->port()); }

    HttpResult signIn(const QString &email, const QString &password) const
    {
        return client().post(
                QStringLiteral("/api/v1/auth/login"),
                {{QStringLiteral("email"), email}, {QStringLiteral("password"), password}});
    }

    QTemporaryDir m_dir;
    QString m_database;
    std::unique_ptr<ServerProcess> m_server;
};

} // namespace

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
