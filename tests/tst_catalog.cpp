// Catalog and inventory through the API (and the model where the orders helpers call it):
// products CRUD, ownership and roles, validation, ETag/If-Match, full-text search, filters,
// sorts, keyset paging, the stock ledger and its check command, low-stock alerts, product
// images and /media serving, notifications.

#include "support/testsupport.h"

#include "model/cart.h"
#include "model/catalog.h"
#include "model/clock.h"
#include "model/ids.h"
#include "model/inventory.h"
#include "model/orders.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QSet>
#include <QSignalSpy>
#include <QTest>
#include <QUrl>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

QByteArray be32(quint32 v)
{
    QByteArray b(4, '\0');
    b[0] = char(v >> 24);
    b[1] = char(v >> 16);
    b[2] = char(v >> 8);
    b[3] = char(v);
    return b;
}

quint32 crc32(const QByteArray &data)
{
    quint32 c = 0xffffffffu;
    for (const char ch : data) {
        c ^= quint8(ch);
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
}

// A real (tiny) PNG: signature, IHDR, IDAT, IEND.
QByteArray makePng(int w = 4, int h = 4)
{
    auto chunk = [](const QByteArray &tag, const QByteArray &data) -> QByteArray {
        const QByteArray td = tag + data;
        return be32(quint32(data.size())) + td + be32(crc32(td));
    };
    QByteArray raw;
    for (int y = 0; y < h; ++y)
        raw += QByteArray(1, '\0') + QByteArray(w * 3, '\x40');
    const QByteArray z = qCompress(raw).mid(4); // a zlib stream after Qt's length prefix
    QByteArray ihdr = be32(quint32(w)) + be32(quint32(h));
    ihdr += QByteArray("\x08\x02\x00\x00\x00", 5);
    return QByteArray("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", z)
           + chunk("IEND", {});
}

QByteArray multipartBody(const QByteArray &boundary, const QByteArray &field,
                         const QByteArray &content, const QByteArray &type)
{
    return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--"
           + boundary + "\r\nContent-Disposition: form-data; name=\"" + field
           + "\"; filename=\"a.png\"\r\nContent-Type: " + type + "\r\n\r\n" + content + "\r\n--"
           + boundary + "--\r\n";
}

} // namespace

class TestCatalog : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();

    void createAndGet();
    void roles_data();
    void roles();
    void validation_data();
    void validation();
    void patchFields();
    void etagAndIfMatch();
    void concurrentEditsOneWins();
    void deleteIsSoft();
    void search();
    void searchInjection_data();
    void searchInjection();
    void filtersAndSorts();
    void pagingWalksEverything();
    void relevanceWalksManyMatches();
    void priceRangesWalkInOrder_data();
    void priceRangesWalkInOrder();
    void importRefreshesPlannerStatistics();
    void listAnswersFollowEveryChange_data();
    void listAnswersFollowEveryChange();
    void pagingWalkWithConcurrentWriters_data();
    void pagingWalkWithConcurrentWriters();
    void badQueryParams_data();
    void badQueryParams();
    void stockAdjustments();
    void ledgerInvariantAndCheck();
    void ledgerAfterThousandOrdersAdjustmentsAndCancels();
    void lowStockOncePerCrossing();
    void lowStockOnCreateAndThreshold();
    void sellerInventory();
    void imagesRawAndMultipart();
    void imageRejections_data();
    void imageRejections();
    void imageLimitAndDelete();
    void mediaTraversal_data();
    void mediaTraversal();
    void notificationsApi();

private:
    QString addUser(const QString &role, const QString &name = {});
    Client as(const QString &userId, const QString &role);
    QJsonObject createProduct(const Client &c, const QJsonObject &overrides = {});
    QList<QJsonObject> walk(const Client &c, const QString &path, int limit);
    int countKind(const QString &userId, const QString &kind);

    std::unique_ptr<TestServer> m_server;
};

void TestCatalog::init()
{
    TestServer::Options options;
    options.settings.currency = QStringLiteral("EUR");
    options.settings.lowStockDefault = 5;
    m_server = std::make_unique<TestServer>(options);
    QVERIFY2(m_server->start(), qPrintable(m_server->errorString()));
}

void TestCatalog::cleanup()
{
    m_server.reset();
}

QString TestCatalog::addUser(const QString &role, const QString &name)
{
    const QString id = Ids::newId();
    const qint64 now = Clock::nowMs();
    auto q = execSql(
            m_server->shop().database().connection(),
            QStringLiteral("INSERT INTO users (id, email, email_norm, password_hash, display_name, "
                           "role, created_at, updated_at) VALUES (?, ?, ?, 'x', ?, ?, ?, ?)"),
            {id, QString(id + QStringLiteral("@example.com")),
             QString(id + QStringLiteral("@example.com")),
             name.isEmpty() ? QString(role + QStringLiteral(" ") + id.left(6)) : name, role, now,
             now});
    if (!q)
        qFatal("cannot add a user: %s", qPrintable(q.error().detail));
    return id;
}

Client TestCatalog::as(const QString &userId, const QString &role)
{
    Client c = m_server->client();
    c.setToken(m_server->shop().tokens().issueAccess(userId, role).token);
    return c;
}

QJsonObject TestCatalog::createProduct(const Client &c, const QJsonObject &overrides)
{
    QJsonObject body{{QStringLiteral("name"), QStringLiteral("Item %1").arg(Ids::newId().left(8))},
                     {QStringLiteral("description"), QStringLiteral("A plain item")},
                     {QStringLiteral("priceCents"), 1000},
                     {QStringLiteral("stock"), 10},
                     {QStringLiteral("lowStockThreshold"), 0}};
    for (auto it = overrides.begin(); it != overrides.end(); ++it)
        body.insert(it.key(), it.value());
    const HttpResult r = c.post(QStringLiteral("/api/v1/products"), body);
    if (r.status != 201)
        qWarning() << "create product:" << r.status << r.body;
    return r.json();
}

QList<QJsonObject> TestCatalog::walk(const Client &c, const QString &path, int limit)
{
    QList<QJsonObject> out;
    QString cursor;
    for (int pages = 0; pages < 1000; ++pages) {
        QString url
                = path
                  + (path.contains(QLatin1Char('?')) ? QStringLiteral("&") : QStringLiteral("?"))
                  + QStringLiteral("limit=%1").arg(limit);
        if (!cursor.isEmpty())
            url += QStringLiteral("&cursor=")
                   + QString::fromLatin1(QUrl::toPercentEncoding(cursor));
        const HttpResult r = c.get(url);
        if (r.status != 200) {
            qWarning() << "page" << url << r.status << r.body;
            return out;
        }
        const QJsonArray items = r.json().value(QStringLiteral("items")).toArray();
        if (items.size() > limit)
            qWarning() << "page larger than limit";
        for (const QJsonValue &v : items)
            out.append(v.toObject());
        cursor = r.json().value(QStringLiteral("nextCursor")).toString();
        if (cursor.isEmpty())
            break;
    }
    return out;
}

int TestCatalog::countKind(const QString &userId, const QString &kind)
{
    const QList<QJsonObject> all = walk(as(userId, QStringLiteral("seller")),
                                        QStringLiteral("/api/v1/notifications"), 100);
    int n = 0;
    for (const QJsonObject &o : all)
        n += o.value(QStringLiteral("kind")).toString() == kind;
    return n;
}

// ---- CRUD -------------------------------------------------------------------------------

void TestCatalog::createAndGet()
{
    const QString seller = addUser(QStringLiteral("seller"), QStringLiteral("Ada's Lamps"));
    const Client c = as(seller, QStringLiteral("seller"));
    const HttpResult r = c.post(QStringLiteral("/api/v1/products"),
                                {{QStringLiteral("name"), QStringLiteral("  Desk lamp ☀ ")},
                                 {QStringLiteral("description"), QStringLiteral("Brass")},
                                 {QStringLiteral("priceCents"), 1999},
                                 {QStringLiteral("stock"), 7}});
    QCOMPARE(r.status, 201);
    const QJsonObject p = r.json();
    const QString id = p.value(QStringLiteral("id")).toString();
    QVERIFY(!id.isEmpty());
    QCOMPARE(r.header("location"), QByteArray("/api/v1/products/" + id.toLatin1()));
    QVERIFY(r.header("etag").startsWith('"'));
    QCOMPARE(p.value(QStringLiteral("name")).toString(), QStringLiteral("Desk lamp ☀"));
    QCOMPARE(p.value(QStringLiteral("lowStockThreshold")).toInt(), 5); // the store default

    const HttpResult g = m_server->client().get(QStringLiteral("/api/v1/products/") + id);
    QCOMPARE(g.status, 200);
    QCOMPARE(g.json(), p); // the create answer is the product as GET shows it
    QCOMPARE(g.header("etag"), r.header("etag"));
    const QJsonObject o = g.json();
    QCOMPARE(o.value(QStringLiteral("sellerId")).toString(), seller);
    QCOMPARE(o.value(QStringLiteral("sellerName")).toString(), QStringLiteral("Ada's Lamps"));
    QCOMPARE(o.value(QStringLiteral("priceCents")).toInteger(), 1999);
    QCOMPARE(o.value(QStringLiteral("currency")).toString(), QStringLiteral("EUR"));
    QCOMPARE(o.value(QStringLiteral("stock")).toInt(), 7);
    QCOMPARE(o.value(QStringLiteral("inStock")).toBool(), true);
    QVERIFY(o.value(QStringLiteral("images")).isArray());
    const QJsonObject rating = o.value(QStringLiteral("rating")).toObject();
    QVERIFY(rating.value(QStringLiteral("average")).isNull());
    QCOMPARE(rating.value(QStringLiteral("count")).toInt(), 0);
    QVERIFY(o.value(QStringLiteral("createdAt")).toString().endsWith(QLatin1Char('Z')));
    QVERIFY(o.value(QStringLiteral("updatedAt")).toString().endsWith(QLatin1Char('Z')));

    // Conditional GET.
    const HttpResult nm = m_server->client().get(QStringLiteral("/api/v1/products/") + id,
                                                 {{"If-None-Match", g.header("etag")}});
    QCOMPARE(nm.status, 304);

    const HttpResult unknown = m_server->client().get(QStringLiteral("/api/v1/products/nope"));
    QCOMPARE(unknown.status, 404);
    QVERIFY(unknown.isProblem());
}

void TestCatalog::roles_data()
{
    QTest::addColumn<QString>("actor");
    QTest::addColumn<QString>("action");
    QTest::addColumn<QList<int>>("expected");
    const QList<QPair<QString, QList<int>>> actors{{QStringLiteral("owner"), {}},
                                                   {QStringLiteral("otherSeller"), {404}},
                                                   {QStringLiteral("customer"), {403}},
                                                   {QStringLiteral("anonymous"), {401}}};
    const QList<QPair<QString, int>> actions{{QStringLiteral("update"), 200},
                                             {QStringLiteral("delete"), 204},
                                             {QStringLiteral("adjustStock"), 200},
                                             {QStringLiteral("uploadImage"), 201},
                                             {QStringLiteral("create"), 201}};
    for (const auto &[actor, codes] : actors) {
        for (const auto &[action, ok] : actions) {
            QList<int> expected = codes.isEmpty() ? QList<int>{ok} : codes;
            if (action == QLatin1String("create") && actor == QLatin1String("otherSeller"))
                expected = {201};
            QTest::newRow(qPrintable(actor + QLatin1Char('-') + action))
                    << actor << action << expected;
        }
    }
}

