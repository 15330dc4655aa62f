// Attacks on the HTTP transport, each over real HTTP against a real mercato-server (and the
// shipped nginx example in front of it where the attack is on the pair): path confusion,
// pipelined answers never read, /metrics from outside, catalogue queries that would fill the
// answer cache. Memory figures are the server's own RSS before and after, printed in the log.

#include "support/nginx.h"
#include "support/testsupport.h"

#include "model/ids.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QLoggingCategory>
#include <QNetworkInterface>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTest>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

const QString kPassword = QStringLiteral("correct horse battery");

// One answer read off a connection.
struct Answer
{
    int status = 0;
    QHash<QByteArray, QByteArray> headers; // lower-case names
    QByteArray body;
    QByteArray header(const QByteArray &name) const { return headers.value(name); }
};

// Cuts the complete answers off the front of `buffer` (from `*pos` on, advancing it).
QList<Answer> takeAnswers(const QByteArray &buffer, qsizetype *pos, qint64 *count = nullptr,
                          bool keep = true)
{
    QList<Answer> out;
    for (;;) {
        const qsizetype headEnd = buffer.indexOf("\r\n\r\n", *pos);
        if (headEnd < 0)
            return out;
        Answer a;
        const QList<QByteArray> lines = buffer.mid(*pos, headEnd - *pos).split('\n');
        a.status = lines.first().split(' ').value(1).toInt();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines.at(i).trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon > 0)
                a.headers.insert(line.left(colon).toLower(), line.mid(colon + 1).trimmed());
        }
        const qint64 length = a.status >= 200 ? a.header("content-length").toLongLong() : 0;
        if (buffer.size() - (headEnd + 4) < length)
            return out;
        if (keep)
            a.body = buffer.mid(headEnd + 4, length);
        *pos = headEnd + 4 + length;
        if (count)
            ++*count;
        if (keep)
            out.append(a);
    }
}

// Sends `bytes` on one connection and reads answers until the server closes it, `expected`
// answers arrived (when given) or `ms` passed.
QList<Answer> exchange(quint16 port, const QByteArray &bytes, int ms, bool *closed = nullptr,
                       int expected = -1, const QString &host = QStringLiteral("127.0.0.1"))
{
    QTcpSocket s;
    s.connectToHost(host, port);
    if (!s.waitForConnected(5000))
        return {};
    s.write(bytes);
    QByteArray in;
    qsizetype pos = 0;
    QList<Answer> answers;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms) {
        if (s.state() != QAbstractSocket::ConnectedState && s.bytesAvailable() == 0)
            break;
        if (s.waitForReadyRead(50) || s.bytesAvailable() > 0)
            in += s.readAll();
        answers += takeAnswers(in, &pos);
        if (expected >= 0 && answers.size() >= expected && !closed)
            break;
    }
    in += s.readAll();
    answers += takeAnswers(in, &pos);
    if (closed)
        *closed = s.state() != QAbstractSocket::ConnectedState;
    return answers;
}

QByteArray get(const QByteArray &target, const QByteArray &extra = {})
{
    return "GET " + target + " HTTP/1.1\r\nHost: shop.test\r\n" + extra + "\r\n";
}

// The sum of a Prometheus series (all lines of `name` whose labels contain `labels`).
double metric(quint16 port, const QString &name, const QString &labels = {})
{
    const HttpResult r = httpRequest(port, "GET", "/metrics");
    double sum = 0;
    const QList<QByteArray> lines = r.body.split('\n');
    for (const QByteArray &line : lines) {
        const QString l = QString::fromUtf8(line);
        if (!(l.startsWith(name + QLatin1Char('{')) || l.startsWith(name + QLatin1Char(' '))))
            continue;
        if (!labels.isEmpty() && !l.contains(labels))
            continue;
        sum += l.section(QLatin1Char(' '), -1).toDouble();
    }
    return sum;
}

