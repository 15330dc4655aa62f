#pragma once
// Shared by the order and payment tests: users and coins made directly in the database,
// products through the catalog, and clients with minted tokens.

#include "support/testsupport.h"

#include "model/catalog.h"
#include "model/clock.h"
#include "model/coinledger.h"
#include "model/ids.h"
#include "model/inventory.h"

#include <QDir>
#include <QFile>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace Mercato::Test {

inline QString insertUser(Shop &shop, const QString &role, const QString &name = {})
{
    const QString id = Ids::newId();
    const qint64 now = Clock::nowMs();
    const QString email = id + QStringLiteral("@example.test");
    auto q = execSql(
            shop.database().connection(),
            QStringLiteral(
                    "INSERT INTO users (id, email, email_norm, password_hash, display_name, role, "
                    "created_at, updated_at) VALUES (?, ?, ?, 'x', ?, ?, ?, ?)"),
            {id, email, email,
             name.isEmpty() ? QString(role + QLatin1Char(' ') + id.left(6)) : name, role, now,
             now});
    return q ? id : QString();
}

// Through the catalog (its ledger row `create` and low-stock rule), as a seller would.
inline QString insertProduct(Shop &shop, const QString &sellerId, qint64 priceCents, int stock,
                             const QString &name = {}, int threshold = 0)
{
    NewProduct input;
    input.name = name.isEmpty() ? QStringLiteral("Item ") + Ids::newId().left(6) : name;
    input.priceCents = priceCents;
    input.stock = stock;
    input.lowStockThreshold = threshold;
    auto p = shop.catalog().create(sellerId, input);
    return p ? p->id : QString();
}

inline qint64 scalar(Shop &shop, const QString &sql, const QVariantList &binds = {})
{
    auto q = execSql(shop.database().connection(), sql, binds);
    return q && q->next() ? q->value(0).toLongLong() : -1;
}

inline QString scalarText(Shop &shop, const QString &sql, const QVariantList &binds = {})
{
    auto q = execSql(shop.database().connection(), sql, binds);
    return q && q->next() ? q->value(0).toString() : QString();
}

inline qint64 stockOf(Shop &shop, const QString &productId)
{
    return scalar(shop, QStringLiteral("SELECT stock FROM products WHERE id = ?"), {productId});
}

inline qint64 ledgerSum(Shop &shop, const QString &productId)
{
    return scalar(
            shop,
            QStringLiteral("SELECT COALESCE(SUM(delta), 0) FROM stock_ledger WHERE product_id = ?"),
            {productId});
}

inline qint64 coinsOf(Shop &shop, const QString &userId)
{
    auto b = CoinLedger::balance(shop.database().connection(), userId);
    return b ? b.value() : -1;
}

inline bool grantCoins(Shop &shop, const QString &userId, qint64 coins)
{
    return bool(CoinLedger::append(shop.database().connection(), userId, coins,
                                   QStringLiteral("daily")));
}

inline qint64 notificationCount(Shop &shop, const QString &userId, const QString &kind)
{
    return scalar(
            shop,
            QStringLiteral("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = ?"),
            {userId, kind});
}

// The mails the queue wrote to the server's .eml outbox for `to` so far, with plain line
// ends (the outbox's bodies are 7-bit text unless they need quoted-printable).
inline QList<QByteArray> mailsTo(TestServer &server, const QString &to)
{
    QList<QByteArray> out;
    const QDir outbox(server.dataDir() + QStringLiteral("/outbox"));
    for (const QString &name : outbox.entryList({QStringLiteral("*.eml")}, QDir::Files)) {
        QFile f(outbox.filePath(name));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        QByteArray mail = f.readAll().replace("\r\n", "\n");
        if (mail.contains(QByteArray("\nTo: " + to.toUtf8() + '\n')))
            out.append(mail);
    }
    return out;
}

// The first of them whose subject is `subject` (empty when none came yet).
inline QByteArray mailWithSubject(TestServer &server, const QString &to, const QString &subject)
{
    for (const QByteArray &mail : mailsTo(server, to)) {
        if (mail.contains(QByteArray("\nSubject: " + subject.toUtf8() + '\n')))
            return mail;
    }
    return {};
}