void TestCatalog::roles()
{
    QFETCH(QString, actor);
    QFETCH(QString, action);
    QFETCH(QList<int>, expected);
    const QString owner = addUser(QStringLiteral("seller"));
    const QJsonObject p = createProduct(as(owner, QStringLiteral("seller")));
    const QString id = p.value(QStringLiteral("id")).toString();
    Client c = m_server->client();
    if (actor == QLatin1String("owner"))
        c = as(owner, QStringLiteral("seller"));
    else if (actor == QLatin1String("otherSeller"))
        c = as(addUser(QStringLiteral("seller")), QStringLiteral("seller"));
    else if (actor == QLatin1String("customer"))
        c = as(addUser(QStringLiteral("customer")), QStringLiteral("customer"));
    const QString path = QStringLiteral("/api/v1/products/") + id;
    HttpResult r;
    if (action == QLatin1String("update"))
        r = c.patch(path, {{QStringLiteral("priceCents"), 1}});
    else if (action == QLatin1String("delete"))
        r = c.del(path);
    else if (action == QLatin1String("adjustStock"))
        r = c.post(path + QStringLiteral("/stock-adjustments"),
                   {{QStringLiteral("delta"), 5},
                    {QStringLiteral("reason"), QStringLiteral("found")}});
    else if (action == QLatin1String("uploadImage"))
        r = c.send("POST", path + QStringLiteral("/images"), makePng(), "image/png");
    else
        r = c.post(
                QStringLiteral("/api/v1/products"),
                {{QStringLiteral("name"), QStringLiteral("X")}, {QStringLiteral("priceCents"), 5}});
    QVERIFY2(expected.contains(r.status),
             qPrintable(QString::number(r.status) + QLatin1Char(' ') + QString::fromUtf8(r.body)));
    if (r.status >= 400)
        QVERIFY(r.isProblem());
    if (actor != QLatin1String("owner") && action != QLatin1String("create")) {
        // Nothing changed.
        const QJsonObject now = m_server->client().get(path).json();
        QCOMPARE(now.value(QStringLiteral("priceCents")).toInt(), 1000);
        QCOMPARE(now.value(QStringLiteral("stock")).toInt(), 10);
        QCOMPARE(now.value(QStringLiteral("images")).toArray().size(), 0);
    }
}

void TestCatalog::validation_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("field");
    const QByteArray ct = "application/json";
    QTest::newRow("ok-minimal") << QByteArray(R"({"name":"A","priceCents":1})") << ct << 201
                                << QString();
    QTest::newRow("ok-unicode") << QByteArray(
            R"({"name":"Čaj 茶 🍵","priceCents":100000000,"stock":1000000,"lowStockThreshold":1000000})")
                                << ct << 201 << QString();
    QTest::newRow("name-empty") << QByteArray(R"({"name":"","priceCents":5})") << ct << 422
                                << "name";
    QTest::newRow("name-blank") << QByteArray(R"({"name":"   ","priceCents":5})") << ct << 422
                                << "name";
    QTest::newRow("name-missing") << QByteArray(R"({"priceCents":5})") << ct << 422 << "name";
    QTest::newRow("name-number") << QByteArray(R"({"name":5,"priceCents":5})") << ct << 422
                                 << "name";
    QTest::newRow("name-too-long")
            << QByteArray(R"({"name":")" + QByteArray(201, 'a') + R"(","priceCents":5})") << ct
            << 422 << "name";
    QTest::newRow("description-too-long") << QByteArray(
            R"({"name":"a","description":")" + QByteArray(20001, 'd') + R"(","priceCents":5})")
                                          << ct << 422 << "description";
    QTest::newRow("description-object")
            << QByteArray(R"({"name":"a","description":{},"priceCents":5})") << ct << 422
            << "description";
    QTest::newRow("price-missing") << QByteArray(R"({"name":"a"})") << ct << 422 << "priceCents";
    QTest::newRow("price-zero") << QByteArray(R"({"name":"a","priceCents":0})") << ct << 422
                                << "priceCents";
    QTest::newRow("price-negative")
            << QByteArray(R"({"name":"a","priceCents":-1})") << ct << 422 << "priceCents";
    QTest::newRow("price-fraction")
            << QByteArray(R"({"name":"a","priceCents":19.99})") << ct << 422 << "priceCents";
    QTest::newRow("price-string") << QByteArray(R"({"name":"a","priceCents":"abc"})") << ct << 422
                                  << "priceCents";
    QTest::newRow("price-huge") << QByteArray(R"({"name":"a","priceCents":100000001})") << ct << 422
                                << "priceCents";
    QTest::newRow("price-1e300") << QByteArray(R"({"name":"a","priceCents":1e300})") << ct << 422
                                 << "priceCents";
    QTest::newRow("price-bool") << QByteArray(R"({"name":"a","priceCents":true})") << ct << 422
                                << "priceCents";
    QTest::newRow("stock-negative")
            << QByteArray(R"({"name":"a","priceCents":5,"stock":-1})") << ct << 422 << "stock";
    QTest::newRow("stock-huge") << QByteArray(R"({"name":"a","priceCents":5,"stock":1000001})")
                                << ct << 422 << "stock";
    QTest::newRow("stock-string") << QByteArray(R"({"name":"a","priceCents":5,"stock":"3"})") << ct
                                  << 422 << "stock";
    QTest::newRow("threshold-negative")
            << QByteArray(R"({"name":"a","priceCents":5,"lowStockThreshold":-1})") << ct << 422
            << "lowStockThreshold";
    QTest::newRow("threshold-huge")
            << QByteArray(R"({"name":"a","priceCents":5,"lowStockThreshold":1000001})") << ct << 422
            << "lowStockThreshold";
    QTest::newRow("array") << QByteArray(R"([{"name":"a","priceCents":5}])") << ct << 422 << "body";
    QTest::newRow("string") << QByteArray(R"("name=a")") << ct << 422 << "body";
    QTest::newRow("null") << QByteArray("null") << ct << 422 << "body";
    QTest::newRow("number") << QByteArray("42") << ct << 422 << "body";
    QTest::newRow("truncated") << QByteArray(R"({"name": "x", "priceCents": )") << ct << 400
                               << QString();
    QTest::newRow("form-as-json") << QByteArray("name=a&priceCents=5") << ct << 400 << QString();
    QTest::newRow("form-content-type")
            << QByteArray("name=a&priceCents=5") << QByteArray("application/x-www-form-urlencoded")
            << 415 << QString();
}

void TestCatalog::validation()
{
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, contentType);
    QFETCH(int, status);
    QFETCH(QString, field);
    const QString seller = addUser(QStringLiteral("seller"));
    const Client c = as(seller, QStringLiteral("seller"));
    const HttpResult r = c.send("POST", QStringLiteral("/api/v1/products"), body, contentType);
    QCOMPARE(r.status, status);
    const int listed = walk(c, QStringLiteral("/api/v1/products?sellerId=") + seller, 100).size();
    if (status != 201) {
        QVERIFY(r.isProblem());
        QCOMPARE(r.json().value(QStringLiteral("status")).toInt(), status);
        if (!field.isEmpty()) {
            bool named = false;
            const QJsonArray errors = r.json().value(QStringLiteral("errors")).toArray();
            for (const QJsonValue &e : errors)
                named |= e.toObject().value(QStringLiteral("field")).toString() == field;
            QVERIFY2(named, r.body.constData());
        }
        QCOMPARE(listed, 0);
    } else {
        QCOMPARE(listed, 1);
    }
}

void TestCatalog::patchFields()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const Client c = as(seller, QStringLiteral("seller"));
    const QString id = createProduct(c).value(QStringLiteral("id")).toString();
    const QString path = QStringLiteral("/api/v1/products/") + id;
    HttpResult r = c.patch(path, {{QStringLiteral("name"), QStringLiteral("Renamed")},
                                  {QStringLiteral("description"), QStringLiteral("New text")},
                                  {QStringLiteral("priceCents"), 2499},
                                  {QStringLiteral("stock"), 4},
                                  {QStringLiteral("lowStockThreshold"), 2}});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("name")).toString(), QStringLiteral("Renamed"));
    QCOMPARE(r.json().value(QStringLiteral("priceCents")).toInt(), 2499);
    QCOMPARE(r.json().value(QStringLiteral("stock")).toInt(), 4);
    QCOMPARE(r.header("etag"), m_server->client().get(path).header("etag"));
    // Every field keeps its rules on PATCH.
    for (const QJsonObject &bad : {QJsonObject{{QStringLiteral("name"), QString()}},
                                   QJsonObject{{QStringLiteral("priceCents"), 0}},
                                   QJsonObject{{QStringLiteral("stock"), -3}},
                                   QJsonObject{{QStringLiteral("priceCents"), QJsonValue()}},
                                   QJsonObject{{QStringLiteral("lowStockThreshold"), 1.5}}}) {
        r = c.patch(path, bad);
        QCOMPARE(r.status, 422);
    }
    r = c.send("PATCH", path, "[1]", "application/json");
    QCOMPARE(r.status, 422);
    const QJsonObject now = m_server->client().get(path).json();
    QCOMPARE(now.value(QStringLiteral("priceCents")).toInt(), 2499);
    QCOMPARE(now.value(QStringLiteral("stock")).toInt(), 4);
    // The stock edit is in the ledger.
    auto mismatches = Inventory::verifyLedger(m_server->shop().database().connection());
    QVERIFY(mismatches && mismatches->isEmpty());
}

void TestCatalog::etagAndIfMatch()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const Client c = as(seller, QStringLiteral("seller"));
    const QString id = createProduct(c).value(QStringLiteral("id")).toString();
    const QString path = QStringLiteral("/api/v1/products/") + id;
    const QByteArray e1 = m_server->client().get(path).header("etag");
    QVERIFY(!e1.isEmpty() && !e1.startsWith("W/"));
    HttpResult r = c.patch(path, {{QStringLiteral("priceCents"), 1500}}, {{"If-Match", e1}});
    QCOMPARE(r.status, 200);
    const QByteArray e2 = r.header("etag");
    QVERIFY(e2 != e1);
    r = c.patch(path, {{QStringLiteral("priceCents"), 1600}}, {{"If-Match", e1}});
    QCOMPARE(r.status, 412);
    QVERIFY(r.isProblem());
    QCOMPARE(m_server->client().get(path).json().value(QStringLiteral("priceCents")).toInt(), 1500);
    // A stock change is a change of the product too.
    QCOMPARE(c.post(path + QStringLiteral("/stock-adjustments"),
                    {{QStringLiteral("delta"), 1}, {QStringLiteral("reason"), QStringLiteral("x")}})
                     .status,
             200);
    const QByteArray e3 = m_server->client().get(path).header("etag");
    QVERIFY(e3 != e2);
    QCOMPARE(c.del(path, {{"If-Match", e2}}).status, 412);
    QCOMPARE(
            c.patch(path, {{QStringLiteral("priceCents"), 1700}}, {{"If-Match", "W/" + e3}}).status,
            412);
    // Validation comes before the precondition (422 before 412).
    QCOMPARE(c.patch(path, {{QStringLiteral("priceCents"), -1}}, {{"If-Match", e1}}).status, 422);
    QCOMPARE(c.patch(path, {{QStringLiteral("priceCents"), 1700}}, {{"If-Match", "\"x\", " + e3}})
                     .status,
             200);
    const QByteArray e4 = m_server->client().get(path).header("etag");
    QCOMPARE(c.del(path, {{"If-Match", e4}}).status, 204);
}

