// Crash recovery (issue 10): checkout load against a real mercato-server that is killed with
// SIGKILL at random moments and restarted on the same database, several times. Then: every
// order that got a 201 exists, with its lines; every order in the database has its stock
// ledger rows and its coin hold; stock equals its ledger's sum and the units sold (no stock
// lost or doubled); each customer's coins equal the grant minus the coins their orders used
// (none lost or doubled); and every order's mail, queued in the outbox in the order's own
// transaction, reaches the SMTP server after the restarts (mail for no order: none).

#include "orderfixture.h"
#include "support/smtpsink.h"

#include "model/inventory.h"
#include "model/mailoutbox.h"

#include <QJsonArray>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>
#include <QThread>

#include <atomic>
#include <mutex>
#include <thread>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

using Test::SmtpSink;

struct Placed
{
    QString customerId;
    qint64 coinsUsed = 0;
};

} // namespace

class TestCrash : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void checkoutSurvivesSigkill();
};

void TestCrash::checkoutSurvivesSigkill()
{
    constexpr int kKills = 5;
    constexpr int kProducts = 8;
    constexpr int kStock = 400;
    constexpr int kCustomers = 40;
    constexpr int kThreads = 4;
    constexpr qint64 kCoins = 1000;

    // The test's own Shop on the shared database: data in, checks out. Its mail sender
    // would compete with the server's, so it never gets a journal to send from.
    QTemporaryDir dir;
    const QString url = freshDatabaseUrl(dir.path());
    auto parsed = DatabaseUrl::parse(url);
    QVERIFY(parsed);
    ShopOptions options;
    options.database = parsed.value();
    options.jwtKey = QByteArray::fromBase64(testJwtKey());
    options.dataDir = dir.path();
    Shop shop(options);
    QVERIFY(shop.database().open());

    const QString seller = insertUser(shop, QStringLiteral("seller"));
    QStringList products;
    for (int i = 0; i < kProducts; ++i)
        products.append(insertProduct(shop, seller, 250 + 100 * i, kStock));
    QVERIFY(!products.contains(QString()));
    QStringList customers;
    QStringList tokens;
    for (int i = 0; i < kCustomers; ++i) {
        customers.append(insertUser(shop, QStringLiteral("customer")));
        QVERIFY(grantCoins(shop, customers.last(), kCoins));
        tokens.append(
                shop.tokens().issueAccess(customers.last(), QStringLiteral("customer")).token);
    }

    // The mail server is down until after the second kill: order mail piles up in the outbox
    // and must go out from a later process.
    const quint16 smtpPort = freePort();
    SmtpSink sink({}, smtpPort);
    QProcessEnvironment env;
    env.insert(QStringLiteral("MERCATO_DATABASE"), url);
    env.insert(QStringLiteral("MERCATO_WORKERS"), QStringLiteral("2"));
    env.insert(QStringLiteral("MERCATO_SMTP_URL"),
               QStringLiteral("smtp://127.0.0.1:%1").arg(smtpPort));
    env.insert(QStringLiteral("MERCATO_MAIL_LEASE_SECONDS"), QStringLiteral("2"));
    ServerProcess server(env);
    QVERIFY2(server.start(), qPrintable(server.log()));

    std::atomic<quint16> port{server.port()};
    std::atomic<bool> stop{false};
    std::atomic<int> created{0};
    std::mutex mutex;
    QHash<QString, Placed> placed; // order id → what its 201 said
    QList<int> unexpected;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            QRandomGenerator random(quint32(t + 1));
            for (int i = t; !stop; i = (i + kThreads) % kCustomers) {
                Client c(port.load());
                c.setToken(tokens.at(i));
                const int lines = 1 + int(random.bounded(2));
                bool cartOk = true;
                for (int l = 0; l < lines && cartOk; ++l) {
                    const QString p = products.at(int(random.bounded(kProducts)));
                    cartOk = c.put(QStringLiteral("/api/v1/cart/items/") + p,
                                   QJsonObject{{QStringLiteral("quantity"),
                                                1 + int(random.bounded(3))}})
                                     .status
                             == 200;
                }
                if (!cartOk) {
                    QThread::msleep(20); // the server is down or restarting
                    continue;
                }
                const qint64 coins = random.bounded(40);
                const auto r = c.post(QStringLiteral("/api/v1/orders"),
                                      QJsonObject{{QStringLiteral("coinsToUse"), coins}});
                std::lock_guard lock(mutex);
                if (r.status == 201) {
                    placed.insert(
                            r.json().value(QStringLiteral("id")).toString(),
                            Placed{customers.at(i),
                                   qint64(r.json().value(QStringLiteral("coinsUsed")).toDouble())});
                    ++created;
                } else if (r.status != 0 && r.status != 409 && r.status != 503) {
                    unexpected.append(r.status);
                }
            }
        });
    }
    const auto stopLoad = [&] {
        stop = true;
        for (auto &t : threads)
            t.join();
        threads.clear();
    };
    const auto waitForOrders = [&](int more) {
        const int target = created.load() + more;
        for (int i = 0; i < 600 && created.load() < target; ++i)
            QThread::msleep(50);
        return created.load() >= target;
    };

    for (int round = 0; round < kKills; ++round) {
        // Some checkouts in this process, then a kill at a random moment of the load.
        if (!waitForOrders(5)) {
            stopLoad();
            QFAIL(qPrintable(QStringLiteral("no checkouts in round %1; log:\n%2")
                                     .arg(round)
                                     .arg(logExcerpt(server.log()))));
        }
        QThread::msleep(QRandomGenerator::global()->bounded(400));
        QVERIFY(server.killHard());
        if (round == 1) {
            // Mail the killed processes could not deliver is waiting in the outbox.
            auto waiting = shop.mailOutbox().count();
            QVERIFY(waiting);
            qInfo("mail waiting in the outbox after kill %d: %lld", round + 1, waiting.value());
            QVERIFY(waiting.value() > 0);
            QVERIFY(sink.start());
        }
        QVERIFY2(server.start(), qPrintable(logExcerpt(server.log())));
        port = server.port();
    }
    const bool more = waitForOrders(5);
    stopLoad();
    QVERIFY(more);
    QVERIFY2(
            unexpected.isEmpty(),
            qPrintable(QStringLiteral("unexpected statuses: %1")
                               .arg(QString::fromLatin1(
                                       QJsonDocument(QJsonArray::fromVariantList(QVariantList(
                                                             unexpected.begin(), unexpected.end())))
                                               .toJson(QJsonDocument::Compact)))));
    qInfo("%lld orders answered 201 over %d kills", qint64(placed.size()), kKills);

    // The last process sends what is left (claims the killed ones held lapse after 2 s).
    QTRY_COMPARE_WITH_TIMEOUT(shop.mailOutbox().count().value(), qint64(0), 40000);

    QSqlDatabase db = shop.database().connection();
    QHash<QString, Placed> stored;
    QSet<QString> storedNumbers; // what mails name an order by
    {
        auto q = execSql(db,
                         QStringLiteral("SELECT id, customer_id, coins_used, number FROM orders"));
        QVERIFY(q);
        while (q->next()) {
            stored.insert(q->value(0).toString(),
                          Placed{q->value(1).toString(), q->value(2).toLongLong()});
            storedNumbers.insert(q->value(3).toString());
        }
    }
    // Every 201 is in the database as answered (orders committed whose answer the kill
    // swallowed are there too, and are checked like the others below).
    for (auto it = placed.cbegin(); it != placed.cend(); ++it) {
        QVERIFY2(stored.contains(it.key()),
                 qPrintable(QStringLiteral("order %1 lost").arg(it.key())));
        QCOMPARE(stored.value(it.key()).customerId, it->customerId);
        QCOMPARE(stored.value(it.key()).coinsUsed, it->coinsUsed);
    }
    // Each order has its lines, a stock ledger row per line taking exactly its units, and its
    // coin hold.
    for (auto it = stored.cbegin(); it != stored.cend(); ++it) {
        const qint64 units = scalar(shop,
                                    QStringLiteral("SELECT COALESCE(SUM(quantity), 0) FROM "
                                                   "order_items WHERE order_id = ?"),
                                    {it.key()});
        QVERIFY2(units > 0, qPrintable(it.key()));
        QCOMPARE(scalar(shop,
                        QStringLiteral("SELECT COALESCE(SUM(delta), 0) FROM stock_ledger WHERE "
                                       "order_id = ?"),
                        {it.key()}),
                 -units);
        QCOMPARE(scalar(shop,
                        QStringLiteral("SELECT COALESCE(SUM(delta), 0) FROM coin_ledger WHERE "
                                       "order_id = ? AND reason = 'order.hold'"),
                        {it.key()}),
                 -it->coinsUsed);
    }
    // Stock: equal to its ledger's sum, and to what was there less what the orders took.
    auto mismatches = Inventory::verifyLedger(db);
    QVERIFY(mismatches);
    QVERIFY(mismatches->isEmpty());
    for (const QString &p : std::as_const(products)) {
        const qint64 sold = scalar(shop,
                                   QStringLiteral("SELECT COALESCE(SUM(quantity), 0) FROM "
                                                  "order_items WHERE product_id = ?"),
                                   {p});
        QCOMPARE(stockOf(shop, p), kStock - sold);
    }
    // Coins: the grant less the coins each customer's orders hold.
    QHash<QString, qint64> used;
    for (const Placed &o : std::as_const(stored))
        used[o.customerId] += o.coinsUsed;
    for (const QString &c : std::as_const(customers))
        QCOMPARE(coinsOf(shop, c), kCoins - used.value(c));

    // Mail: one per order in the database (at least once: a message a killed process was
    // sending may come twice, with the same Message-ID), none for an order that is not.
    static const QRegularExpression orderRe(QStringLiteral("your order #([0-9]+):"));
    static const QRegularExpression idRe(QStringLiteral("Message-ID: <([^@>]+)@"));
    QSet<QString> mailed;
    QSet<QString> messageIds;
    int repeats = 0;
    const QList<QByteArray> messages = sink.contents();
    for (const QByteArray &m : messages) {
        const QString text = QString::fromUtf8(m);
        const auto order = orderRe.match(text);
        QVERIFY2(order.hasMatch(), m.constData());
        const QString messageId = idRe.match(text).captured(1);
        QVERIFY(!messageId.isEmpty());
        if (messageIds.contains(messageId))
            ++repeats;
        else
            QVERIFY2(!mailed.contains(order.captured(1)), "two different mails for one order");
        messageIds.insert(messageId);
        mailed.insert(order.captured(1));
    }
    qInfo("%lld orders in the database, %lld mails received (%d repeats of a message)",
          qint64(stored.size()), qint64(messages.size()), repeats);
    QCOMPARE(mailed, storedNumbers);
    QVERIFY(repeats <= kKills); // only the message in flight when a process died

    MERCATO_VERIFY_CLEAN_EXIT(server);
    shop.database().releaseThreadConnection();
}

QTEST_GUILESS_MAIN(TestCrash)
#include "tst_crash.moc"
