// Every answer carries X-Request-Id (the client's own when sane, else a fresh one), and every
// request leaves one structured log line (method, path without query, status, duration, id).
// /metrics: latency histograms per route pattern, the database pool by thread, webhook failures,
// the mail outbox's depth.

#include "support/smtpsink.h"
#include "support/testsupport.h"

#include "model/clock.h"
#include "model/ids.h"
#include "model/shop.h"
#include "model/smtpmailer.h"
#include "model/stripe.h"

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

// The value of one series in a Prometheus text answer, -1 when absent.
double seriesValue(const QByteArray &text, const QString &series)
{
    const QStringList lines = QString::fromUtf8(text).split(QLatin1Char('\n'));
    for (const QString &line : lines) {
        if (line.startsWith(series + QLatin1Char(' ')))
            return line.mid(series.size() + 1).toDouble();
    }
    return -1;
}

// The sum of every series whose line starts with `prefix`.
double seriesSum(const QByteArray &text, const QString &prefix)
{
    double sum = 0;
    const QStringList lines = QString::fromUtf8(text).split(QLatin1Char('\n'));
    for (const QString &line : lines) {
        if (line.startsWith(prefix))
            sum += line.section(QLatin1Char(' '), -1).toDouble();
    }
    return sum;
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

    // Latency per route pattern (never the raw path), connections per thread, and webhook
    // refusals and processing failures: each shows in /metrics and moves.
    void metricsRoutesPoolAndWebhooks()
    {
        TestServer::Options options;
        options.payments.stripeSecretKey = QStringLiteral("sk_test_metrics");
        options.payments.stripeWebhookSecret = QStringLiteral("whsec_metrics");
        options.payments.stripeApiBase = QStringLiteral("http://127.0.0.1:9");
        TestServer server(options);
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        const auto metrics = [&server] {
            return httpRequest(server.port(), "GET", "/metrics").body;
        };
        const QString signature = QStringLiteral(
                "mercato_webhook_failures_total{provider=\"stripe\",reason=\"signature\"}");
        const QString processing = QStringLiteral(
                "mercato_webhook_failures_total{provider=\"stripe\",reason=\"processing\"}");
        const QString count = QStringLiteral(
                "mercato_http_request_duration_seconds_count{route=\"/api/v1/products/{id}\"}");
        const QString inf = QStringLiteral("mercato_http_request_duration_seconds_bucket{route="
                                           "\"/api/v1/products/{id}\",le=\"+Inf\"}");
        QByteArray before = metrics();
        QCOMPARE(seriesValue(before, signature), 0.0);
        QCOMPARE(seriesValue(before, processing), 0.0);
        QCOMPARE(seriesValue(before, count), -1.0);

        const QString id = Ids::newId();
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(httpRequest(server.port(), "GET", "/api/v1/products/" + id.toLatin1()).status,
                     404);
        }
        QByteArray after = metrics();
        QCOMPARE(seriesValue(after, count), 3.0);
        QCOMPARE(seriesValue(after, inf), 3.0);
        QVERIFY(seriesValue(after, QStringLiteral("mercato_http_request_duration_seconds_sum{route="
                                                  "\"/api/v1/products/{id}\"}"))
                > 0);
        QVERIFY2(!after.contains(id.toLatin1()), "a raw path reached a label");
        // The workers that answered hold one database connection each.
        const double workers = seriesSum(after, QStringLiteral("mercato_db_connections{thread="
                                                               "\"api-worker-"));
        QVERIFY2(workers >= 1 && workers <= 2, after.constData());

        const QByteArray event = R"({"id":"evt_metrics","type":"payment_intent.succeeded"})";
        const QByteArray webhook = "/api/v1/webhooks/stripe";
        const QByteArray json = "application/json";
        QCOMPARE(httpRequest(server.port(), "POST", webhook, event,
                             {{"Content-Type", json}, {"Stripe-Signature", "t=1,v1=00"}})
                         .status,
                 400);
        QCOMPARE(
                httpRequest(server.port(), "POST", webhook, event, {{"Content-Type", json}}).status,
                400);
        after = metrics();
        QCOMPARE(seriesValue(after, signature), 2.0);
        QCOMPARE(seriesValue(after, processing), 0.0);
        // Signed, but not an event it can process.
        const QByteArray garbage = "not an event";
        const QByteArray header
                = StripeSignature::sign("whsec_metrics", garbage, Clock::nowMs() / 1000);
        QCOMPARE(httpRequest(server.port(), "POST", webhook, garbage,
                             {{"Content-Type", json}, {"Stripe-Signature", header}})
                         .status,
                 400);
        after = metrics();
        QCOMPARE(seriesValue(after, signature), 2.0);
        QCOMPARE(seriesValue(after, processing), 1.0);
    }

    // Mail that cannot go out (SMTP down) shows as outbox depth and age; once the SMTP server
    // answers and the mail is delivered, the depth falls back to 0.
    void metricsOutboxDepth()
    {
        TestServer::Options options;
        options.settings.passwordHashLogN = 10; // scrypt cost is not what this is about
        TestServer server(options);
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        const quint16 smtpPort = freePort();
        SmtpMailer::Settings smtp;
        smtp.host = QStringLiteral("127.0.0.1");
        smtp.port = smtpPort;
        smtp.from = QStringLiteral("Shop <shop@example.test>");
        smtp.timeoutMs = 5000;
        server.shop().setMailer(std::make_unique<SmtpMailer>(smtp), RetryPolicy{300, 50, 200});
        const auto metrics = [&server] {
            return httpRequest(server.port(), "GET", "/metrics").body;
        };
        const QString depth = QStringLiteral("mercato_mail_outbox_messages");
        const QString age = QStringLiteral("mercato_mail_outbox_oldest_age_seconds");
        QByteArray before = metrics();
        QCOMPARE(seriesValue(before, depth), 0.0);
        QCOMPARE(seriesValue(before, age), 0.0);

        Client client = server.client();
        const QStringList emails{QStringLiteral("ann@example.test"),
                                 QStringLiteral("bob@example.test")};
        for (const QString &email : emails) {
            QCOMPARE(client.post(QStringLiteral("/api/v1/auth/register"),
                                 {{QStringLiteral("email"), email},
                                  {QStringLiteral("password"), QStringLiteral("correct horse bat")},
                                  {QStringLiteral("displayName"), QStringLiteral("Ann")},
                                  {QStringLiteral("role"), QStringLiteral("customer")}})
                             .status,
                     201);
            QCOMPARE(client.post(QStringLiteral("/api/v1/auth/forgot-password"),
                                 {{QStringLiteral("email"), email}})
                             .status,
                     202);
        }
        QVERIFY(server.shop().passwordResets().waitUntilIdle(10000));
        const qint64 queued = server.shop().mailOutbox().count().value();
        QVERIFY2(queued >= 2, qPrintable(QString::number(queued)));
        // Nobody listens: attempts fail and are retried; the gauge shows what waits.
        QTRY_VERIFY_WITH_TIMEOUT(server.shop().mail().counts().retried >= 2, 20000);
        QTRY_COMPARE_WITH_TIMEOUT(seriesValue(metrics(), depth), double(queued), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(seriesValue(metrics(), age) > 0.0, 5000);
        QCOMPARE(server.shop().mail().counts().delivered, 0);

        SmtpSink sink({}, smtpPort);
        QVERIFY(sink.start());
        QTRY_COMPARE_WITH_TIMEOUT(sink.messages().size(), int(queued), 20000);
        QTRY_COMPARE_WITH_TIMEOUT(seriesValue(metrics(), depth), 0.0, 10000);
        QCOMPARE(seriesValue(metrics(), age), 0.0);
    }

private:
    TestServer m_server;
};

} // namespace

QTEST_GUILESS_MAIN(TestRequestLog)
#include "tst_requestlog.moc"
