// Cart, orders, pricing, cancel and expiry, idempotency, the state machine, sellers' views and
// purchase notifications, and the oversell race. Runs on SQLite and on PostgreSQL.

#include "orderfixture.h"

#include "model/orders.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

using namespace Mercato;
using namespace Mercato::Test;

namespace {
QJsonObject qty(int n)
{
    return QJsonObject{{QStringLiteral("quantity"), n}};
}
QJsonObject coins(const QJsonValue &v)
{
    return QJsonObject{{QStringLiteral("coinsToUse"), v}};
}
QStringList errorFields(const HttpResult &r)
{
    QStringList out;
    const QJsonArray errors = r.json().value(QStringLiteral("errors")).toArray();
    for (const QJsonValue &e : errors)
        out.append(e.toObject().value(QStringLiteral("field")).toString());
    return out;
}
} // namespace

class TestOrders : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void cleanup() { Clock::resetForTesting(); }

    void cartRules();
    void cartShowsUnavailableLines();
    void placeOrder();
    void pricesAndNamesFrozenOnLines();
    void emptyCartAndBadCoins_data();
    void emptyCartAndBadCoins();
    void shortLinesChangeNothing();
    void pricing_data();
    void pricing();
    void pricingThroughTheApi();
    void discountRowsThroughTheApi_data();
    void discountRowsThroughTheApi();
    void cancelReturnsStockAndCoins();
    void lowStockAlertsComeFromTheInventory();
    void expiryReturnsStockAndCoinsOnce();
    void heldCoinsSpentOrReturnedOnce();
    void idempotencyReplayAndConflict();
    void idempotencyConcurrentDuplicates();
    void stateMachine_data();
    void stateMachine();
    void sellerSeesOnlyOwnLines();
    void sellerListFilters();
    void notificationsGoToTheRightPeople();
    void ordersPaging();
    void oversellRace();
    void opposingLineOrdersNeverDeadlock();
    void expiryOnceWithTwoProcesses();
    void ordersGauge();
};

void TestOrders::cartRules()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    Shop &shop = server.shop();
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    const QString p = insertProduct(shop, seller, 1250, 10, QStringLiteral("Lamp"));
    Client c = clientFor(server, cust, QStringLiteral("customer"));

    auto r = c.put(QStringLiteral("/api/v1/cart/items/") + p, qty(2));
    QCOMPARE(r.status, 200);
    QJsonArray items = r.json().value(QStringLiteral("items")).toArray();
    QCOMPARE(items.size(), 1);
    const QJsonObject line = items.at(0).toObject();
    QCOMPARE(line.value(QStringLiteral("productId")).toString(), p);
    QCOMPARE(line.value(QStringLiteral("name")).toString(), QStringLiteral("Lamp"));
    QCOMPARE(line.value(QStringLiteral("unitPriceCents")).toInteger(), 1250);
    QCOMPARE(line.value(QStringLiteral("quantity")).toInt(), 2);
    QCOMPARE(line.value(QStringLiteral("lineTotalCents")).toInteger(), 2500);
    QCOMPARE(line.value(QStringLiteral("available")).toBool(), true);
    QCOMPARE(r.json().value(QStringLiteral("subtotalCents")).toInteger(), 2500);

    // Setting again replaces the quantity.
    r = c.put(QStringLiteral("/api/v1/cart/items/") + p, qty(5));
    QCOMPARE(r.json().value(QStringLiteral("subtotalCents")).toInteger(), 6250);

    for (const QJsonValue &bad : {QJsonValue(0), QJsonValue(100), QJsonValue(1.5),
                                  QJsonValue(QStringLiteral("2")), QJsonValue(-1)}) {
        r = c.put(QStringLiteral("/api/v1/cart/items/") + p,
                  QJsonObject{{QStringLiteral("quantity"), bad}});
        QCOMPARE(r.status, 422);
        QVERIFY(r.isProblem());
        QCOMPARE(errorFields(r), QStringList{QStringLiteral("quantity")});
    }
    QCOMPARE(c.put(QStringLiteral("/api/v1/cart/items/") + Ids::newId(), qty(1)).status, 404);
    QCOMPARE(c.get(QStringLiteral("/api/v1/cart"))
                     .json()
                     .value(QStringLiteral("subtotalCents"))
                     .toInteger(),
             6250);

    // Customers only; and a token is needed.
    Client s = clientFor(server, seller, QStringLiteral("seller"));
    QCOMPARE(s.get(QStringLiteral("/api/v1/cart")).status, 403);
    QCOMPARE(s.put(QStringLiteral("/api/v1/cart/items/") + p, qty(1)).status, 403);
    QCOMPARE(server.client().get(QStringLiteral("/api/v1/cart")).status, 401);

    r = c.del(QStringLiteral("/api/v1/cart/items/") + p);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("items")).toArray().size(), 0);
    c.put(QStringLiteral("/api/v1/cart/items/") + p, qty(1));
    r = c.del(QStringLiteral("/api/v1/cart"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("items")).toArray().size(), 0);
    QCOMPARE(r.json().value(QStringLiteral("subtotalCents")).toInteger(), 0);
}

void TestOrders::cartShowsUnavailableLines()
{
    TestServer server;
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    const QString gone = insertProduct(shop, seller, 100, 5);
    const QString soldOut = insertProduct(shop, seller, 200, 1);
    const QString fine = insertProduct(shop, seller, 300, 5);
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    QCOMPARE(c.put(QStringLiteral("/api/v1/cart/items/") + gone, qty(1)).status, 200);
    QCOMPARE(c.put(QStringLiteral("/api/v1/cart/items/") + soldOut, qty(2)).status, 200);
    QCOMPARE(c.put(QStringLiteral("/api/v1/cart/items/") + fine, qty(1)).status, 200);
    QVERIFY(execSql(shop.database().connection(),
                    QStringLiteral("UPDATE products SET deleted_at = 1 WHERE id = ?"), {gone}));
    auto r = c.get(QStringLiteral("/api/v1/cart"));
    QCOMPARE(r.status, 200);
    const QJsonArray items = r.json().value(QStringLiteral("items")).toArray();
    QCOMPARE(items.size(), 3); // not silently dropped
    QHash<QString, bool> available;
    for (const QJsonValue &v : items)
        available.insert(v.toObject().value(QStringLiteral("productId")).toString(),
                         v.toObject().value(QStringLiteral("available")).toBool());
    QCOMPARE(available.value(gone, true), false);
    QCOMPARE(available.value(soldOut, true), false);
    QCOMPARE(available.value(fine, false), true);
    QCOMPARE(r.json().value(QStringLiteral("subtotalCents")).toInteger(), 300);
}

void TestOrders::placeOrder()
{
    TestServer server;
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    const QString p = insertProduct(shop, seller, 1250, 10, QStringLiteral("Lamp"));
    const QString q = insertProduct(shop, seller, 499, 3, QStringLiteral("Bulb"));
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    c.put(QStringLiteral("/api/v1/cart/items/") + p, qty(2));
    c.put(QStringLiteral("/api/v1/cart/items/") + q, qty(3));

    auto r = c.post(QStringLiteral("/api/v1/orders"), coins(0));
    QCOMPARE(r.status, 201);
    const QJsonObject order = r.json();
    const QString id = order.value(QStringLiteral("id")).toString();
    QVERIFY(!id.isEmpty());
    QCOMPARE(r.header("location"), QByteArray("/api/v1/orders/") + id.toUtf8());
    QCOMPARE(order.value(QStringLiteral("status")).toString(), QStringLiteral("pending_payment"));
    QCOMPARE(order.value(QStringLiteral("subtotalCents")).toInteger(), 2500 + 1497);
    QCOMPARE(order.value(QStringLiteral("totalCents")).toInteger(), 2500 + 1497);
    QCOMPARE(order.value(QStringLiteral("discountCents")).toInteger(), 0);
    QCOMPARE(order.value(QStringLiteral("coinsUsed")).toInteger(), 0);
    QCOMPARE(order.value(QStringLiteral("currency")).toString(), QStringLiteral("USD"));
    QCOMPARE(order.value(QStringLiteral("payment"))
                     .toObject()
                     .value(QStringLiteral("provider"))
                     .toString(),
             QStringLiteral("manual"));
    const QJsonArray items = order.value(QStringLiteral("items")).toArray();
    QCOMPARE(items.size(), 2);
    for (const QJsonValue &v : items) {
        const QJsonObject l = v.toObject();
        for (const char *key : {"id", "productId", "name", "unitPriceCents", "quantity",
                                "lineTotalCents", "refundedQuantity"})
            QVERIFY2(l.contains(QLatin1String(key)), key);
    }
    const QJsonArray history = order.value(QStringLiteral("statusHistory")).toArray();
    QCOMPARE(history.size(), 1);
    QCOMPARE(history.at(0).toObject().value(QStringLiteral("status")).toString(),
             QStringLiteral("pending_payment"));
    QVERIFY(history.at(0)
                    .toObject()
                    .value(QStringLiteral("at"))
                    .toString()
                    .endsWith(QLatin1Char('Z')));

    QCOMPARE(stockOf(shop, p), 8);
    QCOMPARE(stockOf(shop, q), 0);
    QCOMPARE(ledgerSum(shop, p), 8);
    QCOMPARE(ledgerSum(shop, q), 0);
    QCOMPARE(scalar(shop,
                    QStringLiteral("SELECT COUNT(*) FROM stock_ledger WHERE order_id = ? AND "
                                   "reason = 'sale'"),
                    {id}),
             2);
    QCOMPARE(c.get(QStringLiteral("/api/v1/cart"))
                     .json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .size(),
             0);

    // GET on the Location returns the same order; another customer gets 404.
    auto g = c.get(QStringLiteral("/api/v1/orders/") + id);
    QCOMPARE(g.status, 200);
    QCOMPARE(g.json().value(QStringLiteral("id")).toString(), id);
    QCOMPARE(g.json().value(QStringLiteral("items")), order.value(QStringLiteral("items")));
    Client other = clientFor(server, insertUser(shop, QStringLiteral("customer")),
                             QStringLiteral("customer"));
    QCOMPARE(other.get(QStringLiteral("/api/v1/orders/") + id).status, 404);
    QCOMPARE(other.post(QStringLiteral("/api/v1/orders/") + id + QStringLiteral("/cancel")).status,
             404);
    QCOMPARE(
            other.post(QStringLiteral("/api/v1/orders/") + id + QStringLiteral("/checkout")).status,
            404);
    QCOMPARE(clientFor(server, seller, QStringLiteral("seller"))
                     .post(QStringLiteral("/api/v1/orders"), coins(0))
                     .status,
             403);

    // Manual checkout: instructions, and the payment state is recorded.
    auto co = c.post(QStringLiteral("/api/v1/orders/") + id + QStringLiteral("/checkout"));
    QCOMPARE(co.status, 200);
    QCOMPARE(co.json().value(QStringLiteral("provider")).toString(), QStringLiteral("manual"));
    QVERIFY(!co.json().value(QStringLiteral("instructions")).toString().isEmpty());
    QCOMPARE(c.get(QStringLiteral("/api/v1/orders/") + id)
                     .json()
                     .value(QStringLiteral("payment"))
                     .toObject()
                     .value(QStringLiteral("state"))
                     .toString(),
             QStringLiteral("awaiting_payment"));
}

