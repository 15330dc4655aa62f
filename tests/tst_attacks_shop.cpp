// Attacks on the shop's rules, each against a real mercato-server where it goes over HTTP: a
// seller paying someone else's order, stock hoarding with unpaid orders, "verified purchase"
// after a refund, complaint and upload floods, formulas in CSV exports, GPS positions in
// uploaded photos. Each test fails on a server without the rule it checks.

#include "support/testsupport.h"

#include "app/config.h"
#include "model/csvexport.h"
#include "model/ids.h"
#include "model/storeowner.h"

#include <QBuffer>
#include <QImage>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTest>
#include <QUrl>

#include <atomic>
#include <thread>
#include <vector>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

const QString kPassword = QStringLiteral("correct horse battery staple");

struct Member
{
    QString id;
    Client client{0};
};

QJsonObject registration(const QString &role, const QString &name)
{
    return {{QStringLiteral("email"),
             QStringLiteral("%1-%2@example.test").arg(role, Ids::newId().left(10))},
            {QStringLiteral("password"), kPassword},
            {QStringLiteral("displayName"), name},
            {QStringLiteral("role"), role}};
}

Member join(quint16 port, const QString &role, const QString &name)
{
    Member m;
    m.client = Client(port);
    const HttpResult r
            = m.client.post(QStringLiteral("/api/v1/auth/register"), registration(role, name));
    if (r.status != 201)
        qFatal("registration failed: %d %s", r.status, r.body.constData());
    m.id = r.json().value(QStringLiteral("user")).toObject().value(QStringLiteral("id")).toString();
    m.client.setToken(r.json().value(QStringLiteral("accessToken")).toString());
    return m;
}

QString createProduct(const Client &seller, int stock, const QString &name = {})
{
    const HttpResult r = seller.post(
            QStringLiteral("/api/v1/products"),
            {{QStringLiteral("name"),
              name.isEmpty() ? QString(QStringLiteral("Teapot ") + Ids::newId().left(6)) : name},
             {QStringLiteral("description"), QStringLiteral("Blue glaze")},
             {QStringLiteral("priceCents"), 1500},
             {QStringLiteral("stock"), stock},
             {QStringLiteral("lowStockThreshold"), 0}});
    return r.status == 201 ? r.json().value(QStringLiteral("id")).toString() : QString();
}

QJsonObject order(const Client &customer, const QList<QPair<QString, int>> &lines)
{
    for (const auto &[product, quantity] : lines)
        customer.put(QStringLiteral("/api/v1/cart/items/") + product,
                     {{QStringLiteral("quantity"), quantity}});
    const HttpResult r
            = customer.post(QStringLiteral("/api/v1/orders"), {{QStringLiteral("coinsToUse"), 0}});
    return r.status == 201 ? r.json() : QJsonObject();
}

QString move(const QString &orderId, const char *action)
{
    return QStringLiteral("/api/v1/seller/orders/%1/%2").arg(orderId, QLatin1String(action));
}

QString statusOf(const Client &customer, const QString &orderId)
{
    return customer.get(QStringLiteral("/api/v1/orders/") + orderId)
            .json()
            .value(QStringLiteral("status"))
            .toString();
}

qint64 stockOf(quint16 port, const QString &productId)
{
    return Client(port)
            .get(QStringLiteral("/api/v1/products/") + productId)
            .json()
            .value(QStringLiteral("stock"))
            .toInteger(-1);
}

int notificationsOf(const Client &user, const QString &kind)
{
    int n = 0;
    const QJsonArray items = user.get(QStringLiteral("/api/v1/notifications?limit=100"))
                                     .json()
                                     .value(QStringLiteral("items"))
                                     .toArray();
    for (const QJsonValue &v : items)
        n += v[QStringLiteral("kind")].toString() == kind ? 1 : 0;
    return n;
}

QProcessEnvironment env(std::initializer_list<std::pair<const char *, const char *>> values)
{
    QProcessEnvironment e;
    for (const auto &[k, v] : values)
        e.insert(QLatin1String(k), QLatin1String(v));
    return e;
}

// A JPEG with an Exif block (APP1) holding a GPS IFD with a latitude, as phones write them.
QByteArray jpegWithGps()
{
    QByteArray tiff("MM\x00\x2a\x00\x00\x00\x08", 8);
    // IFD0: one entry, GPSInfo (0x8825, LONG) pointing at the GPS IFD at offset 26.
    tiff += QByteArray("\x00\x01"
                       "\x88\x25"
                       "\x00\x04"
                       "\x00\x00\x00\x01"
                       "\x00\x00\x00\x1a"
                       "\x00\x00\x00\x00",
                       18);
    // GPS IFD: GPSLatitudeRef "N", GPSLatitude 48/1 51/1 24/1 (at offset 56).
    tiff += QByteArray("\x00\x02"
                       "\x00\x01"
                       "\x00\x02"
                       "\x00\x00\x00\x02"
                       "N\x00\x00\x00"
                       "\x00\x02"
                       "\x00\x05"
                       "\x00\x00\x00\x03"
                       "\x00\x00\x00\x38"
                       "\x00\x00\x00\x00",
                       30);
    for (quint32 v : {48u, 1u, 51u, 1u, 24u, 1u})
        tiff += QByteArray(1, char(v >> 24)) + char((v >> 16) & 0xff) + char((v >> 8) & 0xff)
                + char(v & 0xff);
    const QByteArray exif = QByteArray("Exif\x00\x00", 6) + tiff;
    const int length = int(exif.size()) + 2;
    const QByteArray app1
            = QByteArray("\xff\xe1", 2) + char(length >> 8) + char(length & 0xff) + exif;
    const QByteArray plain = SampleImages::jpeg();
    return plain.left(2) + app1 + plain.mid(2);
}