// A local address that is not loopback, where this machine has one: a client connecting to
// it is not a loopback client.
QString outsideAddress()
{
    const QList<QHostAddress> all = QNetworkInterface::allAddresses();
    for (const QHostAddress &a : all) {
        if (a.protocol() == QAbstractSocket::IPv4Protocol && !a.isLoopback() && !a.isLinkLocal())
            return a.toString();
    }
    return {};
}

QString registerAccount(quint16 port, const QString &role)
{
    Client c(port);
    const HttpResult r
            = c.post(QStringLiteral("/api/v1/auth/register"),
                     {{QStringLiteral("email"),
                       QStringLiteral("%1-%2@example.test").arg(role, Ids::newId().left(10))},
                      {QStringLiteral("password"), kPassword},
                      {QStringLiteral("displayName"), role},
                      {QStringLiteral("role"), role}});
    if (r.status != 201)
        qWarning("registration failed: %d %s", r.status, r.body.constData());
    return r.json().value(QStringLiteral("accessToken")).toString();
}

// The shipped packaging/nginx-mercato.conf in front of one mercato-server: the same locations,
// limits and proxy settings, made runnable on loopback (no TLS, the instance's port, and a
// listener on the outside address too where there is one).
class ShippedNginx
{
public:
    bool start(quint16 backend, const QString &outside)
    {
        QFile shipped(QStringLiteral(MERCATO_NGINX_EXAMPLE));
        if (!shipped.open(QIODevice::ReadOnly)) {
            m_error = QStringLiteral("cannot read ") + shipped.fileName();
            return false;
        }
        m_port = freePort();
        const quint16 plainPort = freePort();
        QString site;
        bool backendDone = false;
        const QStringList lines = QString::fromUtf8(shipped.readAll()).split(QLatin1Char('\n'));
        for (const QString &line : lines) {
            const QString t = line.trimmed();
            if (t.startsWith(QLatin1String("listen [::]")) || t.startsWith(QLatin1String("ssl_")))
                continue;
            if (t.startsWith(QLatin1String("listen 80"))) {
                site += QStringLiteral("    listen 127.0.0.1:%1;\n").arg(plainPort);
            } else if (t.startsWith(QLatin1String("listen 443"))) {
                site += QStringLiteral("    listen 127.0.0.1:%1;\n").arg(m_port);
                if (!outside.isEmpty())
                    site += QStringLiteral("    listen %1:%2;\n").arg(outside).arg(m_port);
            } else if (t.startsWith(QLatin1String("server 127.0.0.1:"))) {
                if (!backendDone)
                    site += QStringLiteral("    server 127.0.0.1:%1 max_fails=3 fail_timeout=5s;\n")
                                    .arg(backend);
                backendDone = true;
            } else {
                site += line + QLatin1Char('\n');
            }
        }
        return m_nginx.start(site, m_port);
    }
    quint16 port() const { return m_port; }
    QString errorString() const { return m_error.isEmpty() ? m_nginx.errorString() : m_error; }
    QString log() const { return m_nginx.log(); }

private:
    NginxProcess m_nginx;
    quint16 m_port = 0;
    QString m_error;
};

} // namespace

class TestAttacksTransport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        // The in-process server's line per request would bury the figures.
        QLoggingCategory::setFilterRules(QStringLiteral("mercato.access.info=false"));
    }

    void finding04_pathConfusionIsNeverRouted();
    void finding04_shippedNginxHoldsForOddPaths();
    void finding02_unreadPipelinedAnswersAreBounded();
    void finding05_metricsOnlyForLoopbackOrToken();
    void finding10_catalogueCacheHasAByteBudget();
};

