// Fulfilment and seller-side changes over HTTP: shipments with tracking (each seller its own
// lines, in parts), the order's states through partially_shipped, the old /ship and /deliver,
// seller cancels and refunds with money, coins and stock given back exactly, refunds in the
// customer's order, packing slips, and the mails a seller opts in to (each sale, low stock).
// Runs on SQLite and on PostgreSQL.

#include "orderfixture.h"

#include "model/orders.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QSet>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

#include <atomic>
#include <thread>
#include <tuple>
#include <vector>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

QStringList errorFields(const HttpResult &r)
{
    QStringList out;
    const QJsonArray errors = r.json().value(QStringLiteral("errors")).toArray();
    for (const QJsonValue &e : errors)
        out.append(e.toObject().value(QStringLiteral("field")).toString());
    return out;
}

QJsonArray items(const QList<QPair<QString, int>> &lines)
{
    QJsonArray out;
    for (const auto &[id, quantity] : lines)
        out.append(QJsonObject{{QStringLiteral("orderItemId"), id},
                               {QStringLiteral("quantity"), quantity}});
    return out;
}

QStringList statuses(const QJsonObject &order)
{
    QStringList out;
    const QJsonArray history = order.value(QStringLiteral("statusHistory")).toArray();
    for (const QJsonValue &h : history)
        out.append(h.toObject().value(QStringLiteral("status")).toString());
    return out;
}

// Two sellers (A, the store's owner as the oldest, and B) and a customer with coins.
struct Store
{
    TestServer server;
    QString a, b, customer;
    QString productA, productB;
    Client sa{0}, sb{0}, c{0};

    bool start(qint64 coins = 0, const QString &nameA = {})
    {
        if (!server.start())
            return false;
        Shop &shop = server.shop();
        a = insertUser(shop, QStringLiteral("seller"));
        b = insertUser(shop, QStringLiteral("seller"));
        customer = insertUser(shop, QStringLiteral("customer"));
        productA = insertProduct(shop, a, 333, 20, nameA);
        productB = insertProduct(shop, b, 500, 20);
        sa = clientFor(server, a, QStringLiteral("seller"));
        sb = clientFor(server, b, QStringLiteral("seller"));
        c = clientFor(server, customer, QStringLiteral("customer"));
        return !productA.isEmpty() && !productB.isEmpty()
               && (coins == 0 || grantCoins(shop, customer, coins));
    }
    Shop &shop() { return server.shop(); }

    // An order of `qa` units of A's product and `qb` of B's, paid unless `pay` is false.
    QJsonObject order(int qa, int qb, qint64 coinsToUse = 0, bool pay = true)
    {
        if (qa > 0)
            c.put(QStringLiteral("/api/v1/cart/items/") + productA,
                  QJsonObject{{QStringLiteral("quantity"), qa}});
        if (qb > 0)
            c.put(QStringLiteral("/api/v1/cart/items/") + productB,
                  QJsonObject{{QStringLiteral("quantity"), qb}});
        const auto placed = c.post(QStringLiteral("/api/v1/orders"),
                                   QJsonObject{{QStringLiteral("coinsToUse"), coinsToUse}});
        if (placed.status != 201)
            return {};
        const QString id = placed.json().value(QStringLiteral("id")).toString();
        if (pay
            && sa.post(QStringLiteral("/api/v1/seller/orders/") + id + QStringLiteral("/mark-paid"))
                               .status
                       != 200)
            return {};
        return customerView(id);
    }
    QJsonObject customerView(const QString &id)
    {
        return c.get(QStringLiteral("/api/v1/orders/") + id).json();
    }
    // The order's line of `productId` in the customer's view.
    static QJsonObject line(const QJsonObject &order, const QString &productId)
    {
        const QJsonArray lines = order.value(QStringLiteral("items")).toArray();
        for (const QJsonValue &l : lines) {
            if (l.toObject().value(QStringLiteral("productId")).toString() == productId)
                return l.toObject();
        }
        return {};
    }
    QString lineId(const QJsonObject &order, const QString &productId) const
    {
        return line(order, productId).value(QStringLiteral("id")).toString();
    }
    HttpResult ship(const Client &seller, const QString &orderId, const QJsonObject &body)
    {
        return seller.post(QStringLiteral("/api/v1/seller/orders/") + orderId
                                   + QStringLiteral("/shipments"),
                           body);
    }
    HttpResult refund(const Client &seller, const QString &orderId,
                      const QList<QPair<QString, int>> &lines, bool restock)
    {
        return seller.post(QStringLiteral("/api/v1/seller/orders/") + orderId
                                   + QStringLiteral("/refunds"),
                           QJsonObject{{QStringLiteral("items"), items(lines)},
                                       {QStringLiteral("reason"), QStringLiteral("damaged")},
                                       {QStringLiteral("restock"), restock}});
    }
    qint64 shipmentRows(const QString &orderId)
    {
        return scalar(shop(), QStringLiteral("SELECT COUNT(*) FROM shipments WHERE order_id = ?"),
                      {orderId});
    }
};

QJsonObject tracked(const QString &carrier = QStringLiteral("DHL"),
                    const QString &number = QStringLiteral("JD0142"))
{
    return QJsonObject{
            {QStringLiteral("carrier"), carrier},
            {QStringLiteral("trackingNumber"), number},
            {QStringLiteral("trackingUrl"), QStringLiteral("https://track.example/JD0142")}};
}

} // namespace

class TestFulfilment : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void twoSellersShipTheirOwnLinesOnly();
    void shipmentItemsBoundedByWhatIsUnshipped();
    void shipmentValidation_data();
    void shipmentValidation();
    void oldShipAndDeliverStillWork();
    void sellerRefundGivesBackExactly();
    void refundsShowInTheCustomersOrder();
    void sellerCancelPaidLines();
    void sellerCancelUnpaid();
    void sellerCancelAfterShipping();
    void packingSlipShowsOnlyOwnLinesEscaped();
    void invoiceForItsCustomerTheOwnerAndItsSellers();
    void linesShippedBeforeShipmentsKeepTheirMeaning();
    void concurrentShipmentsAndRefundsNeverOverrun();
    void sellerOptInMails();
    void pendingSellerTellsTheOwner();
};