// A PNG of random pixels (does not compress): about `side` × `side` × 3 bytes.
QByteArray noisyPng(int side)
{
    QImage image(side, side, QImage::Format_RGB888);
    auto *rng = QRandomGenerator::global();
    for (int y = 0; y < side; ++y) {
        uchar *line = image.scanLine(y);
        for (int x = 0; x < side * 3; ++x)
            line[x] = uchar(rng->bounded(256));
    }
    QByteArray out;
    QBuffer buffer(&out);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    return out;
}

quint32 crc32(const QByteArray &data)
{
    quint32 crc = 0xffffffffu;
    for (char ch : data) {
        crc ^= quint8(ch);
        for (int k = 0; k < 8; ++k)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

// A PNG chunk with its CRC.
QByteArray pngChunk(const QByteArray &type, const QByteArray &data)
{
    auto be = [](quint32 n) {
        QByteArray b(4, '\0');
        for (int i = 0; i < 4; ++i)
            b[i] = char((n >> (24 - 8 * i)) & 0xff);
        return b;
    };
    return be(quint32(data.size())) + type + data + be(crc32(type + data));
}

QByteArray served(quint16 port, const QString &url)
{
    const HttpResult r = httpRequest(port, "GET", QUrl(url).path().toUtf8());
    return r.status == 200 ? r.body : QByteArray();
}

} // namespace

class TestAttacksShop : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void finding03_sellerCannotMarkOthersPaid();
    void finding03_sellerApprovalAndOwner();
    void finding08_unpaidOrdersCapped();
    void finding08_heldUnitsPerProductCapped();
    void finding15_verifiedPurchaseNeedsUnrefundedUnit();
    void finding09_complaintsAndEvidenceBounded();
    void finding09_diskFloorRefusesUploads();
    void finding12_csvCellsNeutralised();
    void finding11_uploadsLoseExif();
};

// A customer with a second, seller account and one line in an order tries to mark the whole
// order paid, and to ship and deliver the other seller's lines.
void TestAttacksShop::finding03_sellerCannotMarkOthersPaid()
{
    ServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.log()));
    const quint16 port = server.port();
    Member owner = join(port, QStringLiteral("seller"), QStringLiteral("Owner"));
    Member mule = join(port, QStringLiteral("seller"), QStringLiteral("Mule"));
    Member customer = join(port, QStringLiteral("customer"), QStringLiteral("Buyer"));
    const QString teapots = createProduct(owner.client, 48);
    const QString cheap = createProduct(mule.client, 5);
    QVERIFY(!teapots.isEmpty() && !cheap.isEmpty());

    const QJsonObject placed = order(customer.client, {{teapots, 48}, {cheap, 1}});
    const QString id = placed.value(QStringLiteral("id")).toString();
    QVERIFY(!id.isEmpty());
    const qint64 stockBefore = stockOf(port, teapots);

    // The attack: refused, and nothing moved.
    HttpResult r = mule.client.post(move(id, "mark-paid"));
    QCOMPARE(r.status, 403);
    QVERIFY(r.isProblem());
    const QJsonObject after = customer.client.get(QStringLiteral("/api/v1/orders/") + id).json();
    QCOMPARE(after.value(QStringLiteral("status")).toString(), QStringLiteral("pending_payment"));
    QCOMPARE(after.value(QStringLiteral("payment")).toObject().value(QStringLiteral("state")),
             placed.value(QStringLiteral("payment")).toObject().value(QStringLiteral("state")));
    QCOMPARE(stockOf(port, teapots), stockBefore);
    QCOMPARE(notificationsOf(owner.client, QStringLiteral("order.paid")), 0);
    // Not paid: no (verified) review either.
    r = customer.client.post(
            QStringLiteral("/api/v1/products/%1/reviews").arg(teapots),
            {{QStringLiteral("rating"), 5}, {QStringLiteral("comment"), QStringLiteral("Great")}});
    QCOMPARE(r.status, 403);

    // The first seller owns the store; GET /me says who.
    QCOMPARE(owner.client.get(QStringLiteral("/api/v1/me")).json().value(QStringLiteral("owner")),
             QJsonValue(true));
    QCOMPARE(mule.client.get(QStringLiteral("/api/v1/me")).json().value(QStringLiteral("owner")),
             QJsonValue(false));
    QVERIFY(!customer.client.get(QStringLiteral("/api/v1/me"))
                     .json()
                     .contains(QStringLiteral("owner")));

    // The owner may mark it paid; then each seller ships and delivers its own lines only.
    QCOMPARE(owner.client.post(move(id, "mark-paid")).status, 200);
    r = mule.client.post(move(id, "ship"));
    QCOMPARE(r.status, 200);
    // The teapots wait: the order is only partly shipped.
    QCOMPARE(statusOf(customer.client, id), QStringLiteral("partially_shipped"));
    QCOMPARE(mule.client.post(move(id, "ship")).status, 409); // nothing left of its own
    QCOMPARE(mule.client.post(move(id, "deliver")).status, 200);
    QCOMPARE(statusOf(customer.client, id), QStringLiteral("partially_shipped"));
    QCOMPARE(owner.client.post(move(id, "deliver")).status, 409); // its lines are not shipped
    QCOMPARE(owner.client.post(move(id, "ship")).status, 200);
    QCOMPARE(statusOf(customer.client, id), QStringLiteral("shipped"));
    QCOMPARE(owner.client.post(move(id, "deliver")).status, 200);
    QCOMPARE(statusOf(customer.client, id), QStringLiteral("delivered"));
    QCOMPARE(notificationsOf(customer.client, QStringLiteral("order.shipped")), 2);
    QCOMPARE(notificationsOf(customer.client, QStringLiteral("order.delivered")), 1);

    // A seller holding every line of an order may mark it paid; a stranger still gets 404.
    const QString own = order(customer.client, {{cheap, 1}}).value(QStringLiteral("id")).toString();
    Member stranger = join(port, QStringLiteral("seller"), QStringLiteral("Stranger"));
    QCOMPARE(stranger.client.post(move(own, "mark-paid")).status, 404);
    QCOMPARE(mule.client.post(move(own, "mark-paid")).status, 200);
    MERCATO_VERIFY_CLEAN_EXIT(server);
}