// After the order, the seller renames and reprices the products (and deletes one): the order
// keeps the name and price each line had at checkout, for the customer and for the seller,
// and its totals (and the amount paid) do not move.
void TestOrders::pricesAndNamesFrozenOnLines()
{
    TestServer server;
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    QVERIFY(grantCoins(shop, cust, 100));
    const QString lamp = insertProduct(shop, seller, 1250, 10, QStringLiteral("Lamp"));
    const QString bulb = insertProduct(shop, seller, 499, 10, QStringLiteral("Bulb"));
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    Client s = clientFor(server, seller, QStringLiteral("seller"));
    QCOMPARE(c.put(QStringLiteral("/api/v1/cart/items/") + lamp, qty(2)).status, 200);
    QCOMPARE(c.put(QStringLiteral("/api/v1/cart/items/") + bulb, qty(1)).status, 200);
    const auto placed = c.post(QStringLiteral("/api/v1/orders"), coins(50));
    QCOMPARE(placed.status, 201);
    const QJsonObject before = placed.json();
    const QString id = before.value(QStringLiteral("id")).toString();
    const qint64 total = before.value(QStringLiteral("totalCents")).toInteger();
    QCOMPARE(before.value(QStringLiteral("subtotalCents")).toInteger(), 2 * 1250 + 499);
    QCOMPARE(total, 2 * 1250 + 499 - before.value(QStringLiteral("discountCents")).toInteger());
    const QJsonObject sellerBefore = s.get(QStringLiteral("/api/v1/seller/orders/") + id).json();
    QCOMPARE(sellerBefore.value(QStringLiteral("sellerSubtotalCents")).toInteger(), 2999);

    // The seller changes both products through the API.
    auto patched = s.patch(QStringLiteral("/api/v1/products/") + lamp,
                           QJsonObject{{QStringLiteral("name"), QStringLiteral("Desk Lamp Pro")},
                                       {QStringLiteral("priceCents"), 9900}});
    QCOMPARE(patched.status, 200);
    QCOMPARE(patched.json().value(QStringLiteral("priceCents")).toInteger(), 9900);
    QCOMPARE(s.patch(QStringLiteral("/api/v1/products/") + bulb,
                     QJsonObject{{QStringLiteral("name"), QStringLiteral("LED Bulb")},
                                 {QStringLiteral("priceCents"), 1}})
                     .status,
             200);
    QCOMPARE(c.get(QStringLiteral("/api/v1/products/") + lamp)
                     .json()
                     .value(QStringLiteral("name"))
                     .toString(),
             QStringLiteral("Desk Lamp Pro"));

    const auto linesOf = [](const QJsonObject &order) {
        QMap<QString, QPair<QString, qint64>> out; // productId -> (name, unit price)
        const QJsonArray items = order.value(QStringLiteral("items")).toArray();
        for (const QJsonValue &v : items) {
            const QJsonObject l = v.toObject();
            out.insert(l.value(QStringLiteral("productId")).toString(),
                       {l.value(QStringLiteral("name")).toString(),
                        l.value(QStringLiteral("unitPriceCents")).toInteger()});
        }
        return out;
    };
    const QMap<QString, QPair<QString, qint64>> frozen{{lamp, {QStringLiteral("Lamp"), 1250}},
                                                       {bulb, {QStringLiteral("Bulb"), 499}}};
    const auto checkUnchanged = [&](const QString &when) {
        const QJsonObject mine = c.get(QStringLiteral("/api/v1/orders/") + id).json();
        QVERIFY2(linesOf(mine) == frozen, qPrintable(when));
        QCOMPARE(mine.value(QStringLiteral("items")), before.value(QStringLiteral("items")));
        for (const char *key : {"subtotalCents", "discountCents", "coinsUsed", "totalCents"})
            QCOMPARE(mine.value(QLatin1String(key)), before.value(QLatin1String(key)));
        // The customer's list shows the same.
        const QJsonArray list = c.get(QStringLiteral("/api/v1/orders"))
                                        .json()
                                        .value(QStringLiteral("items"))
                                        .toArray();
        QCOMPARE(list.size(), 1);
        QVERIFY(linesOf(list.at(0).toObject()) == frozen);
        QCOMPARE(list.at(0).toObject().value(QStringLiteral("totalCents")).toInteger(), total);
        // The seller's view of the order and its list.
        const QJsonObject theirs = s.get(QStringLiteral("/api/v1/seller/orders/") + id).json();
        QVERIFY2(linesOf(theirs) == frozen, qPrintable(when));
        QCOMPARE(theirs.value(QStringLiteral("sellerSubtotalCents")).toInteger(), 2999);
        QCOMPARE(theirs.value(QStringLiteral("totalCents")).toInteger(), total);
        const QJsonArray sellerList = s.get(QStringLiteral("/api/v1/seller/orders"))
                                              .json()
                                              .value(QStringLiteral("items"))
                                              .toArray();
        QCOMPARE(sellerList.size(), 1);
        QVERIFY(linesOf(sellerList.at(0).toObject()) == frozen);
    };
    checkUnchanged(QStringLiteral("after the edit"));
    if (QTest::currentTestFailed())
        return;

    // Checkout asks for the frozen total; marking it paid keeps the lines as they were.
    auto co = c.post(QStringLiteral("/api/v1/orders/") + id + QStringLiteral("/checkout"));
    QCOMPARE(co.status, 200);
    QCOMPARE(s.post(QStringLiteral("/api/v1/seller/orders/") + id + QStringLiteral("/mark-paid"))
                     .status,
             200);
    // The product deleted from the catalog: the order still names it as bought.
    QCOMPARE(s.del(QStringLiteral("/api/v1/products/") + bulb).status, 204);
    checkUnchanged(QStringLiteral("after payment and deletion"));
    QCOMPARE(c.get(QStringLiteral("/api/v1/orders/") + id)
                     .json()
                     .value(QStringLiteral("status"))
                     .toString(),
             QStringLiteral("paid"));
    // A new order takes the new price and name.
    QCOMPARE(c.put(QStringLiteral("/api/v1/cart/items/") + lamp, qty(1)).status, 200);
    const QJsonObject next = c.post(QStringLiteral("/api/v1/orders"), coins(0)).json();
    QCOMPARE(linesOf(next).value(lamp), qMakePair(QStringLiteral("Desk Lamp Pro"), qint64(9900)));
    QCOMPARE(next.value(QStringLiteral("totalCents")).toInteger(), 9900);
}

void TestOrders::emptyCartAndBadCoins_data()
{
    QTest::addColumn<QJsonValue>("coinsToUse");
    QTest::addColumn<bool>("fillCart");
    QTest::addColumn<int>("status");
    QTest::newRow("empty-cart") << QJsonValue(0) << false << 409;
    QTest::newRow("negative") << QJsonValue(-1) << true << 422;
    QTest::newRow("fractional") << QJsonValue(1.5) << true << 422;
    QTest::newRow("string") << QJsonValue(QStringLiteral("5")) << true << 422;
    QTest::newRow("boolean") << QJsonValue(true) << true << 422;
}

void TestOrders::emptyCartAndBadCoins()
{
    QFETCH(QJsonValue, coinsToUse);
    QFETCH(bool, fillCart);
    QFETCH(int, status);
    TestServer server;
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    const QString p = insertProduct(shop, seller, 1000, 10);
    QVERIFY(grantCoins(shop, cust, 30));
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    if (fillCart)
        c.put(QStringLiteral("/api/v1/cart/items/") + p, qty(2));
    auto r = c.post(QStringLiteral("/api/v1/orders"), coins(coinsToUse));
    QCOMPARE(r.status, status);
    QVERIFY(r.isProblem());
    if (status == 422)
        QCOMPARE(errorFields(r), QStringList{QStringLiteral("coinsToUse")});
    QCOMPARE(scalar(shop, QStringLiteral("SELECT COUNT(*) FROM orders")), 0);
    QCOMPARE(stockOf(shop, p), 10);
    QCOMPARE(coinsOf(shop, cust), 30);
}