void TestFulfilment::twoSellersShipTheirOwnLinesOnly()
{
    Store s;
    QVERIFY(s.start());
    const QJsonObject o = s.order(3, 2);
    const QString id = o.value(QStringLiteral("id")).toString();
    QVERIFY(!id.isEmpty());
    QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("paid"));
    const QString lineA = s.lineId(o, s.productA);
    const QString lineB = s.lineId(o, s.productB);

    // A cannot ship B's line: 409, nothing ships.
    QJsonObject body = tracked();
    body.insert(QStringLiteral("items"), items({{lineB, 1}}));
    auto r = s.ship(s.sa, id, body);
    QCOMPARE(r.status, 409);
    QVERIFY(r.isProblem());
    QCOMPARE(s.shipmentRows(id), 0);

    // A ships one of its three units: partially shipped.
    body.insert(QStringLiteral("items"), items({{lineA, 1}}));
    r = s.ship(s.sa, id, body);
    QCOMPARE(r.status, 201);
    const QJsonObject first = r.json();
    const QString firstId = first.value(QStringLiteral("id")).toString();
    QCOMPARE(QString::fromUtf8(r.header("location")),
             QStringLiteral("/api/v1/seller/shipments/") + firstId);
    QCOMPARE(first.value(QStringLiteral("sellerId")).toString(), s.a);
    QCOMPARE(first.value(QStringLiteral("carrier")).toString(), QStringLiteral("DHL"));
    QCOMPARE(first.value(QStringLiteral("trackingNumber")).toString(), QStringLiteral("JD0142"));
    QCOMPARE(first.value(QStringLiteral("trackingUrl")).toString(),
             QStringLiteral("https://track.example/JD0142"));
    QVERIFY(first.value(QStringLiteral("deliveredAt")).isNull());
    QVERIFY(!first.value(QStringLiteral("shippedAt")).toString().isEmpty());
    QCOMPARE(first.value(QStringLiteral("items")).toArray(), items({{lineA, 1}}));
    QCOMPARE(s.sa.get(QStringLiteral("/api/v1/seller/shipments/") + firstId).json(), first);
    QCOMPARE(s.sb.get(QStringLiteral("/api/v1/seller/shipments/") + firstId).status, 404);
    QJsonObject view = s.customerView(id);
    QCOMPARE(view.value(QStringLiteral("status")).toString(), QStringLiteral("partially_shipped"));
    QCOMPARE(Store::line(view, s.productA).value(QStringLiteral("shippedQuantity")).toInt(), 1);
    QCOMPARE(Store::line(view, s.productB).value(QStringLiteral("shippedQuantity")).toInt(), 0);
    QCOMPARE(notificationCount(s.shop(), s.customer, QStringLiteral("order.shipped")), 1);

    // Without items: the rest of A's own units, never B's.
    r = s.ship(s.sa, id, tracked(QStringLiteral("UPS"), QStringLiteral("1Z999")));
    QCOMPARE(r.status, 201);
    QCOMPARE(r.json().value(QStringLiteral("items")).toArray(), items({{lineA, 2}}));
    view = s.customerView(id);
    QCOMPARE(view.value(QStringLiteral("status")).toString(), QStringLiteral("partially_shipped"));
    QCOMPARE(Store::line(view, s.productA).value(QStringLiteral("shippedQuantity")).toInt(), 3);
    QCOMPARE(Store::line(view, s.productB).value(QStringLiteral("shippedQuantity")).toInt(), 0);
    // Nothing of A's is left to ship.
    QCOMPARE(s.ship(s.sa, id, tracked()).status, 409);

    // Each seller's view lists its own shipments; the customer's lists all.
    QCOMPARE(s.sa.get(QStringLiteral("/api/v1/seller/orders/") + id)
                     .json()
                     .value(QStringLiteral("shipments"))
                     .toArray()
                     .size(),
             2);
    QCOMPARE(s.sb.get(QStringLiteral("/api/v1/seller/orders/") + id)
                     .json()
                     .value(QStringLiteral("shipments"))
                     .toArray()
                     .size(),
             0);

    // B ships its line: every unit shipped.
    r = s.ship(s.sb, id, tracked());
    QCOMPARE(r.status, 201);
    const QString bShipment = r.json().value(QStringLiteral("id")).toString();
    view = s.customerView(id);
    QCOMPARE(view.value(QStringLiteral("status")).toString(), QStringLiteral("shipped"));
    QCOMPARE(view.value(QStringLiteral("shipments")).toArray().size(), 3);
    QCOMPARE(notificationCount(s.shop(), s.customer, QStringLiteral("order.shipped")), 3);

    // Delivery: a seller delivers only its own shipments; delivered once every one is.
    QCOMPARE(s.sb.post(QStringLiteral("/api/v1/seller/shipments/") + firstId
                       + QStringLiteral("/deliver"))
                     .status,
             404);
    r = s.sa.post(QStringLiteral("/api/v1/seller/shipments/") + firstId
                  + QStringLiteral("/deliver"));
    QCOMPARE(r.status, 200);
    QVERIFY(!r.json().value(QStringLiteral("deliveredAt")).isNull());
    QCOMPARE(s.sa.post(QStringLiteral("/api/v1/seller/shipments/") + firstId
                       + QStringLiteral("/deliver"))
                     .status,
             409);
    QCOMPARE(s.sb.post(QStringLiteral("/api/v1/seller/shipments/") + bShipment
                       + QStringLiteral("/deliver"))
                     .status,
             200);
    QCOMPARE(s.customerView(id).value(QStringLiteral("status")).toString(),
             QStringLiteral("shipped"));
    QCOMPARE(notificationCount(s.shop(), s.customer, QStringLiteral("order.delivered")), 0);
    // The old /deliver delivers A's remaining shipment.
    QCOMPARE(s.sa.post(QStringLiteral("/api/v1/seller/orders/") + id + QStringLiteral("/deliver"))
                     .status,
             200);
    view = s.customerView(id);
    QCOMPARE(view.value(QStringLiteral("status")).toString(), QStringLiteral("delivered"));
    QCOMPARE(statuses(view), (QStringList{QStringLiteral("pending_payment"), QStringLiteral("paid"),
                                          QStringLiteral("partially_shipped"),
                                          QStringLiteral("shipped"), QStringLiteral("delivered")}));
    QCOMPARE(notificationCount(s.shop(), s.customer, QStringLiteral("order.delivered")), 1);
    // The customer was mailed per shipment, with the tracking, and on delivery (the durable
    // outbox holds them until the queue writes them to the .eml folder).
    const auto mailsWith = [&](const QByteArray &text) {
        const QDir outbox(s.server.dataDir() + QStringLiteral("/outbox"));
        int n = 0;
        for (const QString &name : outbox.entryList({QStringLiteral("*.eml")}, QDir::Files)) {
            QFile f(outbox.filePath(name));
            n += f.open(QIODevice::ReadOnly) && f.readAll().contains(text) ? 1 : 0;
        }
        return n;
    };
    QTRY_COMPARE_WITH_TIMEOUT(mailsWith("1Z999"), 1, 15000);
    QTRY_COMPARE_WITH_TIMEOUT(mailsWith("Tracking number: JD0142"), 2, 15000);
    QTRY_COMPARE_WITH_TIMEOUT(mailsWith("Track it: https://track.example/JD0142"), 3, 15000);
    const QByteArray reference
            = "#" + QByteArray::number(o.value(QStringLiteral("number")).toInteger());
    QTRY_COMPARE_WITH_TIMEOUT(mailsWith(QByteArray("every parcel of your order " + reference
                                                   + " has been delivered")),
                              1, 15000);
    QCOMPARE(mailsWith(QByteArray("Subject: Your order " + reference + " has shipped")), 3);
    QCOMPARE(mailsWith(QByteArray("Subject: Your order " + reference + " was delivered")), 1);
    QCOMPARE(mailsWith("Carrier: UPS\r\nTracking number: 1Z999\r\n"), 1);
    // Mails quote the order's number, never the API's id.
    QCOMPARE(mailsWith(id.toUtf8()), 0);
}

void TestFulfilment::shipmentItemsBoundedByWhatIsUnshipped()
{
    Store s;
    QVERIFY(s.start());
    const QJsonObject o = s.order(3, 0);
    const QString id = o.value(QStringLiteral("id")).toString();
    const QString lineA = s.lineId(o, s.productA);
    QJsonObject body = tracked();
    // More than the line holds.
    body.insert(QStringLiteral("items"), items({{lineA, 4}}));
    QCOMPARE(s.ship(s.sa, id, body).status, 409);
    // One unit refunded: only two may ship.
    QCOMPARE(s.refund(s.sa, id, {{lineA, 1}}, false).status, 201);
    body.insert(QStringLiteral("items"), items({{lineA, 3}}));
    auto r = s.ship(s.sa, id, body);
    QCOMPARE(r.status, 409);
    QVERIFY(r.json().value(QStringLiteral("detail")).toString().contains(QStringLiteral("refund")));
    body.insert(QStringLiteral("items"), items({{lineA, 2}}));
    QCOMPARE(s.ship(s.sa, id, body).status, 201);
    // Every unrefunded unit shipped: the order is shipped, and nothing more ships.
    QCOMPARE(s.customerView(id).value(QStringLiteral("status")).toString(),
             QStringLiteral("shipped"));
    body.insert(QStringLiteral("items"), items({{lineA, 1}}));
    QCOMPARE(s.ship(s.sa, id, body).status, 409);
    QCOMPARE(s.shipmentRows(id), 1);
    QCOMPARE(scalar(s.shop(),
                    QStringLiteral("SELECT shipped_quantity FROM order_items WHERE id = ?"),
                    {lineA}),
             2);

    // An unpaid order does not ship.
    const QJsonObject unpaid = s.order(1, 0, 0, false);
    const QString unpaidId = unpaid.value(QStringLiteral("id")).toString();
    QCOMPARE(s.ship(s.sa, unpaidId, tracked()).status, 409);
    // A seller with no line in the order: 404.
    const QJsonObject other = s.order(1, 0);
    QCOMPARE(s.ship(s.sb, other.value(QStringLiteral("id")).toString(), tracked()).status, 404);
}