void TestCatalog::concurrentEditsOneWins()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const Client c = as(seller, QStringLiteral("seller"));
    const QString id = createProduct(c).value(QStringLiteral("id")).toString();
    const QString path = QStringLiteral("/api/v1/products/") + id;
    for (int round = 0; round < 5; ++round) {
        const QByteArray etag = m_server->client().get(path).header("etag");
        int a = 0, b = 0;
        std::thread t1([&] {
            a = c.patch(path, {{QStringLiteral("priceCents"), 100 + round}}, {{"If-Match", etag}})
                        .status;
        });
        std::thread t2([&] {
            b = c.patch(path, {{QStringLiteral("priceCents"), 200 + round}}, {{"If-Match", etag}})
                        .status;
        });
        t1.join();
        t2.join();
        QVERIFY2((a == 200 && b == 412) || (a == 412 && b == 200),
                 qPrintable(QStringLiteral("%1 %2").arg(a).arg(b)));
    }
}

void TestCatalog::deleteIsSoft()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const Client c = as(seller, QStringLiteral("seller"));
    const QString id
            = createProduct(c, {{QStringLiteral("name"), QStringLiteral("Vanishing zqxwvu")}})
                      .value(QStringLiteral("id"))
                      .toString();
    const QString path = QStringLiteral("/api/v1/products/") + id;
    QCOMPARE(c.del(path).status, 204);
    QCOMPARE(m_server->client().get(path).status, 404);
    QCOMPARE(c.del(path).status, 404);
    QCOMPARE(c.patch(path, {{QStringLiteral("priceCents"), 5}}).status, 404);
    QCOMPARE(walk(c, QStringLiteral("/api/v1/products?sellerId=") + seller, 20).size(), 0);
    QCOMPARE(walk(c, QStringLiteral("/api/v1/products?q=zqxwvu"), 20).size(), 0);
    // Kept for orders: the row is still there, marked deleted.
    auto q = execSql(m_server->shop().database().connection(),
                     QStringLiteral("SELECT deleted_at FROM products WHERE id = ?"), {id});
    QVERIFY(q && q->next() && !q->value(0).isNull());
    // The model's reserve refuses a deleted product.
    Transaction tx(m_server->shop().database());
    QVERIFY(tx.begin());
    StockEffects fx;
    auto s = m_server->shop().inventory().reserve(tx.db(), id, 1, {}, {}, &fx);
    QVERIFY(!s);
    QCOMPARE(s.error().code, ErrorCode::Conflict);
}

// ---- search, filters, sorts, paging ----------------------------------------------------

void TestCatalog::search()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const Client c = as(seller, QStringLiteral("seller"));
    auto make = [&](const QString &name, const QString &description) {
        return createProduct(c, {{QStringLiteral("name"), name},
                                 {QStringLiteral("description"), description}})
                .value(QStringLiteral("id"))
                .toString();
    };
    const QString lamp
            = make(QStringLiteral("Desk lamp"), QStringLiteral("A sturdy lamp of walnut wood"));
    const QString chair
            = make(QStringLiteral("Desk chair"), QStringLiteral("A sturdy chair of oak"));
    const QString table
            = make(QStringLiteral("Kitchen table"), QStringLiteral("Walnut walnut walnut, big"));
    const QString mug = make(QStringLiteral("Mug"), QStringLiteral("Ceramic, holds tea"));
    QTest::qWait(5); // distinct creation times for the newest-first comparison
    const QString newer
            = make(QStringLiteral("Shelf"),
                   QStringLiteral("Pine shelf with a walnut edge and many other words in it"));
    auto ids = [&](const QString &q, const QString &extra = {}) {
        QStringList out;
        const QList<QJsonObject> items
                = walk(m_server->client(), QStringLiteral("/api/v1/products?q=") + q + extra, 100);
        for (const QJsonObject &o : items)
            out.append(o.value(QStringLiteral("id")).toString());
        return out;
    };
    const QStringList desk = ids(QStringLiteral("desk"));
    QCOMPARE(QSet<QString>(desk.cbegin(), desk.cend()), (QSet<QString>{lamp, chair}));
    // Words are ANDed.
    QCOMPARE(ids(QStringLiteral("desk%20oak")), QStringList{chair});
    QCOMPARE(ids(QStringLiteral("desk+walnut")), QStringList{lamp});
    // Prefix match on the last word only.
    QCOMPARE(ids(QStringLiteral("cera")), QStringList{mug});
    QCOMPARE(ids(QStringLiteral("ceramic%20te")), QStringList{mug});
    QCOMPARE(ids(QStringLiteral("cera%20tea")), QStringList{});
    // Case-insensitive; no match; description words count.
    QCOMPARE(ids(QStringLiteral("MUG")), QStringList{mug});
    QCOMPARE(ids(QStringLiteral("nonexistentword")), QStringList{});
    // Relevance: the product naming walnut most comes first, though another is newer.
    const QStringList rel = ids(QStringLiteral("walnut"));
    QCOMPARE(rel.size(), 3);
    QCOMPARE(rel.first(), table);
    QCOMPARE(ids(QStringLiteral("walnut"), QStringLiteral("&sort=relevance")), rel);
    QCOMPARE(ids(QStringLiteral("walnut"), QStringLiteral("&sort=newest")).first(), newer);
    // Search follows edits.
    QCOMPARE(c.patch(QStringLiteral("/api/v1/products/") + mug,
                     {{QStringLiteral("description"), QStringLiteral("Porcelain")}})
                     .status,
             200);
    QCOMPARE(ids(QStringLiteral("ceramic")), QStringList{});
    QCOMPARE(ids(QStringLiteral("porcelain")), QStringList{mug});
    // Paging relevance results: no duplicates, none lost.
    for (int i = 0; i < 12; ++i)
        make(QStringLiteral("Walnut box %1").arg(i),
             QString(i % 4 + 1, QLatin1Char('x'))
                     .replace(QLatin1Char('x'), QStringLiteral("walnut ")));
    const QList<QJsonObject> paged
            = walk(m_server->client(), QStringLiteral("/api/v1/products?q=walnut"), 4);
    QSet<QString> seen;
    for (const QJsonObject &o : paged)
        seen.insert(o.value(QStringLiteral("id")).toString());
    QCOMPARE(paged.size(), 15);
    QCOMPARE(seen.size(), 15);
}

void TestCatalog::searchInjection_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<int>("hits");
    QTest::newRow("quote") << QStringLiteral("%22walnut") << 1;
    QTest::newRow("star") << QStringLiteral("*") << 0;
    QTest::newRow("star-word") << QStringLiteral("walnut*") << 1;
    QTest::newRow("or") << QStringLiteral("walnut%20OR%20zzz") << 0;
    QTest::newRow("near") << QStringLiteral("NEAR(walnut%20lamp)") << 0; // "near" is a word too
    QTest::newRow("column") << QStringLiteral("name:walnut") << 0;
    QTest::newRow("column-filter") << QStringLiteral("%7Bname%7D:walnut") << 0;
    QTest::newRow("tsquery-ops") << QStringLiteral("walnut%20%26%20!lamp%20%7C%20x") << 0;
    QTest::newRow("tsquery-prefix") << QStringLiteral("wal:*") << 1; // just the word "wal", prefix
    QTest::newRow("parens") << QStringLiteral("(((") << 0;
    QTest::newRow("sql-quote") << QStringLiteral("walnut'%20OR%201=1--") << 0;
    QTest::newRow("backslash") << QStringLiteral("walnut%5C") << 1;
    QTest::newRow("minus") << QStringLiteral("-walnut") << 1;
    QTest::newRow("caret") << QStringLiteral("%5Ewalnut") << 1;
    QTest::newRow("unicode") << QStringLiteral("%E8%8C%B6") << 0;
    QTest::newRow("long") << QString(600, QLatin1Char('a')) << -400;
}

void TestCatalog::searchInjection()
{
    QFETCH(QString, query);
    QFETCH(int, hits);
    const QString seller = addUser(QStringLiteral("seller"));
    createProduct(as(seller, QStringLiteral("seller")),
                  {{QStringLiteral("name"), QStringLiteral("Walnut lamp")}});
    const HttpResult r = m_server->client().get(QStringLiteral("/api/v1/products?q=") + query);
    if (hits < 0) {
        QCOMPARE(r.status, -hits);
        QVERIFY(r.isProblem());
        return;
    }
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("items")).toArray().size(), hits);
}

void TestCatalog::filtersAndSorts()
{
    const QString s1 = addUser(QStringLiteral("seller"));
    const QString s2 = addUser(QStringLiteral("seller"));
    const Client c1 = as(s1, QStringLiteral("seller"));
    const Client c2 = as(s2, QStringLiteral("seller"));
    QStringList made;
    const QList<std::tuple<int, int, const Client *>> specs{
            {500, 3, &c1}, {100, 0, &c1}, {900, 1, &c1}, {300, 2, &c2}, {700, 0, &c2}};
    for (const auto &[price, stock, client] : specs) {
        made.append(createProduct(*client, {{QStringLiteral("priceCents"), price},
                                            {QStringLiteral("stock"), stock}})
                            .value(QStringLiteral("id"))
                            .toString());
        QTest::qWait(3);
    }
    // Ratings: made[3] 5.0, made[0] 4.0 (two reviews), made[2] 1.0; others unrated.
    auto rate = [&](int i, int sum, int count) {
        QVERIFY(execSql(
                m_server->shop().database().connection(),
                QStringLiteral("UPDATE products SET rating_sum = ?, rating_count = ? WHERE id = ?"),
                {sum, count, made.at(i)}));
    };
    rate(3, 5, 1);
    rate(0, 8, 2);
    rate(2, 1, 1);
    auto prices = [&](const QString &query) {
        QList<int> out;
        for (const QJsonObject &o :
             walk(m_server->client(), QStringLiteral("/api/v1/products?") + query, 2))
            out.append(o.value(QStringLiteral("priceCents")).toInt());
        return out;
    };
    QCOMPARE(prices(QStringLiteral("sort=price")), (QList<int>{100, 300, 500, 700, 900}));
    QCOMPARE(prices(QStringLiteral("sort=-price")), (QList<int>{900, 700, 500, 300, 100}));
    QCOMPARE(prices(QStringLiteral("sort=newest")), (QList<int>{700, 300, 900, 100, 500}));
    QCOMPARE(prices(QString()), (QList<int>{700, 300, 900, 100, 500}));
    const QList<int> byRating = prices(QStringLiteral("sort=rating"));
    QCOMPARE(byRating.mid(0, 3), (QList<int>{300, 500, 900})); // rated, best first
    QCOMPARE(QSet<int>(byRating.cbegin() + 3, byRating.cend()),
             (QSet<int>{100, 700})); // unrated last
    QCOMPARE(prices(QStringLiteral("sellerId=") + s1 + QStringLiteral("&sort=price")),
             (QList<int>{100, 500, 900}));
    QCOMPARE(prices(QStringLiteral("minPriceCents=300&maxPriceCents=700&sort=price")),
             (QList<int>{300, 500, 700}));
    QCOMPARE(prices(QStringLiteral("minPriceCents=301&sort=price")), (QList<int>{500, 700, 900}));
    QCOMPARE(prices(QStringLiteral("inStock=true&sort=price")), (QList<int>{300, 500, 900}));
    QCOMPARE(prices(QStringLiteral("inStock=false&sort=price")), (QList<int>{100, 700}));
    QCOMPARE(prices(QStringLiteral("sellerId=") + s2 + QStringLiteral("&inStock=true")),
             (QList<int>{300}));
    QCOMPARE(prices(QStringLiteral("sellerId=nobody")), QList<int>{});
    const QJsonObject rated
            = m_server->client().get(QStringLiteral("/api/v1/products/") + made.at(0)).json();
    QCOMPARE(rated.value(QStringLiteral("rating"))
                     .toObject()
                     .value(QStringLiteral("average"))
                     .toDouble(),
             4.0);
    QCOMPARE(
            rated.value(QStringLiteral("rating")).toObject().value(QStringLiteral("count")).toInt(),
            2);
    QCOMPARE(rated.value(QStringLiteral("inStock")).toBool(), true);
    QCOMPARE(m_server->client()
                     .get(QStringLiteral("/api/v1/products/") + made.at(1))
                     .json()
                     .value(QStringLiteral("inStock"))
                     .toBool(),
             false);
}