// Approval is on by default; with it, a store without an owner takes no seller from the API,
// and a seller registered once there is an owner waits for the owner's approval.
void TestAttacksShop::finding03_sellerApprovalAndOwner()
{
    const ConfigOutcome defaults = loadConfig({QStringLiteral("mercato-server")}, {}, true);
    QVERIFY(defaults.config);
    QVERIFY(defaults.config->store.sellerApproval);

    {
        ServerProcess server(env({{"MERCATO_SELLER_APPROVAL", "on"}}));
        QVERIFY2(server.start(), qPrintable(server.log()));
        Client anyone(server.port());
        // Refused before the body is checked: no password at all.
        HttpResult r = anyone.post(QStringLiteral("/api/v1/auth/register"),
                                   {{QStringLiteral("role"), QStringLiteral("seller")},
                                    {QStringLiteral("email"), QStringLiteral("x@example.test")}});
        QCOMPARE(r.status, 403);
        QVERIFY(r.isProblem());
        QVERIFY2(r.json().value(QStringLiteral("detail"))
                         .toString()
                         .contains(QLatin1String("owner")),
                 r.body.constData());
        r = anyone.post(QStringLiteral("/api/v1/auth/register"),
                        registration(QStringLiteral("seller"), QStringLiteral("Squatter")));
        QCOMPARE(r.status, 403);
        r = anyone.post(QStringLiteral("/api/v1/auth/register"),
                        registration(QStringLiteral("customer"), QStringLiteral("Buyer")));
        QCOMPARE(r.status, 201);
        MERCATO_VERIFY_CLEAN_EXIT(server);
    }

    TestServer::Options options;
    options.settings.sellerApproval = true;
    TestServer server(options);
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    auto made = server.shop().accounts().registerAccount({QStringLiteral("boss@example.test"),
                                                          kPassword, QStringLiteral("Boss"),
                                                          QStringLiteral("seller")});
    QVERIFY(made);
    QCOMPARE(made->user.status, QStringLiteral("pending"));
    QVERIFY(StoreOwner::setOwner(server.shop().database(), made->user.id));
    Client boss = server.client();
    boss.setToken(made->accessToken);
    QCOMPARE(boss.get(QStringLiteral("/api/v1/me")).json().value(QStringLiteral("owner")),
             QJsonValue(true));
    QCOMPARE(boss.get(QStringLiteral("/api/v1/seller/orders")).status, 200);
    HttpResult r
            = server.client().post(QStringLiteral("/api/v1/auth/register"),
                                   registration(QStringLiteral("seller"), QStringLiteral("New")));
    QCOMPARE(r.status, 201);
    const QJsonObject user = r.json().value(QStringLiteral("user")).toObject();
    QCOMPARE(user.value(QStringLiteral("status")).toString(), QStringLiteral("pending"));
    Client newcomer = server.client();
    newcomer.setToken(r.json().value(QStringLiteral("accessToken")).toString());
    QCOMPARE(newcomer.get(QStringLiteral("/api/v1/seller/orders")).status, 403);
    QCOMPARE(newcomer.get(QStringLiteral("/api/v1/me")).json().value(QStringLiteral("owner")),
             QJsonValue(false));
    // The owner finds it waiting and approves it; nobody else may.
    const QString newcomerId = user.value(QStringLiteral("id")).toString();
    QCOMPARE(newcomer.get(QStringLiteral("/api/v1/owner/sellers")).status, 403);
    QCOMPARE(newcomer.post(QStringLiteral("/api/v1/owner/sellers/%1/approve").arg(newcomerId))
                     .status,
             403);
    HttpResult waiting = boss.get(QStringLiteral("/api/v1/owner/sellers?status=pending"));
    QCOMPARE(waiting.status, 200);
    const QJsonArray pending = waiting.json().value(QStringLiteral("items")).toArray();
    QCOMPARE(pending.size(), 1);
    QCOMPARE(pending.at(0).toObject().value(QStringLiteral("id")).toString(), newcomerId);
    QCOMPARE(pending.at(0).toObject().value(QStringLiteral("owner")), QJsonValue(false));
    QCOMPARE(boss.get(QStringLiteral("/api/v1/owner/sellers?status=maybe")).status, 400);
    HttpResult approved
            = boss.post(QStringLiteral("/api/v1/owner/sellers/%1/approve").arg(newcomerId));
    QCOMPARE(approved.status, 200);
    QCOMPARE(approved.json().value(QStringLiteral("status")).toString(), QStringLiteral("active"));
    QCOMPARE(boss.post(QStringLiteral("/api/v1/owner/sellers/%1/approve").arg(newcomerId)).status,
             409);
    QCOMPARE(
            boss.post(QStringLiteral("/api/v1/owner/sellers/%1/approve").arg(made->user.id)).status,
            409);
    QCOMPARE(newcomer.get(QStringLiteral("/api/v1/seller/orders")).status, 200);
    const QJsonArray all = boss.get(QStringLiteral("/api/v1/owner/sellers"))
                                   .json()
                                   .value(QStringLiteral("items"))
                                   .toArray();
    QCOMPARE(all.size(), 2);
    QCOMPARE(all.at(0).toObject().value(QStringLiteral("owner")), QJsonValue(true));
}

