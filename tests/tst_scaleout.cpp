// Scale-out on PostgreSQL: changes made by one process reach the others through LISTEN/NOTIFY,
// two mercato-server processes behind a real nginx share one database without overselling, and
// background jobs (order expiry, the mail outbox) run once across processes.
// Several processes on one database is PostgreSQL's case: on SQLite these tests skip.

#include "orderfixture.h"

#include "support/nginx.h"
#include "support/smtpsink.h"

#include "model/clusterevents.h"
#include "model/mailoutbox.h"
#include "model/notifier.h"
#include "model/orders.h"
#include "model/smtpmailer.h"

#include <QFile>
#include <QJsonArray>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTest>

#include <algorithm>

using namespace Mercato;
using namespace Mercato::Test;

namespace {
const char kSqliteSkip[] = "several processes on one database and LISTEN/NOTIFY are PostgreSQL's "
                           "case; on SQLite one process owns the file";

// A value of `name{labels}` in a Prometheus text answer, -1 when absent.
double metricValue(const QByteArray &text, const QString &series)
{
    const QStringList lines = QString::fromUtf8(text).split(QLatin1Char('\n'));
    for (const QString &line : lines) {
        if (line.startsWith(series + QLatin1Char(' ')))
            return line.mid(series.size() + 1).toDouble();
    }
    return -1;
}

double metricOf(quint16 port, const QString &series)
{
    const HttpResult r = httpRequest(port, "GET", "/metrics");
    return r.status == 200 ? metricValue(r.body, series) : -2;
}

QString receivedSeries(const QString &event)
{
    return QStringLiteral("mercato_cluster_events_received_total{event=\"%1\"}").arg(event);
}

// Places one order of `productId` for `customer` through the server on `port`; its id or empty.
QString placeOrder(Shop &shop, quint16 port, const QString &customer, const QString &productId)
{
    Client c(port);
    c.setToken(shop.tokens().issueAccess(customer, QStringLiteral("customer")).token);
    if (c.put(QStringLiteral("/api/v1/cart/items/") + productId,
              QJsonObject{{QStringLiteral("quantity"), 1}})
                .status
        != 200)
        return {};
    const HttpResult r = c.post(QStringLiteral("/api/v1/orders"),
                                QJsonObject{{QStringLiteral("coinsToUse"), 0}});
    return r.status == 201 ? r.json().value(QStringLiteral("id")).toString() : QString();
}

// nginx in front of `backends`, as packaging/nginx-mercato.conf puts it, on a free loopback port.
class Nginx
{
public:
    bool start(const QList<quint16> &backends)
    {
        m_port = freePort();
        QString servers;
        for (quint16 p : backends)
            servers += QStringLiteral("        server 127.0.0.1:%1 max_fails=3 fail_timeout=5s;\n")
                               .arg(p);
        const QString site
                = QStringLiteral("    upstream mercato {\n%1"
                                 "        keepalive 32;\n"
                                 "    }\n"
                                 "    server {\n"
                                 "        listen 127.0.0.1:%2;\n"
                                 "        client_max_body_size 9m;\n"
                                 "        location / {\n"
                                 "            proxy_pass http://mercato;\n"
                                 "            proxy_http_version 1.1;\n"
                                 "            proxy_set_header Connection \"\";\n"
                                 "            proxy_set_header Host $host;\n"
                                 "            proxy_set_header X-Forwarded-For "
                                 "$proxy_add_x_forwarded_for;\n"
                                 "            proxy_connect_timeout 2s;\n"
                                 "            proxy_read_timeout 60s;\n"
                                 "            proxy_next_upstream error timeout http_502 "
                                 "http_503;\n"
                                 "            proxy_next_upstream_tries 2;\n"
                                 "        }\n"
                                 "    }")
                          .arg(servers)
                          .arg(m_port);
        return m_nginx.start(site, m_port);
    }
    quint16 port() const { return m_port; }
    QString errorString() const { return m_nginx.errorString(); }
    QString log() const { return m_nginx.log(); }

private:
    NginxProcess m_nginx;
    quint16 m_port = 0;
};
} // namespace

class TestScaleOut : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void noListenerOnSqlite();
    void changesReachTheOtherProcess();
    void twoServersBehindNginx();
    void backgroundJobsRunOnce();
};