void TestFulfilment::shipmentValidation_data()
{
    QTest::addColumn<QJsonObject>("body");
    QTest::addColumn<QString>("field");
    const QJsonObject ok = tracked();
    auto with = [&](const QString &key, const QJsonValue &v) {
        QJsonObject o = ok;
        if (v.isUndefined())
            o.remove(key);
        else
            o.insert(key, v);
        return o;
    };
    QTest::newRow("http-url") << with(QStringLiteral("trackingUrl"),
                                      QStringLiteral("http://track.example/1"))
                              << QStringLiteral("trackingUrl");
    QTest::newRow("javascript-url")
            << with(QStringLiteral("trackingUrl"), QStringLiteral("javascript:alert(1)"))
            << QStringLiteral("trackingUrl");
    QTest::newRow("relative-url") << with(QStringLiteral("trackingUrl"), QStringLiteral("/track/1"))
                                  << QStringLiteral("trackingUrl");
    QTest::newRow("https-no-host")
            << with(QStringLiteral("trackingUrl"), QStringLiteral("https://"))
            << QStringLiteral("trackingUrl");
    QTest::newRow("url-not-text") << with(QStringLiteral("trackingUrl"), 5)
                                  << QStringLiteral("trackingUrl");
    QTest::newRow("no-carrier") << with(QStringLiteral("carrier"), QJsonValue::Undefined)
                                << QStringLiteral("carrier");
    QTest::newRow("blank-carrier")
            << with(QStringLiteral("carrier"), QStringLiteral("   ")) << QStringLiteral("carrier");
    QTest::newRow("long-carrier") << with(QStringLiteral("carrier"), QString(101, QLatin1Char('x')))
                                  << QStringLiteral("carrier");
    QTest::newRow("no-tracking-number")
            << with(QStringLiteral("trackingNumber"), QJsonValue::Undefined)
            << QStringLiteral("trackingNumber");
    QTest::newRow("long-tracking-number")
            << with(QStringLiteral("trackingNumber"), QString(101, QLatin1Char('1')))
            << QStringLiteral("trackingNumber");
    QTest::newRow("items-empty") << with(QStringLiteral("items"), QJsonArray())
                                 << QStringLiteral("items");
    QTest::newRow("items-not-list")
            << with(QStringLiteral("items"), QStringLiteral("all")) << QStringLiteral("items");
    QTest::newRow("quantity-zero")
            << with(QStringLiteral("items"),
                    QJsonArray{QJsonObject{{QStringLiteral("orderItemId"), QStringLiteral("LINE")},
                                           {QStringLiteral("quantity"), 0}}})
            << QStringLiteral("items[0].quantity");
    QTest::newRow("unknown-line") << with(
            QStringLiteral("items"),
            QJsonArray{QJsonObject{{QStringLiteral("orderItemId"), QStringLiteral("nope")},
                                   {QStringLiteral("quantity"), 1}}})
                                  << QStringLiteral("items[0].orderItemId");
}

void TestFulfilment::shipmentValidation()
{
    QFETCH(QJsonObject, body);
    QFETCH(QString, field);
    Store s;
    QVERIFY(s.start());
    const QJsonObject o = s.order(2, 0);
    const QString id = o.value(QStringLiteral("id")).toString();
    // "LINE" stands for the order's real line (valid, so the row checks its own field).
    QJsonArray list = body.value(QStringLiteral("items")).toArray();
    for (qsizetype i = 0; i < list.size(); ++i) {
        QJsonObject item = list.at(i).toObject();
        if (item.value(QStringLiteral("orderItemId")).toString() == QLatin1String("LINE"))
            item.insert(QStringLiteral("orderItemId"), s.lineId(o, s.productA));
        list.replace(i, item);
    }
    if (body.value(QStringLiteral("items")).isArray())
        body.insert(QStringLiteral("items"), list);
    const auto r = s.ship(s.sa, id, body);
    QCOMPARE(r.status, 422);
    QVERIFY(r.isProblem());
    QVERIFY2(errorFields(r).contains(field), r.body.constData());
    QCOMPARE(s.shipmentRows(id), 0);
    QCOMPARE(s.customerView(id).value(QStringLiteral("status")).toString(), QStringLiteral("paid"));
    // The same body with a valid value ships.
    QCOMPARE(s.ship(s.sa, id, tracked()).status, 201);
}

void TestFulfilment::oldShipAndDeliverStillWork()
{
    Store s;
    QVERIFY(s.start());
    const QJsonObject o = s.order(2, 1);
    const QString id = o.value(QStringLiteral("id")).toString();
    const QString path = QStringLiteral("/api/v1/seller/orders/") + id;
    // /deliver before anything shipped: 409.
    QCOMPARE(s.sa.post(path + QStringLiteral("/deliver")).status, 409);
    auto r = s.sb.post(path + QStringLiteral("/ship"));
    QCOMPARE(r.status, 200);
    // B's view: its line shipped, in one shipment without tracking; A's line untouched.
    QCOMPARE(r.json().value(QStringLiteral("status")).toString(),
             QStringLiteral("partially_shipped"));
    const QJsonArray shipments = r.json().value(QStringLiteral("shipments")).toArray();
    QCOMPARE(shipments.size(), 1);
    QVERIFY(shipments.at(0).toObject().value(QStringLiteral("carrier")).isNull());
    QJsonObject view = s.customerView(id);
    QCOMPARE(Store::line(view, s.productA).value(QStringLiteral("shippedQuantity")).toInt(), 0);
    QCOMPARE(Store::line(view, s.productB).value(QStringLiteral("shippedQuantity")).toInt(), 1);
    QCOMPARE(s.sb.post(path + QStringLiteral("/ship")).status, 409); // nothing left of B's
    QCOMPARE(s.sa.post(path + QStringLiteral("/ship")).status, 200);
    QCOMPARE(s.customerView(id).value(QStringLiteral("status")).toString(),
             QStringLiteral("shipped"));
    QCOMPARE(s.sb.post(path + QStringLiteral("/deliver")).status, 200);
    QCOMPARE(s.customerView(id).value(QStringLiteral("status")).toString(),
             QStringLiteral("shipped"));
    QCOMPARE(s.sb.post(path + QStringLiteral("/deliver")).status, 409); // B's all delivered
    QCOMPARE(s.sa.post(path + QStringLiteral("/deliver")).status, 200);
    view = s.customerView(id);
    QCOMPARE(view.value(QStringLiteral("status")).toString(), QStringLiteral("delivered"));
    QCOMPARE(view.value(QStringLiteral("shipments")).toArray().size(), 2);
    // A seller with no line in an order: 404 on both.
    const QString onlyA = s.order(1, 0).value(QStringLiteral("id")).toString();
    QCOMPARE(s.sb.post(QStringLiteral("/api/v1/seller/orders/") + onlyA + QStringLiteral("/ship"))
                     .status,
             404);
}