void TestOrders::shortLinesChangeNothing()
{
    TestServer server;
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    const QString plenty = insertProduct(shop, seller, 100, 10, QStringLiteral("Plenty"));
    const QString few = insertProduct(shop, seller, 100, 1, QStringLiteral("Few"));
    const QString gone = insertProduct(shop, seller, 100, 9, QStringLiteral("Gone"));
    QVERIFY(grantCoins(shop, cust, 50));
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    c.put(QStringLiteral("/api/v1/cart/items/") + plenty, qty(3));
    c.put(QStringLiteral("/api/v1/cart/items/") + few, qty(2));
    c.put(QStringLiteral("/api/v1/cart/items/") + gone, qty(1));
    QVERIFY(execSql(shop.database().connection(),
                    QStringLiteral("UPDATE products SET deleted_at = 1 WHERE id = ?"), {gone}));

    auto r = c.post(QStringLiteral("/api/v1/orders"), coins(20));
    QCOMPARE(r.status, 409);
    QVERIFY(r.isProblem());
    QStringList fields = errorFields(r);
    fields.sort();
    QStringList expected{QStringLiteral("items.") + few, QStringLiteral("items.") + gone};
    expected.sort();
    QCOMPARE(fields, expected);
    QVERIFY(r.json().value(QStringLiteral("detail")).toString().contains(QStringLiteral("Few")));
    QCOMPARE(stockOf(shop, plenty), 10);
    QCOMPARE(stockOf(shop, few), 1);
    QCOMPARE(ledgerSum(shop, plenty), 10);
    QCOMPARE(scalar(shop, QStringLiteral("SELECT COUNT(*) FROM orders")), 0);
    QCOMPARE(scalar(shop, QStringLiteral("SELECT COUNT(*) FROM cart_items WHERE user_id = ?"),
                    {cust}),
             3);
    QCOMPARE(coinsOf(shop, cust), 50);
}

void TestOrders::pricing_data()
{
    QTest::addColumn<QList<qint64>>("lines");
    QTest::addColumn<qint64>("coinsToUse");
    QTest::addColumn<qint64>("balance");
    QTest::addColumn<int>("maxPercent");
    QTest::addColumn<int>("coinValue");
    QTest::addColumn<qint64>("coinsUsed");
    QTest::addColumn<qint64>("total");
    QTest::addColumn<QList<qint64>>("shares");
    using L = QList<qint64>;
    QTest::newRow("no-coins") << L{2000} << qint64(0) << qint64(100) << 50 << 1 << qint64(0)
                              << qint64(2000) << L{0};
    QTest::newRow("within-everything") << L{2000} << qint64(30) << qint64(100) << 50 << 1
                                       << qint64(30) << qint64(1970) << L{30};
    QTest::newRow("capped-by-balance") << L{2000} << qint64(500) << qint64(40) << 50 << 1
                                       << qint64(40) << qint64(1960) << L{40};
    QTest::newRow("capped-by-max-percent") << L{2000} << qint64(5000) << qint64(5000) << 50 << 1
                                           << qint64(1000) << qint64(1000) << L{1000};
    QTest::newRow("max-percent-10") << L{999} << qint64(500) << qint64(500) << 10 << 1 << qint64(99)
                                    << qint64(900) << L{99};
    QTest::newRow("coin-value-5") << L{1000} << qint64(30) << qint64(100) << 50 << 5 << qint64(30)
                                  << qint64(850) << L{150};
    QTest::newRow("coin-value-cap-floors") << L{1001} << qint64(1000) << qint64(1000) << 50 << 3
                                           << qint64(166) << qint64(503) << L{498};
    QTest::newRow("max-percent-0")
            << L{1000} << qint64(10) << qint64(10) << 0 << 1 << qint64(0) << qint64(1000) << L{0};
    // Each share rounded down, the cents left over to the largest remainders (ties: earlier).
    QTest::newRow("shares-remainder-ties-to-earlier")
            << L{1000, 1000, 1000} << qint64(100) << qint64(100) << 50 << 1 << qint64(100)
            << qint64(2900) << L{34, 33, 33};
    QTest::newRow("shares-largest-remainder") << L{300, 100} << qint64(101) << qint64(200) << 50
                                              << 1 << qint64(101) << qint64(299) << L{76, 25};
    QTest::newRow("shares-two-cents-left") << L{500, 500, 500} << qint64(50) << qint64(50) << 50
                                           << 1 << qint64(50) << qint64(1450) << L{17, 17, 16};
    QTest::newRow("negative-balance-guard")
            << L{500} << qint64(10) << qint64(0) << 50 << 1 << qint64(0) << qint64(500) << L{0};
    // Coins worth nothing are not spent at all (none held, no discount).
    QTest::newRow("coin-value-0") << L{1000} << qint64(50) << qint64(100) << 50 << 0 << qint64(0)
                                  << qint64(1000) << L{0};
    QTest::newRow("zero-coins-asked") << L{1000, 250} << qint64(0) << qint64(100) << 50 << 1
                                      << qint64(0) << qint64(1250) << L{0, 0};
    QTest::newRow("negative-asked")
            << L{1000} << qint64(-5) << qint64(100) << 50 << 1 << qint64(0) << qint64(1000) << L{0};
    // Asking for more than everything: the percent cap wins, the total stays >= 0.
    QTest::newRow("more-than-allowed-100-percent")
            << L{1000} << qint64(1000000) << qint64(1000000) << 100 << 1 << qint64(1000)
            << qint64(0) << L{1000};
    QTest::newRow("more-than-allowed-big-coin") << L{1000} << qint64(1000000) << qint64(1000000)
                                                << 100 << 300 << qint64(3) << qint64(100) << L{900};
    QTest::newRow("free-cart") << L{0} << qint64(10) << qint64(100) << 50 << 1 << qint64(0)
                               << qint64(0) << L{0};
}

void TestOrders::pricing()
{
    QFETCH(QList<qint64>, lines);
    QFETCH(qint64, coinsToUse);
    QFETCH(qint64, balance);
    QFETCH(int, maxPercent);
    QFETCH(int, coinValue);
    QFETCH(qint64, coinsUsed);
    QFETCH(qint64, total);
    QFETCH(QList<qint64>, shares);
    const Pricing p = priceOrder(lines, coinsToUse, balance, maxPercent, coinValue);
    QCOMPARE(p.coinsUsed, coinsUsed);
    QCOMPARE(p.discountCents, coinsUsed * coinValue);
    QCOMPARE(p.totalCents, total);
    QCOMPARE(p.subtotalCents - p.discountCents, p.totalCents);
    QCOMPARE(p.discountShares, shares);
    qint64 sum = 0;
    for (qint64 s : p.discountShares)
        sum += s;
    QCOMPARE(sum, p.discountCents);
    // Never negative, never more than asked, held or allowed.
    QVERIFY(p.coinsUsed >= 0);
    QVERIFY(p.coinsUsed <= std::max<qint64>(0, coinsToUse));
    QVERIFY(p.coinsUsed <= std::max<qint64>(0, balance));
    QVERIFY(p.discountCents >= 0);
    QVERIFY(p.totalCents >= 0);
    QVERIFY(p.discountCents * 100 <= p.subtotalCents * maxPercent);
    for (qint64 s : p.discountShares)
        QVERIFY(s >= 0);
}

void TestOrders::pricingThroughTheApi()
{
    TestServer::Options options;
    options.settings.maxCoinDiscountPercent = 10;
    options.settings.coinValueCents = 2;
    TestServer server(options);
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    const QString a = insertProduct(shop, seller, 1000, 10);
    const QString b = insertProduct(shop, seller, 500, 10);
    QVERIFY(grantCoins(shop, cust, 1000));
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    c.put(QStringLiteral("/api/v1/cart/items/") + a, qty(1));
    c.put(QStringLiteral("/api/v1/cart/items/") + b, qty(1));
    // 10% of 1500 = 150 cents = 75 coins at 2 cents each.
    auto r = c.post(QStringLiteral("/api/v1/orders"), coins(1000));
    QCOMPARE(r.status, 201);
    QCOMPARE(r.json().value(QStringLiteral("subtotalCents")).toInteger(), 1500);
    QCOMPARE(r.json().value(QStringLiteral("coinsUsed")).toInteger(), 75);
    QCOMPARE(r.json().value(QStringLiteral("discountCents")).toInteger(), 150);
    QCOMPARE(r.json().value(QStringLiteral("totalCents")).toInteger(), 1350);
    QCOMPARE(coinsOf(shop, cust), 925);
    const QString id = r.json().value(QStringLiteral("id")).toString();
    QCOMPARE(scalar(shop,
                    QStringLiteral(
                            "SELECT SUM(discount_share_cents) FROM order_items WHERE order_id = ?"),
                    {id}),
             150);
    QCOMPARE(scalar(shop,
                    QStringLiteral("SELECT delta FROM coin_ledger WHERE order_id = ? AND reason = "
                                   "'order.hold'"),
                    {id}),
             -75);
}

void TestOrders::discountRowsThroughTheApi_data()
{
    // One line of 2 x 1000 cents; the customer holds `balance` coins and asks for `asked`.
    QTest::addColumn<int>("maxPercent");
    QTest::addColumn<int>("coinValue");
    QTest::addColumn<qint64>("balance");
    QTest::addColumn<QJsonValue>("asked");
    QTest::addColumn<qint64>("coinsUsed");
    QTest::addColumn<qint64>("totalCents");
    QTest::newRow("cap-by-percent")
            << 25 << 1 << qint64(5000) << QJsonValue(800) << qint64(500) << qint64(1500);
    QTest::newRow("cap-by-balance")
            << 50 << 1 << qint64(70) << QJsonValue(800) << qint64(70) << qint64(1930);
    QTest::newRow("within-caps") << 50 << 2 << qint64(500) << QJsonValue(120) << qint64(120)
                                 << qint64(1760);
    QTest::newRow("zero") << 50 << 1 << qint64(500) << QJsonValue(0) << qint64(0) << qint64(2000);
    QTest::newRow("absent") << 50 << 1 << qint64(500) << QJsonValue(QJsonValue::Undefined)
                            << qint64(0) << qint64(2000);
    QTest::newRow("more-than-allowed")
            << 100 << 3 << qint64(100000) << QJsonValue(100000) << qint64(666) << qint64(2);
    QTest::newRow("coin-value-0") << 50 << 0 << qint64(500) << QJsonValue(300) << qint64(0)
                                  << qint64(2000);
}