// One customer places orders from several connections at once: at most three stay unpaid.
void TestAttacksShop::finding08_unpaidOrdersCapped()
{
    const ConfigOutcome defaults = loadConfig({QStringLiteral("mercato-server")}, {}, true);
    QVERIFY(defaults.config);
    QCOMPARE(defaults.config->store.maxUnpaidOrders, 3);

    ServerProcess server(env({{"MERCATO_MAX_UNPAID_ORDERS", "3"}}));
    QVERIFY2(server.start(), qPrintable(server.log()));
    const quint16 port = server.port();
    Member seller = join(port, QStringLiteral("seller"), QStringLiteral("Seller"));
    Member hoarder = join(port, QStringLiteral("customer"), QStringLiteral("Hoarder"));
    const QString product = createProduct(seller.client, 1000);
    QVERIFY(!product.isEmpty());

    std::atomic<int> created{0}, refused{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&, client = hoarder.client] {
            for (int i = 0; i < 5; ++i) {
                client.put(QStringLiteral("/api/v1/cart/items/") + product,
                           {{QStringLiteral("quantity"), 10}});
                const HttpResult r = client.post(QStringLiteral("/api/v1/orders"),
                                                 {{QStringLiteral("coinsToUse"), 0}});
                (r.status == 201 ? created : r.status == 409 ? refused : other)++;
            }
        });
    }
    for (std::thread &t : threads)
        t.join();
    qInfo("30 concurrent checkouts of one customer: %d created, %d refused (409), %d other",
          created.load(), refused.load(), other.load());
    QCOMPARE(other.load(), 0);
    QCOMPARE(created.load(), 3);
    QCOMPARE(stockOf(port, product), qint64(1000 - 30));
    const QJsonArray orders = hoarder.client.get(QStringLiteral("/api/v1/orders?limit=100"))
                                      .json()
                                      .value(QStringLiteral("items"))
                                      .toArray();
    QCOMPARE(orders.size(), 3);

    // The refusal says why; paying or cancelling one frees a place.
    hoarder.client.put(QStringLiteral("/api/v1/cart/items/") + product,
                       {{QStringLiteral("quantity"), 1}});
    HttpResult r = hoarder.client.post(QStringLiteral("/api/v1/orders"));
    QCOMPARE(r.status, 409);
    QVERIFY(r.isProblem());
    QVERIFY(r.json().value(QStringLiteral("detail")).toString().contains(QLatin1String("await")));
    const QString first = orders.at(0)[QStringLiteral("id")].toString();
    QCOMPARE(hoarder.client.post(QStringLiteral("/api/v1/orders/%1/cancel").arg(first)).status,
             200);
    QCOMPARE(hoarder.client.post(QStringLiteral("/api/v1/orders")).status, 201);
    MERCATO_VERIFY_CLEAN_EXIT(server);
}