// Finding 4: a request-target that a URL parser reads otherwise (`//host/path`), empty segments
// and trailing slashes were collapsed onto routes; the idempotency scope followed the raw path;
// pipelined requests before a `Connection: close` went unanswered.
void TestAttacksTransport::finding04_pathConfusionIsNeverRouted()
{
    ServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.log()));
    const quint16 port = server.port();

    // `//x/...` is a host and a path to QUrl: refused, never routed to the sign-in.
    const QByteArray login = R"({"email":"nobody@example.test","password":"wrong password!"})";
    for (const QByteArray &target : {QByteArray("//x/api/v1/auth/login"),
                                     QByteArray("//api/v1/auth/login"), QByteArray("//healthz")}) {
        const HttpResult r
                = httpRequest(port, "POST", target, login, {{"Content-Type", "application/json"}});
        QVERIFY2(r.status == 400 && r.isProblem(),
                 qPrintable(QString::fromLatin1(target) + QStringLiteral(": %1").arg(r.status)));
    }
    // Empty segments and trailing slashes are unknown paths, API or not, never another route.
    for (const QByteArray &target :
         {QByteArray("/metrics/"), QByteArray("/metrics//"), QByteArray("/healthz/"),
          QByteArray("/api/v1/products/"), QByteArray("/api/v1//products"),
          QByteArray("/api/v1/openapi.json/"), QByteArray("/api/v1/./openapi.json"),
          QByteArray("/api/v1/x/../openapi.json")}) {
        const HttpResult r = httpRequest(port, "GET", target);
        QVERIFY2(r.status == 404 && r.isProblem(),
                 qPrintable(QString::fromLatin1(target) + QStringLiteral(": %1").arg(r.status)));
    }
    for (const QByteArray &target :
         {QByteArray("/api/v1/auth/login/"), QByteArray("/api/v1/auth//login")}) {
        const HttpResult r
                = httpRequest(port, "POST", target, login, {{"Content-Type", "application/json"}});
        QVERIFY2(r.status == 404 && r.isProblem(),
                 qPrintable(QString::fromLatin1(target) + QStringLiteral(": %1").arg(r.status)));
    }
    QCOMPARE(httpRequest(port, "GET", "/metrics").status, 200);

    // One idempotency scope per route: `/api/v1/orders/` is no second one, and another
    // spelling of the same path is the same one.
    Client customer(port);
    customer.setToken(registerAccount(port, QStringLiteral("customer")));
    QVERIFY(!customer.token().isEmpty());
    const QList<QPair<QByteArray, QByteArray>> key{{"Idempotency-Key", "order-key-1"}};
    const HttpResult slash = customer.post(QStringLiteral("/api/v1/orders/"), {}, key);
    QVERIFY2(slash.status == 404 && slash.isProblem(), slash.body.constData());
    const HttpResult first = customer.post(QStringLiteral("/api/v1/orders"), {}, key);
    QVERIFY2(first.status > 0 && first.status < 500, first.body.constData());
    QVERIFY2(first.header("idempotent-replayed").isEmpty(), first.body.constData());
    for (const QString &path :
         {QStringLiteral("/api/v1/orders"), QStringLiteral("/api/v1/%6Frders")}) {
        const HttpResult again = customer.post(path, {}, key);
        QCOMPARE(again.status, first.status);
        QCOMPARE(again.header("idempotent-replayed"), QByteArray("true"));
    }

    // Pipelining: three requests, the last with `Connection: close`: three answers, then the
    // close; only the last answer says close.
    bool closed = false;
    QList<Answer> answers = exchange(
            port, get("/healthz") + get("/readyz") + get("/healthz", "Connection: close\r\n"),
            15000, &closed);
    QCOMPARE(answers.size(), 3);
    QVERIFY(closed);
    QCOMPARE(answers.at(0).status, 200);
    QCOMPARE(answers.at(1).status, 200);
    QCOMPARE(answers.at(2).status, 200);
    QVERIFY(answers.at(0).header("connection").isEmpty());
    QVERIFY(answers.at(1).header("connection").isEmpty());
    QCOMPARE(answers.at(2).header("connection").toLower(), QByteArray("close"));
    // What follows the last request is not answered.
    answers = exchange(port, get("/healthz", "Connection: close\r\n") + get("/readyz"), 15000,
                       &closed);
    QCOMPARE(answers.size(), 1);
    QVERIFY(closed);
    // A refused request behind accepted ones is answered after them, in order.
    answers = exchange(
            port,
            get("/healthz") + get("/readyz")
                    + "POST /api/v1/auth/login HTTP/1.1\r\nHost: shop.test\r\n"
                      "Content-Type: application/json\r\nContent-Length: 999999999\r\n\r\n",
            15000, &closed);
    QCOMPARE(answers.size(), 3);
    QCOMPARE(answers.at(0).status, 200);
    QCOMPARE(answers.at(1).status, 200);
    QCOMPARE(answers.at(2).status, 413);
    QVERIFY(closed);
    // A raw target the router sees as sent: a percent-encoded slash stays inside its segment.
    QCOMPARE(httpRequest(port, "GET", "/api/v1/products/a%2Fb").status, 404);
    QCOMPARE(httpRequest(port, "GET", "/healthz").status, 200);
    MERCATO_VERIFY_CLEAN_EXIT(server);
}