void TestOrders::discountRowsThroughTheApi()
{
    QFETCH(int, maxPercent);
    QFETCH(int, coinValue);
    QFETCH(qint64, balance);
    QFETCH(QJsonValue, asked);
    QFETCH(qint64, coinsUsed);
    QFETCH(qint64, totalCents);
    TestServer::Options options;
    options.settings.maxCoinDiscountPercent = maxPercent;
    options.settings.coinValueCents = coinValue;
    TestServer server(options);
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    const QString p = insertProduct(shop, seller, 1000, 10);
    QVERIFY(grantCoins(shop, cust, balance));
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    c.put(QStringLiteral("/api/v1/cart/items/") + p, qty(2));
    QJsonObject body;
    if (!asked.isUndefined())
        body.insert(QStringLiteral("coinsToUse"), asked);
    const HttpResult r = c.post(QStringLiteral("/api/v1/orders"), body);
    QCOMPARE(r.status, 201);
    const QJsonObject order = r.json();
    // Asking for more than allowed is no error: the answer says how many were used.
    QCOMPARE(order.value(QStringLiteral("coinsUsed")).toInteger(), coinsUsed);
    QCOMPARE(order.value(QStringLiteral("subtotalCents")).toInteger(), 2000);
    QCOMPARE(order.value(QStringLiteral("discountCents")).toInteger(), coinsUsed * coinValue);
    QCOMPARE(order.value(QStringLiteral("totalCents")).toInteger(), totalCents);
    for (const char *money : {"subtotalCents", "discountCents", "totalCents", "coinsUsed"}) {
        const QJsonValue v = order.value(QLatin1String(money));
        QVERIFY2(v.isDouble() && v.toDouble() == double(v.toInteger()) && v.toInteger() >= 0,
                 money);
    }
    QCOMPARE(coinsOf(shop, cust), balance - coinsUsed);
    const QString id = order.value(QStringLiteral("id")).toString();
    QCOMPARE(scalar(shop,
                    QStringLiteral("SELECT COUNT(*) FROM coin_ledger WHERE order_id = ? AND reason "
                                   "= 'order.hold'"),
                    {id}),
             coinsUsed > 0 ? 1 : 0);
    QCOMPARE(scalar(shop,
                    QStringLiteral("SELECT coins_used * 1000000 + discount_cents FROM orders "
                                   "WHERE id = ?"),
                    {id}),
             coinsUsed * 1000000 + coinsUsed * coinValue);
    const QJsonObject got = c.get(QStringLiteral("/api/v1/orders/") + id).json();
    QCOMPARE(got.value(QStringLiteral("totalCents")).toInteger(), totalCents);
    QCOMPARE(got.value(QStringLiteral("coinsUsed")).toInteger(), coinsUsed);
}

void TestOrders::cancelReturnsStockAndCoins()
{
    TestServer server;
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    const QString p = insertProduct(shop, seller, 400, 10);
    QVERIFY(grantCoins(shop, cust, 100));
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    c.put(QStringLiteral("/api/v1/cart/items/") + p, qty(3));
    auto r = c.post(QStringLiteral("/api/v1/orders"), coins(60));
    QCOMPARE(r.status, 201);
    const QString id = r.json().value(QStringLiteral("id")).toString();
    QCOMPARE(r.json().value(QStringLiteral("coinsUsed")).toInteger(), 60);
    QCOMPARE(stockOf(shop, p), 7);
    QCOMPARE(coinsOf(shop, cust), 40);

    r = c.post(QStringLiteral("/api/v1/orders/") + id + QStringLiteral("/cancel"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("status")).toString(), QStringLiteral("cancelled"));
    QCOMPARE(r.json().value(QStringLiteral("statusHistory")).toArray().size(), 2);
    QCOMPARE(stockOf(shop, p), 10);
    QCOMPARE(ledgerSum(shop, p), 10);
    QCOMPARE(coinsOf(shop, cust), 100);

    r = c.post(QStringLiteral("/api/v1/orders/") + id + QStringLiteral("/cancel"));
    QCOMPARE(r.status, 409);
    QVERIFY(r.isProblem());
    QCOMPARE(stockOf(shop, p), 10);
    QCOMPARE(coinsOf(shop, cust), 100);
    QCOMPARE(c.post(QStringLiteral("/api/v1/orders/") + id + QStringLiteral("/checkout")).status,
             409);
}

// Sales and cancels change stock through the catalog's Inventory: its ledger reasons, its
// low-stock rule (one alert per crossing, re-armed above the threshold) and its events.
void TestOrders::lowStockAlertsComeFromTheInventory()
{
    TestServer server;
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    const QString p = insertProduct(shop, seller, 100, 7, QStringLiteral("Candle"), 5);
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    QSignalSpy low(&shop.events(), &ModelEvents::stockLow);
    QSignalSpy changed(&shop.events(), &ModelEvents::productChanged);
    auto buy = [&](int n) {
        c.put(QStringLiteral("/api/v1/cart/items/") + p, qty(n));
        auto r = c.post(QStringLiteral("/api/v1/orders"), coins(0));
        return r.status == 201 ? r.json().value(QStringLiteral("id")).toString() : QString();
    };
    const QString above = buy(1); // 6 left: above the threshold
    QVERIFY(!above.isEmpty());
    QCOMPARE(notificationCount(shop, seller, QStringLiteral("stock.low")), 0);
    const QString crossing = buy(2); // 4 left: crosses it
    QVERIFY(!crossing.isEmpty());
    QCOMPARE(notificationCount(shop, seller, QStringLiteral("stock.low")), 1);
    const QJsonObject data
            = QJsonDocument::fromJson(
                      scalarText(shop,
                                 QStringLiteral("SELECT data FROM notifications WHERE user_id = ? "
                                                "AND kind = 'stock.low'"),
                                 {seller})
                              .toUtf8())
                      .object();
    QCOMPARE(data.value(QStringLiteral("productId")).toString(), p);
    QCOMPARE(data.value(QStringLiteral("stock")).toInt(), 4);
    QCOMPARE(data.value(QStringLiteral("lowStockThreshold")).toInt(), 5);
    QTRY_COMPARE(low.size(), 1);
    QCOMPARE(low.at(0).at(0).toString(), p);
    QCOMPARE(low.at(0).at(2).toInt(), 4);
    const QString below = buy(1); // 3 left: still below, no second alert
    QVERIFY(!below.isEmpty());
    QCOMPARE(notificationCount(shop, seller, QStringLiteral("stock.low")), 1);

    // Cancelling gives stock back with the ledger reason `cancel` and re-arms the alert.
    changed.clear();
    QCOMPARE(
            c.post(QStringLiteral("/api/v1/orders/") + crossing + QStringLiteral("/cancel")).status,
            200);
    QCOMPARE(c.post(QStringLiteral("/api/v1/orders/") + below + QStringLiteral("/cancel")).status,
             200);
    QCOMPARE(stockOf(shop, p), 6);
    QCOMPARE(ledgerSum(shop, p), 6);
    QCOMPARE(scalar(shop,
                    QStringLiteral("SELECT COUNT(*) FROM stock_ledger WHERE product_id = ? AND "
                                   "reason = 'cancel'"),
                    {p}),
             2);
    QTRY_VERIFY(changed.contains(QVariantList{p}));
    QVERIFY(!buy(2).isEmpty()); // 4 left: a new crossing, a new alert
    QCOMPARE(notificationCount(shop, seller, QStringLiteral("stock.low")), 2);
    auto mismatches = Inventory::verifyLedger(shop.database().connection());
    QVERIFY(mismatches);
    QVERIFY(mismatches->isEmpty());
}

void TestOrders::expiryReturnsStockAndCoinsOnce()
{
    TestServer::Options options;
    options.settings.pendingOrderTtlMinutes = 30;
    TestServer server(options);
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    const QString p = insertProduct(shop, seller, 400, 10);
    QVERIFY(grantCoins(shop, cust, 100));
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    c.put(QStringLiteral("/api/v1/cart/items/") + p, qty(4));
    auto r = c.post(QStringLiteral("/api/v1/orders"), coins(50));
    QCOMPARE(r.status, 201);
    const QString id = r.json().value(QStringLiteral("id")).toString();
    c.put(QStringLiteral("/api/v1/cart/items/") + p, qty(1));
    const QString paidId = c.post(QStringLiteral("/api/v1/orders"), coins(0))
                                   .json()
                                   .value(QStringLiteral("id"))
                                   .toString();
    QCOMPARE(clientFor(server, seller, QStringLiteral("seller"))
                     .post(QStringLiteral("/api/v1/seller/orders/") + paidId
                           + QStringLiteral("/mark-paid"))
                     .status,
             200);
    QCOMPARE(stockOf(shop, p), 5);

    auto early = shop.orders().expireDue();
    QVERIFY(early);
    QCOMPARE(early.value(), 0);
    Clock::advanceForTesting(31LL * 60 * 1000);
    c = clientFor(server, cust, QStringLiteral("customer")); // access tokens live 15 minutes
    // Two sweeps at once (two processes): each order expires exactly once.
    std::atomic<int> total{0};
    std::thread other([&] {
        auto n = shop.orders().expireDue();
        total += n ? n.value() : 100;
        shop.database().releaseThreadConnection();
    });
    auto n = shop.orders().expireDue();
    other.join();
    total += n ? n.value() : 100;
    QCOMPARE(total.load(), 1);
    QCOMPARE(c.get(QStringLiteral("/api/v1/orders/") + id)
                     .json()
                     .value(QStringLiteral("status"))
                     .toString(),
             QStringLiteral("cancelled"));
    QCOMPARE(c.get(QStringLiteral("/api/v1/orders/") + paidId)
                     .json()
                     .value(QStringLiteral("status"))
                     .toString(),
             QStringLiteral("paid"));
    QCOMPARE(stockOf(shop, p), 9);
    QCOMPARE(ledgerSum(shop, p), 9);
    QCOMPARE(coinsOf(shop, cust), 100);
    QCOMPARE(notificationCount(shop, cust, QStringLiteral("order.expired")), 1);
    QCOMPARE(scalar(shop,
                    QStringLiteral("SELECT COUNT(*) FROM coin_ledger WHERE order_id = ? AND reason "
                                   "= 'order.release'"),
                    {id}),
             1);
    auto again = shop.orders().expireDue();
    QVERIFY(again);
    QCOMPARE(again.value(), 0);
    QCOMPARE(stockOf(shop, p), 9);
}

