// The router and the paging cursor as units, without a server or a database: which path reaches
// which route (and which never does), the order of its answers (404, 405, 401, 403, then the
// handler), CORS preflights, request ids; cursors that round-trip and refuse what the server did
// not make.

#include "model/cursor.h"
#include "server/router.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTest>

using namespace Mercato;
using namespace Mercato::Http;

class TestRouter : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void pathSegments_data();
    void pathSegments();
    void routesMatchTheirPathOnly_data();
    void routesMatchTheirPathOnly();
    void answersInTheContractsOrder();
    void preflightFromAllowedOriginsOnly();
    void requestIdKeptWhenSane();
    void cursorRoundTrips();
    void cursorRefusesWhatTheServerDidNotMake();

private:
    Response call(const QByteArray &method, const QString &path,
                  const QList<QPair<QByteArray, QByteArray>> &headers = {});
    Router m_router;
};

void TestRouter::initTestCase()
{
    auto echo = [](Request &r) {
        QJsonObject params;
        for (auto it = r.params.cbegin(); it != r.params.cend(); ++it)
            params.insert(it.key(), it.value());
        return Response::json(200, QJsonObject{{QStringLiteral("route"), r.routePattern},
                                               {QStringLiteral("params"), params}});
    };
    m_router.add("GET", QStringLiteral("/api/v1/things"), Access::Public, echo);
    m_router.add("GET", QStringLiteral("/api/v1/things/{id}"), Access::Public, echo);
    m_router.add("PATCH", QStringLiteral("/api/v1/things/{id}"), Access::Seller, echo);
    m_router.add("GET", QStringLiteral("/api/v1/things/{id}/parts/{partId}"), Access::Public, echo);
    m_router.add("GET", QStringLiteral("/api/v1/me"), Access::SignedIn, echo);
    m_router.setCorsOrigins({QStringLiteral("https://shop.example")});
    m_router.setAuthenticator([](const QString &token) -> Result<Principal> {
        if (token == QLatin1String("customer-token"))
            return Principal{QStringLiteral("u1"), QStringLiteral("customer"), 0, {}, {}};
        if (token == QLatin1String("seller-token"))
            return Principal{QStringLiteral("u2"),
                             QStringLiteral("seller"),
                             0,
                             {},
                             QStringLiteral("active")};
        if (token == QLatin1String("pending-token"))
            return Principal{QStringLiteral("u3"),
                             QStringLiteral("seller"),
                             0,
                             {},
                             QStringLiteral("pending")};
        return makeError(ErrorCode::Unauthenticated, QStringLiteral("bad token"));
    });
    Cursor::setKey(QByteArray(32, 'k'));
}

Response TestRouter::call(const QByteArray &method, const QString &path,
                          const QList<QPair<QByteArray, QByteArray>> &headers)
{
    Request r;
    r.method = method;
    r.path = path;
    for (const auto &[name, value] : headers)
        r.headers.insert(name, value);
    return m_router.dispatch(r);
}

void TestRouter::pathSegments_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<bool>("canonical");
    QTest::addColumn<QStringList>("segments");
    QTest::newRow("root") << "/" << true << QStringList();
    QTest::newRow("plain") << "/api/v1/things" << true
                           << QStringList{QStringLiteral("api"), QStringLiteral("v1"),
                                          QStringLiteral("things")};
    QTest::newRow("encoded slash stays in its segment")
            << "/a/b%2Fc" << true << QStringList{QStringLiteral("a"), QStringLiteral("b/c")};
    QTest::newRow("double slash first") << "//api/v1/things" << false << QStringList();
    QTest::newRow("empty segment") << "/api//v1" << false << QStringList();
    QTest::newRow("trailing slash") << "/api/v1/things/" << false << QStringList();
    QTest::newRow("dot") << "/api/./v1" << false << QStringList();
    QTest::newRow("dot dot") << "/api/v1/../v1" << false << QStringList();
    QTest::newRow("relative") << "api/v1" << false << QStringList();
    QTest::newRow("empty") << "" << false << QStringList();
}

