// The API's surface as a whole, walked from the router's own route table:
// - inventory (OWASP API9): the served routes are exactly the OpenAPI document's operations;
// - function-level authorization (OWASP API5): every route that needs a session answers 401
//   without one or with a forged token, every seller route answers 403 to a customer and
//   every customer route 403 to a seller, always as problem+json;
// - no route answers 5xx to an empty or junk body with unknown ids, whoever calls it.

#include "server/opsroutes.h"
#include "server/router.h"
#include "support/testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTest>

using namespace Mercato;
using namespace Mercato::Test;
using Http::Access;

class TestApiSurface : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void servedRoutesEqualTheOpenApiDocument();
    void routesNeedingASessionRefuseWithoutOne();
    void rolesAreEnforcedOnEveryRoute();
    void noRouteAnswers5xxToJunk();

private:
    QList<Http::Router::RouteInfo> apiRoutes() const;
    QString session(const QString &role);
    static QString concretePath(const QString &pattern);
    HttpResult call(const Http::Router::RouteInfo &route, const QString &token,
                    const QByteArray &body = "{}") const;

    std::unique_ptr<TestServer> m_server;
    int m_accounts = 0;
};

void TestApiSurface::initTestCase()
{
    m_server = std::make_unique<TestServer>();
    QVERIFY2(m_server->start(), qPrintable(m_server->errorString()));
}

void TestApiSurface::cleanupTestCase()
{
    m_server.reset();
}

QList<Http::Router::RouteInfo> TestApiSurface::apiRoutes() const
{
    QList<Http::Router::RouteInfo> out;
    const auto all = m_server->router().routes();
    for (const auto &r : all) {
        if (!r.pattern.startsWith(QLatin1String("/debug/"))) // test-only routes, off in production
            out.append(r);
    }
    return out;
}

QString TestApiSurface::session(const QString &role)
{
    // A fresh account per call: earlier requests (logout, password change) may have ended
    // the previous session.
    Client c = m_server->client();
    const QString email = QStringLiteral("%1-%2@surface.test").arg(role).arg(++m_accounts);
    const HttpResult r = c.post(QStringLiteral("/api/v1/auth/register"),
                                {{QStringLiteral("email"), email},
                                 {QStringLiteral("password"), QStringLiteral("surface-password-1")},
                                 {QStringLiteral("displayName"), QStringLiteral("Surface")},
                                 {QStringLiteral("role"), role}});
    if (r.status != 201)
        qWarning() << "register failed" << r.status << r.body;
    return r.json().value(QStringLiteral("accessToken")).toString();
}

QString TestApiSurface::concretePath(const QString &pattern)
{
    QStringList segments = pattern.split(QLatin1Char('/'));
    for (QString &s : segments) {
        if (s.startsWith(QLatin1Char('{')))
            s = QStringLiteral("0123456789abcdef0123456789abcdef");
    }
    return segments.join(QLatin1Char('/'));
}

HttpResult TestApiSurface::call(const Http::Router::RouteInfo &route, const QString &token,
                                const QByteArray &body) const
{
    QList<QPair<QByteArray, QByteArray>> headers;
    if (!token.isEmpty())
        headers.append(qMakePair(QByteArray("Authorization"), "Bearer " + token.toUtf8()));
    const bool hasBody = route.method == "POST" || route.method == "PUT" || route.method == "PATCH";
    if (hasBody)
        headers.append(qMakePair(QByteArray("Content-Type"), QByteArray("application/json")));
    return httpRequest(m_server->port(), route.method, concretePath(route.pattern).toUtf8(),
                       hasBody ? body : QByteArray(), headers);
}

void TestApiSurface::servedRoutesEqualTheOpenApiDocument()
{
    const QJsonObject doc = QJsonDocument::fromJson(Mercato::openApiDocument()).object();
    QVERIFY(!doc.isEmpty());
    QSet<QString> documented;
    const QJsonObject paths = doc.value(QStringLiteral("paths")).toObject();
    for (auto p = paths.begin(); p != paths.end(); ++p) {
        const QJsonObject ops = p.value().toObject();
        for (auto op = ops.begin(); op != ops.end(); ++op) {
            static const QStringList methods
                    = {QStringLiteral("get"), QStringLiteral("post"), QStringLiteral("put"),
                       QStringLiteral("patch"), QStringLiteral("delete")};
            if (methods.contains(op.key()))
                documented.insert(op.key().toUpper() + QLatin1Char(' ') + p.key());
        }
    }
    QSet<QString> served;
    const auto routes = apiRoutes();
    for (const auto &r : routes)
        served.insert(QString::fromLatin1(r.method) + QLatin1Char(' ') + r.pattern);

    QVERIFY(served.size() > 20);
    const QSet<QString> undocumented = served - documented;
    const QSet<QString> notServed = documented - served;
    QVERIFY2(undocumented.isEmpty(),
             qPrintable(QStringLiteral("served but not in OpenAPI: ")
                        + QStringList(undocumented.values()).join(QStringLiteral(", "))));
    QVERIFY2(notServed.isEmpty(),
             qPrintable(QStringLiteral("in OpenAPI but not served: ")
                        + QStringList(notServed.values()).join(QStringLiteral(", "))));
}