// Within the unpaid-order cap, one customer still cannot hold more than MERCATO_MAX_HELD_UNITS
// units of one product waiting for payment, whether asked one after another or all at once.
void TestAttacksShop::finding08_heldUnitsPerProductCapped()
{
    const ConfigOutcome defaults = loadConfig({QStringLiteral("mercato-server")}, {}, true);
    QVERIFY(defaults.config);
    QCOMPARE(defaults.config->store.maxHeldUnits, 99);

    ServerProcess server(
            env({{"MERCATO_MAX_UNPAID_ORDERS", "3"}, {"MERCATO_MAX_HELD_UNITS", "99"}}));
    QVERIFY2(server.start(), qPrintable(server.log()));
    const quint16 port = server.port();
    Member seller = join(port, QStringLiteral("seller"), QStringLiteral("Seller"));
    Member hoarder = join(port, QStringLiteral("customer"), QStringLiteral("Hoarder"));
    const QString teapots = createProduct(seller.client, 1000);
    const QString cups = createProduct(seller.client, 1000);
    QVERIFY(!teapots.isEmpty() && !cups.isEmpty());

    const QJsonObject first = order(hoarder.client, {{teapots, 60}});
    QVERIFY(!first.isEmpty());
    // 60 held + 40 asked > 99: refused, naming the line; nothing changes, the cart stays.
    hoarder.client.put(QStringLiteral("/api/v1/cart/items/") + teapots,
                       {{QStringLiteral("quantity"), 40}});
    HttpResult r = hoarder.client.post(QStringLiteral("/api/v1/orders"));
    QCOMPARE(r.status, 409);
    QVERIFY(r.isProblem());
    QCOMPARE(r.json()[QStringLiteral("errors")][0][QStringLiteral("field")].toString(),
             QStringLiteral("items.") + teapots);
    QCOMPARE(stockOf(port, teapots), qint64(1000 - 60));
    const QJsonArray cart = hoarder.client.get(QStringLiteral("/api/v1/cart"))
                                    .json()
                                    .value(QStringLiteral("items"))
                                    .toArray();
    QCOMPARE(cart.size(), 1);
    QCOMPARE(cart.at(0)[QStringLiteral("quantity")].toInt(), 40);
    // Up to the cap is fine, and another product has its own count.
    hoarder.client.put(QStringLiteral("/api/v1/cart/items/") + teapots,
                       {{QStringLiteral("quantity"), 39}});
    QCOMPARE(hoarder.client.post(QStringLiteral("/api/v1/orders")).status, 201);
    QVERIFY(!order(hoarder.client, {{cups, 99}}).isEmpty());
    QCOMPARE(stockOf(port, teapots), qint64(1000 - 99));
    // A paid order holds nothing any more: its units no longer count.
    const QString firstId = first.value(QStringLiteral("id")).toString();
    QCOMPARE(seller.client.post(move(firstId, "mark-paid")).status, 200);
    QVERIFY(!order(hoarder.client, {{teapots, 60}}).isEmpty());

    // Thirty at once from six connections, 40 units each: only two orders fit under 99.
    Member racer = join(port, QStringLiteral("customer"), QStringLiteral("Racer"));
    const QString kettles = createProduct(seller.client, 1000);
    std::atomic<int> created{0}, refused{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&, client = racer.client] {
            for (int i = 0; i < 5; ++i) {
                client.put(QStringLiteral("/api/v1/cart/items/") + kettles,
                           {{QStringLiteral("quantity"), 40}});
                const HttpResult placed = client.post(QStringLiteral("/api/v1/orders"),
                                                      {{QStringLiteral("coinsToUse"), 0}});
                (placed.status == 201 ? created : placed.status == 409 ? refused : other)++;
            }
        });
    }
    for (std::thread &t : threads)
        t.join();
    qInfo("30 concurrent checkouts of 40 units: %d created, %d refused (409), %d other",
          created.load(), refused.load(), other.load());
    QCOMPARE(other.load(), 0);
    QCOMPARE(created.load(), 2);
    QCOMPARE(stockOf(port, kettles), qint64(1000 - 80));
    MERCATO_VERIFY_CLEAN_EXIT(server);
}