void TestFulfilment::sellerRefundGivesBackExactly()
{
    Store s;
    QVERIFY(s.start(1000));
    // 3 × 333 + 1 × 500 = 1499; coins worth at most half: 749 used.
    const QJsonObject o = s.order(3, 1, 1000);
    const QString id = o.value(QStringLiteral("id")).toString();
    QVERIFY(!id.isEmpty());
    const qint64 total = o.value(QStringLiteral("totalCents")).toInteger();
    const qint64 coinsUsed = o.value(QStringLiteral("coinsUsed")).toInteger();
    QCOMPARE(coinsUsed, 749);
    QCOMPARE(total, 1499 - 749);
    QCOMPARE(coinsOf(s.shop(), s.customer), 1000 - 749);
    const QString lineA = s.lineId(o, s.productA);
    const QString lineB = s.lineId(o, s.productB);
    const qint64 stockA = stockOf(s.shop(), s.productA);
    const qint64 stockB = stockOf(s.shop(), s.productB);

    // Another seller's line, more than the line holds, a line not in the order: nothing moves.
    QCOMPARE(s.refund(s.sa, id, {{lineB, 1}}, true).status, 409);
    QCOMPARE(s.refund(s.sa, id, {{lineA, 4}}, true).status, 409);
    auto bad = s.refund(s.sa, id, {{QStringLiteral("nope"), 1}}, true);
    QCOMPARE(bad.status, 422);
    QCOMPARE(errorFields(bad), QStringList{QStringLiteral("items[0].orderItemId")});
    QCOMPARE(scalar(s.shop(), QStringLiteral("SELECT COUNT(*) FROM refunds WHERE order_id = ?"),
                    {id}),
             0);

    // One unit of A's three, restocked.
    auto r = s.refund(s.sa, id, {{lineA, 1}}, true);
    QCOMPARE(r.status, 201);
    const QJsonObject first = r.json();
    const QString firstId = first.value(QStringLiteral("id")).toString();
    QCOMPARE(QString::fromUtf8(r.header("location")),
             QStringLiteral("/api/v1/seller/refunds/") + firstId);
    QCOMPARE(first.value(QStringLiteral("orderId")).toString(), id);
    QCOMPARE(first.value(QStringLiteral("status")).toString(), QStringLiteral("succeeded"));
    const QString year = QString::number(
            Clock::nowUtc().toTimeZone(s.shop().settings().timeZone).date().year());
    QCOMPARE(first.value(QStringLiteral("creditNoteNumber")).toString(),
             QStringLiteral("CN-%1-1").arg(year));
    QCOMPARE(first.value(QStringLiteral("shippingRefundedCents")).toInteger(), 0);
    QCOMPARE(first.value(QStringLiteral("reason")).toString(), QStringLiteral("damaged"));
    QCOMPARE(first.value(QStringLiteral("items")).toArray().size(), 1);
    QCOMPARE(stockOf(s.shop(), s.productA), stockA + 1);
    QCOMPARE(ledgerSum(s.shop(), s.productA), stockA + 1);
    QCOMPARE(s.sa.get(QStringLiteral("/api/v1/seller/refunds/") + firstId).json(), first);
    QCOMPARE(s.sb.get(QStringLiteral("/api/v1/seller/refunds/") + firstId).status, 404);

    // The other two, not restocked: the line's refunds add up to what it was paid.
    r = s.refund(s.sa, id, {{lineA, 2}}, false);
    QCOMPARE(r.status, 201);
    const QJsonObject second = r.json();
    QCOMPARE(second.value(QStringLiteral("creditNoteNumber")).toString(),
             QStringLiteral("CN-%1-2").arg(year));
    QCOMPARE(stockOf(s.shop(), s.productA), stockA + 1);
    QCOMPARE(s.refund(s.sa, id, {{lineA, 1}}, false).status, 409); // nothing left
    const qint64 lineAPaid
            = scalar(s.shop(),
                     QStringLiteral("SELECT line_total_cents - discount_share_cents FROM "
                                    "order_items WHERE id = ?"),
                     {lineA});
    QCOMPARE(first.value(QStringLiteral("amountCents")).toInteger()
                     + second.value(QStringLiteral("amountCents")).toInteger(),
             lineAPaid);
    QCOMPARE(s.customerView(id).value(QStringLiteral("status")).toString(), QStringLiteral("paid"));

    // B refunds its line: every unit refunded, nothing shipped → cancelled; every cent and
    // every coin is back, and not one more.
    r = s.refund(s.sb, id, {{lineB, 1}}, true);
    QCOMPARE(r.status, 201);
    QCOMPARE(stockOf(s.shop(), s.productB), stockB + 1);
    const QJsonObject view = s.customerView(id);
    QCOMPARE(view.value(QStringLiteral("status")).toString(), QStringLiteral("cancelled"));
    QCOMPARE(statuses(view).last(), QStringLiteral("cancelled"));
    qint64 refunded = 0;
    qint64 coinsBack = 0;
    const QJsonArray refunds = view.value(QStringLiteral("refunds")).toArray();
    QCOMPARE(refunds.size(), 3);
    // Every refund of the order, the other seller's too, has the next credit note number.
    QSet<QString> creditNotes;
    for (const QJsonValue &v : refunds)
        creditNotes.insert(v.toObject().value(QStringLiteral("creditNoteNumber")).toString());
    QCOMPARE(creditNotes, (QSet<QString>{QStringLiteral("CN-%1-1").arg(year),
                                         QStringLiteral("CN-%1-2").arg(year),
                                         QStringLiteral("CN-%1-3").arg(year)}));
    for (const QJsonValue &v : refunds) {
        refunded += v.toObject().value(QStringLiteral("amountCents")).toInteger();
        coinsBack += v.toObject().value(QStringLiteral("coinsReturned")).toInteger();
    }
    QCOMPARE(refunded, total);
    QCOMPARE(coinsBack, coinsUsed);
    QCOMPARE(coinsOf(s.shop(), s.customer), 1000);
    // The money went back through the provider (manual here): one settled refund per refund.
    QCOMPARE(scalar(s.shop(),
                    QStringLiteral("SELECT COALESCE(SUM(amount_cents), 0) FROM payment_refunds "
                                   "WHERE order_id = ? AND state = 'succeeded'"),
                    {id}),
             total);
    QCOMPARE(notificationCount(s.shop(), s.customer, QStringLiteral("payment.refunded")), 3);
    // Each seller lists its own refunds only.
    QCOMPARE(s.sa.get(QStringLiteral("/api/v1/seller/refunds"))
                     .json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .size(),
             2);
    const auto pageB = s.sb.get(QStringLiteral("/api/v1/seller/refunds?limit=1")).json();
    QCOMPARE(pageB.value(QStringLiteral("items")).toArray().size(), 1);
    QVERIFY(pageB.value(QStringLiteral("nextCursor")).isNull());
    QCOMPARE(s.sa.get(QStringLiteral("/api/v1/seller/refunds?cursor=junk")).status, 400);
    // A cancelled order takes no more refunds.
    QCOMPARE(s.refund(s.sb, id, {{lineB, 1}}, true).status, 409);
}

void TestFulfilment::refundsShowInTheCustomersOrder()
{
    Store s;
    QVERIFY(s.start());
    const QJsonObject o = s.order(2, 1);
    const QString id = o.value(QStringLiteral("id")).toString();
    const QString lineA = s.lineId(o, s.productA);
    const QString lineB = s.lineId(o, s.productB);
    // A request the customer made and B approved, and a refund A made: both in the order.
    auto req = s.c.post(QStringLiteral("/api/v1/orders/") + id + QStringLiteral("/refund-requests"),
                        QJsonObject{{QStringLiteral("orderItemId"), lineB},
                                    {QStringLiteral("quantity"), 1},
                                    {QStringLiteral("reason"), QStringLiteral("broken")}});
    QCOMPARE(req.status, 201);
    const QString requestId = req.json().value(QStringLiteral("id")).toString();
    QCOMPARE(s.sb.post(QStringLiteral("/api/v1/seller/refund-requests/") + requestId
                               + QStringLiteral("/approve"),
                       QJsonObject{{QStringLiteral("restock"), true}})
                     .status,
             200);
    QCOMPARE(s.refund(s.sa, id, {{lineA, 1}}, false).status, 201);
    const QJsonObject view = s.customerView(id);
    const QJsonArray refunds = view.value(QStringLiteral("refunds")).toArray();
    QCOMPARE(refunds.size(), 2);
    QCOMPARE(refunds.at(0).toObject().value(QStringLiteral("refundRequestId")).toString(),
             requestId);
    QCOMPARE(refunds.at(0).toObject().value(QStringLiteral("amountCents")).toInteger(), 500);
    QVERIFY(refunds.at(1).toObject().value(QStringLiteral("refundRequestId")).isNull());
    QCOMPARE(refunds.at(1).toObject().value(QStringLiteral("amountCents")).toInteger(), 333);
    QCOMPARE(Store::line(view, s.productA).value(QStringLiteral("refundedQuantity")).toInt(), 1);
    // The seller sees its own refunds in its view of the order, the approved request's too.
    const QJsonArray forB = s.sb.get(QStringLiteral("/api/v1/seller/orders/") + id)
                                    .json()
                                    .value(QStringLiteral("refunds"))
                                    .toArray();
    QCOMPARE(forB.size(), 1);
    QCOMPARE(forB.at(0).toObject().value(QStringLiteral("refundRequestId")).toString(), requestId);
    // Units in an open request are the request's: the seller decides it instead of refunding
    // them (or cancelling its lines) over it.
    QCOMPARE(s.c.post(QStringLiteral("/api/v1/orders/") + id + QStringLiteral("/refund-requests"),
                      QJsonObject{{QStringLiteral("orderItemId"), lineA},
                                  {QStringLiteral("quantity"), 1},
                                  {QStringLiteral("reason"), QStringLiteral("scratched")}})
                     .status,
             201);
    QCOMPARE(s.refund(s.sa, id, {{lineA, 1}}, false).status, 409);
    QCOMPARE(s.sa.post(QStringLiteral("/api/v1/seller/orders/") + id + QStringLiteral("/cancel"),
                       QJsonObject{{QStringLiteral("reason"), QStringLiteral("gone")}})
                     .status,
             409);
    QCOMPARE(Store::line(s.customerView(id), s.productA)
                     .value(QStringLiteral("refundedQuantity"))
                     .toInt(),
             1);
    // A request for more than is left after the seller's refund: 409.
    QCOMPARE(s.c.post(QStringLiteral("/api/v1/orders/") + id + QStringLiteral("/refund-requests"),
                      QJsonObject{{QStringLiteral("orderItemId"), lineA},
                                  {QStringLiteral("quantity"), 2},
                                  {QStringLiteral("reason"), QStringLiteral("again")}})
                     .status,
             409);
}