void TestApiSurface::routesNeedingASessionRefuseWithoutOne()
{
    // A token signed with another key, and a well-formed but unsigned one.
    const QString forged
            = QStringLiteral("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                             "eyJzdWIiOiJ4Iiwicm9sZSI6InNlbGxlciIsImV4cCI6OTk5OTk5OTk5OX0."
                             "c2lnbmF0dXJlLW9mLWFub3RoZXIta2V5LXNpZ25hdHVyZQ");
    const QString unsigned_
            = QStringLiteral("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwicm9sZSI6InNlbGxlciJ9.");
    int checked = 0;
    const auto routes = apiRoutes();
    for (const auto &r : routes) {
        if (r.access == Access::Public)
            continue;
        for (const QString &token : {QString(), forged, unsigned_}) {
            const HttpResult res = call(r, token);
            const QString what = QString::fromLatin1(r.method) + QLatin1Char(' ') + r.pattern;
            QVERIFY2(res.status == 401,
                     qPrintable(what + QStringLiteral(" answered %1").arg(res.status)));
            QVERIFY2(res.isProblem(), qPrintable(what));
            QVERIFY2(res.header("www-authenticate").startsWith("Bearer"), qPrintable(what));
        }
        ++checked;
    }
    QVERIFY(checked > 10);
}

void TestApiSurface::rolesAreEnforcedOnEveryRoute()
{
    const QString customer = session(QStringLiteral("customer"));
    const QString seller = session(QStringLiteral("seller"));
    QVERIFY(!customer.isEmpty() && !seller.isEmpty());
    int sellerRoutes = 0, customerRoutes = 0;
    const auto routes = apiRoutes();
    for (const auto &r : routes) {
        const QString what = QString::fromLatin1(r.method) + QLatin1Char(' ') + r.pattern;
        if (r.access == Access::Seller) {
            const HttpResult res = call(r, customer);
            QVERIFY2(res.status == 403 && res.isProblem(),
                     qPrintable(what + QStringLiteral(" gave a customer %1").arg(res.status)));
            ++sellerRoutes;
        } else if (r.access == Access::Customer) {
            const HttpResult res = call(r, seller);
            QVERIFY2(res.status == 403 && res.isProblem(),
                     qPrintable(what + QStringLiteral(" gave a seller %1").arg(res.status)));
            ++customerRoutes;
        }
    }
    QVERIFY(sellerRoutes > 3);
    QVERIFY(customerRoutes > 3);
}

void TestApiSurface::noRouteAnswers5xxToJunk()
{
    const QList<QByteArray> bodies = {"{}",
                                      "[]",
                                      "null",
                                      "{\"id\":{\"$gt\":\"\"},\"quantity\":-1}",
                                      "{\"x\":",
                                      QByteArray(3, '\xff'),
                                      "{\"name\":\"\\u0000\"}"};
    const auto routes = apiRoutes();
    for (const QString &role : {QStringLiteral("customer"), QStringLiteral("seller")}) {
        for (const auto &r : routes) {
            const QString what = QString::fromLatin1(r.method) + QLatin1Char(' ') + r.pattern;
            const QString token = session(role);
            for (const QByteArray &body : bodies) {
                const HttpResult res = call(r, token, body);
                QVERIFY2(
                        res.status >= 200 && res.status < 500,
                        qPrintable(what
                                   + QStringLiteral(" as %1 with %2 answered %3 %4")
                                             .arg(role, QString::fromUtf8(body.toPercentEncoding()))
                                             .arg(res.status)
                                             .arg(QString::fromUtf8(res.body.left(200)))));
                if (res.status >= 400)
                    QVERIFY2(res.isProblem(), qPrintable(what));
                const bool hasBody = r.method == "POST" || r.method == "PUT" || r.method == "PATCH";
                if (!hasBody)
                    break; // the body does not matter
            }
        }
    }
}

QTEST_GUILESS_MAIN(TestApiSurface)
#include "tst_apisurface.moc"