// Finding 4 and 5 behind the shipped nginx example: the sign-in limit holds for every
// spelling of the sign-in path, and /metrics is not served to outside clients.
void TestAttacksTransport::finding04_shippedNginxHoldsForOddPaths()
{
    ServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.log()));
    const QString outside = outsideAddress();
    ShippedNginx nginx;
    QVERIFY2(nginx.start(server.port(), outside), qPrintable(nginx.errorString()));
    const quint16 port = nginx.port();

    // 30 password guesses each way: no spelling of the path reaches the password check past
    // nginx's limit (20 a minute, 5 in a burst).
    const QByteArray login = R"({"email":"victim@example.test","password":"guess number x"})";
    const QList<QByteArray> spellings{"//x/api/v1/auth/login", "/api/v1/auth//login",
                                      "/api/v1/auth/login/", "/x/../api/v1/auth/login",
                                      "/api/v1/auth/./login"};
    for (const QByteArray &target : spellings) {
        int checked = 0;
        for (int i = 0; i < 30; ++i) {
            const HttpResult r = httpRequest(port, "POST", target, login,
                                             {{"Content-Type", "application/json"}});
            QVERIFY2(
                    r.status != 0 && r.status < 500,
                    qPrintable(QString::fromLatin1(target) + QStringLiteral(": %1").arg(r.status)));
            if (r.status == 401 || r.status == 200)
                ++checked;
        }
        qInfo().noquote() << target << ": password checks past nginx:" << checked << "of 30";
        QVERIFY2(checked <= 6,
                 qPrintable(QString::fromLatin1(target)
                            + QStringLiteral(": %1 of 30 guesses checked").arg(checked)));
    }
    int limited = 0;
    for (int i = 0; i < 30; ++i) {
        if (httpRequest(port, "POST", "/api/v1/auth/login", login,
                        {{"Content-Type", "application/json"}})
                    .status
            == 429)
            ++limited;
    }
    QVERIFY2(limited > 0, "nginx's sign-in limit did not hold for the plain path");

    // /metrics: served to a loopback client of nginx (its health checks), never to one outside,
    // whatever the spelling.
    QCOMPARE(httpRequest(port, "GET", "/metrics").status, 200);
    if (outside.isEmpty())
        QSKIP("no non-loopback local address: the outside client is not tried");
    for (const QByteArray &target :
         {QByteArray("/metrics"), QByteArray("/metrics/"), QByteArray("/metrics//"),
          QByteArray("//metrics"), QByteArray("/metrics?x=1"), QByteArray("/%6Detrics"),
          QByteArray("/x/../metrics"), QByteArray("/readyz"), QByteArray("/healthz/")}) {
        const HttpResult r = httpRequest(port, "GET", target, {},
                                         {{"X-Forwarded-For", "127.0.0.1"}}, 15000, outside);
        QVERIFY2(r.status == 403 || r.status == 404 || r.status == 400,
                 qPrintable(QString::fromLatin1(target) + QStringLiteral(": %1").arg(r.status)));
        QVERIFY2(!r.body.contains("mercato_http_requests_total"), target.constData());
    }
    QVERIFY(httpRequest(port, "GET", "/api/v1/openapi.json", {}, {}, 15000, outside).status == 200);
    MERCATO_VERIFY_CLEAN_EXIT(server);
}