// The ledger of an order's coins: held when placed; spent when paid (never returned by a later
// cancel); returned exactly once when cancelled or expired, even when the customer's cancel
// and the expiry sweep race for the same order.
void TestOrders::heldCoinsSpentOrReturnedOnce()
{
    TestServer::Options options;
    options.settings.pendingOrderTtlMinutes = 30;
    TestServer server(options);
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    const QString p = insertProduct(shop, seller, 1000, 100);
    QVERIFY(grantCoins(shop, cust, 500));
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    auto place = [&](qint64 coinsToUse) {
        c.put(QStringLiteral("/api/v1/cart/items/") + p, qty(1));
        const HttpResult r = c.post(QStringLiteral("/api/v1/orders"), coins(coinsToUse));
        return r.status == 201 ? r.json().value(QStringLiteral("id")).toString() : QString();
    };
    auto reasons = [&](const QString &orderId) {
        QStringList out;
        auto q = execSql(shop.database().connection(),
                         QStringLiteral("SELECT reason, delta FROM coin_ledger WHERE order_id = ? "
                                        "ORDER BY id"),
                         {orderId});
        while (q && q->next())
            out.append(q->value(0).toString() + QLatin1Char(':')
                       + QString::number(q->value(1).toLongLong()));
        return out;
    };

    // Paid: held, then spent; a cancel afterwards is refused and returns nothing.
    const QString paid = place(100);
    QVERIFY(!paid.isEmpty());
    QCOMPARE(coinsOf(shop, cust), 400);
    QCOMPARE(clientFor(server, seller, QStringLiteral("seller"))
                     .post(QStringLiteral("/api/v1/seller/orders/") + paid
                           + QStringLiteral("/mark-paid"))
                     .status,
             200);
    QCOMPARE(reasons(paid),
             (QStringList{QStringLiteral("order.hold:-100"), QStringLiteral("order.spend:0")}));
    QCOMPARE(coinsOf(shop, cust), 400);
    QCOMPARE(c.post(QStringLiteral("/api/v1/orders/") + paid + QStringLiteral("/cancel")).status,
             409);
    QCOMPARE(reasons(paid).size(), 2);
    QCOMPARE(coinsOf(shop, cust), 400);
    // The customer's ledger shows the same, newest first, and the balance.
    const QJsonObject ledger = c.get(QStringLiteral("/api/v1/me/coins")).json();
    QCOMPARE(ledger.value(QStringLiteral("balance")).toInteger(), 400);
    const QJsonArray entries = ledger.value(QStringLiteral("entries")).toArray();
    QCOMPARE(entries.size(), 3);
    QCOMPARE(entries.at(0).toObject().value(QStringLiteral("reason")).toString(),
             QStringLiteral("order.spend"));
    QCOMPARE(entries.at(0).toObject().value(QStringLiteral("orderId")).toString(), paid);
    QCOMPARE(entries.at(1).toObject().value(QStringLiteral("delta")).toInteger(), -100);

    // A paid order with no coins writes no spend entry.
    const QString noCoins = place(0);
    QCOMPARE(clientFor(server, seller, QStringLiteral("seller"))
                     .post(QStringLiteral("/api/v1/seller/orders/") + noCoins
                           + QStringLiteral("/mark-paid"))
                     .status,
             200);
    QCOMPARE(reasons(noCoins), QStringList{});

    // Cancel and expiry racing, several times: each order's coins come back exactly once.
    for (int round = 0; round < 5; ++round) {
        const QString pending = place(50);
        QVERIFY(!pending.isEmpty());
        QCOMPARE(coinsOf(shop, cust), 350);
        Clock::advanceForTesting(31LL * 60 * 1000);
        c = clientFor(server, cust, QStringLiteral("customer")); // tokens live 15 minutes
        std::atomic<int> swept{0};
        std::thread sweeper([&] {
            auto n = shop.orders().expireDue();
            swept += n ? int(n.value()) : 100;
            shop.database().releaseThreadConnection();
        });
        const int cancelStatus
                = c.post(QStringLiteral("/api/v1/orders/") + pending + QStringLiteral("/cancel"))
                          .status;
        sweeper.join();
        // One of them did it: a 200 cancel and no sweep, or a 409 cancel and one sweep.
        QVERIFY2((cancelStatus == 200 && swept.load() == 0)
                         || (cancelStatus == 409 && swept.load() == 1),
                 qPrintable(QStringLiteral("cancel %1, swept %2").arg(cancelStatus).arg(swept)));
        QCOMPARE(reasons(pending), (QStringList{QStringLiteral("order.hold:-50"),
                                                QStringLiteral("order.release:50")}));
        QCOMPARE(coinsOf(shop, cust), 400);
        auto again = shop.orders().expireDue();
        QVERIFY(again);
        QCOMPARE(again.value(), 0);
        QCOMPARE(c.post(QStringLiteral("/api/v1/orders/") + pending + QStringLiteral("/cancel"))
                         .status,
                 409);
        QCOMPARE(coinsOf(shop, cust), 400);
    }
}

void TestOrders::idempotencyReplayAndConflict()
{
    TestServer server;
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    const QString p = insertProduct(shop, seller, 700, 10);
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    c.put(QStringLiteral("/api/v1/cart/items/") + p, qty(2));
    const QList<QPair<QByteArray, QByteArray>> key{{"Idempotency-Key", "order-key-1"}};

    auto first = c.post(QStringLiteral("/api/v1/orders"), coins(0), key);
    QCOMPARE(first.status, 201);
    QVERIFY(first.header("idempotent-replayed").isEmpty());
    // Same key, same JSON written differently: the first answer, nothing done again.
    auto second = c.send("POST", QStringLiteral("/api/v1/orders"), "{ \"coinsToUse\" : 0.0 }",
                         "application/json", key);
    QCOMPARE(second.status, 201);
    QCOMPARE(second.header("idempotent-replayed"), QByteArray("true"));
    QCOMPARE(second.body, first.body);
    QCOMPARE(second.header("location"), first.header("location"));
    QCOMPARE(scalar(shop, QStringLiteral("SELECT COUNT(*) FROM orders")), 1);
    QCOMPARE(stockOf(shop, p), 8);

    // Another body with the same key: 409.
    auto conflict = c.post(QStringLiteral("/api/v1/orders"), coins(5), key);
    QCOMPARE(conflict.status, 409);
    QVERIFY(conflict.isProblem());
    // The key is scoped to the user: another customer with the same key acts on its own cart.
    const QString other = insertUser(shop, QStringLiteral("customer"));
    Client o = clientFor(server, other, QStringLiteral("customer"));
    o.put(QStringLiteral("/api/v1/cart/items/") + p, qty(1));
    auto theirs = o.post(QStringLiteral("/api/v1/orders"), coins(0), key);
    QCOMPARE(theirs.status, 201);
    QVERIFY(theirs.header("idempotent-replayed").isEmpty());
    // A refused request is replayed as refused (cart is empty now).
    const QList<QPair<QByteArray, QByteArray>> key2{{"Idempotency-Key", "order-key-2"}};
    QCOMPARE(c.post(QStringLiteral("/api/v1/orders"), coins(0), key2).status, 409);
    c.put(QStringLiteral("/api/v1/cart/items/") + p, qty(1));
    auto replayed = c.post(QStringLiteral("/api/v1/orders"), coins(0), key2);
    QCOMPARE(replayed.status, 409);
    QCOMPARE(replayed.header("idempotent-replayed"), QByteArray("true"));

    // Checkout is keyed too.
    const QString id = first.json().value(QStringLiteral("id")).toString();
    const QList<QPair<QByteArray, QByteArray>> ck{{"Idempotency-Key", "checkout-1"}};
    auto co1 = c.post(QStringLiteral("/api/v1/orders/") + id + QStringLiteral("/checkout"), {}, ck);
    QCOMPARE(co1.status, 200);
    auto co2 = c.post(QStringLiteral("/api/v1/orders/") + id + QStringLiteral("/checkout"), {}, ck);
    QCOMPARE(co2.status, 200);
    QCOMPARE(co2.header("idempotent-replayed"), QByteArray("true"));
    QCOMPARE(co2.body, co1.body);

    // Kept 24 hours, then the key is free again.
    Clock::advanceForTesting(25LL * 3600 * 1000);
    c = clientFor(server, cust, QStringLiteral("customer"));
    auto later = c.post(QStringLiteral("/api/v1/orders"), coins(0), key);
    QCOMPARE(later.status, 201);
    QVERIFY(later.header("idempotent-replayed").isEmpty());
}