void TestFulfilment::sellerCancelPaidLines()
{
    Store s;
    QVERIFY(s.start(1000));
    const QJsonObject o = s.order(2, 3, 400);
    const QString id = o.value(QStringLiteral("id")).toString();
    const qint64 total = o.value(QStringLiteral("totalCents")).toInteger();
    const qint64 coinsUsed = o.value(QStringLiteral("coinsUsed")).toInteger();
    QCOMPARE(coinsUsed, 400);
    const qint64 stockB = stockOf(s.shop(), s.productB);
    const QString cancel
            = QStringLiteral("/api/v1/seller/orders/") + id + QStringLiteral("/cancel");
    // The reason is required.
    auto r = s.sb.post(cancel, QJsonObject{});
    QCOMPARE(r.status, 422);
    QCOMPARE(errorFields(r), QStringList{QStringLiteral("reason")});
    // B cancels its lines: refunded in full, restocked, the customer told; A's line stays.
    r = s.sb.post(cancel, QJsonObject{{QStringLiteral("reason"), QStringLiteral("out of stock")}});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("status")).toString(), QStringLiteral("paid"));
    QCOMPARE(r.json().value(QStringLiteral("items")).toArray().size(), 1);
    QCOMPARE(r.json().value(QStringLiteral("items"))
                     .toArray()
                     .at(0)
                     .toObject()
                     .value(QStringLiteral("refundedQuantity"))
                     .toInt(),
             3);
    QCOMPARE(stockOf(s.shop(), s.productB), stockB + 3);
    QCOMPARE(ledgerSum(s.shop(), s.productB), stockB + 3);
    QCOMPARE(notificationCount(s.shop(), s.customer, QStringLiteral("order.cancelled")), 1);
    const qint64 lineBPaid
            = scalar(s.shop(),
                     QStringLiteral("SELECT line_total_cents - discount_share_cents FROM "
                                    "order_items WHERE id = ?"),
                     {s.lineId(o, s.productB)});
    const QJsonArray refunds = s.customerView(id).value(QStringLiteral("refunds")).toArray();
    QCOMPARE(refunds.size(), 1);
    QCOMPARE(refunds.at(0).toObject().value(QStringLiteral("amountCents")).toInteger(), lineBPaid);
    QCOMPARE(refunds.at(0).toObject().value(QStringLiteral("reason")).toString(),
             QStringLiteral("out of stock"));
    // The customer's mail says what was cancelled, why, and what came back.
    const QString to = s.customer + QStringLiteral("@example.test");
    const QString reference
            = QStringLiteral("#%1").arg(o.value(QStringLiteral("number")).toInteger());
    const QString subject
            = QStringLiteral("Items of your order %1 were cancelled and refunded").arg(reference);
    QTRY_VERIFY_WITH_TIMEOUT(!mailWithSubject(s.server, to, subject).isEmpty(), 15000);
    const QByteArray mail = mailWithSubject(s.server, to, subject);
    const QString nameB = Store::line(o, s.productB).value(QStringLiteral("name")).toString();
    const qint64 coinsB
            = refunds.at(0).toObject().value(QStringLiteral("coinsReturned")).toInteger();
    QVERIFY(coinsB > 0);
    for (const QString &expected :
         {QStringLiteral("the seller cancelled these items of your order %1:\n  3 x %2\n")
                  .arg(reference, nameB),
          QStringLiteral("Reason: out of stock"),
          QStringLiteral("Refunded: %1.%2 USD and %3 coins.")
                  .arg(lineBPaid / 100)
                  .arg(lineBPaid % 100, 2, 10, QLatin1Char('0'))
                  .arg(coinsB),
          QStringLiteral("The rest of your order goes on as before.")}) {
        QVERIFY2(mail.contains(expected.toUtf8()),
                 qPrintable(QStringLiteral("no \"%1\" in:\n%2")
                                    .arg(expected, QString::fromUtf8(mail))));
    }
    QVERIFY(!mail.contains(
            Store::line(o, s.productA).value(QStringLiteral("name")).toString().toUtf8()));
    QVERIFY(!mail.contains(id.toUtf8()));
    // Again: nothing left of B's to cancel.
    QCOMPARE(s.sb.post(cancel, QJsonObject{{QStringLiteral("reason"), QStringLiteral("x")}}).status,
             409);
    // A ships what is left: every unrefunded unit shipped.
    QCOMPARE(s.ship(s.sa, id, tracked()).status, 201);
    QCOMPARE(s.customerView(id).value(QStringLiteral("status")).toString(),
             QStringLiteral("shipped"));

    // One seller holding a paid order cancels it all: cancelled, every cent and coin back.
    const qint64 before = coinsOf(s.shop(), s.customer);
    const QJsonObject solo = s.order(2, 0, 100);
    const QString soloId = solo.value(QStringLiteral("id")).toString();
    const qint64 soloTotal = solo.value(QStringLiteral("totalCents")).toInteger();
    const qint64 soloCoins = solo.value(QStringLiteral("coinsUsed")).toInteger();
    QVERIFY(soloCoins > 0);
    const qint64 stockA = stockOf(s.shop(), s.productA);
    r = s.sa.post(QStringLiteral("/api/v1/seller/orders/") + soloId + QStringLiteral("/cancel"),
                  QJsonObject{{QStringLiteral("reason"), QStringLiteral("cannot deliver")}});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("status")).toString(), QStringLiteral("cancelled"));
    QCOMPARE(stockOf(s.shop(), s.productA), stockA + 2);
    QCOMPARE(coinsOf(s.shop(), s.customer), before);
    QCOMPARE(scalar(s.shop(),
                    QStringLiteral("SELECT COALESCE(SUM(amount_cents), 0) FROM refunds WHERE "
                                   "order_id = ?"),
                    {soloId}),
             soloTotal);
    Q_UNUSED(total);
}

void TestFulfilment::sellerCancelUnpaid()
{
    Store s;
    QVERIFY(s.start(1000));
    // Two sellers' unpaid order: neither may cancel it alone.
    const QJsonObject shared = s.order(1, 1, 0, false);
    const QString sharedId = shared.value(QStringLiteral("id")).toString();
    const QJsonObject reason{{QStringLiteral("reason"), QStringLiteral("no")}};
    QCOMPARE(s.sa.post(QStringLiteral("/api/v1/seller/orders/") + sharedId
                               + QStringLiteral("/cancel"),
                       reason)
                     .status,
             409);
    QCOMPARE(s.customerView(sharedId).value(QStringLiteral("status")).toString(),
             QStringLiteral("pending_payment"));
    s.c.post(QStringLiteral("/api/v1/orders/") + sharedId + QStringLiteral("/cancel"));
    // A seller holding every line cancels as the customer would: stock and held coins back.
    const qint64 stockA = stockOf(s.shop(), s.productA);
    const qint64 coins = coinsOf(s.shop(), s.customer);
    const QJsonObject mine = s.order(2, 0, 100, false);
    const QString mineId = mine.value(QStringLiteral("id")).toString();
    QCOMPARE(coinsOf(s.shop(), s.customer), coins - 100);
    QCOMPARE(stockOf(s.shop(), s.productA), stockA - 2);
    auto r = s.sa.post(
            QStringLiteral("/api/v1/seller/orders/") + mineId + QStringLiteral("/cancel"), reason);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("status")).toString(), QStringLiteral("cancelled"));
    QCOMPARE(stockOf(s.shop(), s.productA), stockA);
    QCOMPARE(coinsOf(s.shop(), s.customer), coins);
    QCOMPARE(notificationCount(s.shop(), s.customer, QStringLiteral("order.cancelled")), 1);
    const auto mailed = [&] {
        const QDir outbox(s.server.dataDir() + QStringLiteral("/outbox"));
        for (const QString &name : outbox.entryList({QStringLiteral("*.eml")}, QDir::Files)) {
            QFile f(outbox.filePath(name));
            const QByteArray mail = f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
            if (mail.contains("Subject: Your order was cancelled by the seller")
                && mail.contains(QByteArray(
                        "the seller cancelled your order #"
                        + QByteArray::number(mine.value(QStringLiteral("number")).toInteger())
                        + ", which was not paid yet")))
                return true;
        }
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(mailed(), 15000);
    // Another seller: 404; cancelled already: 409.
    QCOMPARE(
            s.sb.post(QStringLiteral("/api/v1/seller/orders/") + mineId + QStringLiteral("/cancel"),
                      reason)
                    .status,
            404);
    QCOMPARE(
            s.sa.post(QStringLiteral("/api/v1/seller/orders/") + mineId + QStringLiteral("/cancel"),
                      reason)
                    .status,
            409);
}

void TestFulfilment::sellerCancelAfterShipping()
{
    Store s;
    QVERIFY(s.start());
    const QJsonObject o = s.order(3, 1);
    const QString id = o.value(QStringLiteral("id")).toString();
    QJsonObject body = tracked();
    body.insert(QStringLiteral("items"), items({{s.lineId(o, s.productA), 1}}));
    QCOMPARE(s.ship(s.sa, id, body).status, 201);
    const qint64 stockA = stockOf(s.shop(), s.productA);
    const auto r
            = s.sa.post(QStringLiteral("/api/v1/seller/orders/") + id + QStringLiteral("/cancel"),
                        QJsonObject{{QStringLiteral("reason"), QStringLiteral("late")}});
    QCOMPARE(r.status, 409);
    QVERIFY(r.isProblem());
    QCOMPARE(stockOf(s.shop(), s.productA), stockA);
    QCOMPARE(scalar(s.shop(), QStringLiteral("SELECT COUNT(*) FROM refunds WHERE order_id = ?"),
                    {id}),
             0);
    // B, whose line has not shipped, may still cancel its own.
    QCOMPARE(s.sb.post(QStringLiteral("/api/v1/seller/orders/") + id + QStringLiteral("/cancel"),
                       QJsonObject{{QStringLiteral("reason"), QStringLiteral("sold out")}})
                     .status,
             200);
    QCOMPARE(s.customerView(id).value(QStringLiteral("status")).toString(),
             QStringLiteral("partially_shipped"));
}