void TestCatalog::pagingWalksEverything()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const Client c = as(seller, QStringLiteral("seller"));
    QSet<QString> all;
    for (int i = 0; i < 130; ++i)
        all.insert(createProduct(c, {{QStringLiteral("priceCents"), 100 + i % 7}})
                           .value(QStringLiteral("id"))
                           .toString());
    const QString base = QStringLiteral("/api/v1/products?sellerId=") + seller;
    HttpResult r = c.get(base);
    QCOMPARE(r.json().value(QStringLiteral("items")).toArray().size(), 20);
    QVERIFY(!r.json().value(QStringLiteral("nextCursor")).toString().isEmpty());
    r = c.get(base + QStringLiteral("&limit=500"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("items")).toArray().size(), 100);
    QVERIFY(!r.json().value(QStringLiteral("nextCursor")).toString().isEmpty());
    for (const QString &sort : {QStringLiteral("newest"), QStringLiteral("price"),
                                QStringLiteral("-price"), QStringLiteral("rating")}) {
        const QList<QJsonObject> items = walk(c, base + QStringLiteral("&sort=") + sort, 7);
        QSet<QString> seen;
        for (const QJsonObject &o : items)
            seen.insert(o.value(QStringLiteral("id")).toString());
        QCOMPARE(items.size(), 130);
        QCOMPARE(seen, all);
    }
    // Inserted and deleted while walking: nothing that stays is skipped or repeated.
    QString cursor;
    QList<QString> seen;
    QStringList deleted;
    int step = 0;
    do {
        const HttpResult page = c.get(
                base + QStringLiteral("&sort=price&limit=9")
                + (cursor.isEmpty()
                           ? QString()
                           : QStringLiteral("&cursor=")
                                     + QString::fromLatin1(QUrl::toPercentEncoding(cursor))));
        QCOMPARE(page.status, 200);
        for (const QJsonValue &v : page.json().value(QStringLiteral("items")).toArray())
            seen.append(v.toObject().value(QStringLiteral("id")).toString());
        cursor = page.json().value(QStringLiteral("nextCursor")).toString();
        createProduct(c, {{QStringLiteral("priceCents"), 50}}); // sorts before the cursor: not seen
        if (step < 3) {
            // delete one not seen yet
            for (const QString &id : all) {
                if (!seen.contains(id) && !deleted.contains(id)) {
                    QCOMPARE(c.del(QStringLiteral("/api/v1/products/") + id).status, 204);
                    deleted.append(id);
                    break;
                }
            }
        }
        ++step;
    } while (!cursor.isEmpty());
    QCOMPARE(QSet<QString>(seen.cbegin(), seen.cend()).size(), seen.size());
    QSet<QString> expected = all;
    for (const QString &d : deleted)
        expected.remove(d);
    QCOMPARE(QSet<QString>(seen.cbegin(), seen.cend()), expected);
}

// Many products match one word: 60 in four relevance groups (the word 2 to 5 times in
// descriptions of equal length), then 240 of one equal score (once), more than SQLite's
// ranking window (200 rows at limit 7, 248 at 30) holds; and a seller filter that rejects
// every row of the window. Each walk is the whole ordering: by relevance, equal scores by id.
void TestCatalog::relevanceWalksManyMatches()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const QString other = addUser(QStringLiteral("seller"));
    const Client c = as(seller, QStringLiteral("seller"));
    QList<QPair<int, QString>> expected; // (-times, id)
    for (int i = 0; i < 300; ++i) {
        const int times = i < 240 ? 1 : 2 + i % 4;
        QStringList words;
        for (int w = 0; w < 5; ++w)
            words.append(w < times ? QStringLiteral("lantern") : QStringLiteral("plain"));
        const QString id
                = createProduct(c, {{QStringLiteral("name"), QStringLiteral("Lamp")},
                                    {QStringLiteral("description"), words.join(QLatin1Char(' '))}})
                          .value(QStringLiteral("id"))
                          .toString();
        QVERIFY(!id.isEmpty());
        expected.append({-times, id});
    }
    std::sort(expected.begin(), expected.end());
    QStringList order;
    for (const auto &e : expected)
        order.append(e.second);
    for (const int limit : {7, 30, 100}) {
        QStringList got;
        for (const QJsonObject &o :
             walk(m_server->client(), QStringLiteral("/api/v1/products?q=lantern"), limit))
            got.append(o.value(QStringLiteral("id")).toString());
        QCOMPARE(got.size(), order.size());
        QCOMPARE(got, order);
    }
    const Client o = as(other, QStringLiteral("seller"));
    QStringList few;
    for (int i = 0; i < 3; ++i)
        few.append(createProduct(o, {{QStringLiteral("description"),
                                      QStringLiteral("lantern plain plain plain plain")}})
                           .value(QStringLiteral("id"))
                           .toString());
    std::sort(few.begin(), few.end());
    QStringList got;
    for (const QJsonObject &p :
         walk(m_server->client(), QStringLiteral("/api/v1/products?q=lantern&sellerId=") + other,
              2))
        got.append(p.value(QStringLiteral("id")).toString());
    QCOMPARE(got, few);
}

void TestCatalog::priceRangesWalkInOrder_data()
{
    QTest::addColumn<QString>("query"); // besides the seller
    QTest::addColumn<qint64>("minPrice");
    QTest::addColumn<qint64>("maxPrice");
    QTest::addColumn<QString>("order"); // newest, rating, price or relevance
    // 2,600 products priced 1..5000: a narrow range is read through the price index, a wide
    // one (over 2,000 products) as a filter on the walk in the order asked (Catalog::list).
    QTest::newRow("narrow newest")
            << "minPriceCents=100&maxPriceCents=160" << 100ll << 160ll << "newest";
    QTest::newRow("wide newest") << "maxPriceCents=4600" << 0ll << 4600ll << "newest";
    QTest::newRow("wide both newest")
            << "minPriceCents=50&maxPriceCents=4900" << 50ll << 4900ll << "newest";
    QTest::newRow("wide rating") << "maxPriceCents=4600&sort=rating" << 0ll << 4600ll << "rating";
    QTest::newRow("wide price") << "minPriceCents=400&sort=-price" << 400ll << 99999ll << "-price";
    QTest::newRow("search wide newest")
            << "q=range&maxPriceCents=4600&sort=newest" << 0ll << 4600ll << "newest";
    QTest::newRow("search narrow relevance")
            << "q=range&minPriceCents=100&maxPriceCents=160" << 100ll << 160ll << "relevance";
    QTest::newRow("search wide relevance")
            << "q=range&maxPriceCents=4600" << 0ll << 4600ll << "relevance";
}

// A price bound returns exactly the products in the range, in the order asked, whether the
// range is narrow or wide (the two are planned differently on SQLite).
void TestCatalog::priceRangesWalkInOrder()
{
    QFETCH(QString, query);
    QFETCH(qint64, minPrice);
    QFETCH(qint64, maxPrice);
    QFETCH(QString, order);
    Shop &shop = m_server->shop();
    const QString seller = addUser(QStringLiteral("seller"));
    const qint64 now = Clock::nowMs();
    QList<ImportedProduct> batch;
    for (int i = 0; i < 2600; ++i) {
        ImportedProduct item;
        item.product.name = QStringLiteral("Range item %1").arg(i);
        // every third also says "range" twice: relevance has two levels
        item.product.description = i % 3 == 0 ? QStringLiteral("range range") : QString();
        item.product.priceCents = 1 + (i * 37) % 5000;
        item.product.stock = 5;
        item.product.lowStockThreshold = 0;
        item.createdAt = now - 10'000'000 + (i / 4) * 1000; // ties on the time
        batch.append(item);
    }
    auto imported = shop.catalog().importProducts(seller, batch);
    QVERIFY(imported);
    struct Row
    {
        QString id;
        qint64 price;
        qint64 created;
        int hits;
    };
    QList<Row> expected;
    for (qsizetype i = 0; i < imported->size(); ++i) {
        const Row r{imported->at(i), batch.at(i).product.priceCents, batch.at(i).createdAt,
                    i % 3 == 0 ? 3 : 1};
        if (r.price >= minPrice && r.price <= maxPrice)
            expected.append(r);
    }
    std::sort(expected.begin(), expected.end(), [&](const Row &a, const Row &b) {
        if (order == QLatin1String("newest"))
            return a.created != b.created ? a.created > b.created : a.id > b.id;
        if (order == QLatin1String("-price"))
            return a.price != b.price ? a.price > b.price : a.id > b.id;
        if (order == QLatin1String("relevance"))
            return a.hits != b.hits ? a.hits > b.hits : a.id < b.id;
        return a.id < b.id; // rating: all unrated, by id
    });
    QStringList want;
    for (const Row &r : expected)
        want.append(r.id);
    if (maxPrice - minPrice > 1000)
        QVERIFY(want.size() > 2000); // wide: more than the narrow range's bound
    else
        QVERIFY(want.size() < 100);
    QStringList got;
    for (const QJsonObject &o :
         walk(m_server->client(),
              QStringLiteral("/api/v1/products?sellerId=%1&%2").arg(seller, query), 100))
        got.append(o.value(QStringLiteral("id")).toString());
    QCOMPARE(got.size(), want.size());
    QCOMPARE(got, want);
}

