// Configuration: file < environment < command line; bad values refused with exit code 2.

#include "app/config.h"
#include "support/testsupport.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Mercato;

class TestConfig : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QCoreApplication::setApplicationName(QStringLiteral("mercato")); }
    void defaults();
    void precedence();
    void rejectsBadValues_data();
    void rejectsBadValues();
    void binaryExitsWithTwo_data();
    void binaryExitsWithTwo();
    void helpAndVersion();
};

void TestConfig::defaults()
{
    const ConfigOutcome desktop = loadConfig({QStringLiteral("mercato")}, {}, false);
    QVERIFY(desktop.config);
    QCOMPARE(desktop.config->listenAddress, QHostAddress(QStringLiteral("127.0.0.1")));
    QCOMPARE(desktop.config->listenPort, quint16(8080));
    QCOMPARE(desktop.config->database.engine, Engine::Sqlite);
    QVERIFY(desktop.config->database.path.endsWith(QLatin1String("/mercato.db")));
    QCOMPARE(desktop.config->store.dailyCoins, 10);
    QCOMPARE(desktop.config->store.maxCoinDiscountPercent, 50);
    QCOMPARE(desktop.config->authRateLimit, 20);
    QCOMPARE(desktop.config->store.lowStockDefault, 5);
    QVERIFY(desktop.config->storefront);
    QProcessEnvironment off;
    off.insert(QStringLiteral("MERCATO_STOREFRONT"), QStringLiteral("off"));
    const ConfigOutcome noShop = loadConfig({QStringLiteral("mercato-server")}, off, true);
    QVERIFY(noShop.config);
    QVERIFY(!noShop.config->storefront);
    const ConfigOutcome headless = loadConfig({QStringLiteral("mercato-server")}, {}, true);
    QVERIFY(headless.config);
    QVERIFY(headless.config->headless);
    QCOMPARE(headless.config->listenAddress, QHostAddress(QStringLiteral("0.0.0.0")));
}

void TestConfig::precedence()
{
    QTemporaryDir dir;
    const QString ini = dir.path() + QStringLiteral("/mercato.ini");
    {
        QFile f(ini);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("listen=127.0.0.1:1111\ndaily_coins=3\ncurrency=EUR\ndata_dir=/tmp/from-file\n");
    }
    QProcessEnvironment env;
    env.insert(QStringLiteral("MERCATO_LISTEN"), QStringLiteral("127.0.0.1:2222"));
    env.insert(QStringLiteral("MERCATO_DAILY_COINS"), QStringLiteral("4"));
    const ConfigOutcome out
            = loadConfig({QStringLiteral("mercato"), QStringLiteral("--config"), ini,
                          QStringLiteral("--listen"), QStringLiteral("127.0.0.1:3333")},
                         env, false);
    QVERIFY2(out.config, qPrintable(out.message));
    QCOMPARE(out.config->listenPort, quint16(3333));             // option beats env and file
    QCOMPARE(out.config->store.dailyCoins, 4);                   // env beats file
    QCOMPARE(out.config->store.currency, QStringLiteral("EUR")); // file beats default
    QCOMPARE(out.config->dataDir, QStringLiteral("/tmp/from-file"));
    QCOMPARE(out.config->database.path, QStringLiteral("/tmp/from-file/mercato.db"));
}

void TestConfig::rejectsBadValues_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("envName");
    QTest::addColumn<QString>("envValue");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("bad-port") << QStringList{QStringLiteral("--listen"),
                                             QStringLiteral("127.0.0.1:70000")}
                              << QString() << QString() << QStringLiteral("--listen");
    QTest::newRow("port-not-number")
            << QStringList{QStringLiteral("--listen"), QStringLiteral("localhost:http")}
            << QString() << QString() << QStringLiteral("--listen");
    QTest::newRow("bad-database") << QStringList{QStringLiteral("--database"),
                                                 QStringLiteral("mysql://x/y")}
                                  << QString() << QString() << QStringLiteral("--database");
    QTest::newRow("unknown-option") << QStringList{QStringLiteral("--frobnicate")} << QString()
                                    << QString() << QStringLiteral("frobnicate");
    QTest::newRow("env-coins") << QStringList{} << QStringLiteral("MERCATO_DAILY_COINS")
                               << QStringLiteral("ten") << QStringLiteral("MERCATO_DAILY_COINS");
    QTest::newRow("env-discount") << QStringList{}
                                  << QStringLiteral("MERCATO_MAX_COIN_DISCOUNT_PERCENT")
                                  << QStringLiteral("150")
                                  << QStringLiteral("MERCATO_MAX_COIN_DISCOUNT_PERCENT");
    QTest::newRow("env-jwt-short")
            << QStringList{} << QStringLiteral("MERCATO_JWT_SECRET") << QStringLiteral("c2hvcnQ=")
            << QStringLiteral("MERCATO_JWT_SECRET");
    QTest::newRow("env-timezone") << QStringList{} << QStringLiteral("MERCATO_TIMEZONE")
                                  << QStringLiteral("Mars/Olympus")
                                  << QStringLiteral("MERCATO_TIMEZONE");
    QTest::newRow("env-approval") << QStringList{} << QStringLiteral("MERCATO_SELLER_APPROVAL")
                                  << QStringLiteral("maybe")
                                  << QStringLiteral("MERCATO_SELLER_APPROVAL");
    QTest::newRow("env-storefront")
            << QStringList{} << QStringLiteral("MERCATO_STOREFRONT") << QStringLiteral("sometimes")
            << QStringLiteral("MERCATO_STOREFRONT");
    QTest::newRow("unknown-command") << QStringList{QStringLiteral("explode")} << QString()
                                     << QString() << QStringLiteral("explode");
}

void TestConfig::rejectsBadValues()
{
    QFETCH(QStringList, args);
    QFETCH(QString, envName);
    QFETCH(QString, envValue);
    QFETCH(QString, mentions);
    QProcessEnvironment env;
    if (!envName.isEmpty())
        env.insert(envName, envValue);
    const ConfigOutcome out = loadConfig(QStringList{QStringLiteral("mercato")} + args, env, false);
    QVERIFY(!out.config);
    QCOMPARE(out.exitCode, 2);
    QVERIFY2(out.message.contains(mentions), qPrintable(out.message));
}

void TestConfig::binaryExitsWithTwo_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("unknown-option") << QStringList{QStringLiteral("--bogus")};
    QTest::newRow("bad-port") << QStringList{QStringLiteral("--listen"),
                                             QStringLiteral("127.0.0.1:99999")};
    QTest::newRow("bad-database") << QStringList{QStringLiteral("--database"),
                                                 QStringLiteral("oracle:x")};
}

void TestConfig::binaryExitsWithTwo()
{
    QFETCH(QStringList, args);
    QProcess p;
    p.start(Test::serverBinary(), args);
    QVERIFY(p.waitForFinished(20000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(!p.readAllStandardError().trimmed().isEmpty());
}

void TestConfig::helpAndVersion()
{
    QProcess p;
    p.start(Test::serverBinary(), {QStringLiteral("--help")});
    QVERIFY(p.waitForFinished(20000));
    QCOMPARE(p.exitCode(), 0);
    const QByteArray help = p.readAllStandardOutput();
    QVERIFY(help.contains("--listen") && help.contains("--database")
            && help.contains("--data-dir"));
    p.start(Test::serverBinary(), {QStringLiteral("--version")});
    QVERIFY(p.waitForFinished(20000));
    QCOMPARE(p.exitCode(), 0);
    QVERIFY(p.readAllStandardOutput().startsWith("mercato "));
}

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
