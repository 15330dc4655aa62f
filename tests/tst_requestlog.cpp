// Every answer carries X-Request-Id (the client's own when sane, else a fresh one), and every
// request leaves one structured log line (method, path without query, status, duration, id).

#include "support/testsupport.h"

#include <QRegularExpression>
#include <QTest>

#include <mutex>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

std::mutex s_mutex;
QStringList s_lines; // mercato.access messages, from any thread
QtMessageHandler s_previous = nullptr;

void capture(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (context.category && qstrcmp(context.category, "mercato.access") == 0) {
        std::lock_guard lock(s_mutex);
        s_lines.append(message);
        return;
    }
    if (s_previous)
        s_previous(type, context, message);
}

QStringList linesWith(const QString &needle)
{
    std::lock_guard lock(s_mutex);
    QStringList out;
    for (const QString &line : std::as_const(s_lines)) {
        if (line.contains(needle))
            out.append(line);
    }
    return out;
}

const QRegularExpression kGenerated(QStringLiteral("^[0-9a-f]{24}$"));

class TestRequestLog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        s_previous = qInstallMessageHandler(capture);
        QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    }
    void cleanupTestCase() { qInstallMessageHandler(s_previous); }

    void incomingId_data()
    {
        QTest::addColumn<QByteArray>("incoming");
        QTest::addColumn<bool>("kept");
        QTest::newRow("sane") << QByteArray("trace-42_a.B") << true;
        QTest::newRow("64-chars") << QByteArray(64, 'x') << true;
        QTest::newRow("65-chars") << QByteArray(65, 'x') << false;
        QTest::newRow("space") << QByteArray("two words") << false;
        QTest::newRow("semicolon") << QByteArray("a;b") << false;
        QTest::newRow("markup") << QByteArray("<script>") << false;
        QTest::newRow("quote") << QByteArray("a\"b") << false;
        QTest::newRow("utf8") << QByteArray("caf\xC3\xA9") << false;
        QTest::newRow("absent") << QByteArray() << false;
    }
    void incomingId()
    {
        QFETCH(QByteArray, incoming);
        QFETCH(bool, kept);
        QList<QPair<QByteArray, QByteArray>> headers;
        if (!incoming.isEmpty())
            headers.append({"X-Request-Id", incoming});
        const HttpResult r
                = httpRequest(m_server.port(), "GET", "/api/v1/products?limit=1", {}, headers);
        QCOMPARE(r.status, 200);
        const QByteArray id = r.header("x-request-id");
        if (kept) {
            QCOMPARE(id, incoming);
        } else {
            QVERIFY2(kGenerated.match(QString::fromLatin1(id)).hasMatch(), id.constData());
            QVERIFY(id != incoming);
        }
        // Exactly one log line for it.
        QCOMPARE(linesWith(QStringLiteral("request_id=") + QString::fromLatin1(id)).size(), 1);
    }

    void generatedIdsDiffer()
    {
        const QByteArray a = httpRequest(m_server.port(), "GET", "/healthz").header("x-request-id");
        const QByteArray b = httpRequest(m_server.port(), "GET", "/healthz").header("x-request-id");
        QVERIFY(!a.isEmpty());
        QVERIFY(!b.isEmpty());
        QVERIFY(a != b);
    }

    // Answers made before or outside a handler carry an id too.
    void everyAnswerHasAnId_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<QByteArray>("contentLength");
        QTest::addColumn<int>("status");
        QTest::newRow("not-found")
                << QByteArray("GET") << QByteArray("/api/v1/nothing-here") << QByteArray() << 404;
        QTest::newRow("wrong-method")
                << QByteArray("DELETE") << QByteArray("/api/v1/products") << QByteArray() << 405;
        QTest::newRow("unauthenticated")
                << QByteArray("GET") << QByteArray("/api/v1/me") << QByteArray() << 401;
        QTest::newRow("body-too-large") << QByteArray("POST") << QByteArray("/api/v1/auth/login")
                                        << QByteArray("50000000") << 413;
    }
    void everyAnswerHasAnId()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, target);
        QFETCH(QByteArray, contentLength);
        QFETCH(int, status);
        QList<QPair<QByteArray, QByteArray>> headers{
                {"X-Request-Id", "edge-" + QByteArray::number(status)}};
        if (!contentLength.isEmpty())
            headers.append({"Content-Length", contentLength});
        const HttpResult r = httpRequest(m_server.port(), method, target, {}, headers);
        QCOMPARE(r.status, status);
        QCOMPARE(r.header("x-request-id"), "edge-" + QByteArray::number(status));
        const QStringList lines = linesWith(QStringLiteral("request_id=edge-%1").arg(status));
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines.first().contains(QStringLiteral("status=%1").arg(status)),
                 qPrintable(lines.first()));
    }

    void logLineFields()
    {
        const HttpResult r
                = httpRequest(m_server.port(), "GET", "/api/v1/products?limit=3&q=secret-query", {},
                              {{"X-Request-Id", "fields-check"}});
        QCOMPARE(r.status, 200);
        const QStringList lines = linesWith(QStringLiteral("request_id=fields-check"));
        QCOMPARE(lines.size(), 1);
        const QString line = lines.first();
        static const QRegularExpression shape(QStringLiteral(
                "^method=GET path=/api/v1/products status=200 duration_ms=\\d+\\.\\d{3} "
                "request_id=fields-check route=/api/v1/products$"));
        QVERIFY2(shape.match(line).hasMatch(), qPrintable(line));
        QVERIFY(!line.contains(QLatin1String("secret-query")));
    }

    void pathCannotBreakTheLine()
    {
        // An encoded quote and line break in the path stay encoded, inside one line.
        const HttpResult r = httpRequest(m_server.port(), "GET", "/api/v1/x%22y%0D%0Ainjected=1",
                                         {}, {{"X-Request-Id", "odd-path"}});
        QCOMPARE(r.status, 404);
        const QStringList lines = linesWith(QStringLiteral("request_id=odd-path"));
        QCOMPARE(lines.size(), 1);
        QVERIFY(!lines.first().contains(QLatin1Char('\n')));
        QVERIFY(!lines.first().contains(QLatin1Char('"')));
    }

private:
    TestServer m_server;
};

} // namespace

QTEST_GUILESS_MAIN(TestRequestLog)
#include "tst_requestlog.moc"