inline Client clientFor(TestServer &server, const QString &userId, const QString &role)
{
    Client c = server.client();
    c.setToken(server.shop().tokens().issueAccess(userId, role).token);
    return c;
}

inline QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// A Shop on a fresh database of this run's engine, without a server: the two-process tests
// prepare data through it and hand its URL to mercato-server children.
struct SharedStore
{
    QTemporaryDir dir;
    QString url;
    std::unique_ptr<Shop> shop;

    bool open()
    {
        url = freshDatabaseUrl(dir.path());
        auto parsed = DatabaseUrl::parse(url);
        if (!parsed)
            return false;
        ShopOptions options;
        options.database = parsed.value();
        options.jwtKey = QByteArray::fromBase64(testJwtKey());
        options.dataDir = dir.path();
        shop = std::make_unique<Shop>(options);
        return bool(shop->open());
    }
    QProcessEnvironment childEnv(int workers) const
    {
        QProcessEnvironment env;
        env.insert(QStringLiteral("MERCATO_DATABASE"), url);
        env.insert(QStringLiteral("MERCATO_WORKERS"), QString::number(workers));
        return env;
    }
};

// `customers` customers (spread over the servers on `ports`) race for `stock` units with
// POST /orders, `rounds` times: exactly `stock` orders, the rest 409, stock 0 and the ledger
// agreeing. Check QTest::currentTestFailed() after it.
inline void raceRounds(Shop &shop, const QList<quint16> &ports, int rounds, int customerCount = 200,
                       int stock = 50)
{
    const int kCustomers = customerCount;
    const int kStock = stock;
    constexpr int kThreads = 8;
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    std::vector<Client> customers;
    for (int i = 0; i < kCustomers; ++i) {
        Client c(ports.at(i % ports.size()));
        c.setToken(shop.tokens()
                           .issueAccess(insertUser(shop, QStringLiteral("customer")),
                                        QStringLiteral("customer"))
                           .token);
        customers.push_back(c);
    }
    for (int round = 0; round < rounds; ++round) {
        const QString p = insertProduct(shop, seller, 100, kStock);
        const QString other = insertProduct(shop, seller, 100, 1000);
        QVERIFY(!p.isEmpty() && !other.isEmpty());
        for (const Client &c : customers) {
            QCOMPARE(c.put(QStringLiteral("/api/v1/cart/items/") + p,
                           QJsonObject{{QStringLiteral("quantity"), 1}})
                             .status,
                     200);
            QCOMPARE(c.put(QStringLiteral("/api/v1/cart/items/") + other,
                           QJsonObject{{QStringLiteral("quantity"), 1}})
                             .status,
                     200);
        }
        std::atomic<int> next{0};
        std::atomic<int> created{0};
        std::atomic<int> refused{0};
        std::atomic<int> unexpected{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&] {
                for (int i = next++; i < kCustomers; i = next++) {
                    const auto r = customers[size_t(i)].post(
                            QStringLiteral("/api/v1/orders"),
                            QJsonObject{{QStringLiteral("coinsToUse"), 0}});
                    if (r.status == 201)
                        ++created;
                    else if (r.status == 409)
                        ++refused;
                    else
                        ++unexpected;
                }
            });
        }
        for (auto &t : threads)
            t.join();
        QCOMPARE(unexpected.load(), 0);
        QCOMPARE(created.load(), kStock);
        QCOMPARE(refused.load(), kCustomers - kStock);
        QCOMPARE(stockOf(shop, p), 0);
        QCOMPARE(ledgerSum(shop, p), 0);
        // The refused carts changed nothing on their other line either.
        QCOMPARE(stockOf(shop, other), 1000 - kStock);
        QCOMPARE(ledgerSum(shop, other), 1000 - kStock);
        QCOMPARE(scalar(shop,
                        QStringLiteral("SELECT COUNT(*) FROM order_items WHERE product_id = ?"),
                        {p}),
                 kStock);
        for (const Client &c : customers)
            c.del(QStringLiteral("/api/v1/cart"));
    }
    auto mismatches = Inventory::verifyLedger(shop.database().connection());
    QVERIFY(mismatches);
    QVERIFY(mismatches->isEmpty());
}

} // namespace Mercato::Test