// GET /orders/{id}/invoice: the whole order's one invoice, to its customer, the store's owner
// (A) and a seller with lines in it; 404 to anyone else; 409 before payment.
void TestFulfilment::invoiceForItsCustomerTheOwnerAndItsSellers()
{
    Store s;
    QVERIFY(s.start());
    const auto invoice = [](const Client &who, const QString &id) {
        return who.get(QStringLiteral("/api/v1/orders/") + id + QStringLiteral("/invoice"));
    };
    const Client otherSeller = clientFor(s.server, insertUser(s.shop(), QStringLiteral("seller")),
                                         QStringLiteral("seller"));
    const Client otherCustomer = clientFor(
            s.server, insertUser(s.shop(), QStringLiteral("customer")), QStringLiteral("customer"));

    // B's line only: B and the owner A get the customer's invoice, with every line.
    const QJsonObject onlyB = s.order(0, 2);
    const QString id = onlyB.value(QStringLiteral("id")).toString();
    QVERIFY(!id.isEmpty());
    const HttpResult mine = invoice(s.c, id);
    QCOMPARE(mine.status, 200);
    QVERIFY(mine.header("content-type").startsWith("text/html"));
    const QString number = onlyB.value(QStringLiteral("invoiceNumber")).toString();
    QVERIFY(!number.isEmpty());
    QVERIFY(QString::fromUtf8(mine.body).contains(number));
    for (const Client *who : {&s.sb, &s.sa}) {
        const HttpResult r = invoice(*who, id);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, mine.body);
    }
    // Anyone else: no such order.
    QCOMPARE(invoice(otherSeller, id).status, 404);
    QCOMPARE(invoice(otherCustomer, id).status, 404);

    // A's line only: B holds no line of it.
    const QString onlyA = s.order(1, 0).value(QStringLiteral("id")).toString();
    QVERIFY(!onlyA.isEmpty());
    QCOMPARE(invoice(s.sa, onlyA).status, 200);
    QCOMPARE(invoice(s.sb, onlyA).status, 404);

    // Unpaid: no invoice yet, for the customer or its seller.
    const QString unpaid = s.order(0, 1, 0, false).value(QStringLiteral("id")).toString();
    QVERIFY(!unpaid.isEmpty());
    QCOMPARE(invoice(s.c, unpaid).status, 409);
    QCOMPARE(invoice(s.sb, unpaid).status, 409);
    QCOMPARE(invoice(otherSeller, unpaid).status, 404);
}

void TestFulfilment::packingSlipShowsOnlyOwnLinesEscaped()
{
    Store s;
    QVERIFY(s.start(0, QStringLiteral("Mug <script>alert(1)</script> & \"Co\"")));
    QVERIFY(execSql(s.shop().database().connection(),
                    QStringLiteral("UPDATE users SET display_name = ? WHERE id = ?"),
                    {QStringLiteral("Eve <img src=x onerror=alert(2)>"), s.customer}));
    const QJsonObject o = s.order(2, 1);
    const QString id = o.value(QStringLiteral("id")).toString();
    const QString nameB = Store::line(o, s.productB).value(QStringLiteral("name")).toString();
    auto r = s.sa.get(QStringLiteral("/api/v1/seller/orders/") + id
                      + QStringLiteral("/packing-slip"));
    QCOMPARE(r.status, 200);
    QVERIFY(r.header("content-type").startsWith("text/html"));
    const QString html = QString::fromUtf8(r.body);
    // People know the order by its number.
    const qint64 number = o.value(QStringLiteral("number")).toInteger();
    QVERIFY(number >= 1001);
    QVERIFY(html.contains(QStringLiteral("#%1").arg(number)));
    QVERIFY(html.contains(QStringLiteral("Mug &lt;script&gt;alert(1)&lt;/script&gt; &amp; "
                                         "&quot;Co&quot;")));
    QVERIFY(!html.contains(QStringLiteral("<script>")));
    QVERIFY(html.contains(QStringLiteral("Eve &lt;img src=x onerror=alert(2)&gt;")));
    QVERIFY(!html.contains(QStringLiteral("<img")));
    QVERIFY(!html.contains(nameB)); // B's line is not A's to pack
    QVERIFY(html.contains(QStringLiteral("<td class=\"n\">2</td>")));
    // B's slip holds B's line only.
    const QString htmlB = QString::fromUtf8(s.sb.get(QStringLiteral("/api/v1/seller/orders/") + id
                                                     + QStringLiteral("/packing-slip"))
                                                    .body);
    QVERIFY(htmlB.contains(nameB.toHtmlEscaped()));
    QVERIFY(!htmlB.contains(QStringLiteral("Mug")));
    // Not a seller of the order: 404; a customer: 403.
    const QString other = insertUser(s.shop(), QStringLiteral("seller"));
    QCOMPARE(clientFor(s.server, other, QStringLiteral("seller"))
                     .get(QStringLiteral("/api/v1/seller/orders/") + id
                          + QStringLiteral("/packing-slip"))
                     .status,
             404);
    QCOMPARE(
            s.c.get(QStringLiteral("/api/v1/seller/orders/") + id + QStringLiteral("/packing-slip"))
                    .status,
            403);
}

namespace {

// An order written as the shop wrote it before shipments existed; returns its line ids.
QStringList addOldOrder(Shop &shop, const QString &orderId, const QString &customer,
                        const QString &status,
                        const QList<std::tuple<QString, QString, int>> &lines)
{
    const qint64 now = Clock::nowMs();
    qint64 total = 0;
    for (const auto &[product, seller, quantity] : lines)
        total += 100 * quantity;
    const QSqlDatabase db = shop.database().connection();
    if (!execSql(db,
                 QStringLiteral("INSERT INTO orders (id, customer_id, status, subtotal_cents, "
                                "total_cents, currency, payment_provider, payment_state, "
                                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'USD', 'manual', "
                                "'succeeded', ?, ?)"),
                 {orderId, customer, status, total, total, now, now}))
        return {};
    if (!execSql(db,
                 QStringLiteral("INSERT INTO order_status_history (order_id, status, at) VALUES "
                                "(?, 'paid', ?)"),
                 {orderId, now}))
        return {};
    QStringList ids;
    for (const auto &[product, seller, quantity] : lines) {
        const QString id = Ids::newId();
        if (!execSql(db,
                     QStringLiteral("INSERT INTO order_items (id, order_id, product_id, seller_id, "
                                    "name, unit_price_cents, quantity, line_total_cents) VALUES "
                                    "(?, ?, ?, ?, 'Old thing', 100, ?, ?)"),
                     {id, orderId, product, seller, quantity, 100 * quantity}))
            return {};
        ids.append(id);
    }
    return ids;
}

} // namespace