// PostgreSQL: a bulk import leaves the planner fresh statistics (without them a first page of
// 10,000 just-imported products was a scan and sort of the whole table), and a small one
// leaves that to autovacuum.
void TestCatalog::importRefreshesPlannerStatistics()
{
    if (!usingPostgres())
        QSKIP("SQLite keeps no planner statistics for an import to refresh");
    Shop &shop = m_server->shop();
    const QString seller = addUser(QStringLiteral("seller"));
    const auto analyzed = [&] {
        auto q = execSql(shop.database().connection(),
                         QStringLiteral("SELECT last_analyze IS NOT NULL, n_live_tup "
                                        "FROM pg_stat_user_tables WHERE relname = 'products'"));
        return q && q->next() ? q->value(0).toBool() : false;
    };
    const auto batch = [](int n) {
        QList<ImportedProduct> items;
        for (int i = 0; i < n; ++i) {
            ImportedProduct item;
            item.product.name = QStringLiteral("Bulk %1").arg(i);
            item.product.priceCents = 100 + i;
            item.product.stock = 3;
            items.append(item);
        }
        return items;
    };
    QVERIFY(shop.catalog().importProducts(seller, batch(20)));
    QVERIFY(!analyzed());
    QVERIFY(shop.catalog().importProducts(seller, batch(600)));
    QVERIFY(analyzed());
    QSqlQuery plan(shop.database().connection());
    QVERIFY(plan.exec(QStringLiteral("EXPLAIN SELECT id FROM products WHERE deleted_at IS NULL "
                                     "ORDER BY created_at DESC, id DESC LIMIT 21")));
    QString text;
    while (plan.next())
        text += plan.value(0).toString() + QLatin1Char('\n');
    QVERIFY2(text.contains(QLatin1String("Index Scan Backward using products_newest")),
             qPrintable(text));
}

void TestCatalog::pagingWalkWithConcurrentWriters_data()
{
    QTest::addColumn<QString>("sort");
    QTest::newRow("newest") << QStringLiteral("newest");
    QTest::newRow("price") << QStringLiteral("price");
}

// 1,000 products walked 7 at a time over HTTP while another thread (its own connection, as an
// API worker) inserts products and deletes others: every product that existed for the whole
// walk is seen exactly once, nothing is seen twice.
void TestCatalog::pagingWalkWithConcurrentWriters()
{
    QFETCH(QString, sort);
    Shop &shop = m_server->shop();
    const QString seller = addUser(QStringLiteral("seller"));
    const qint64 now = Clock::nowMs();
    QList<ImportedProduct> batch;
    for (int i = 0; i < 1200; ++i) {
        ImportedProduct item;
        item.product.name = QStringLiteral("Walk item %1").arg(i);
        item.product.priceCents = 100 + (i * 37) % 50; // many equal prices: ties on the id
        item.product.stock = 5;
        item.product.lowStockThreshold = 0;
        item.createdAt = now - 10'000'000 + (i / 3) * 1000; // equal times too
        batch.append(item);
    }
    auto imported = shop.catalog().importProducts(seller, batch);
    QVERIFY(imported);
    // Every sixth is deleted during the walk; the other 1,000 stay.
    QStringList victims;
    QSet<QString> stable;
    for (qsizetype i = 0; i < imported->size(); ++i) {
        if (i % 6 == 5)
            victims.append(imported->at(i));
        else
            stable.insert(imported->at(i));
    }
    QCOMPARE(stable.size(), 1000);
    // Deleted in a scrambled order: some behind the cursor, some ahead of it.
    std::shuffle(victims.begin(), victims.end(), std::mt19937(11));

    std::atomic<bool> done{false};
    std::atomic<int> writes{0};
    std::atomic<int> failures{0};
    std::thread writer([&] {
        QRandomGenerator rng(7);
        qsizetype nextVictim = 0;
        while (!done.load()) {
            NewProduct p;
            p.name = QStringLiteral("Late item %1").arg(writes.load());
            p.priceCents = 100 + rng.bounded(50);
            p.stock = 1;
            p.lowStockThreshold = 0;
            if (!shop.catalog().create(seller, p))
                failures.fetch_add(1);
            if (nextVictim < victims.size()) {
                if (!shop.catalog().remove(seller, victims.at(nextVictim), {}))
                    failures.fetch_add(1);
                ++nextVictim;
            }
            writes.fetch_add(1);
        }
        shop.database().releaseThreadConnection();
    });

    const Client c = m_server->client();
    const QString base
            = QStringLiteral("/api/v1/products?sellerId=%1&sort=%2&limit=7").arg(seller, sort);
    QList<QString> seen;
    QString cursor;
    int pages = 0;
    bool failed = false;
    bool oversized = false;
    do {
        const HttpResult page = c.get(
                base
                + (cursor.isEmpty()
                           ? QString()
                           : QStringLiteral("&cursor=")
                                     + QString::fromLatin1(QUrl::toPercentEncoding(cursor))));
        if (page.status != 200) {
            failed = true;
            break;
        }
        const QJsonArray items = page.json().value(QStringLiteral("items")).toArray();
        oversized = oversized || items.size() > 7;
        for (const QJsonValue &v : items)
            seen.append(v.toObject().value(QStringLiteral("id")).toString());
        cursor = page.json().value(QStringLiteral("nextCursor")).toString();
        ++pages;
        // At least one write lands between two pages (and others while a page is read).
        while (writes.load() < pages && !failed)
            std::this_thread::yield();
    } while (!cursor.isEmpty() && pages < 1000);
    done.store(true);
    writer.join();
    QVERIFY(!failed);
    QVERIFY(!oversized);
    QCOMPARE(failures.load(), 0);
    QVERIFY2(writes.load() >= pages, qPrintable(QString::number(writes.load())));
    QVERIFY(pages >= 1000 / 7);

    const QSet<QString> unique(seen.cbegin(), seen.cend());
    QCOMPARE(unique.size(), seen.size()); // no duplicate
    QSet<QString> missing = stable;
    missing.subtract(unique);
    QVERIFY2(missing.isEmpty(),
             qPrintable(QStringLiteral("%1 stable products never shown").arg(missing.size())));
    // The walk is in order: ascending price or descending time, as the sort says.
    QHash<QString, QPair<qint64, qint64>> keys; // id -> (price, created)
    for (qsizetype i = 0; i < imported->size(); ++i)
        keys.insert(imported->at(i), {batch.at(i).product.priceCents, batch.at(i).createdAt});
    QPair<qint64, qint64> previous{-1, -1};
    for (const QString &id : std::as_const(seen)) {
        if (!keys.contains(id))
            continue; // a late one
        const QPair<qint64, qint64> k = keys.value(id);
        if (previous.first >= 0) {
            if (sort == QLatin1String("price"))
                QVERIFY(k.first >= previous.first);
            else
                QVERIFY(k.second <= previous.second);
        }
        previous = k;
    }
}

// The first page and a search are answered from a per-connection cache on SQLite: each kind of
// change, made through the API (a worker's connection) or straight in the database (another
// connection), must show on the very next GET.
void TestCatalog::listAnswersFollowEveryChange_data()
{
    QTest::addColumn<QString>("how");
    QTest::addColumn<QString>("field");
    QTest::newRow("patch-price") << QStringLiteral("patch") << QStringLiteral("priceCents");
    QTest::newRow("stock-adjustment") << QStringLiteral("adjust") << QStringLiteral("stock");
    QTest::newRow("sql-stock-other-connection")
            << QStringLiteral("sql-stock") << QStringLiteral("stock");
    QTest::newRow("sql-seller-name-other-connection")
            << QStringLiteral("sql-name") << QStringLiteral("sellerName");
    // Another process commits (python3's sqlite3 module on the SQLite file; psql on
    // PostgreSQL), the way a second server or a maintenance command would: the cache learns of
    // it from the WAL index (SQLite) or the cluster's snapshot (PostgreSQL) alone.
    QTest::newRow("sql-stock-other-process")
            << QStringLiteral("process-stock") << QStringLiteral("stock");
}

void TestCatalog::listAnswersFollowEveryChange()
{
    QFETCH(QString, how);
    QFETCH(QString, field);
    const DatabaseUrl &url = m_server->shop().database().url();
    const QString seller = addUser(QStringLiteral("seller"));
    const Client c = as(seller, QStringLiteral("seller"));
    const QString id
            = createProduct(c, {{QStringLiteral("name"), QStringLiteral("Cachedword lamp")},
                                {QStringLiteral("priceCents"), 1500},
                                {QStringLiteral("stock"), 8}})
                      .value(QStringLiteral("id"))
                      .toString();
    QVERIFY(!id.isEmpty());
    const QStringList paths{QStringLiteral("/api/v1/products?limit=20"),
                            QStringLiteral("/api/v1/products?limit=20&q=cachedword")};
    const Client anyone = m_server->client();
    auto valueIn = [&](const QString &path) {
        const HttpResult r = anyone.get(path);
        const QJsonArray items = r.json().value(QStringLiteral("items")).toArray();
        for (const QJsonValue &v : items) {
            if (v.toObject().value(QStringLiteral("id")).toString() == id)
                return v.toObject().value(field);
        }
        return QJsonValue(QJsonValue::Undefined);
    };
    for (int round = 0; round < 3; ++round) {
        QJsonValue expected;
        for (const QString &path : paths) { // twice each: the second is the cached answer
            QVERIFY(!valueIn(path).isUndefined());
            QVERIFY(!valueIn(path).isUndefined());
        }
        const QString productPath = QStringLiteral("/api/v1/products/") + id;
        if (how == QLatin1String("patch")) {
            const HttpResult r
                    = c.patch(productPath, {{QStringLiteral("priceCents"), 1600 + round}});
            QCOMPARE(r.status, 200);
            expected = 1600 + round;
        } else if (how == QLatin1String("adjust")) {
            const HttpResult r = c.post(productPath + QStringLiteral("/stock-adjustments"),
                                        {{QStringLiteral("delta"), -1},
                                         {QStringLiteral("reason"), QStringLiteral("sold")}});
            QCOMPARE(r.status, 200);
            expected = 7 - round;
        } else if (how == QLatin1String("sql-stock")) {
            QVERIFY(execSql(m_server->shop().database().connection(),
                            QStringLiteral("UPDATE products SET stock = ? WHERE id = ?"),
                            {qint64(50 + round), id}));
            expected = 50 + round;
        } else if (how == QLatin1String("process-stock")) {
            QProcess other;
            if (url.engine == Engine::Sqlite) {
                other.start(QStringLiteral("python3"),
                            {QStringLiteral("-c"),
                             QStringLiteral("import sqlite3, sys\n"
                                            "c = sqlite3.connect(sys.argv[1], timeout=10)\n"
                                            "c.execute('UPDATE products SET stock = ? WHERE id = "
                                            "?', (int(sys.argv[2]), sys.argv[3]))\n"
                                            "c.commit()\n"),
                             url.path, QString::number(70 + round), id});
            } else {
                QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
                env.insert(QStringLiteral("PGPASSWORD"), url.password);
                other.setProcessEnvironment(env);
                other.start(QStringLiteral("psql"),
                            {QStringLiteral("-X"), QStringLiteral("-v"),
                             QStringLiteral("ON_ERROR_STOP=1"), QStringLiteral("-h"), url.host,
                             QStringLiteral("-p"), QString::number(url.port), QStringLiteral("-U"),
                             url.user, QStringLiteral("-d"), url.name, QStringLiteral("-c"),
                             QStringLiteral("UPDATE products SET stock = %1 WHERE id = '%2'")
                                     .arg(70 + round)
                                     .arg(id)});
            }
            QVERIFY(other.waitForFinished(30000));
            QVERIFY2(other.exitStatus() == QProcess::NormalExit && other.exitCode() == 0,
                     other.readAllStandardError().constData());
            expected = 70 + round;
        } else {
            const QString name = QStringLiteral("Renamed %1").arg(round);
            QVERIFY(execSql(m_server->shop().database().connection(),
                            QStringLiteral("UPDATE users SET display_name = ? WHERE id = ?"),
                            {name, seller}));
            expected = name;
        }
        for (const QString &path : paths)
            QCOMPARE(valueIn(path), expected);
    }
}