// A review is "verified" only while its author holds a paid unit that was not refunded.
void TestAttacksShop::finding15_verifiedPurchaseNeedsUnrefundedUnit()
{
    ServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.log()));
    const quint16 port = server.port();
    Member seller = join(port, QStringLiteral("seller"), QStringLiteral("Seller"));
    Member buyer = join(port, QStringLiteral("customer"), QStringLiteral("Buyer"));
    Member refunded = join(port, QStringLiteral("customer"), QStringLiteral("Refunded"));
    const QString product = createProduct(seller.client, 20);

    // Buys, pays, reviews (verified), then gets the one unit refunded.
    auto buyAndPay = [&](Member &who) {
        const QJsonObject o = order(who.client, {{product, 1}});
        const QString id = o.value(QStringLiteral("id")).toString();
        const QString item = o.value(QStringLiteral("items"))
                                     .toArray()
                                     .first()[QStringLiteral("id")]
                                     .toString();
        if (seller.client.post(move(id, "mark-paid")).status != 200)
            qFatal("mark-paid failed");
        return std::pair{id, item};
    };
    auto refund = [&](Member &who, const std::pair<QString, QString> &o) {
        const HttpResult asked
                = who.client.post(QStringLiteral("/api/v1/orders/%1/refund-requests").arg(o.first),
                                  {{QStringLiteral("orderItemId"), o.second},
                                   {QStringLiteral("quantity"), 1},
                                   {QStringLiteral("reason"), QStringLiteral("Cracked")}});
        QCOMPARE(asked.status, 201);
        const QString requestId = asked.json().value(QStringLiteral("id")).toString();
        QCOMPARE(seller.client
                         .post(QStringLiteral("/api/v1/seller/refund-requests/%1/approve")
                                       .arg(requestId),
                               {{QStringLiteral("note"), QStringLiteral("Sorry")}})
                         .status,
                 200);
    };
    const auto bought = buyAndPay(buyer);
    HttpResult r = buyer.client.post(
            QStringLiteral("/api/v1/products/%1/reviews").arg(product),
            {{QStringLiteral("rating"), 5}, {QStringLiteral("comment"), QStringLiteral("Lovely")}});
    QCOMPARE(r.status, 201);
    QCOMPARE(r.json().value(QStringLiteral("verifiedPurchase")).toBool(), true);
    const QString reviewId = r.json().value(QStringLiteral("id")).toString();
    refund(buyer, bought);
    r = Client(port).get(QStringLiteral("/api/v1/reviews/") + reviewId);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("verifiedPurchase")).toBool(), false);
    const QJsonArray listed
            = Client(port)
                      .get(QStringLiteral("/api/v1/products/%1/reviews").arg(product))
                      .json()
                      .value(QStringLiteral("items"))
                      .toArray();
    QCOMPARE(listed.size(), 1);
    QCOMPARE(listed.at(0)[QStringLiteral("verifiedPurchase")].toBool(), false);

    // Refunded before writing: no review at all.
    const auto second = buyAndPay(refunded);
    refund(refunded, second);
    r = refunded.client.post(QStringLiteral("/api/v1/products/%1/reviews").arg(product),
                             {{QStringLiteral("rating"), 1},
                              {QStringLiteral("comment"), QStringLiteral("Verified, trust me")}});
    QCOMPARE(r.status, 403);
    QVERIFY(r.isProblem());
    MERCATO_VERIFY_CLEAN_EXIT(server);
}

// Complaints only on paid orders, a few open per order, and a daily budget of evidence bytes.
void TestAttacksShop::finding09_complaintsAndEvidenceBounded()
{
    ServerProcess server(env({{"MERCATO_EVIDENCE_MIB_PER_DAY", "1"}}));
    QVERIFY2(server.start(), qPrintable(server.log()));
    const quint16 port = server.port();
    Member seller = join(port, QStringLiteral("seller"), QStringLiteral("Seller"));
    Member customer = join(port, QStringLiteral("customer"), QStringLiteral("Flooder"));
    const QString product = createProduct(seller.client, 20);
    auto complain = [&](const QString &orderId) {
        return customer.client.post(QStringLiteral("/api/v1/complaints"),
                                    {{QStringLiteral("orderId"), orderId},
                                     {QStringLiteral("subject"), QStringLiteral("Broken")},
                                     {QStringLiteral("message"), QStringLiteral("It broke")}});
    };

    // Unpaid, then cancelled: 422 naming the order.
    const QString unpaid
            = order(customer.client, {{product, 1}}).value(QStringLiteral("id")).toString();
    HttpResult r = complain(unpaid);
    QCOMPARE(r.status, 422);
    QVERIFY(r.isProblem());
    QVERIFY(r.body.contains("orderId"));
    QCOMPARE(customer.client.post(QStringLiteral("/api/v1/orders/%1/cancel").arg(unpaid)).status,
             200);
    QCOMPARE(complain(unpaid).status, 422);
    QCOMPARE(notificationsOf(seller.client, QStringLiteral("complaint.opened")), 0);

    // Paid: three open complaints, the fourth waits until one is resolved.
    const QString paid
            = order(customer.client, {{product, 1}}).value(QStringLiteral("id")).toString();
    QCOMPARE(seller.client.post(move(paid, "mark-paid")).status, 200);
    QStringList open;
    for (int i = 0; i < 3; ++i) {
        r = complain(paid);
        QCOMPARE(r.status, 201);
        open.append(r.json().value(QStringLiteral("id")).toString());
    }
    r = complain(paid);
    QCOMPARE(r.status, 409);
    QVERIFY(r.isProblem());
    QCOMPARE(seller.client
                     .post(QStringLiteral("/api/v1/seller/complaints/%1/resolve").arg(open.at(0)),
                           {{QStringLiteral("message"), QStringLiteral("Replaced")}})
                     .status,
             200);
    r = complain(paid);
    QCOMPARE(r.status, 201);
    const QString complaint = r.json().value(QStringLiteral("id")).toString();

    // Photos of about 0.4 MiB each against a budget of 1 MiB a day.
    const QByteArray photo = noisyPng(360);
    QVERIFY(photo.size() > 300 * 1024 && photo.size() < 512 * 1024);
    int stored = 0;
    for (int i = 0; i < 4; ++i) {
        r = customer.client.send("POST",
                                 QStringLiteral("/api/v1/complaints/%1/images").arg(complaint),
                                 photo, "image/png");
        if (r.status != 201)
            break;
        ++stored;
    }
    qInfo("evidence photos of %lld bytes stored within a 1 MiB daily budget: %d",
          qint64(photo.size()), stored);
    QCOMPARE(stored, 2);
    QCOMPARE(r.status, 429);
    QVERIFY(r.isProblem());
    QVERIFY(!r.header("retry-after").isEmpty());
    // Other complaints of the same customer share the budget.
    r = customer.client.send("POST", QStringLiteral("/api/v1/complaints/%1/images").arg(open.at(1)),
                             photo, "image/png");
    QCOMPARE(r.status, 429);
    MERCATO_VERIFY_CLEAN_EXIT(server);
}