void TestFulfilment::linesShippedBeforeShipmentsKeepTheirMeaning()
{
    SharedStore store;
    QVERIFY(store.open());
    Shop &shop = *store.shop;
    const QString a = insertUser(shop, QStringLiteral("seller"));
    const QString b = insertUser(shop, QStringLiteral("seller"));
    const QString customer = insertUser(shop, QStringLiteral("customer"));
    const QString pa = insertProduct(shop, a, 100, 10);
    const QString pb = insertProduct(shop, b, 100, 10);
    const QSqlDatabase db = shop.database().connection();
    // The database as it was before migration 037 (and 042, which numbers its refunds).
    for (const char *sql :
         {"DROP INDEX payment_refunds_refund", "DROP TABLE refund_items", "DROP TABLE refunds",
          "DROP TABLE shipment_items", "DROP TABLE shipments",
          "ALTER TABLE order_items DROP COLUMN shipped_quantity",
          "ALTER TABLE payment_refunds DROP COLUMN refund_id",
          "DELETE FROM schema_version WHERE version = 37",
          // Credit note numbers come after it, on its refunds table.
          "DELETE FROM schema_version WHERE version = 42"}) {
        QSqlQuery q(db); // unprepared: PostgreSQL prepares no DDL
        QVERIFY2(q.exec(QString::fromLatin1(sql)), qPrintable(q.lastError().text()));
    }
    // A paid order of which A shipped its line (the old /ship), B not yet.
    const QString partly = Ids::newId();
    const QStringList partlyLines
            = addOldOrder(shop, partly, customer, QStringLiteral("paid"), {{pa, a, 2}, {pb, b, 1}});
    QCOMPARE(partlyLines.size(), 2);
    QVERIFY(execSql(db, QStringLiteral("UPDATE order_items SET shipped_at = 1000 WHERE id = ?"),
                    {partlyLines.at(0)}));
    // A delivered order with one of B's two units refunded through an approved request.
    const QString done = Ids::newId();
    const QStringList doneLines = addOldOrder(shop, done, customer, QStringLiteral("delivered"),
                                              {{pa, a, 1}, {pb, b, 2}});
    QVERIFY(execSql(db,
                    QStringLiteral("UPDATE order_items SET shipped_at = 1000, delivered_at = 2000 "
                                   "WHERE order_id = ?"),
                    {done}));
    QVERIFY(execSql(db,
                    QStringLiteral("UPDATE order_items SET refunded_quantity = 1, refunded_cents "
                                   "= 100 WHERE id = ?"),
                    {doneLines.at(1)}));
    const QString request = Ids::newId();
    QVERIFY(execSql(db,
                    QStringLiteral("INSERT INTO refund_requests (id, order_id, order_item_id, "
                                   "customer_id, seller_id, quantity, reason, status, "
                                   "amount_cents, coins_returned, restock, created_at, "
                                   "updated_at, decided_at) VALUES (?, ?, ?, ?, ?, 1, 'bent', "
                                   "'refunded', 100, 0, 0, 3000, 3000, 3000)"),
                    {request, done, doneLines.at(1), customer, b}));
    QVERIFY(execSql(db,
                    QStringLiteral("INSERT INTO payment_refunds (id, order_id, "
                                   "refund_request_id, provider, amount_cents, state, attempts, "
                                   "created_at, updated_at) VALUES (?, ?, ?, 'manual', 100, "
                                   "'succeeded', 1, 3000, 3000)"),
                    {Ids::newId(), done, request}));
    const QString tokenC = shop.tokens().issueAccess(customer, QStringLiteral("customer")).token;
    const QString tokenA = shop.tokens().issueAccess(a, QStringLiteral("seller")).token;
    const QString tokenB = shop.tokens().issueAccess(b, QStringLiteral("seller")).token;
    store.shop.reset();

    // A server of this build migrates it.
    ServerProcess server(store.childEnv(1));
    QVERIFY2(server.start(), qPrintable(server.log()));
    Client c(server.port());
    c.setToken(tokenC);
    Client sa(server.port());
    sa.setToken(tokenA);
    Client sb(server.port());
    sb.setToken(tokenB);
    QJsonObject view = c.get(QStringLiteral("/api/v1/orders/") + partly).json();
    QCOMPARE(view.value(QStringLiteral("status")).toString(), QStringLiteral("partially_shipped"));
    QCOMPARE(view.value(QStringLiteral("shipments")).toArray().size(), 1);
    QCOMPARE(Store::line(view, pa).value(QStringLiteral("shippedQuantity")).toInt(), 2);
    QCOMPARE(Store::line(view, pb).value(QStringLiteral("shippedQuantity")).toInt(), 0);
    // A has nothing left to ship; B ships its line and the order is shipped.
    QCOMPARE(sa.post(QStringLiteral("/api/v1/seller/orders/") + partly + QStringLiteral("/ship"))
                     .status,
             409);
    QCOMPARE(sb.post(QStringLiteral("/api/v1/seller/orders/") + partly + QStringLiteral("/ship"))
                     .status,
             200);
    QCOMPARE(c.get(QStringLiteral("/api/v1/orders/") + partly)
                     .json()
                     .value(QStringLiteral("status"))
                     .toString(),
             QStringLiteral("shipped"));

    view = c.get(QStringLiteral("/api/v1/orders/") + done).json();
    QCOMPARE(view.value(QStringLiteral("status")).toString(), QStringLiteral("delivered"));
    const QJsonArray shipments = view.value(QStringLiteral("shipments")).toArray();
    QCOMPARE(shipments.size(), 2); // one per seller
    for (const QJsonValue &v : shipments)
        QVERIFY(!v.toObject().value(QStringLiteral("deliveredAt")).isNull());
    QCOMPARE(Store::line(view, pb).value(QStringLiteral("shippedQuantity")).toInt(), 1);
    const QJsonArray refunds = view.value(QStringLiteral("refunds")).toArray();
    QCOMPARE(refunds.size(), 1);
    QCOMPARE(refunds.at(0).toObject().value(QStringLiteral("refundRequestId")).toString(), request);
    QCOMPARE(refunds.at(0).toObject().value(QStringLiteral("amountCents")).toInteger(), 100);
    QCOMPARE(refunds.at(0).toObject().value(QStringLiteral("status")).toString(),
             QStringLiteral("succeeded"));
    // B refunds its other unit: the line's refunds add up to what it cost.
    auto r = sb.post(QStringLiteral("/api/v1/seller/orders/") + done + QStringLiteral("/refunds"),
                     QJsonObject{{QStringLiteral("items"), items({{doneLines.at(1), 1}})},
                                 {QStringLiteral("reason"), QStringLiteral("also bent")}});
    QCOMPARE(r.status, 201);
    QCOMPARE(r.json().value(QStringLiteral("amountCents")).toInteger(), 100);
    MERCATO_VERIFY_CLEAN_EXIT(server);
}

void TestFulfilment::concurrentShipmentsAndRefundsNeverOverrun()
{
    // Shipments and refunds of one line race: no unit ships twice or ships once refunded, no
    // unit is refunded twice, and the refunds never exceed what the line was paid.
    Store s;
    QVERIFY(s.start(1000));
    const QJsonObject o = s.order(6, 1, 1000);
    const QString id = o.value(QStringLiteral("id")).toString();
    const QString lineA = s.lineId(o, s.productA);
    constexpr int kEach = 8;
    std::atomic<int> shipped{0};
    std::atomic<int> refunded{0};
    std::atomic<int> refused{0};
    std::atomic<int> unexpected{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 2 * kEach; ++i) {
        threads.emplace_back([&, i] {
            QJsonObject body = tracked();
            body.insert(QStringLiteral("items"), items({{lineA, 1}}));
            const auto r
                    = i % 2 == 0 ? s.ship(s.sa, id, body) : s.refund(s.sa, id, {{lineA, 1}}, false);
            if (r.status == 201)
                ++(i % 2 == 0 ? shipped : refunded);
            else if (r.status == 409)
                ++refused;
            else
                ++unexpected;
        });
    }
    for (auto &t : threads)
        t.join();
    QCOMPARE(unexpected.load(), 0);
    QCOMPARE(shipped.load() + refunded.load() + refused.load(), 2 * kEach);
    QVERIFY(refunded.load() <= 6);
    QCOMPARE(scalar(s.shop(),
                    QStringLiteral("SELECT shipped_quantity FROM order_items WHERE id = ?"),
                    {lineA}),
             shipped.load());
    QCOMPARE(scalar(s.shop(),
                    QStringLiteral("SELECT refunded_quantity FROM order_items WHERE id = ?"),
                    {lineA}),
             refunded.load());
    QCOMPARE(scalar(s.shop(),
                    QStringLiteral("SELECT COALESCE(SUM(quantity), 0) FROM shipment_items WHERE "
                                   "order_item_id = ?"),
                    {lineA}),
             shipped.load());
    const qint64 paid = scalar(s.shop(),
                               QStringLiteral("SELECT line_total_cents - discount_share_cents "
                                              "FROM order_items WHERE id = ?"),
                               {lineA});
    const qint64 back = scalar(s.shop(),
                               QStringLiteral("SELECT COALESCE(SUM(amount_cents), 0) FROM "
                                              "refund_items WHERE order_item_id = ?"),
                               {lineA});
    QVERIFY(back <= paid);
    if (refunded.load() == 6)
        QCOMPARE(back, paid);
}