void TestCatalog::badQueryParams_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QString>("param");
    QTest::newRow("limit-abc") << "limit=abc"
                               << "limit";
    QTest::newRow("limit-0") << "limit=0"
                             << "limit";
    QTest::newRow("limit-negative") << "limit=-5"
                                    << "limit";
    QTest::newRow("cursor-junk") << "cursor=abc.def"
                                 << "cursor";
    QTest::newRow("cursor-garbage") << "cursor=%%%"
                                    << "cursor";
    QTest::newRow("sort-unknown") << "sort=cheapest"
                                  << "sort";
    QTest::newRow("sort-empty") << "sort="
                                << "sort";
    QTest::newRow("inStock-maybe") << "inStock=maybe"
                                   << "inStock";
    QTest::newRow("minPrice-negative") << "minPriceCents=-1"
                                       << "minPriceCents";
    QTest::newRow("maxPrice-abc") << "maxPriceCents=abc"
                                  << "maxPriceCents";
    QTest::newRow("maxPrice-fraction") << "maxPriceCents=1.5"
                                       << "maxPriceCents";
}

void TestCatalog::badQueryParams()
{
    QFETCH(QString, query);
    QFETCH(QString, param);
    const HttpResult r = m_server->client().get(QStringLiteral("/api/v1/products?") + query);
    QCOMPARE(r.status, 400);
    QVERIFY(r.isProblem());
    QCOMPARE(r.json().value(QStringLiteral("errors"))
                     .toArray()
                     .first()
                     .toObject()
                     .value(QStringLiteral("field"))
                     .toString(),
             param);
}

// ---- stock ------------------------------------------------------------------------------

void TestCatalog::stockAdjustments()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const Client c = as(seller, QStringLiteral("seller"));
    const QString id = createProduct(c, {{QStringLiteral("stock"), 7}})
                               .value(QStringLiteral("id"))
                               .toString();
    const QString path
            = QStringLiteral("/api/v1/products/") + id + QStringLiteral("/stock-adjustments");
    HttpResult r = c.post(path, {{QStringLiteral("delta"), 3},
                                 {QStringLiteral("reason"), QStringLiteral("restock")}});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("stock")).toInt(), 10);
    QCOMPARE(r.json().value(QStringLiteral("id")).toString(), id);
    r = c.post(path, {{QStringLiteral("delta"), -100},
                      {QStringLiteral("reason"), QStringLiteral("oops")}});
    QCOMPARE(r.status, 409);
    QVERIFY(r.isProblem());
    QCOMPARE(c.post(path,
                    {{QStringLiteral("delta"), 0}, {QStringLiteral("reason"), QStringLiteral("x")}})
                     .status,
             422);
    QCOMPARE(c.post(path, {{QStringLiteral("delta"), 1.5},
                           {QStringLiteral("reason"), QStringLiteral("x")}})
                     .status,
             422);
    QCOMPARE(c.post(path, {{QStringLiteral("delta"), 1}}).status, 422);
    QCOMPARE(c.post(path, {{QStringLiteral("delta"), 1000000},
                           {QStringLiteral("reason"), QStringLiteral("x")}})
                     .status,
             422);
    QCOMPARE(c.post(QStringLiteral("/api/v1/products/nope/stock-adjustments"),
                    {{QStringLiteral("delta"), 1}, {QStringLiteral("reason"), QStringLiteral("x")}})
                     .status,
             404);
    r = c.post(path, {{QStringLiteral("delta"), -10},
                      {QStringLiteral("reason"), QStringLiteral("sold out")}});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("inStock")).toBool(), false);
    // The ledger holds each change with reason and actor.
    auto q = execSql(m_server->shop().database().connection(),
                     QStringLiteral("SELECT delta, reason, note, actor_id FROM stock_ledger WHERE "
                                    "product_id = ? ORDER BY id"),
                     {id});
    QVERIFY(q);
    QList<QStringList> rows;
    while (q->next())
        rows.append({q->value(0).toString(), q->value(1).toString(), q->value(2).toString(),
                     q->value(3).toString()});
    QCOMPARE(rows,
             (QList<QStringList>{{QStringLiteral("7"), QStringLiteral("create"), QString(), seller},
                                 {QStringLiteral("3"), QStringLiteral("adjust"),
                                  QStringLiteral("restock"), seller},
                                 {QStringLiteral("-10"), QStringLiteral("adjust"),
                                  QStringLiteral("sold out"), seller}}));
}

void TestCatalog::ledgerInvariantAndCheck()
{
    Shop &shop = m_server->shop();
    const QString seller = addUser(QStringLiteral("seller"));
    const Client c = as(seller, QStringLiteral("seller"));
    QStringList ids;
    for (int i = 0; i < 5; ++i)
        ids.append(createProduct(c, {{QStringLiteral("stock"), 20}})
                           .value(QStringLiteral("id"))
                           .toString());
    QHash<QString, qint64> expected;
    for (const QString &id : ids)
        expected[id] = 20;
    QRandomGenerator rng(42);
    for (int i = 0; i < 300; ++i) {
        const QString id = ids.at(int(rng.bounded(ids.size())));
        const int kind = int(rng.bounded(4));
        const int qty = int(rng.bounded(1, 6));
        if (kind == 0) {
            const HttpResult r
                    = c.post(QStringLiteral("/api/v1/products/%1/stock-adjustments").arg(id),
                             {{QStringLiteral("delta"), rng.bounded(2) ? qty : -qty},
                              {QStringLiteral("reason"), QStringLiteral("count")}});
            QVERIFY(r.status == 200 || r.status == 409);
            if (r.status == 200)
                expected[id] = r.json().value(QStringLiteral("stock")).toInt();
            continue;
        }
        Transaction tx(shop.database());
        QVERIFY(tx.begin());
        StockEffects fx;
        Status s = Ok{};
        if (kind == 1)
            s = shop.inventory().reserve(tx.db(), id, qty, QStringLiteral("order-%1").arg(i),
                                         seller, &fx);
        else if (kind == 2)
            s = shop.inventory().release(tx.db(), id, qty, QStringLiteral("order-%1").arg(i), {},
                                         StockReason::Cancel, &fx);
        else
            s = shop.inventory().restock(tx.db(), id, qty, QStringLiteral("order-%1").arg(i), {},
                                         &fx);
        if (!s) {
            QCOMPARE(s.error().code, ErrorCode::Conflict);
            QVERIFY(expected[id] < qty);
            tx.rollback();
            continue;
        }
        QVERIFY(tx.commit());
        shop.inventory().announce(fx);
        expected[id] += kind == 1 ? -qty : qty;
    }
    for (const QString &id : ids)
        QCOMPARE(m_server->client()
                         .get(QStringLiteral("/api/v1/products/") + id)
                         .json()
                         .value(QStringLiteral("stock"))
                         .toInteger(),
                 expected[id]);
    auto mismatches = Inventory::verifyLedger(shop.database().connection());
    QVERIFY(mismatches);
    QVERIFY(mismatches->isEmpty());

    // `mercato-server check` agrees, then finds a tampered product.
    QTemporaryDir dir;
    const QString url = freshDatabaseUrl(dir.path());
    {
        auto parsed = DatabaseUrl::parse(url);
        QVERIFY(parsed);
        Database database(parsed.value());
        QVERIFY(database.open());
        {
            const QSqlDatabase db = database.connection();
            QVERIFY(execSql(
                    db,
                    QStringLiteral(
                            "INSERT INTO users (id, email, email_norm, password_hash, "
                            "display_name, "
                            "role, created_at, updated_at) VALUES ('u1', 'a@b', 'a@b', 'x', 'A', "
                            "'seller', 0, 0)")));
            QVERIFY(execSql(
                    db, QStringLiteral(
                                "INSERT INTO products (id, seller_id, name, price_cents, stock, "
                                "created_at, updated_at) VALUES ('p1', 'u1', 'P', 5, 4, 0, 0)")));
            QVERIFY(execSql(
                    db, QStringLiteral(
                                "INSERT INTO stock_ledger (product_id, delta, reason, created_at) "
                                "VALUES ('p1', 4, 'create', 0)")));
        }
        database.releaseThreadConnection();
    }
    auto runCheck = [&](QByteArray *out) {
        QProcess p;
        p.start(serverBinary(), {QStringLiteral("check"), QStringLiteral("--database"), url,
                                 QStringLiteral("--data-dir"), dir.path()});
        p.waitForFinished(60000);
        *out = p.readAllStandardOutput();
        return p.exitCode();
    };
    QByteArray out;
    QCOMPARE(runCheck(&out), 0);
    {
        Database database(DatabaseUrl::parse(url).value());
        QVERIFY(database.open());
        QVERIFY(execSql(database.connection(),
                        QStringLiteral("UPDATE products SET stock = 9 WHERE id = 'p1'")));
        database.releaseThreadConnection();
    }
    QCOMPARE(runCheck(&out), 1);
    QVERIFY2(out.contains("p1") && out.contains("9") && out.contains("4"), out.constData());
}