void TestScaleOut::noListenerOnSqlite()
{
    // One process per SQLite file: nothing to listen to, and nothing started.
    if (usingPostgres())
        QSKIP("the SQLite case");
    SharedStore store;
    QVERIFY(store.open());
    ClusterEvents cluster(store.shop->database(), store.shop->events());
    cluster.start();
    QVERIFY(!cluster.isListening());
    Q_EMIT store.shop->events().productChanged(Ids::newId());
    QCOMPARE(cluster.sentCount(), quint64(0));
}

void TestScaleOut::changesReachTheOtherProcess()
{
    if (!usingPostgres())
        QSKIP(kSqliteSkip);
    SharedStore store;
    QVERIFY(store.open());
    Shop &shop = *store.shop;
    ClusterEvents local(shop.database(), shop.events());
    local.start();
    QTRY_VERIFY_WITH_TIMEOUT(local.isListening(), 10'000);

    // What this process receives, on this (the test's) thread as a console page would.
    QObject page;
    QStringList orders;
    QList<QPair<QString, QString>> notifications; // user, kind
    connect(&shop.events(), &ModelEvents::orderChanged, &page,
            [&](const QString &id, const QString &) { orders.append(id); });
    connect(&shop.events(), &ModelEvents::notificationCreated, &page,
            [&](const QString &user, const QString &kind, const QString &) {
                notifications.append({user, kind});
            });

    ServerProcess other(store.childEnv(1));
    QVERIFY2(other.start(), qPrintable(other.log()));
    const QString listening = QStringLiteral("mercato_cluster_listening");
    QTRY_COMPARE_WITH_TIMEOUT(metricOf(other.port(), listening), 1.0, 10'000);

    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString customer = insertUser(shop, QStringLiteral("customer"));
    const QString product = insertProduct(shop, seller, 500, 10, {}, 9);
    QVERIFY(!product.isEmpty());

    // An order taken by the other process: this one hears of the order and of the seller's
    // low-stock notification (10 in stock, threshold 9) within seconds.
    const QString first = placeOrder(shop, other.port(), customer, product);
    QVERIFY(!first.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(orders.contains(first), 5000);
    const auto sellerNotified = [&] {
        return std::any_of(notifications.cbegin(), notifications.cend(),
                           [&](const auto &n) { return n.first == seller; });
    };
    QTRY_VERIFY_WITH_TIMEOUT(sellerNotified(), 5000);

    // A notification made here reaches the other process's listener.
    const QString received = receivedSeries(QStringLiteral("notificationCreated"));
    QCOMPARE(metricOf(other.port(), received), -1.0); // nothing from here yet
    {
        Transaction tx(shop.database());
        QVERIFY(tx.begin());
        QList<PendingNotification> pending;
        QVERIFY(shop.notifier().add(tx.db(), customer, QStringLiteral("test.ping"),
                                    QStringLiteral("Hello from the first process"),
                                    QStringLiteral("ping"), {}, &pending));
        QVERIFY(tx.commit());
        shop.notifier().announce(pending);
    }
    QTRY_COMPARE_WITH_TIMEOUT(metricOf(other.port(), received), 1.0, 5000);

    // Its own announcement does not come back to this process: NOTIFYs arrive in commit order,
    // so once a later order of the other process is here, the ping would have been too.
    const QString second = placeOrder(shop, other.port(), customer, product);
    QVERIFY(!second.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(orders.contains(second), 5000);
    // Once here: from the announcement itself (on this thread), never again through NOTIFY.
    const auto pings = std::count_if(notifications.cbegin(), notifications.cend(),
                                     [](const auto &n) { return n.second == u"test.ping"; });
    QCOMPARE(pings, 1);
    QVERIFY(local.sentCount() >= 1);
    // Nor do the other process's own events count as received there.
    QCOMPARE(metricOf(other.port(), receivedSeries(QStringLiteral("orderChanged"))), -1.0);

    MERCATO_VERIFY_CLEAN_EXIT(other);
    local.stop();
    shop.database().releaseThreadConnection();
}

void TestScaleOut::twoServersBehindNginx()
{
    if (!usingPostgres())
        QSKIP(kSqliteSkip);
    SharedStore store;
    QVERIFY(store.open());
    Shop &shop = *store.shop;
    ServerProcess a(store.childEnv(2));
    ServerProcess b(store.childEnv(2));
    QVERIFY2(a.start(), qPrintable(a.log()));
    QVERIFY2(b.start(), qPrintable(b.log()));
    Nginx nginx;
    QVERIFY2(nginx.start({a.port(), b.port()}), qPrintable(nginx.errorString()));

    const HttpResult ready = httpRequest(nginx.port(), "GET", "/readyz");
    QCOMPARE(ready.status, 200);

    // A notification made by one process reaches a listener on the other.
    const QString listening = QStringLiteral("mercato_cluster_listening");
    QTRY_COMPARE_WITH_TIMEOUT(metricOf(a.port(), listening), 1.0, 10'000);
    QTRY_COMPARE_WITH_TIMEOUT(metricOf(b.port(), listening), 1.0, 10'000);
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString customer = insertUser(shop, QStringLiteral("customer"));
    const QString product = insertProduct(shop, seller, 500, 10, {}, 9);
    QVERIFY(!placeOrder(shop, a.port(), customer, product).isEmpty()); // low stock: notified
    const QString notified = receivedSeries(QStringLiteral("notificationCreated"));
    QTRY_VERIFY_WITH_TIMEOUT(metricOf(b.port(), notified) >= 1.0, 5000);
    QCOMPARE(metricOf(a.port(), notified), -1.0);

    // The last-units race through nginx: 100 customers, 30 units, both processes serving.
    raceRounds(shop, {nginx.port()}, 1, 100, 30);
    if (QTest::currentTestFailed())
        return;
    const QString created
            = QStringLiteral("mercato_http_requests_total{route=\"/api/v1/orders\",method=\"POST\","
                             "status=\"201\"}");
    const double createdA = metricOf(a.port(), created);
    const double createdB = metricOf(b.port(), created);
    qInfo("orders taken by the first process: %g, by the second: %g", createdA, createdB);
    QVERIFY2(createdA > 1 && createdB > 0, "nginx did not spread the orders over both");
    QCOMPARE(createdA + createdB, 1.0 + 30.0);
    QCOMPARE(httpRequest(nginx.port(), "GET", "/readyz").status, 200);

    MERCATO_VERIFY_CLEAN_EXIT(a);
    MERCATO_VERIFY_CLEAN_EXIT(b);
    shop.database().releaseThreadConnection();
}

namespace {
// Orders the server logged as expired ("expired N unpaid order(s)"), summed over its log.
int expiredInLog(const QString &log)
{
    static const QRegularExpression re(QStringLiteral("expired (\\d+) unpaid order"));
    int sum = 0;
    auto it = re.globalMatch(log);
    while (it.hasNext())
        sum += it.next().captured(1).toInt();
    return sum;
}
} // namespace

void TestScaleOut::backgroundJobsRunOnce()
{
    if (!usingPostgres())
        QSKIP(kSqliteSkip);
    SharedStore store;
    QVERIFY(store.open());
    Shop &shop = *store.shop;
    SmtpSink sink;
    QVERIFY(sink.start());
    // This process sends outbox mail too: three senders on one outbox.
    SmtpMailer::Settings smtp;
    smtp.host = QStringLiteral("127.0.0.1");
    smtp.port = sink.port();
    smtp.from = QStringLiteral("Shop <shop@example.test>");
    smtp.timeoutMs = 5000;
    RetryPolicy policy;
    policy.pollMs = 200;
    shop.setMailer(std::make_unique<SmtpMailer>(smtp), policy);

    QProcessEnvironment env = store.childEnv(2);
    env.insert(QStringLiteral("MERCATO_SMTP_URL"),
               QStringLiteral("smtp://127.0.0.1:%1").arg(sink.port()));
    env.insert(QStringLiteral("MERCATO_JOB_INTERVAL_SECONDS"), QStringLiteral("1"));
    ServerProcess a(env);
    ServerProcess b(env);
    QVERIFY2(a.start(), qPrintable(a.log()));
    QVERIFY2(b.start(), qPrintable(b.log()));

    constexpr int kOrders = 120;
    constexpr int kStock = 1000;
    constexpr int kBatch = 150;
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString product = insertProduct(shop, seller, 250, kStock);
    QVERIFY(!product.isEmpty());
    QStringList orders;
    for (int i = 0; i < kOrders; ++i) {
        const QString customer = insertUser(shop, QStringLiteral("customer"));
        const QString id = placeOrder(shop, i % 2 ? b.port() : a.port(), customer, product);
        QVERIFY2(!id.isEmpty(), "an order was refused");
        orders.append(id);
    }
    QCOMPARE(stockOf(shop, product), qint64(kStock - kOrders));
    // A backlog committed at once: the three senders poll and claim from it together.
    {
        Transaction tx(shop.database());
        QVERIFY(tx.begin());
        for (int i = 0; i < kBatch; ++i) {
            MailMessage m;
            m.to = QStringLiteral("batch%1@example.test").arg(i);
            m.subject = QStringLiteral("Batch %1").arg(i);
            m.textBody = QStringLiteral("batch message %1\n").arg(i);
            QVERIFY(MailOutboxTable::add(tx.db(), m));
        }
        QVERIFY(tx.commit());
    }

    // Every pending order is due now; both processes' expiry jobs (every second) go for them.
    auto due = execSql(shop.database().connection(),
                       QStringLiteral("UPDATE orders SET expires_at = ? WHERE status = ?"),
                       {Clock::nowMs() - 1000, OrderStatus::PendingPayment});
    QVERIFY(due);
    QCOMPARE(due->numRowsAffected(), kOrders);
    const auto cancelled = [&] {
        return scalar(shop, QStringLiteral("SELECT COUNT(*) FROM orders WHERE status = ?"),
                      {OrderStatus::Cancelled});
    };
    QTRY_COMPARE_WITH_TIMEOUT(cancelled(), qint64(kOrders), 60'000);

    // Each order expired once: one history row, its unit back once, one notice.
    QCOMPARE(scalar(shop,
                    QStringLiteral("SELECT COUNT(*) FROM order_status_history WHERE status = ?"),
                    {OrderStatus::Cancelled}),
             qint64(kOrders));
    QCOMPARE(scalar(shop,
                    QStringLiteral("SELECT COUNT(DISTINCT order_id) FROM order_status_history "
                                   "WHERE status = ?"),
                    {OrderStatus::Cancelled}),
             qint64(kOrders));
    QCOMPARE(stockOf(shop, product), qint64(kStock));
    QCOMPARE(ledgerSum(shop, product), qint64(kStock));
    QCOMPARE(scalar(shop,
                    QStringLiteral("SELECT COUNT(*) FROM stock_ledger WHERE product_id = ? AND "
                                   "reason = ?"),
                    {product, StockReason::Expire}),
             qint64(kOrders));
    QCOMPARE(scalar(shop, QStringLiteral("SELECT COUNT(*) FROM notifications WHERE kind = ?"),
                    {QStringLiteral("order.expired")}),
             qint64(kOrders));
    // ... by one process or the other, never both; their own counts add up.
    QTRY_COMPARE_WITH_TIMEOUT(expiredInLog(a.log()) + expiredInLog(b.log()), kOrders, 5000);
    qInfo("orders expired by the first process: %d, by the second: %d", expiredInLog(a.log()),
          expiredInLog(b.log()));

    // Mail: each message once (order mails and the backlog), whichever process sent it.
    QTRY_COMPARE_WITH_TIMEOUT(shop.mailOutbox().count().value(), qint64(0), 60'000);
    QTRY_COMPARE_WITH_TIMEOUT(sink.messages().size(), kOrders + kBatch, 10'000);
    QTest::qWait(1500); // a duplicate would come from a second claim: give it time to show
    const QList<QByteArray> mails = sink.contents();
    QCOMPARE(mails.size(), kOrders + kBatch);
    QSet<QByteArray> messageIds;
    static const QRegularExpression idRe(QStringLiteral("^Message-ID: (\\S+)"),
                                         QRegularExpression::MultilineOption
                                                 | QRegularExpression::CaseInsensitiveOption);
    for (const QByteArray &m : mails) {
        const QString id = idRe.match(QString::fromUtf8(m)).captured(1);
        QVERIFY2(!id.isEmpty(), m.constData());
        messageIds.insert(id.toUtf8());
    }
    QCOMPARE(messageIds.size(), kOrders + kBatch);
    for (const QString &order : std::as_const(orders)) {
        // Mails name an order by its number.
        auto number = execSql(shop.database().connection(),
                              QStringLiteral("SELECT number FROM orders WHERE id = ?"), {order});
        QVERIFY(number && number->next());
        const QByteArray named = "your order #" + number->value(0).toString().toUtf8() + ':';
        const auto n = std::count_if(mails.cbegin(), mails.cend(),
                                     [&](const QByteArray &m) { return m.contains(named); });
        QVERIFY2(n == 1, qPrintable(QStringLiteral("order %1 mailed %2 times").arg(order).arg(n)));
    }

    MERCATO_VERIFY_CLEAN_EXIT(a);
    MERCATO_VERIFY_CLEAN_EXIT(b);
    shop.database().releaseThreadConnection();
}

QTEST_GUILESS_MAIN(TestScaleOut)
#include "tst_scaleout.moc"