// Below the free-space floor uploads are refused with 507 and the owner is told once.
void TestAttacksShop::finding09_diskFloorRefusesUploads()
{
    // A floor above any real disk's free space.
    ServerProcess server(env({{"MERCATO_MIN_FREE_DISK_MIB", "1000000000"}}));
    QVERIFY2(server.start(), qPrintable(server.log()));
    const quint16 port = server.port();
    Member owner = join(port, QStringLiteral("seller"), QStringLiteral("Owner"));
    Member customer = join(port, QStringLiteral("customer"), QStringLiteral("Buyer"));
    const QString product = createProduct(owner.client, 20);
    const QString paid
            = order(customer.client, {{product, 1}}).value(QStringLiteral("id")).toString();
    QCOMPARE(owner.client.post(move(paid, "mark-paid")).status, 200);
    const QString complaint = customer.client
                                      .post(QStringLiteral("/api/v1/complaints"),
                                            {{QStringLiteral("orderId"), paid},
                                             {QStringLiteral("subject"), QStringLiteral("Dent")},
                                             {QStringLiteral("message"), QStringLiteral("Dented")}})
                                      .json()
                                      .value(QStringLiteral("id"))
                                      .toString();
    QVERIFY(!complaint.isEmpty());
    for (int i = 0; i < 3; ++i) {
        const HttpResult r = customer.client.send(
                "POST", QStringLiteral("/api/v1/complaints/%1/images").arg(complaint),
                SampleImages::png(), "image/png");
        QCOMPARE(r.status, 507);
        QVERIFY(r.isProblem());
    }
    const HttpResult r
            = owner.client.send("POST", QStringLiteral("/api/v1/products/%1/images").arg(product),
                                SampleImages::png(), "image/png");
    QCOMPARE(r.status, 507);
    QCOMPARE(notificationsOf(owner.client, QStringLiteral("storage.low")), 1);
    QCOMPARE(notificationsOf(customer.client, QStringLiteral("storage.low")), 0);
    MERCATO_VERIFY_CLEAN_EXIT(server);
}

// Cells that start like a formula are written as text; numbers stay numbers. Also through a
// whole export: a product named as a formula, and a negative stock change.
void TestAttacksShop::finding12_csvCellsNeutralised()
{
    const QList<QPair<QString, QByteArray>> cells{
            {QStringLiteral("=HYPERLINK(\"http://x.test\";\"open\")"),
             QByteArray("\"'=HYPERLINK(\"\"http://x.test\"\";\"\"open\"\")\"")},
            {QStringLiteral("+1+cmd|' /C calc'!A0"), QByteArray("'+1+cmd|' /C calc'!A0")},
            {QStringLiteral("-2+3"), QByteArray("'-2+3")},
            {QStringLiteral("@SUM(A1)"), QByteArray("'@SUM(A1)")},
            {QStringLiteral("\t=1"), QByteArray("'\t=1")},
            {QStringLiteral("\r=1"), QByteArray("\"'\r=1\"")},
            {QStringLiteral("-3"), QByteArray("-3")},
            {QStringLiteral("+12.50"), QByteArray("+12.50")},
            {QStringLiteral("a=b"), QByteArray("a=b")}};
    for (const auto &[value, expected] : cells)
        QCOMPARE(CsvWriter::field(value), expected);
    const QString value = cells.first().first;
    const QByteArray expected = cells.first().second;

    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    Member seller = join(server.port(), QStringLiteral("seller"), QStringLiteral("Seller"));
    const QString product = createProduct(seller.client, 10, value);
    QVERIFY(!product.isEmpty());
    QCOMPARE(seller.client
                     .post(QStringLiteral("/api/v1/products/%1/stock-adjustments").arg(product),
                           {{QStringLiteral("delta"), -3},
                            {QStringLiteral("reason"), QStringLiteral("=1+1")}})
                     .status,
             200);
    const QSqlDatabase db = server.shop().database().connection();
    QByteArray products, ledger;
    {
        QBuffer out(&products);
        out.open(QIODevice::WriteOnly);
        QVERIFY(Export::write(db, QStringLiteral("products"), &out, false));
    }
    {
        QBuffer out(&ledger);
        out.open(QIODevice::WriteOnly);
        QVERIFY(Export::write(db, QStringLiteral("stock-ledger"), &out, false));
    }
    QVERIFY2(products.contains(QByteArray("," + expected + ",")), products.constData());
    QVERIFY2(ledger.contains(",-3,"), ledger.constData());
    QVERIFY2(ledger.contains(",'=1+1"), ledger.constData());
    QVERIFY2(!ledger.contains(",=1+1"), ledger.constData());
}