// A seeded random run of 1,000 operations through the model: hand adjustments, sales (real
// orders placed from a cart) and cancels of pending orders. Every product's stock matches the
// expected figure and its ledger's sum, and the ledger check finds nothing.
void TestCatalog::ledgerAfterThousandOrdersAdjustmentsAndCancels()
{
    Shop &shop = m_server->shop();
    const QString seller = addUser(QStringLiteral("seller"));
    const QStringList customers{addUser(QStringLiteral("customer")),
                                addUser(QStringLiteral("customer"))};
    QStringList ids;
    QHash<QString, qint64> expected;
    for (int i = 0; i < 6; ++i) {
        NewProduct p;
        p.name = QStringLiteral("Ledger item %1").arg(i);
        p.priceCents = 250 + i;
        p.stock = 15;
        p.lowStockThreshold = 3;
        auto created = shop.catalog().create(seller, p);
        QVERIFY(created);
        ids.append(created->id);
        expected.insert(created->id, 15);
    }
    struct Open
    {
        QString orderId, customerId, productId;
        int qty;
    };
    QList<Open> open;
    QRandomGenerator rng(20261126);
    int adjusted = 0, sold = 0, refused = 0, cancelled = 0;
    for (int step = 0; step < 1000; ++step) {
        const QString id = ids.at(int(rng.bounded(int(ids.size()))));
        const int qty = int(rng.bounded(1, 6));
        const int kind = int(rng.bounded(10));
        if (kind < 3) { // a hand adjustment (down refused below zero)
            const qint64 delta = rng.bounded(2) ? qty : -qty;
            auto r = shop.catalog().adjustStock(seller, id, delta, QStringLiteral("count"));
            if (r) {
                expected[id] += delta;
                QCOMPARE(r->stock, expected[id]);
                ++adjusted;
            } else {
                QCOMPARE(r.error().code, ErrorCode::Conflict);
                QVERIFY(expected[id] + delta < 0);
            }
        } else if (kind < 7) { // a sale: an order from the cart
            const QString customer = customers.at(int(rng.bounded(2)));
            QVERIFY(shop.cart().setQuantity(customer, id, qty));
            auto order = shop.orders().placeOrder(customer, 0);
            if (order) {
                expected[id] -= qty;
                open.append({order->id, customer, id, qty});
                ++sold;
            } else {
                QCOMPARE(order.error().code, ErrorCode::Conflict);
                QVERIFY2(expected[id] < qty, qPrintable(order.error().detail));
                QVERIFY(shop.cart().clear(customer));
                ++refused;
            }
        } else if (!open.isEmpty()) { // a cancel of a pending order
            const Open o = open.takeAt(int(rng.bounded(int(open.size()))));
            auto r = shop.orders().cancel(o.customerId, o.orderId);
            QVERIFY2(r, qPrintable(r ? QString() : r.error().detail));
            expected[o.productId] += o.qty;
            ++cancelled;
        }
    }
    QVERIFY(adjusted > 100 && sold > 100 && cancelled > 100 && refused > 0);
    const Client c = m_server->client();
    for (const QString &id : ids) {
        const HttpResult r = c.get(QStringLiteral("/api/v1/products/") + id);
        QCOMPARE(r.json().value(QStringLiteral("stock")).toInteger(), expected[id]);
        auto sum = execSql(shop.database().connection(),
                           QStringLiteral("SELECT COALESCE(SUM(delta), 0) FROM stock_ledger "
                                          "WHERE product_id = ?"),
                           {id});
        QVERIFY(sum && sum->next());
        QCOMPARE(sum->value(0).toLongLong(), expected[id]);
    }
    auto mismatches = Inventory::verifyLedger(shop.database().connection());
    QVERIFY(mismatches);
    QVERIFY(mismatches->isEmpty());
}

void TestCatalog::lowStockOncePerCrossing()
{
    Shop &shop = m_server->shop();
    QSignalSpy spy(&shop.events(), &ModelEvents::stockLow);
    const QString seller = addUser(QStringLiteral("seller"));
    const Client c = as(seller, QStringLiteral("seller"));
    const QString id = createProduct(c, {{QStringLiteral("stock"), 10},
                                         {QStringLiteral("lowStockThreshold"), 3}})
                               .value(QStringLiteral("id"))
                               .toString();
    auto adjust = [&](int delta) {
        return c.post(QStringLiteral("/api/v1/products/%1/stock-adjustments").arg(id),
                      {{QStringLiteral("delta"), delta},
                       {QStringLiteral("reason"), QStringLiteral("t")}})
                .status;
    };
    auto sell = [&](int qty) {
        Transaction tx(shop.database());
        if (!tx.begin())
            return false;
        StockEffects fx;
        if (!shop.inventory().reserve(tx.db(), id, qty, QStringLiteral("o"), QString(), &fx))
            return false;
        if (!tx.commit())
            return false;
        shop.inventory().announce(fx);
        return true;
    };
    QCOMPARE(adjust(-5), 200); // 5: above
    QCOMPARE(countKind(seller, QStringLiteral("stock.low")), 0);
    QVERIFY(sell(2)); // 3: at the threshold: a crossing
    QCOMPARE(countKind(seller, QStringLiteral("stock.low")), 1);
    QVERIFY(sell(1));          // 2: still below, no new alert
    QCOMPARE(adjust(-1), 200); // 1
    QCOMPARE(countKind(seller, QStringLiteral("stock.low")), 1);
    QCOMPARE(adjust(2), 200); // 3: not above yet: still disarmed
    QVERIFY(sell(1));         // 2
    QCOMPARE(countKind(seller, QStringLiteral("stock.low")), 1);
    QCOMPARE(adjust(5), 200); // 7: re-armed
    QCOMPARE(countKind(seller, QStringLiteral("stock.low")), 1);
    QVERIFY(sell(4)); // 3: a new crossing
    QCOMPARE(countKind(seller, QStringLiteral("stock.low")), 2);
    QCOMPARE(spy.count(), 2);
    QCOMPARE(spy.last().at(0).toString(), id);
    QCOMPARE(spy.last().at(1).toString(), seller);
    QCOMPARE(spy.last().at(2).toInt(), 3);
    // The notification says which product.
    const QJsonObject n = walk(c, QStringLiteral("/api/v1/notifications"), 10).first();
    QCOMPARE(n.value(QStringLiteral("data"))
                     .toObject()
                     .value(QStringLiteral("productId"))
                     .toString(),
             id);
    // Nobody else was told.
    const QString other = addUser(QStringLiteral("seller"));
    QCOMPARE(countKind(other, QStringLiteral("stock.low")), 0);
}

void TestCatalog::lowStockOnCreateAndThreshold()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const Client c = as(seller, QStringLiteral("seller"));
    createProduct(c, {{QStringLiteral("stock"), 2}, {QStringLiteral("lowStockThreshold"), 2}});
    QCOMPARE(countKind(seller, QStringLiteral("stock.low")), 1);
    const QString id = createProduct(c, {{QStringLiteral("stock"), 8},
                                         {QStringLiteral("lowStockThreshold"), 2}})
                               .value(QStringLiteral("id"))
                               .toString();
    QCOMPARE(countKind(seller, QStringLiteral("stock.low")), 1);
    const QString path = QStringLiteral("/api/v1/products/") + id;
    QCOMPARE(c.patch(path, {{QStringLiteral("lowStockThreshold"), 8}}).status,
             200); // raised to the stock
    QCOMPARE(countKind(seller, QStringLiteral("stock.low")), 2);
    QCOMPARE(c.patch(path, {{QStringLiteral("lowStockThreshold"), 9}}).status, 200); // still below
    QCOMPARE(countKind(seller, QStringLiteral("stock.low")), 2);
    QCOMPARE(c.patch(path, {{QStringLiteral("lowStockThreshold"), 1}}).status, 200); // re-armed
    QCOMPARE(c.patch(path, {{QStringLiteral("stock"), 1}}).status, 200); // a crossing by edit
    QCOMPARE(countKind(seller, QStringLiteral("stock.low")), 3);
}

void TestCatalog::sellerInventory()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const Client c = as(seller, QStringLiteral("seller"));
    const QString low = createProduct(c, {{QStringLiteral("stock"), 1},
                                          {QStringLiteral("lowStockThreshold"), 3}})
                                .value(QStringLiteral("id"))
                                .toString();
    const QString fine = createProduct(c, {{QStringLiteral("stock"), 10},
                                           {QStringLiteral("lowStockThreshold"), 3}})
                                 .value(QStringLiteral("id"))
                                 .toString();
    const QString gone = createProduct(c).value(QStringLiteral("id")).toString();
    QCOMPARE(c.del(QStringLiteral("/api/v1/products/") + gone).status, 204);
    createProduct(as(addUser(QStringLiteral("seller")), QStringLiteral("seller")),
                  {{QStringLiteral("stock"), 0}});
    const QList<QJsonObject> all = walk(c, QStringLiteral("/api/v1/seller/inventory"), 1);
    QCOMPARE(all.size(), 2);
    for (const QJsonObject &o : all) {
        const bool isLow = o.value(QStringLiteral("id")).toString() == low;
        QCOMPARE(o.value(QStringLiteral("lowStock")).toBool(), isLow);
        QCOMPARE(o.value(QStringLiteral("stock")).toInt(), isLow ? 1 : 10);
        QCOMPARE(o.value(QStringLiteral("lowStockThreshold")).toInt(), 3);
    }
    const QList<QJsonObject> lows
            = walk(c, QStringLiteral("/api/v1/seller/inventory?lowStock=true"), 20);
    QCOMPARE(lows.size(), 1);
    QCOMPARE(lows.first().value(QStringLiteral("id")).toString(), low);
    QCOMPARE(walk(c, QStringLiteral("/api/v1/seller/inventory?lowStock=false"), 20).size(), 2);
    QCOMPARE(c.get(QStringLiteral("/api/v1/seller/inventory?lowStock=maybe")).status, 400);
    QCOMPARE(as(addUser(QStringLiteral("customer")), QStringLiteral("customer"))
                     .get(QStringLiteral("/api/v1/seller/inventory"))
                     .status,
             403);
    QCOMPARE(m_server->client().get(QStringLiteral("/api/v1/seller/inventory")).status, 401);
    Q_UNUSED(fine);
}

// ---- images and media ---------------------------------------------------------------------

void TestCatalog::imagesRawAndMultipart()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const Client c = as(seller, QStringLiteral("seller"));
    const QString id = createProduct(c).value(QStringLiteral("id")).toString();
    const QString path = QStringLiteral("/api/v1/products/") + id + QStringLiteral("/images");
    const QByteArray png = makePng(16, 16);
    HttpResult r = c.send("POST", path, png, "image/png");
    QCOMPARE(r.status, 201);
    const QString imageId = r.json().value(QStringLiteral("id")).toString();
    const QString url = r.json().value(QStringLiteral("url")).toString();
    QVERIFY(!imageId.isEmpty());
    QVERIFY(url.startsWith(QStringLiteral("/media/")));
    QVERIFY(!r.header("location").isEmpty());
    const QString name = url.mid(7);
    QVERIFY(name.size() >= 32);

    const HttpResult m = m_server->client().get(url);
    QCOMPARE(m.status, 200);
    QCOMPARE(m.header("content-type"), QByteArray("image/png"));
    QCOMPARE(m.body, png);
    const QByteArray etag = m.header("etag");
    QVERIFY(etag.startsWith('"'));
    QVERIFY(m.header("cache-control").contains("immutable"));
    QVERIFY(m.header("cache-control").contains("max-age="));
    const HttpResult again = m_server->client().get(url, {{"If-None-Match", etag}});
    QCOMPARE(again.status, 304);
    QVERIFY(again.body.isEmpty());
    QCOMPARE(again.header("etag"), etag);
    QCOMPARE(m_server->client().get(url, {{"If-None-Match", "\"other\""}}).status, 200);

    const QByteArray boundary = "----mercato" + Ids::newId().toLatin1();
    r = c.send("POST", path, multipartBody(boundary, "file", png, "image/png"),
               "multipart/form-data; boundary=" + boundary);
    QCOMPARE(r.status, 201);
    const QString second = r.json().value(QStringLiteral("id")).toString();
    // Quoted boundary too.
    r = c.send("POST", path, multipartBody(boundary, "file", png, "image/png"),
               "multipart/form-data; boundary=\"" + boundary + "\"");
    QCOMPARE(r.status, 201);

    const QJsonArray images = m_server->client()
                                      .get(QStringLiteral("/api/v1/products/") + id)
                                      .json()
                                      .value(QStringLiteral("images"))
                                      .toArray();
    QCOMPARE(images.size(), 3);
    QCOMPARE(images.at(0).toObject().value(QStringLiteral("id")).toString(),
             imageId); // in upload order
    QCOMPARE(images.at(1).toObject().value(QStringLiteral("id")).toString(), second);
    QCOMPARE(images.at(0).toObject().value(QStringLiteral("url")).toString(), url);
}

