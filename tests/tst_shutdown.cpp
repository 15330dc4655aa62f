// SIGTERM during a slow request: the request finishes, the process exits 0.

#include "support/testsupport.h"

#include <QElapsedTimer>
#include <QTest>

#include <thread>

using namespace Mercato::Test;

class TestShutdown : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sigtermLetsSlowRequestFinish();
    void sigtermWhenIdleExitsZero();
};

void TestShutdown::sigtermLetsSlowRequestFinish()
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("MERCATO_DEBUG_ROUTES"), QStringLiteral("1"));
    ServerProcess server(env);
    QVERIFY2(server.start(), qPrintable(server.log()));
    HttpResult slow;
    std::thread client([&] {
        slow = httpRequest(server.port(), "GET", "/debug/sleep?ms=1500", {}, {}, 10000);
    });
    QThread::msleep(400); // the request is now inside its handler
    QElapsedTimer t;
    t.start();
    const int code = server.terminate(15000);
    client.join();
    QCOMPARE(slow.status, 200);
    QCOMPARE(slow.json().value(QStringLiteral("slept")).toInt(), 1500);
    QCOMPARE(code, 0);
    QVERIFY2(server.log().contains(QLatin1String("stopped cleanly")), qPrintable(server.log()));
    // No new connections after the stop.
    QCOMPARE(httpRequest(server.port(), "GET", "/healthz", {}, {}, 1000).status, 0);
}

void TestShutdown::sigtermWhenIdleExitsZero()
{
    ServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.log()));
    QCOMPARE(httpRequest(server.port(), "GET", "/healthz").status, 200);
    MERCATO_VERIFY_CLEAN_EXIT(server);
}

QTEST_GUILESS_MAIN(TestShutdown)
#include "tst_shutdown.moc"