void TestRouter::pathSegments()
{
    QFETCH(QString, path);
    QFETCH(bool, canonical);
    QFETCH(QStringList, segments);
    const std::optional<QStringList> parsed = Http::pathSegments(path);
    QCOMPARE(parsed.has_value(), canonical);
    if (canonical)
        QCOMPARE(*parsed, segments);
}

void TestRouter::routesMatchTheirPathOnly_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("route");
    QTest::addColumn<QString>("id");
    QTest::newRow("list") << "/api/v1/things" << 200 << "/api/v1/things"
                          << "";
    QTest::newRow("one") << "/api/v1/things/42" << 200 << "/api/v1/things/{id}"
                         << "42";
    QTest::newRow("decoded parameter") << "/api/v1/things/a%20b" << 200 << "/api/v1/things/{id}"
                                       << "a b";
    QTest::newRow("nested") << "/api/v1/things/7/parts/9" << 200
                            << "/api/v1/things/{id}/parts/{partId}"
                            << "7";
    QTest::newRow("trailing slash is not the list") << "/api/v1/things/" << 404 << ""
                                                    << "";
    QTest::newRow("doubled slash is not the list") << "/api/v1//things" << 404 << ""
                                                   << "";
    QTest::newRow("host-like start is not the list") << "//x/api/v1/things" << 404 << ""
                                                     << "";
    QTest::newRow("dot segments are not collapsed") << "/api/v1/x/../things" << 404 << ""
                                                    << "";
    QTest::newRow("unknown") << "/api/v1/nothing" << 404 << ""
                             << "";
    QTest::newRow("too deep") << "/api/v1/things/1/2" << 404 << ""
                              << "";
}

void TestRouter::routesMatchTheirPathOnly()
{
    QFETCH(QString, path);
    QFETCH(int, status);
    QFETCH(QString, route);
    QFETCH(QString, id);
    const Response r = call("GET", path);
    QCOMPARE(r.status, status);
    if (status == 200) {
        const QJsonObject body = QJsonDocument::fromJson(r.body).object();
        QCOMPARE(body.value(QStringLiteral("route")).toString(), route);
        QCOMPARE(body.value(QStringLiteral("params"))
                         .toObject()
                         .value(QStringLiteral("id"))
                         .toString(),
                 id);
    } else {
        QCOMPARE(r.contentType, QByteArray("application/problem+json"));
    }
}

void TestRouter::answersInTheContractsOrder()
{
    // 405 names what is allowed, before any token is looked at.
    Response r = call("DELETE", QStringLiteral("/api/v1/things/1"));
    QCOMPARE(r.status, 405);
    const QByteArray allow = [&r] {
        for (const auto &[name, value] : r.headers)
            if (name.toLower() == "allow")
                return value;
        return QByteArray();
    }();
    QVERIFY2(allow.contains("GET") && allow.contains("PATCH") && allow.contains("OPTIONS"),
             allow.constData());
    // 401 without a token or with a bad one, 403 for the wrong role or a pending seller.
    QCOMPARE(call("PATCH", QStringLiteral("/api/v1/things/1")).status, 401);
    QCOMPARE(call("PATCH", QStringLiteral("/api/v1/things/1"), {{"authorization", "Bearer forged"}})
                     .status,
             401);
    QCOMPARE(call("PATCH", QStringLiteral("/api/v1/things/1"),
                  {{"authorization", "Bearer customer-token"}})
                     .status,
             403);
    QCOMPARE(call("PATCH", QStringLiteral("/api/v1/things/1"),
                  {{"authorization", "Bearer pending-token"}})
                     .status,
             403);
    QCOMPARE(call("PATCH", QStringLiteral("/api/v1/things/1"),
                  {{"authorization", "Bearer seller-token"}})
                     .status,
             200);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/me"), {{"authorization", "Bearer customer-token"}})
                     .status,
             200);
    // An unknown route is 404 with or without a token.
    QCOMPARE(call("GET", QStringLiteral("/api/v1/nothing"),
                  {{"authorization", "Bearer customer-token"}})
                     .status,
             404);
}