void TestCatalog::imageRejections_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<int>("status");
    const QByteArray png = makePng();
    const QByteArray b = "XyZb0undary";
    QTest::newRow("text-plain") << png << QByteArray("text/plain") << 415;
    QTest::newRow("no-type") << png << QByteArray() << 415;
    QTest::newRow("gif") << QByteArray("GIF89a\x01\x00\x01\x00", 10) << QByteArray("image/gif")
                         << 415;
    QTest::newRow("not-an-image") << QByteArray("hello, world") << QByteArray("image/png") << 415;
    QTest::newRow("truncated-png") << png.left(40) << QByteArray("image/png") << 422;
    QTest::newRow("empty") << QByteArray() << QByteArray("image/png") << 422;
    QTest::newRow("png-declared-jpeg") << png << QByteArray("image/jpeg") << 415;
    QTest::newRow("multipart-no-file-field")
            << multipartBody(b, "photo", png, "image/png")
            << QByteArray("multipart/form-data; boundary=" + b) << 422;
    QTest::newRow("multipart-no-boundary") << multipartBody(b, "file", png, "image/png")
                                           << QByteArray("multipart/form-data") << 400;
    QTest::newRow("multipart-unclosed") << QByteArray(
            "--" + b + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" + png)
                                        << QByteArray("multipart/form-data; boundary=" + b) << 400;
    QTest::newRow("multipart-bad-image") << multipartBody(b, "file", "not an image", "image/png")
                                         << QByteArray("multipart/form-data; boundary=" + b) << 415;
}

void TestCatalog::imageRejections()
{
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, contentType);
    QFETCH(int, status);
    const QString seller = addUser(QStringLiteral("seller"));
    const Client c = as(seller, QStringLiteral("seller"));
    const QString id = createProduct(c).value(QStringLiteral("id")).toString();
    const HttpResult r = c.send("POST", QStringLiteral("/api/v1/products/%1/images").arg(id), body,
                                contentType);
    QCOMPARE(r.status, status);
    QVERIFY(r.isProblem());
    QCOMPARE(m_server->client()
                     .get(QStringLiteral("/api/v1/products/") + id)
                     .json()
                     .value(QStringLiteral("images"))
                     .toArray()
                     .size(),
             0);
    QCOMPARE(QDir(m_server->dataDir() + QStringLiteral("/media")).entryList(QDir::Files).size(), 0);
}

void TestCatalog::imageLimitAndDelete()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const Client c = as(seller, QStringLiteral("seller"));
    const QString id = createProduct(c).value(QStringLiteral("id")).toString();
    const QString path = QStringLiteral("/api/v1/products/%1/images").arg(id);
    QStringList urls, ids;
    for (int i = 0; i < 10; ++i) {
        const HttpResult r = c.send("POST", path, makePng(2 + i, 2), "image/png");
        QCOMPARE(r.status, 201);
        urls.append(r.json().value(QStringLiteral("url")).toString());
        ids.append(r.json().value(QStringLiteral("id")).toString());
    }
    HttpResult r = c.send("POST", path, makePng(), "image/png");
    QCOMPARE(r.status, 409);
    const QDir media(m_server->dataDir() + QStringLiteral("/media"));
    QCOMPARE(media.entryList(QDir::Files).size(), 10); // the refused one left no file

    // Another seller cannot delete it; an unknown image is 404.
    QCOMPARE(as(addUser(QStringLiteral("seller")), QStringLiteral("seller"))
                     .del(path + QLatin1Char('/') + ids.first())
                     .status,
             404);
    QCOMPARE(as(addUser(QStringLiteral("customer")), QStringLiteral("customer"))
                     .del(path + QLatin1Char('/') + ids.first())
                     .status,
             403);
    QCOMPARE(c.del(path + QStringLiteral("/nope")).status, 404);

    const QString file = media.filePath(urls.first().mid(7));
    QVERIFY(QFile::exists(file));
    QCOMPARE(c.del(path + QLatin1Char('/') + ids.first()).status, 204);
    QVERIFY(!QFile::exists(file));
    QCOMPARE(m_server->client().get(urls.first()).status, 404);
    QCOMPARE(c.del(path + QLatin1Char('/') + ids.first()).status, 404);
    QCOMPARE(c.send("POST", path, makePng(), "image/png").status, 201); // room for one again

    // Deleting the product removes its stored images.
    QCOMPARE(c.del(QStringLiteral("/api/v1/products/") + id).status, 204);
    QCOMPARE(media.entryList(QDir::Files).size(), 0);
}

void TestCatalog::mediaTraversal_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::newRow("encoded-slash") << QByteArray("/media/..%2Ftest.db");
    QTest::newRow("encoded-dots") << QByteArray("/media/%2e%2e/test.db");
    QTest::newRow("encoded-dots-slash") << QByteArray("/media/%2e%2e%2ftest.db");
    QTest::newRow("plain-dots") << QByteArray("/media/../test.db");
    QTest::newRow("deep") << QByteArray("/media/..%2F..%2Fetc%2Fpasswd");
    QTest::newRow("backslash") << QByteArray("/media/..%5Ctest.db");
    QTest::newRow("absolute") << QByteArray("/media/%2Fetc%2Fpasswd");
    QTest::newRow("nul") << QByteArray("/media/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%00.png");
    QTest::newRow("unknown") << QByteArray(
            "/media/no-such-image-0123456789abcdef0123456789abcdef.png");
    QTest::newRow("db-name") << QByteArray("/media/test.db");
    QTest::newRow("jwt-key") << QByteArray("/media/..%2Fjwt.key");
}

void TestCatalog::mediaTraversal()
{
    QFETCH(QByteArray, target);
    // A real image exists, so the store folder exists.
    const QString seller = addUser(QStringLiteral("seller"));
    const Client c = as(seller, QStringLiteral("seller"));
    const QString id = createProduct(c).value(QStringLiteral("id")).toString();
    QCOMPARE(c.send("POST", QStringLiteral("/api/v1/products/%1/images").arg(id), makePng(),
                    "image/png")
                     .status,
             201);
    const HttpResult r = httpRequest(m_server->port(), "GET", target);
    QVERIFY2(r.status == 404 || r.status == 400, qPrintable(QString::number(r.status)));
    QVERIFY(!r.body.contains("SQLite") && !r.body.contains("root:"));
}

// ---- notifications ------------------------------------------------------------------------

void TestCatalog::notificationsApi()
{
    Shop &shop = m_server->shop();
    const QString alice = addUser(QStringLiteral("customer"));
    const QString bob = addUser(QStringLiteral("customer"));
    QSignalSpy spy(&shop.events(), &ModelEvents::notificationCreated);
    {
        Transaction tx(shop.database());
        QVERIFY(tx.begin());
        QList<PendingNotification> pending;
        for (int i = 0; i < 25; ++i) {
            QVERIFY(shop.notifier().add(tx.db(), alice, QStringLiteral("order.shipped"),
                                        QStringLiteral("Shipped %1").arg(i), QStringLiteral("Body"),
                                        QJsonObject{{QStringLiteral("n"), i}}, &pending));
        }
        QVERIFY(shop.notifier().add(tx.db(), bob, QStringLiteral("order.shipped"),
                                    QStringLiteral("Bob's"), QStringLiteral("Body"), {}, &pending));
        QVERIFY(tx.commit());
        shop.notifier().announce(pending);
    }
    QCOMPARE(spy.count(), 26);
    const Client a = as(alice, QStringLiteral("customer"));
    const Client b = as(bob, QStringLiteral("customer"));
    HttpResult r = a.get(QStringLiteral("/api/v1/notifications"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("unreadCount")).toInt(), 25);
    QCOMPARE(r.json().value(QStringLiteral("items")).toArray().size(), 20);
    const QJsonObject first = r.json().value(QStringLiteral("items")).toArray().first().toObject();
    for (const char *key : {"id", "kind", "title", "body", "data", "createdAt", "readAt"})
        QVERIFY2(first.contains(QLatin1String(key)), key);
    QVERIFY(first.value(QStringLiteral("readAt")).isNull());
    QCOMPARE(first.value(QStringLiteral("kind")).toString(), QStringLiteral("order.shipped"));
    QVERIFY(first.value(QStringLiteral("data")).isObject());
    const QList<QJsonObject> all = walk(a, QStringLiteral("/api/v1/notifications"), 7);
    QCOMPARE(all.size(), 25);
    QSet<QString> ids;
    for (const QJsonObject &o : all)
        ids.insert(o.value(QStringLiteral("id")).toString());
    QCOMPARE(ids.size(), 25);

    const QString one = first.value(QStringLiteral("id")).toString();
    // Another user's: 404, and nothing changes.
    QCOMPARE(b.post(QStringLiteral("/api/v1/notifications/%1/read").arg(one)).status, 404);
    QCOMPARE(a.post(QStringLiteral("/api/v1/notifications/nope/read")).status, 404);
    QCOMPARE(a.post(QStringLiteral("/api/v1/notifications/%1/read").arg(one)).status, 204);
    QCOMPARE(a.post(QStringLiteral("/api/v1/notifications/%1/read").arg(one)).status, 204);
    r = a.get(QStringLiteral("/api/v1/notifications?unread=true&limit=100"));
    QCOMPARE(r.json().value(QStringLiteral("unreadCount")).toInt(), 24);
    QCOMPARE(r.json().value(QStringLiteral("items")).toArray().size(), 24);
    for (const QJsonValue &v : r.json().value(QStringLiteral("items")).toArray())
        QVERIFY(v.toObject().value(QStringLiteral("id")).toString() != one);
    const QJsonObject readOne = walk(a, QStringLiteral("/api/v1/notifications"), 100).first();
    QVERIFY(readOne.value(QStringLiteral("readAt")).toString().endsWith(QLatin1Char('Z')));

    QCOMPARE(a.post(QStringLiteral("/api/v1/notifications/read-all")).status, 204);
    r = a.get(QStringLiteral("/api/v1/notifications?unread=true"));
    QCOMPARE(r.json().value(QStringLiteral("unreadCount")).toInt(), 0);
    QCOMPARE(r.json().value(QStringLiteral("items")).toArray().size(), 0);
    // Bob's stay unread.
    QCOMPARE(b.get(QStringLiteral("/api/v1/notifications"))
                     .json()
                     .value(QStringLiteral("unreadCount"))
                     .toInt(),
             1);
    QCOMPARE(b.get(QStringLiteral("/api/v1/notifications"))
                     .json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .size(),
             1);

    QCOMPARE(a.get(QStringLiteral("/api/v1/notifications?unread=maybe")).status, 400);
    QCOMPARE(a.get(QStringLiteral("/api/v1/notifications?cursor=bogus")).status, 400);
    QCOMPARE(m_server->client().get(QStringLiteral("/api/v1/notifications")).status, 401);
    // A cursor of Bob's list does not page Alice's.
    const QString aliceCursor = a.get(QStringLiteral("/api/v1/notifications?limit=1"))
                                        .json()
                                        .value(QStringLiteral("nextCursor"))
                                        .toString();
    QVERIFY(!aliceCursor.isEmpty());
    QCOMPARE(b.get(QStringLiteral("/api/v1/notifications?cursor=")
                   + QString::fromLatin1(QUrl::toPercentEncoding(aliceCursor)))
                     .status,
             400);
}

QTEST_GUILESS_MAIN(TestCatalog)
#include "tst_catalog.moc"