// A seller's opt-in mails: off by default; GET and PATCH /me show and change them (booleans,
// sellers only); when on, one mail through the outbox for each paid order holding the seller's
// lines (the number, those lines and their total, nothing of another seller's) and one for each
// low-stock crossing; none when off.
void TestFulfilment::sellerOptInMails()
{
    Store s;
    QVERIFY(s.start());
    const QString tin = insertProduct(s.shop(), s.a, 250, 5, QStringLiteral("Green tea tin"), 3);
    QVERIFY(!tin.isEmpty());
    const QString emailA = s.a + QStringLiteral("@example.test");
    const QString emailB = s.b + QStringLiteral("@example.test");

    QJsonObject me = s.sa.get(QStringLiteral("/api/v1/me")).json();
    QCOMPARE(me.value(QStringLiteral("mailOnSale")), QJsonValue(false));
    QCOMPARE(me.value(QStringLiteral("mailOnLowStock")), QJsonValue(false));
    QVERIFY(!s.c.get(QStringLiteral("/api/v1/me")).json().contains(QStringLiteral("mailOnSale")));

    // Only booleans, only sellers; a refused change changes nothing.
    auto r = s.sa.patch(QStringLiteral("/api/v1/me"),
                        QJsonObject{{QStringLiteral("mailOnSale"), QStringLiteral("yes")},
                                    {QStringLiteral("displayName"), QStringLiteral("Changed")}});
    QCOMPARE(r.status, 422);
    QCOMPARE(errorFields(r), QStringList{QStringLiteral("mailOnSale")});
    r = s.c.patch(QStringLiteral("/api/v1/me"),
                  QJsonObject{{QStringLiteral("mailOnLowStock"), true}});
    QCOMPARE(r.status, 422);
    QCOMPARE(errorFields(r), QStringList{QStringLiteral("mailOnLowStock")});
    me = s.sa.get(QStringLiteral("/api/v1/me")).json();
    QCOMPARE(me.value(QStringLiteral("mailOnSale")), QJsonValue(false));
    QVERIFY(me.value(QStringLiteral("displayName")).toString() != QLatin1String("Changed"));

    // A turns both on; B only the sale mail... of which it gets none for an order without its
    // lines.
    r = s.sa.patch(QStringLiteral("/api/v1/me"),
                   QJsonObject{{QStringLiteral("mailOnSale"), true},
                               {QStringLiteral("mailOnLowStock"), true}});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("mailOnSale")), QJsonValue(true));
    QCOMPARE(r.json().value(QStringLiteral("mailOnLowStock")), QJsonValue(true));
    me = s.sa.get(QStringLiteral("/api/v1/me")).json();
    QCOMPARE(me.value(QStringLiteral("mailOnSale")), QJsonValue(true));
    QCOMPARE(me.value(QStringLiteral("mailOnLowStock")), QJsonValue(true));
    QCOMPARE(s.sb.patch(QStringLiteral("/api/v1/me"),
                        QJsonObject{{QStringLiteral("mailOnSale"), false}})
                     .status,
             200);

    const auto mails = [&](const QByteArray &text) {
        QList<QByteArray> out;
        const QDir outbox(s.server.dataDir() + QStringLiteral("/outbox"));
        for (const QString &name : outbox.entryList({QStringLiteral("*.eml")}, QDir::Files)) {
            QFile f(outbox.filePath(name));
            if (f.open(QIODevice::ReadOnly)) {
                const QByteArray mail = f.readAll();
                if (mail.contains(text))
                    out.append(mail);
            }
        }
        return out;
    };
    // 2 tins and 1 of A's other product, 1 of B's: the tin falls from 5 to 3, its threshold.
    s.c.put(QStringLiteral("/api/v1/cart/items/") + tin,
            QJsonObject{{QStringLiteral("quantity"), 2}});
    const QJsonObject o = s.order(1, 1);
    QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("paid"));
    const qint64 number = o.value(QStringLiteral("number")).toInteger();
    QVERIFY(number >= 1001);
    const QByteArray saleSubject = "Sale: order #" + QByteArray::number(number) + " was paid";
    QTRY_COMPARE_WITH_TIMEOUT(mails(saleSubject).size(), 1, 15000);
    const QByteArray sale = mails(saleSubject).first();
    QVERIFY2(sale.contains(QByteArray("To: " + emailA.toUtf8())), sale.constData());
    QVERIFY2(sale.contains("2 x Green tea tin: 5.00 USD"), sale.constData());
    QVERIFY2(sale.contains("1 x Item "), sale.constData());
    QVERIFY2(sale.contains("Total for your lines: 8.33 USD"), sale.constData()); // 500 + 333
    QTRY_COMPARE_WITH_TIMEOUT(mails("Low stock: Green tea tin").size(), 1, 15000);
    const QByteArray low = mails("Low stock: Green tea tin").first();
    QVERIFY2(low.contains(QByteArray("To: " + emailA.toUtf8())), low.constData());
    QVERIFY2(low.contains("Stock: 3"), low.constData());
    QVERIFY2(low.contains("Low-stock threshold: 3"), low.constData());
    QCOMPARE(notificationCount(s.shop(), s.a, QStringLiteral("stock.low")), 1);
    // B's line is not in A's mail, and B (opted out) got none.
    const QString nameB = scalarText(
            s.shop(), QStringLiteral("SELECT name FROM products WHERE id = ?"), {s.productB});
    QVERIFY(!sale.contains(nameB.toUtf8()));
    QVERIFY(mails(QByteArray("To: " + emailB.toUtf8())).isEmpty());

    // Once per event: an order of B's only mails A nothing; the tin falling further (no new
    // crossing) neither. A's next paid order is mailed once more.
    QVERIFY(!s.order(0, 1).isEmpty());
    s.c.put(QStringLiteral("/api/v1/cart/items/") + tin,
            QJsonObject{{QStringLiteral("quantity"), 1}});
    const QJsonObject second = s.order(0, 0);
    QCOMPARE(second.value(QStringLiteral("status")).toString(), QStringLiteral("paid"));
    QTRY_COMPARE_WITH_TIMEOUT(mails("Sale: order #").size(), 2, 15000);
    QVERIFY(s.shop().mail().waitUntilIdle(10000));
    QCOMPARE(mails("Sale: order #").size(), 2);
    QCOMPARE(mails("Low stock: ").size(), 1);

    // Turned off: no mail for the next sale.
    QCOMPARE(s.sa.patch(QStringLiteral("/api/v1/me"),
                        QJsonObject{{QStringLiteral("mailOnSale"), false}})
                     .json()
                     .value(QStringLiteral("mailOnSale")),
             QJsonValue(false));
    QVERIFY(!s.order(1, 0).isEmpty());
    QTest::qWait(1500); // the queue looks every second
    QVERIFY(s.shop().mail().waitUntilIdle(10000));
    QCOMPARE(mails("Sale: order #").size(), 2);
}

void TestFulfilment::pendingSellerTellsTheOwner()
{
    TestServer::Options options;
    options.settings.sellerApproval = true; // MERCATO_SELLER_APPROVAL=on, the default
    TestServer server(options);
    QVERIFY(server.start());
    Shop &shop = server.shop();
    const QString a = insertUser(shop, QStringLiteral("seller")); // the owner, as the oldest
    const QString b = insertUser(shop, QStringLiteral("seller"));
    const Client sa = clientFor(server, a, QStringLiteral("seller"));
    const Client anonymous = server.client();
    const auto registerAs = [&](const QString &email, const QString &role) {
        return anonymous.post(
                QStringLiteral("/api/v1/auth/register"),
                QJsonObject{{QStringLiteral("email"), email},
                            {QStringLiteral("password"), QStringLiteral("correct horse battery")},
                            {QStringLiteral("displayName"), QStringLiteral("Pat")},
                            {QStringLiteral("role"), role}});
    };
    // A customer is nobody's business: nothing for the owner.
    QCOMPARE(registerAs(QStringLiteral("buyer@example.test"), QStringLiteral("customer")).status,
             201);
    QCOMPARE(notificationCount(shop, a, QStringLiteral("seller.pending")), 0);
    // A seller waits for approval: the owner (A), and only the owner, is told and mailed.
    const HttpResult r
            = registerAs(QStringLiteral("pat.pots@example.test"), QStringLiteral("seller"));
    QCOMPARE(r.status, 201);
    const QJsonObject user = r.json().value(QStringLiteral("user")).toObject();
    QCOMPARE(user.value(QStringLiteral("status")).toString(), QStringLiteral("pending"));
    const QString sellerId = user.value(QStringLiteral("id")).toString();
    QCOMPARE(notificationCount(shop, a, QStringLiteral("seller.pending")), 1);
    QCOMPARE(notificationCount(shop, b, QStringLiteral("seller.pending")), 0);
    const QJsonArray notes = sa.get(QStringLiteral("/api/v1/notifications"))
                                     .json()
                                     .value(QStringLiteral("items"))
                                     .toArray();
    bool found = false;
    for (const QJsonValue &n : notes) {
        const QJsonObject note = n.toObject();
        if (note.value(QStringLiteral("kind")).toString() != QLatin1String("seller.pending"))
            continue;
        found = true;
        QCOMPARE(note.value(QStringLiteral("data")).toObject().value(QStringLiteral("sellerId")),
                 QJsonValue(sellerId));
        QVERIFY(note.value(QStringLiteral("body"))
                        .toString()
                        .contains(QStringLiteral("pat.pots@example.test")));
    }
    QVERIFY(found);
    const QString to = a + QStringLiteral("@example.test");
    const QString subject = QStringLiteral("A new seller waits for your approval");
    QTRY_VERIFY_WITH_TIMEOUT(!mailWithSubject(server, to, subject).isEmpty(), 15000);
    const QByteArray mail = mailWithSubject(server, to, subject);
    QVERIFY2(mail.contains("Pat (pat.pots@example.test) registered as a seller and waits for your "
                           "approval"),
             mail.constData());
    QVERIFY(mail.contains(QByteArray(sellerId.toUtf8() + "/approve")));
    QVERIFY(mailWithSubject(server, b + QStringLiteral("@example.test"), subject).isEmpty());
}

QTEST_GUILESS_MAIN(TestFulfilment)
#include "tst_fulfilment.moc"