// Finding 2: pipelined requests whose answers the client never reads were all executed and
// their answers kept in memory. Now a connection with more than 1 MiB or 16 answers unsent is
// not read until its peer reads, and one whose peer reads nothing for the write timeout is
// closed.
void TestAttacksTransport::finding02_unreadPipelinedAnswersAreBounded()
{
    ServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.log()));
    const quint16 port = server.port();
    const HttpResult doc = httpRequest(port, "GET", "/api/v1/openapi.json");
    QCOMPARE(doc.status, 200);
    // Warm the paths the attack takes (a few pipelined answers read at once).
    QCOMPARE(exchange(port, get("/api/v1/openapi.json").repeated(20), 30000, nullptr, 20).size(),
             20);
    const qint64 before = server.rssKiB();
    QVERIFY(before > 0);

    constexpr int kRequests = 6000;
    const QByteArray request = get("/api/v1/openapi.json");
    QTcpSocket attacker;
    attacker.setReadBufferSize(4096); // what the attacker's side takes from the kernel
    attacker.connectToHost(QStringLiteral("127.0.0.1"), port);
    QVERIFY(attacker.waitForConnected(5000));
    attacker.write(request.repeated(kRequests));
    const QString route = QStringLiteral("route=\"/api/v1/openapi.json\"");
    const double servedBefore = metric(port, QStringLiteral("mercato_http_requests_total"), route);
    // Until the server stops answering (or has answered everything).
    double served = servedBefore;
    int still = 0;
    QElapsedTimer t;
    t.start();
    while (still < 6 && t.elapsed() < 180'000) {
        attacker.flush();
        QTest::qWait(500);
        const double now = metric(port, QStringLiteral("mercato_http_requests_total"), route);
        still = now == served ? still + 1 : 0;
        served = now;
        if (served - servedBefore >= kRequests)
            break;
    }
    const qint64 after = server.rssKiB();
    qInfo().noquote() << QStringLiteral("%1 pipelined GETs of %2 bytes each never read: %3 "
                                        "answered, server RSS %4 KiB before, %5 KiB after")
                                 .arg(kRequests)
                                 .arg(doc.body.size())
                                 .arg(served - servedBefore, 0, 'f', 0)
                                 .arg(before)
                                 .arg(after);
    QVERIFY2(after - before < 48 * 1024,
             qPrintable(QStringLiteral("RSS grew from %1 KiB to %2 KiB").arg(before).arg(after)));
    QVERIFY(attacker.state() == QAbstractSocket::ConnectedState);

    // The peer reads now: every request is answered, in order.
    attacker.setReadBufferSize(0);
    QByteArray in;
    qsizetype pos = 0;
    qint64 count = 0;
    t.restart();
    while (count < kRequests && t.elapsed() < 240'000
           && attacker.state() == QAbstractSocket::ConnectedState) {
        if (attacker.waitForReadyRead(200) || attacker.bytesAvailable() > 0)
            in += attacker.readAll();
        const QList<Answer> got = takeAnswers(in, &pos, &count, false);
        Q_UNUSED(got);
        in.remove(0, pos);
        pos = 0;
    }
    QCOMPARE(count, qint64(kRequests));
    attacker.close();

    // A peer that reads nothing is dropped after the write timeout; here an in-process server
    // with a short one, and a client that never calls recv().
    Http::Router router;
    const QByteArray big(256 * 1024, 'x');
    router.add("GET", QStringLiteral("/big"), Http::Access::Public,
               [big](Http::Request &) { return Http::Response::text(200, big, "text/plain"); });
    Metrics metrics;
    ServerOptions options;
    options.port = 0;
    options.workers = 1;
    options.limits.writeTimeoutMs = 1500;
    ApiServer api(&router, &metrics, options);
    QVERIFY(api.start());
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    QVERIFY(fd >= 0);
    const int small = 4096;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(api.port());
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    QCOMPARE(::connect(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa), 0);
    const QByteArray pipelined = get("/big").repeated(200);
    QCOMPARE(::send(fd, pipelined.constData(), size_t(pipelined.size()), 0),
             ssize_t(pipelined.size()));
    t.restart();
    while (metrics.openConnections.load() == 0 && t.elapsed() < 10'000)
        QTest::qWait(20);
    QCOMPARE(metrics.openConnections.load(), 1);
    while (metrics.openConnections.load() > 0 && t.elapsed() < 40'000)
        QTest::qWait(100);
    QCOMPARE(metrics.openConnections.load(), 0);
    ::close(fd);
    api.stop(1000);
    MERCATO_VERIFY_CLEAN_EXIT(server);
}

// Finding 5: /metrics answered anyone who reached the server. Now only loopback clients, or a
// client with the bearer token of MERCATO_METRICS_TOKEN; X-Forwarded-For is not believed.
void TestAttacksTransport::finding05_metricsOnlyForLoopbackOrToken()
{
    const QString outside = outsideAddress();
    if (outside.isEmpty())
        QSKIP("no non-loopback local address to be an outside client from");
    const QByteArray token = "metrics-token-" + Ids::newId().toLatin1();
    QProcessEnvironment env;
    env.insert(QStringLiteral("MERCATO_METRICS_TOKEN"), QString::fromLatin1(token));
    ServerProcess server(env);
    server.setListenHost(QStringLiteral("0.0.0.0"));
    QVERIFY2(server.start(), qPrintable(server.log()));
    const quint16 port = server.port();

    const HttpResult local = httpRequest(port, "GET", "/metrics");
    QCOMPARE(local.status, 200);
    QVERIFY(local.body.contains("mercato_http_requests_total"));

    const QList<QPair<QString, QList<QPair<QByteArray, QByteArray>>>> refused{
            {QStringLiteral("no token"), {}},
            {QStringLiteral("forwarded for loopback"),
             {{"X-Forwarded-For", "127.0.0.1"}, {"X-Real-IP", "127.0.0.1"}}},
            {QStringLiteral("wrong token"), {{"Authorization", "Bearer wrong-" + token}}},
            {QStringLiteral("token prefix"), {{"Authorization", "Bearer " + token.chopped(1)}}},
            {QStringLiteral("basic scheme"), {{"Authorization", "Basic " + token.toBase64()}}},
    };
    for (const auto &[why, headers] : refused) {
        const HttpResult r = httpRequest(port, "GET", "/metrics", {}, headers, 15000, outside);
        QVERIFY2(r.status == 403 && r.isProblem(),
                 qPrintable(why + QStringLiteral(": %1").arg(r.status)));
        QVERIFY2(!r.body.contains("mercato_http_requests_total"), qPrintable(why));
    }
    const HttpResult withToken = httpRequest(
            port, "GET", "/metrics", {}, {{"Authorization", "Bearer " + token}}, 15000, outside);
    QCOMPARE(withToken.status, 200);
    QVERIFY(withToken.body.contains("mercato_http_requests_total"));
    // The rest of the API stays open to outside clients.
    QCOMPARE(httpRequest(port, "GET", "/healthz", {}, {}, 15000, outside).status, 200);
    MERCATO_VERIFY_CLEAN_EXIT(server);
}

// Finding 10: the catalogue answer cache kept up to 256 answers per worker whatever their size
// (2 MB pages: about 0.5 GB per worker). Now each worker keeps a few MiB, least recently used
// out first, and a repeated question is still answered from it.
void TestAttacksTransport::finding10_catalogueCacheHasAByteBudget()
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("MERCATO_SELLER_APPROVAL"), QStringLiteral("off"));
    env.insert(QStringLiteral("MERCATO_WORKERS"), QStringLiteral("2"));
    ServerProcess server(env);
    QVERIFY2(server.start(), qPrintable(server.log()));
    const quint16 port = server.port();
    Client seller(port);
    seller.setToken(registerAccount(port, QStringLiteral("seller")));
    QVERIFY(!seller.token().isEmpty());
    // 100 products with the longest description allowed: a full page is about 2 MB.
    const QString description = QStringLiteral("A long and winding description. ").repeated(625);
    for (int i = 0; i < 100; ++i) {
        const HttpResult r
                = seller.post(QStringLiteral("/api/v1/products"),
                              {{QStringLiteral("name"), QStringLiteral("Lamp %1").arg(i)},
                               {QStringLiteral("description"), description.left(20000)},
                               {QStringLiteral("priceCents"), 100000 + i},
                               {QStringLiteral("stock"), 5}});
        QVERIFY2(r.status == 201, r.body.constData());
    }
    const HttpResult page = httpRequest(port, "GET", "/api/v1/products?limit=100");
    QCOMPARE(page.status, 200);
    QCOMPARE(page.json().value(QStringLiteral("items")).toArray().size(), 100);
    const qint64 before = server.rssKiB();
    QVERIFY(before > 0);

    // Distinct anonymous questions, each answered with the same 2 MB page.
    constexpr int kQueries = 200;
    for (int i = 0; i < kQueries; ++i) {
        const HttpResult r = httpRequest(
                port, "GET", "/api/v1/products?limit=100&minPriceCents=" + QByteArray::number(i),
                {}, {}, 60000);
        QVERIFY2(r.status == 200 && r.body.size() > 1'000'000,
                 qPrintable(QStringLiteral("%1: %2 bytes").arg(r.status).arg(r.body.size())));
    }
    const qint64 after = server.rssKiB();
    qInfo().noquote() << QStringLiteral("%1 distinct catalogue queries of %2 bytes each: server "
                                        "RSS %3 KiB before, %4 KiB after; cache holds %5 bytes")
                                 .arg(kQueries)
                                 .arg(page.body.size())
                                 .arg(before)
                                 .arg(after)
                                 .arg(metric(port, QStringLiteral("mercato_catalog_cache_bytes")),
                                      0, 'f', 0);
    QVERIFY2(after - before < 64 * 1024,
             qPrintable(QStringLiteral("RSS grew from %1 KiB to %2 KiB").arg(before).arg(after)));
    QVERIFY(metric(port, QStringLiteral("mercato_catalog_cache_bytes")) <= 2 * 4 * 1024 * 1024);

    // A repeated question is answered from the cache: four asks land on two workers at most,
    // so at least two of them are hits.
    const double hits = metric(port, QStringLiteral("mercato_catalog_cache_hits_total"));
    for (int i = 0; i < 4; ++i)
        QCOMPARE(httpRequest(port, "GET", "/api/v1/products?limit=100&q=lamp&minPriceCents=7")
                         .status,
                 200);
    const double hitsAfter = metric(port, QStringLiteral("mercato_catalog_cache_hits_total"));
    QVERIFY2(hitsAfter - hits >= 2, qPrintable(QStringLiteral("%1 hits").arg(hitsAfter - hits)));
    MERCATO_VERIFY_CLEAN_EXIT(server);
}

QTEST_GUILESS_MAIN(TestAttacksTransport)
#include "tst_attacks_transport.moc"