// Photos uploaded with a GPS position in their Exif block are stored and served without it:
// avatars, product pictures and evidence.
void TestAttacksShop::finding11_uploadsLoseExif()
{
    const QByteArray withGps = jpegWithGps();
    QVERIFY(withGps.contains(QByteArray("Exif\0\0", 6)));
    QVERIFY(!QImage::fromData(withGps).isNull());
    // A PNG with a text chunk and an eXIf chunk before its image data.
    QByteArray png = SampleImages::png();
    png.insert(33, pngChunk("tEXt", QByteArray("Location\0Home, 48.85N 2.35E", 27))
                           + pngChunk("eXIf", QByteArray("MM\0*\0\0\0\x08\0\0", 10)));
    QVERIFY(!QImage::fromData(png).isNull());

    ServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.log()));
    const quint16 port = server.port();
    Member seller = join(port, QStringLiteral("seller"), QStringLiteral("Seller"));
    Member customer = join(port, QStringLiteral("customer"), QStringLiteral("Buyer"));
    const QString product = createProduct(seller.client, 10);
    const QString paid
            = order(customer.client, {{product, 1}}).value(QStringLiteral("id")).toString();
    QCOMPARE(seller.client.post(move(paid, "mark-paid")).status, 200);
    const QString complaint = customer.client
                                      .post(QStringLiteral("/api/v1/complaints"),
                                            {{QStringLiteral("orderId"), paid},
                                             {QStringLiteral("subject"), QStringLiteral("Dent")},
                                             {QStringLiteral("message"), QStringLiteral("Dented")}})
                                      .json()
                                      .value(QStringLiteral("id"))
                                      .toString();

    QStringList urls;
    HttpResult r = customer.client.send("PUT", QStringLiteral("/api/v1/me/avatar"), withGps,
                                        "image/jpeg");
    QCOMPARE(r.status, 200);
    urls.append(r.json().value(QStringLiteral("avatarUrl")).toString());
    r = seller.client.send("POST", QStringLiteral("/api/v1/products/%1/images").arg(product),
                           withGps, "image/jpeg");
    QCOMPARE(r.status, 201);
    urls.append(r.json().value(QStringLiteral("url")).toString());
    r = customer.client.send("POST", QStringLiteral("/api/v1/complaints/%1/images").arg(complaint),
                             withGps, "image/jpeg");
    QCOMPARE(r.status, 201);
    urls.append(r.json().value(QStringLiteral("url")).toString());
    for (const QString &url : std::as_const(urls)) {
        const QByteArray bytes = served(port, url);
        QVERIFY2(!bytes.isEmpty(), qPrintable(url));
        QVERIFY2(!bytes.contains(QByteArray("Exif\0\0", 6)), qPrintable(url));
        QVERIFY(!bytes.contains(QByteArray("\xff\xe1", 2)));
        QVERIFY(bytes.size() < withGps.size());
        const QImage image = QImage::fromData(bytes);
        QCOMPARE(image.size(), QImage::fromData(withGps).size());
    }
    r = seller.client.send("POST", QStringLiteral("/api/v1/products/%1/images").arg(product), png,
                           "image/png");
    QCOMPARE(r.status, 201);
    const QByteArray bytes = served(port, r.json().value(QStringLiteral("url")).toString());
    QVERIFY(!bytes.isEmpty());
    QVERIFY(!bytes.contains("tEXt") && !bytes.contains("eXIf") && !bytes.contains("Home"));
    QCOMPARE(QImage::fromData(bytes), QImage::fromData(png)); // the same pixels
    MERCATO_VERIFY_CLEAN_EXIT(server);
}

QTEST_GUILESS_MAIN(TestAttacksShop)
#include "tst_attacks_shop.moc"