void TestOrders::idempotencyConcurrentDuplicates()
{
    TestServer::Options options;
    options.workers = 4;
    TestServer server(options);
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    const QString p = insertProduct(shop, seller, 700, 100);
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    c.put(QStringLiteral("/api/v1/cart/items/") + p, qty(1));
    const QList<QPair<QByteArray, QByteArray>> key{{"Idempotency-Key", "same-key"}};
    constexpr int kThreads = 8;
    std::vector<HttpResult> results(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
        threads.emplace_back([&, i] {
            results[size_t(i)] = c.post(QStringLiteral("/api/v1/orders"), coins(0), key);
        });
    for (auto &t : threads)
        t.join();
    QSet<QByteArray> bodies;
    for (const auto &r : results) {
        QCOMPARE(r.status, 201);
        bodies.insert(r.body);
    }
    QCOMPARE(bodies.size(), 1);
    QCOMPARE(scalar(shop, QStringLiteral("SELECT COUNT(*) FROM orders")), 1);
    QCOMPARE(stockOf(shop, p), 99);
}

void TestOrders::stateMachine_data()
{
    QTest::addColumn<QString>("state");
    QTest::addColumn<QString>("action");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("after");
    const QString P = QStringLiteral("pending_payment");
    const QString Pd = QStringLiteral("paid");
    const QString S = QStringLiteral("shipped");
    const QString D = QStringLiteral("delivered");
    const QString C = QStringLiteral("cancelled");
    struct Row
    {
        QString state;
        const char *action;
        int status;
        QString after;
    };
    const QList<Row> rows{
            {P, "cancel", 200, C},      {P, "mark-paid", 200, Pd}, {P, "ship", 409, P},
            {P, "deliver", 409, P},     {P, "checkout", 200, P},   {Pd, "cancel", 409, Pd},
            {Pd, "mark-paid", 409, Pd}, {Pd, "ship", 200, S},      {Pd, "deliver", 409, Pd},
            {Pd, "checkout", 409, Pd},  {S, "cancel", 409, S},     {S, "mark-paid", 409, S},
            {S, "ship", 409, S},        {S, "deliver", 200, D},    {S, "checkout", 409, S},
            {D, "cancel", 409, D},      {D, "mark-paid", 409, D},  {D, "ship", 409, D},
            {D, "deliver", 409, D},     {D, "checkout", 409, D},   {C, "cancel", 409, C},
            {C, "mark-paid", 409, C},   {C, "ship", 409, C},       {C, "deliver", 409, C},
            {C, "checkout", 409, C},
    };
    for (const Row &r : rows)
        QTest::addRow("%s-%s", qPrintable(r.state), r.action)
                << r.state << QString::fromLatin1(r.action) << r.status << r.after;
}

void TestOrders::stateMachine()
{
    QFETCH(QString, state);
    QFETCH(QString, action);
    QFETCH(int, status);
    QFETCH(QString, after);
    TestServer server;
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    const QString p = insertProduct(shop, seller, 400, 10);
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    Client s = clientFor(server, seller, QStringLiteral("seller"));
    c.put(QStringLiteral("/api/v1/cart/items/") + p, qty(2));
    const QString id = c.post(QStringLiteral("/api/v1/orders"), coins(0))
                               .json()
                               .value(QStringLiteral("id"))
                               .toString();
    QVERIFY(!id.isEmpty());
    const QString sellerPath = QStringLiteral("/api/v1/seller/orders/") + id + QLatin1Char('/');
    const QString customerPath = QStringLiteral("/api/v1/orders/") + id + QLatin1Char('/');
    const QStringList path{QStringLiteral("pending_payment"), QStringLiteral("paid"),
                           QStringLiteral("shipped"), QStringLiteral("delivered")};
    if (state == QLatin1String("cancelled")) {
        QCOMPARE(c.post(customerPath + QStringLiteral("cancel")).status, 200);
    } else {
        const QStringList moves{QStringLiteral("mark-paid"), QStringLiteral("ship"),
                                QStringLiteral("deliver")};
        for (int i = 0; i < path.indexOf(state); ++i)
            QCOMPARE(s.post(sellerPath + moves[i]).status, 200);
    }
    const qint64 stockBefore = stockOf(shop, p);
    const bool customerAction
            = action == QLatin1String("cancel") || action == QLatin1String("checkout");
    auto r = customerAction ? c.post(customerPath + action) : s.post(sellerPath + action);
    QCOMPARE(r.status, status);
    if (status == 409)
        QVERIFY(r.isProblem());
    auto g = c.get(QStringLiteral("/api/v1/orders/") + id);
    QCOMPARE(g.json().value(QStringLiteral("status")).toString(), after);
    const QJsonArray history = g.json().value(QStringLiteral("statusHistory")).toArray();
    QCOMPARE(history.last().toObject().value(QStringLiteral("status")).toString(), after);
    const qint64 expectedStock
            = (action == QLatin1String("cancel") && status == 200) ? stockBefore + 2 : stockBefore;
    QCOMPARE(stockOf(shop, p), expectedStock);
    QCOMPARE(ledgerSum(shop, p), expectedStock);
}

void TestOrders::sellerSeesOnlyOwnLines()
{
    TestServer server;
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString a = insertUser(shop, QStringLiteral("seller"));
    const QString b = insertUser(shop, QStringLiteral("seller"));
    const QString outsider = insertUser(shop, QStringLiteral("seller"));
    const QString cust
            = insertUser(shop, QStringLiteral("customer"), QStringLiteral("Ada Lovelace"));
    const QString pa = insertProduct(shop, a, 1000, 10, QStringLiteral("A's thing"));
    const QString pb = insertProduct(shop, b, 300, 10, QStringLiteral("B's thing"));
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    c.put(QStringLiteral("/api/v1/cart/items/") + pa, qty(2));
    c.put(QStringLiteral("/api/v1/cart/items/") + pb, qty(1));
    const QString id = c.post(QStringLiteral("/api/v1/orders"), coins(0))
                               .json()
                               .value(QStringLiteral("id"))
                               .toString();

    Client sa = clientFor(server, a, QStringLiteral("seller"));
    auto r = sa.get(QStringLiteral("/api/v1/seller/orders/") + id);
    QCOMPARE(r.status, 200);
    QJsonArray items = r.json().value(QStringLiteral("items")).toArray();
    QCOMPARE(items.size(), 1);
    QCOMPARE(items.at(0).toObject().value(QStringLiteral("productId")).toString(), pa);
    QCOMPARE(r.json().value(QStringLiteral("sellerSubtotalCents")).toInteger(), 2000);
    QCOMPARE(r.json().value(QStringLiteral("totalCents")).toInteger(), 2300);
    QCOMPARE(r.json().value(QStringLiteral("customerName")).toString(),
             QStringLiteral("Ada Lovelace"));
    QVERIFY(!r.body.contains(pb.toUtf8()));

    auto list = clientFor(server, b, QStringLiteral("seller"))
                        .get(QStringLiteral("/api/v1/seller/orders"));
    QCOMPARE(list.status, 200);
    const QJsonArray orders = list.json().value(QStringLiteral("items")).toArray();
    QCOMPARE(orders.size(), 1);
    items = orders.at(0).toObject().value(QStringLiteral("items")).toArray();
    QCOMPARE(items.size(), 1);
    QCOMPARE(items.at(0).toObject().value(QStringLiteral("productId")).toString(), pb);
    QVERIFY(!list.body.contains(pa.toUtf8()));

    Client so = clientFor(server, outsider, QStringLiteral("seller"));
    QCOMPARE(so.get(QStringLiteral("/api/v1/seller/orders/") + id).status, 404);
    QCOMPARE(so.post(QStringLiteral("/api/v1/seller/orders/") + id + QStringLiteral("/mark-paid"))
                     .status,
             404);
    QCOMPARE(so.get(QStringLiteral("/api/v1/seller/orders"))
                     .json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .size(),
             0);
    QCOMPARE(c.get(QStringLiteral("/api/v1/seller/orders")).status, 403);
    QCOMPARE(c.post(QStringLiteral("/api/v1/seller/orders/") + id + QStringLiteral("/mark-paid"))
                     .status,
             403);
    QCOMPARE(c.get(QStringLiteral("/api/v1/orders/") + id).status, 200);
    QCOMPARE(c.get(QStringLiteral("/api/v1/orders/") + id)
                     .json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .size(),
             2);
}

void TestOrders::sellerListFilters()
{
    TestServer server;
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    const QString p = insertProduct(shop, seller, 100, 50);
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    Client s = clientFor(server, seller, QStringLiteral("seller"));
    QStringList ids;
    for (int i = 0; i < 3; ++i) {
        c.put(QStringLiteral("/api/v1/cart/items/") + p, qty(1));
        ids.append(c.post(QStringLiteral("/api/v1/orders"), coins(0))
                           .json()
                           .value(QStringLiteral("id"))
                           .toString());
        Clock::advanceForTesting(2LL * 24 * 3600 * 1000);
        c = clientFor(server, cust, QStringLiteral("customer"));
        s = clientFor(server, seller, QStringLiteral("seller"));
    }
    QCOMPARE(
            s.post(QStringLiteral("/api/v1/seller/orders/") + ids[1] + QStringLiteral("/mark-paid"))
                    .status,
            200);
    auto r = s.get(QStringLiteral("/api/v1/seller/orders?status=paid"));
    QCOMPARE(r.status, 200);
    QJsonArray items = r.json().value(QStringLiteral("items")).toArray();
    QCOMPARE(items.size(), 1);
    QCOMPARE(items.at(0).toObject().value(QStringLiteral("id")).toString(), ids[1]);

    const QString firstAt = c.get(QStringLiteral("/api/v1/orders/") + ids[0])
                                    .json()
                                    .value(QStringLiteral("createdAt"))
                                    .toString();
    const QString lastAt = c.get(QStringLiteral("/api/v1/orders/") + ids[2])
                                   .json()
                                   .value(QStringLiteral("createdAt"))
                                   .toString();
    r = s.get(QStringLiteral("/api/v1/seller/orders?from=")
              + QString::fromLatin1(QUrl::toPercentEncoding(lastAt)));
    items = r.json().value(QStringLiteral("items")).toArray();
    QCOMPARE(items.size(), 1);
    QCOMPARE(items.at(0).toObject().value(QStringLiteral("id")).toString(), ids[2]);
    r = s.get(QStringLiteral("/api/v1/seller/orders?to=")
              + QString::fromLatin1(QUrl::toPercentEncoding(firstAt)));
    items = r.json().value(QStringLiteral("items")).toArray();
    QCOMPARE(items.size(), 1);
    QCOMPARE(items.at(0).toObject().value(QStringLiteral("id")).toString(), ids[0]);

    // Paging: newest first, two pages.
    r = s.get(QStringLiteral("/api/v1/seller/orders?limit=2"));
    items = r.json().value(QStringLiteral("items")).toArray();
    QCOMPARE(items.size(), 2);
    QCOMPARE(items.at(0).toObject().value(QStringLiteral("id")).toString(), ids[2]);
    const QString cursor = r.json().value(QStringLiteral("nextCursor")).toString();
    QVERIFY(!cursor.isEmpty());
    r = s.get(QStringLiteral("/api/v1/seller/orders?limit=2&cursor=") + cursor);
    items = r.json().value(QStringLiteral("items")).toArray();
    QCOMPARE(items.size(), 1);
    QCOMPARE(items.at(0).toObject().value(QStringLiteral("id")).toString(), ids[0]);
    QVERIFY(r.json().value(QStringLiteral("nextCursor")).isNull());

    for (const char *bad :
         {"status=unknown", "from=yesterday", "to=2026-13-01", "limit=0", "cursor=forged"}) {
        r = s.get(QStringLiteral("/api/v1/seller/orders?") + QLatin1String(bad));
        QCOMPARE(r.status, 400);
        QVERIFY(r.isProblem());
    }
}

void TestOrders::notificationsGoToTheRightPeople()
{
    TestServer server;
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString a = insertUser(shop, QStringLiteral("seller"));
    const QString b = insertUser(shop, QStringLiteral("seller"));
    const QString outsider = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    const QString pa = insertProduct(shop, a, 1000, 10);
    const QString pb = insertProduct(shop, b, 300, 10);
    insertProduct(shop, outsider, 300, 10);
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    c.put(QStringLiteral("/api/v1/cart/items/") + pa, qty(1));
    c.put(QStringLiteral("/api/v1/cart/items/") + pb, qty(1));
    const QString id = c.post(QStringLiteral("/api/v1/orders"), coins(0))
                               .json()
                               .value(QStringLiteral("id"))
                               .toString();

    QSignalSpy changed(&shop.events(), &ModelEvents::orderChanged);
    Client sa = clientFor(server, a, QStringLiteral("seller"));
    QCOMPARE(sa.post(QStringLiteral("/api/v1/seller/orders/") + id + QStringLiteral("/mark-paid"))
                     .status,
             200);
    QCOMPARE(notificationCount(shop, a, QStringLiteral("order.paid")), 1);
    QCOMPARE(notificationCount(shop, b, QStringLiteral("order.paid")), 1);
    QCOMPARE(notificationCount(shop, outsider, QStringLiteral("order.paid")), 0);
    QCOMPARE(notificationCount(shop, cust, QStringLiteral("order.paid")), 0);
    QTRY_COMPARE(changed.size(), 1);
    QCOMPARE(changed.at(0).at(1).toString(), QStringLiteral("paid"));

    Client sb = clientFor(server, b, QStringLiteral("seller"));
    QCOMPARE(
            sb.post(QStringLiteral("/api/v1/seller/orders/") + id + QStringLiteral("/ship")).status,
            200);
    QCOMPARE(notificationCount(shop, cust, QStringLiteral("order.shipped")), 1);
    QCOMPARE(notificationCount(shop, a, QStringLiteral("order.shipped")), 0);
    // Each seller ships and delivers its own lines: the order moves once every line did.
    QCOMPARE(
            sa.post(QStringLiteral("/api/v1/seller/orders/") + id + QStringLiteral("/ship")).status,
            200);
    QCOMPARE(sb.post(QStringLiteral("/api/v1/seller/orders/") + id + QStringLiteral("/deliver"))
                     .status,
             200);
    QCOMPARE(notificationCount(shop, cust, QStringLiteral("order.delivered")), 0);
    QCOMPARE(sa.post(QStringLiteral("/api/v1/seller/orders/") + id + QStringLiteral("/deliver"))
                     .status,
             200);
    QCOMPARE(notificationCount(shop, cust, QStringLiteral("order.delivered")), 1);
    // Every move left a history row (partially_shipped while only B's line had shipped).
    QCOMPARE(scalar(shop,
                    QStringLiteral("SELECT COUNT(*) FROM order_status_history WHERE order_id = ?"),
                    {id}),
             5);
}

void TestOrders::ordersPaging()
{
    TestServer server;
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    const QString p = insertProduct(shop, seller, 100, 50);
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    QStringList ids;
    for (int i = 0; i < 5; ++i) {
        c.put(QStringLiteral("/api/v1/cart/items/") + p, qty(1));
        ids.prepend(c.post(QStringLiteral("/api/v1/orders"), coins(0))
                            .json()
                            .value(QStringLiteral("id"))
                            .toString());
    }
    // Another customer's orders never show.
    Client o = clientFor(server, insertUser(shop, QStringLiteral("customer")),
                         QStringLiteral("customer"));
    o.put(QStringLiteral("/api/v1/cart/items/") + p, qty(1));
    QCOMPARE(o.post(QStringLiteral("/api/v1/orders"), coins(0)).status, 201);
    QStringList seen;
    QString cursor;
    int pages = 0;
    do {
        auto r = c.get(QStringLiteral("/api/v1/orders?limit=2")
                       + (cursor.isEmpty() ? QString() : QStringLiteral("&cursor=") + cursor));
        QCOMPARE(r.status, 200);
        const QJsonArray items = r.json().value(QStringLiteral("items")).toArray();
        for (const QJsonValue &v : items)
            seen.append(v.toObject().value(QStringLiteral("id")).toString());
        cursor = r.json().value(QStringLiteral("nextCursor")).toString();
        ++pages;
    } while (!cursor.isEmpty() && pages < 10);
    QCOMPARE(pages, 3);
    QCOMPARE(seen, ids);
    QCOMPARE(c.get(QStringLiteral("/api/v1/orders?limit=abc")).status, 400);
    QCOMPARE(c.get(QStringLiteral("/api/v1/orders?cursor=abc")).status, 400);
}

void TestOrders::oversellRace()
{
    // Never oversold, 20 times over: on SQLite through one server with 2 workers, on
    // PostgreSQL through two mercato-server processes sharing the database.
    constexpr int kRounds = 20;
    if (!usingPostgres()) {
        TestServer::Options options;
        options.workers = 2;
        TestServer server(options);
        QVERIFY(server.start());
        raceRounds(server.shop(), {server.port()}, kRounds);
        return;
    }
    SharedStore store;
    QVERIFY(store.open());
    ServerProcess a(store.childEnv(2));
    ServerProcess b(store.childEnv(2));
    QVERIFY2(a.start(), qPrintable(a.log()));
    QVERIFY2(b.start(), qPrintable(b.log()));
    raceRounds(*store.shop, {a.port(), b.port()}, kRounds);
    MERCATO_VERIFY_CLEAN_EXIT(a);
    MERCATO_VERIFY_CLEAN_EXIT(b);
    store.shop->database().releaseThreadConnection();
}

namespace {
// Customers whose carts hold the same two products, half of them added in one order and half
// in the other, check out at once on the servers on `ports`, `rounds` times. The first product
// runs out; the second has plenty. No answer but 201 or 409 (a deadlock or lock timeout would
// surface as a 5xx), never oversold, the ledger agrees.
void opposingRounds(Shop &shop, const QList<quint16> &ports, int rounds)
{
    constexpr int kCustomers = 120;
    constexpr int kScarce = 70;
    constexpr int kThreads = 12;
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    std::vector<Client> customers;
    QStringList customerIds;
    for (int i = 0; i < kCustomers; ++i) {
        const QString id = insertUser(shop, QStringLiteral("customer"));
        Client c(ports.at(i % ports.size()));
        c.setToken(shop.tokens().issueAccess(id, QStringLiteral("customer")).token);
        customers.push_back(c);
        customerIds.append(id);
    }
    for (int round = 0; round < rounds; ++round) {
        const QString p = insertProduct(shop, seller, 100, 2 * kScarce);
        const QString q = insertProduct(shop, seller, 300, 10'000);
        QVERIFY(!p.isEmpty() && !q.isEmpty());
        const QString first = std::min(p, q);
        const QString second = std::max(p, q);
        for (int i = 0; i < kCustomers; ++i) {
            const Client &c = customers[size_t(i)];
            // Even customers: the lower product id first; odd: the higher one first.
            const QString a = i % 2 == 0 ? first : second;
            const QString b = i % 2 == 0 ? second : first;
            QCOMPARE(c.put(QStringLiteral("/api/v1/cart/items/") + a, qty(2)).status, 200);
            QCOMPARE(c.put(QStringLiteral("/api/v1/cart/items/") + b, qty(2)).status, 200);
            // Make the order of addition unambiguous (not two lines in the same millisecond).
            QVERIFY(execSql(shop.database().connection(),
                            QStringLiteral("UPDATE cart_items SET added_at = added_at + 1000 "
                                           "WHERE user_id = ? AND product_id = ?"),
                            {customerIds.at(i), b}));
        }
        // The carts really list their lines in opposite orders.
        const auto lineOrder = [&](int i) {
            QStringList ids;
            const QJsonArray items = customers[size_t(i)]
                                             .get(QStringLiteral("/api/v1/cart"))
                                             .json()
                                             .value(QStringLiteral("items"))
                                             .toArray();
            for (const QJsonValue &v : items)
                ids.append(v.toObject().value(QStringLiteral("productId")).toString());
            return ids;
        };
        QCOMPARE(lineOrder(0), (QStringList{first, second}));
        QCOMPARE(lineOrder(1), (QStringList{second, first}));

        std::atomic<int> next{0};
        std::atomic<int> created{0};
        std::atomic<int> refused{0};
        std::atomic<int> unexpected{0};
        QByteArray firstUnexpected;
        std::mutex unexpectedMutex;
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&] {
                for (int i = next++; i < kCustomers; i = next++) {
                    const auto r
                            = customers[size_t(i)].post(QStringLiteral("/api/v1/orders"), coins(0));
                    if (r.status == 201) {
                        ++created;
                    } else if (r.status == 409) {
                        ++refused;
                    } else {
                        ++unexpected;
                        const std::lock_guard<std::mutex> lock(unexpectedMutex);
                        if (firstUnexpected.isEmpty())
                            firstUnexpected = QByteArray::number(r.status) + ' ' + r.body;
                    }
                }
            });
        }
        for (auto &t : threads)
            t.join();
        QVERIFY2(unexpected.load() == 0,
                 qPrintable(QStringLiteral("%1 answers were neither 201 nor 409, the first: %2")
                                    .arg(unexpected.load())
                                    .arg(QString::fromUtf8(firstUnexpected))));
        QCOMPARE(created.load(), kScarce);
        QCOMPARE(refused.load(), kCustomers - kScarce);
        QCOMPARE(stockOf(shop, p), 0);
        QCOMPARE(ledgerSum(shop, p), 0);
        QCOMPARE(stockOf(shop, q), 10'000 - 2 * kScarce);
        QCOMPARE(ledgerSum(shop, q), 10'000 - 2 * kScarce);
        // Every order holds both lines; refused carts are left as they were.
        QCOMPARE(scalar(shop,
                        QStringLiteral(
                                "SELECT COUNT(*) FROM order_items WHERE product_id IN (?, ?)"),
                        {p, q}),
                 2 * kScarce);
        QCOMPARE(
                scalar(shop,
                       QStringLiteral("SELECT COUNT(*) FROM cart_items WHERE product_id IN (?, ?)"),
                       {p, q}),
                2 * (kCustomers - kScarce));
        for (const Client &c : customers)
            c.del(QStringLiteral("/api/v1/cart"));
    }
    auto mismatches = Inventory::verifyLedger(shop.database().connection());
    QVERIFY(mismatches);
    QVERIFY(mismatches->isEmpty());
}
} // namespace

void TestOrders::opposingLineOrdersNeverDeadlock()
{
    // Lines are locked in product-id order whatever the cart's order: on PostgreSQL two
    // mercato-server processes (2 workers each) race with carts in opposite orders.
    constexpr int kRounds = 5;
    if (!usingPostgres()) {
        TestServer::Options options;
        options.workers = 2;
        TestServer server(options);
        QVERIFY(server.start());
        opposingRounds(server.shop(), {server.port()}, kRounds);
        return;
    }
    SharedStore store;
    QVERIFY(store.open());
    ServerProcess a(store.childEnv(2));
    ServerProcess b(store.childEnv(2));
    QVERIFY2(a.start(), qPrintable(a.log()));
    QVERIFY2(b.start(), qPrintable(b.log()));
    opposingRounds(*store.shop, {a.port(), b.port()}, kRounds);
    MERCATO_VERIFY_CLEAN_EXIT(a);
    MERCATO_VERIFY_CLEAN_EXIT(b);
    QVERIFY2(!a.log().contains(QLatin1String("deadlock")), qPrintable(a.log()));
    QVERIFY2(!b.log().contains(QLatin1String("deadlock")), qPrintable(b.log()));
    store.shop->database().releaseThreadConnection();
}

void TestOrders::expiryOnceWithTwoProcesses()
{
    // Two mercato-server processes sweep the same overdue orders at once: every order is
    // expired once, stock and coins come back once.
    constexpr int kOrders = 150;
    SharedStore store;
    QVERIFY(store.open());
    Shop &shop = *store.shop;
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString p = insertProduct(shop, seller, 100, 1000);
    const QString q = insertProduct(shop, seller, 250, 1000);
    QStringList customers;
    for (int i = 0; i < kOrders; ++i) {
        const QString cust = insertUser(shop, QStringLiteral("customer"));
        QVERIFY(grantCoins(shop, cust, 10));
        QVERIFY(shop.cart().setQuantity(cust, p, 2));
        QVERIFY(shop.cart().setQuantity(cust, q, 1));
        auto order = shop.orders().placeOrder(cust, 5);
        QVERIFY(order);
        QCOMPARE(order->coinsUsed, 5);
        customers.append(cust);
    }
    QCOMPARE(stockOf(shop, p), 1000 - 2 * kOrders);
    ServerProcess a(store.childEnv(2));
    ServerProcess b(store.childEnv(2));
    QElapsedTimer clock;
    clock.start();
    QVERIFY2(a.start(), qPrintable(a.log()));
    const qint64 bLaunched = clock.elapsed();
    QVERIFY2(b.start(), qPrintable(b.log()));
    QVERIFY(execSql(shop.database().connection(),
                    QStringLiteral("UPDATE orders SET expires_at = ?"), {Clock::nowMs() - 1}));
    {
        // The sweepers tick 30 s (coarse: ±5%) after their start. Hold the orders' write lock
        // across both first ticks, so both sweeps wait for it and then race over every order.
        QThread::msleep(ulong(std::max<qint64>(0, 26'000 - clock.elapsed())));
        Transaction hold(shop.database());
        QVERIFY(hold.begin());
        QVERIFY(execSql(hold.db(),
                        QStringLiteral("UPDATE orders SET updated_at = updated_at"))); // row locks
        QThread::msleep(ulong(std::max<qint64>(0, bLaunched + 32'500 - clock.elapsed())));
        hold.rollback();
    }
    QTRY_COMPARE_WITH_TIMEOUT(
            scalar(shop, QStringLiteral("SELECT COUNT(*) FROM orders WHERE status = 'cancelled'")),
            qint64(kOrders), 90'000);
    MERCATO_VERIFY_CLEAN_EXIT(a);
    MERCATO_VERIFY_CLEAN_EXIT(b);
    // Each process logs how many it expired: together exactly the overdue orders.
    const auto expiredBy = [](const QString &log) {
        int n = 0;
        static const QRegularExpression line(QStringLiteral("expired (\\d+) unpaid order"));
        for (auto it = line.globalMatch(log); it.hasNext();)
            n += it.next().captured(1).toInt();
        return n;
    };
    qInfo("expired by the first process: %d, by the second: %d", expiredBy(a.log()),
          expiredBy(b.log()));
    QCOMPARE(expiredBy(a.log()) + expiredBy(b.log()), kOrders);
    QCOMPARE(stockOf(shop, p), 1000);
    QCOMPARE(stockOf(shop, q), 1000);
    QCOMPARE(scalar(shop,
                    QStringLiteral("SELECT COUNT(*) FROM stock_ledger WHERE reason = 'expire'")),
             2 * kOrders);
    QCOMPARE(scalar(shop,
                    QStringLiteral(
                            "SELECT COUNT(*) FROM coin_ledger WHERE reason = 'order.release'")),
             kOrders);
    QCOMPARE(
            scalar(shop,
                   QStringLiteral(
                           "SELECT COUNT(*) FROM order_status_history WHERE status = 'cancelled'")),
            kOrders);
    QCOMPARE(scalar(shop,
                    QStringLiteral(
                            "SELECT COUNT(*) FROM notifications WHERE kind = 'order.expired'")),
             kOrders);
    for (const QString &cust : std::as_const(customers))
        QCOMPARE(coinsOf(shop, cust), 10);
    auto mismatches = Inventory::verifyLedger(shop.database().connection());
    QVERIFY(mismatches);
    QVERIFY(mismatches->isEmpty());
    shop.database().releaseThreadConnection();
}

void TestOrders::ordersGauge()
{
    TestServer server;
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString cust = insertUser(shop, QStringLiteral("customer"));
    const QString p = insertProduct(shop, seller, 100, 50);
    Client c = clientFor(server, cust, QStringLiteral("customer"));
    for (int i = 0; i < 2; ++i) {
        c.put(QStringLiteral("/api/v1/cart/items/") + p, qty(1));
        QCOMPARE(c.post(QStringLiteral("/api/v1/orders"), coins(0)).status, 201);
    }
    auto r = server.client().get(QStringLiteral("/metrics"));
    QCOMPARE(r.status, 200);
    QVERIFY2(r.body.contains("mercato_orders{status=\"pending_payment\"} 2"), r.body.constData());
    QVERIFY(r.body.contains("mercato_orders{status=\"paid\"} 0"));
}

QTEST_GUILESS_MAIN(TestOrders)
#include "tst_orders.moc"