void TestRouter::preflightFromAllowedOriginsOnly()
{
    auto header = [](const Response &r, const QByteArray &name) {
        for (const auto &[n, v] : r.headers)
            if (n.toLower() == name.toLower())
                return v;
        return QByteArray();
    };
    const Response allowed = call("OPTIONS", QStringLiteral("/api/v1/things/1"),
                                  {{"origin", "https://shop.example"}});
    QCOMPARE(allowed.status, 204);
    QCOMPARE(header(allowed, "Access-Control-Allow-Origin"), QByteArray("https://shop.example"));
    QVERIFY(header(allowed, "Access-Control-Allow-Headers").contains("Authorization"));
    const Response foreign = call("OPTIONS", QStringLiteral("/api/v1/things/1"),
                                  {{"origin", "https://evil.example"}});
    QCOMPARE(foreign.status, 204);
    QVERIFY(header(foreign, "Access-Control-Allow-Origin").isEmpty());
    // CORS headers ride on error answers too.
    const Response problem
            = call("GET", QStringLiteral("/api/v1/nothing"), {{"origin", "https://shop.example"}});
    QCOMPARE(problem.status, 404);
    QCOMPARE(header(problem, "Access-Control-Allow-Origin"), QByteArray("https://shop.example"));
}

void TestRouter::requestIdKeptWhenSane()
{
    QCOMPARE(requestIdFor("abc-123_x.y"), QByteArray("abc-123_x.y"));
    const QRegularExpression fresh(QStringLiteral("^[0-9a-f]{24}$"));
    for (const QByteArray &bad : {QByteArray(), QByteArray("has space"), QByteArray(65, 'a'),
                                  QByteArray("new\r\nline"), QByteArray("<script>")}) {
        const QByteArray id = requestIdFor(bad);
        QVERIFY2(fresh.match(QString::fromLatin1(id)).hasMatch(), id.constData());
    }
    QVERIFY(requestIdFor({}) != requestIdFor({}));
}

void TestRouter::cursorRoundTrips()
{
    const QVariantList values{qint64(1700000000123), QStringLiteral("b7f0"), 2.5};
    const QString cursor = Cursor::encode(QStringLiteral("products:newest"), values);
    QVERIFY(!cursor.isEmpty());
    const auto back = Cursor::decode(QStringLiteral("products:newest"), cursor);
    QVERIFY(back.has_value());
    QCOMPARE(back->size(), 3);
    QCOMPARE(back->at(0).toLongLong(), qint64(1700000000123));
    QCOMPARE(back->at(1).toString(), QStringLiteral("b7f0"));
    QCOMPARE(back->at(2).toDouble(), 2.5);
    QVERIFY(Cursor::isNumber(back->at(0)));
    QVERIFY(!Cursor::isNumber(back->at(1)));
}

void TestRouter::cursorRefusesWhatTheServerDidNotMake()
{
    const QString cursor
            = Cursor::encode(QStringLiteral("orders"), {qint64(5), QStringLiteral("x")});
    // Another list's cursor, a changed character, a made-up one, nothing.
    QVERIFY(!Cursor::decode(QStringLiteral("products:newest"), cursor));
    QString tampered = cursor;
    tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == QLatin1Char('A')
                                            ? QLatin1Char('B')
                                            : QLatin1Char('A');
    QVERIFY(!Cursor::decode(QStringLiteral("orders"), tampered));
    QVERIFY(!Cursor::decode(QStringLiteral("orders"), QStringLiteral("abc")));
    QVERIFY(!Cursor::decode(QStringLiteral("orders"), QString()));
    // Another key (another shop) does not read it either.
    Cursor::setKey(QByteArray(32, 'z'));
    QVERIFY(!Cursor::decode(QStringLiteral("orders"), cursor));
    Cursor::setKey(QByteArray(32, 'k'));
    QVERIFY(Cursor::decode(QStringLiteral("orders"), cursor));
}

QTEST_GUILESS_MAIN(TestRouter)
#include "tst_router.moc"
