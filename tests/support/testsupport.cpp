#include "testsupport.h"

#include "server/api.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QUuid>

#include <algorithm>
#include <csignal>
#include <mutex>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Mercato::Test {

QString engineName()
{
    return usingPostgres() ? QStringLiteral("postgresql") : QStringLiteral("sqlite");
}

bool usingPostgres()
{
    return qEnvironmentVariableIsSet("MERCATO_TEST_PG_HOST");
}

QString freshDatabaseUrl(const QString &dir)
{
    if (!usingPostgres())
        return QStringLiteral("sqlite:") + dir + QStringLiteral("/test.db");
    const QString host = qEnvironmentVariable("MERCATO_TEST_PG_HOST");
    const QString port = qEnvironmentVariable("MERCATO_TEST_PG_PORT", QStringLiteral("5432"));
    const QString name = QStringLiteral("t_") + QUuid::createUuid().toString(QUuid::Id128).left(16);
    // A few tries: suites run two at a time against one cluster, and CREATE DATABASE can be
    // refused for a moment (template1 busy copying for the other suite's CREATE DATABASE).
    QString failure;
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (attempt > 0) {
            qWarning("test database not created (try %d): %s", attempt, qPrintable(failure));
            QThread::msleep(200 * attempt);
        }
        {
            QSqlDatabase admin = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"),
                                                           QStringLiteral("test-admin"));
            admin.setHostName(host);
            admin.setPort(port.toInt());
            admin.setUserName(QStringLiteral("postgres"));
            admin.setDatabaseName(QStringLiteral("postgres"));
            if (!admin.open()) {
                failure = QStringLiteral("cannot reach the test PostgreSQL at %1:%2: %3")
                                  .arg(host, port, admin.lastError().text());
            } else {
                QSqlQuery q(admin);
                failure = q.exec(QStringLiteral("CREATE DATABASE ") + name)
                                  ? QString()
                                  : QStringLiteral("CREATE DATABASE failed: ")
                                            + q.lastError().text();
                q.finish();
                admin.close();
            }
        }
        QSqlDatabase::removeDatabase(QStringLiteral("test-admin"));
        if (failure.isEmpty())
            break;
    }
    if (!failure.isEmpty())
        qFatal("%s", qPrintable(failure));
    return QStringLiteral("postgresql://postgres@/%1?host=%2&port=%3").arg(name, host, port);
}

QByteArray testJwtKey()
{
    return QByteArray(32, 'k').toBase64();
}

// ---- HTTP client ------------------------------------------------------------------------

HttpResult httpRequest(quint16 port, const QByteArray &method, const QByteArray &target,
                       const QByteArray &body, const QList<QPair<QByteArray, QByteArray>> &headers,
                       int timeoutMs, const QString &host)
{
    HttpResult result;
    QTcpSocket socket;
    socket.connectToHost(host, port);
    if (!socket.waitForConnected(timeoutMs))
        return result;
    QByteArray out = method + ' ' + target + " HTTP/1.1\r\nHost: " + host.toLatin1() + ':'
                     + QByteArray::number(port) + "\r\nConnection: close\r\n";
    bool hasLength = false;
    for (const auto &[name, value] : headers) {
        out += name + ": " + value + "\r\n";
        if (name.compare("content-length", Qt::CaseInsensitive) == 0)
            hasLength = true;
    }
    if (!hasLength && (!body.isEmpty() || method == "POST" || method == "PUT" || method == "PATCH"))
        out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    out += "\r\n" + body;
    socket.write(out);
    QByteArray in;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        if (socket.state() != QAbstractSocket::ConnectedState && socket.bytesAvailable() == 0)
            break;
        if (socket.waitForReadyRead(50))
            in += socket.readAll();
        // Done when the head is in and the body is complete.
        const qsizetype headEnd = in.indexOf("\r\n\r\n");
        if (headEnd >= 0) {
            const QByteArray head = in.left(headEnd).toLower();
            const qsizetype cl = head.indexOf("content-length:");
            if (cl >= 0) {
                const qsizetype eol = head.indexOf("\r\n", cl);
                const qint64 len
                        = head.mid(cl + 15, eol < 0 ? -1 : eol - cl - 15).trimmed().toLongLong();
                if (in.size() - headEnd - 4 >= len)
                    break;
            }
        }
    }
    in += socket.readAll();
    const qsizetype headEnd = in.indexOf("\r\n\r\n");
    if (headEnd < 0 || !in.startsWith("HTTP/1."))
        return result;
    const QList<QByteArray> lines = in.left(headEnd).split('\n');
    result.status = lines.first().split(' ').value(1).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            result.headers.insert(line.left(colon).trimmed().toLower(),
                                  line.mid(colon + 1).trimmed());
    }
    result.body = in.mid(headEnd + 4);
    const qint64 len = result.header("content-length").toLongLong();
    if (result.headers.contains("content-length"))
        result.body.truncate(len);
    return result;
}

HttpResult Client::send(const QByteArray &method, const QString &path, const QByteArray &body,
                        const QByteArray &contentType,
                        QList<QPair<QByteArray, QByteArray>> headers) const
{
    if (!m_token.isEmpty())
        headers.append({"Authorization", "Bearer " + m_token.toLatin1()});
    if (!contentType.isEmpty())
        headers.append({"Content-Type", contentType});
    return httpRequest(m_port, method, path.toUtf8(), body, headers);
}

HttpResult Client::get(const QString &path,
                       const QList<QPair<QByteArray, QByteArray>> &headers) const
{
    return send("GET", path, {}, {}, headers);
}

HttpResult Client::del(const QString &path,
                       const QList<QPair<QByteArray, QByteArray>> &headers) const
{
    return send("DELETE", path, {}, {}, headers);
}

HttpResult Client::post(const QString &path, const QJsonObject &body,
                        const QList<QPair<QByteArray, QByteArray>> &headers) const
{
    return send("POST", path, QJsonDocument(body).toJson(QJsonDocument::Compact),
                "application/json", headers);
}

HttpResult Client::put(const QString &path, const QJsonObject &body,
                       const QList<QPair<QByteArray, QByteArray>> &headers) const
{
    return send("PUT", path, QJsonDocument(body).toJson(QJsonDocument::Compact), "application/json",
                headers);
}

HttpResult Client::patch(const QString &path, const QJsonObject &body,
                         const QList<QPair<QByteArray, QByteArray>> &headers) const
{
    return send("PATCH", path, QJsonDocument(body).toJson(QJsonDocument::Compact),
                "application/json", headers);
}

// ---- TestServer -------------------------------------------------------------------------

TestServer::TestServer()
    : TestServer(Options{})
{}

TestServer::TestServer(Options options)
    : m_options(std::move(options))
{}

TestServer::~TestServer()
{
    if (m_server)
        m_server->stop(2000);
    m_server.reset();
    if (m_shop)
        m_shop->database().releaseThreadConnection();
    m_shop.reset();
}

bool TestServer::start()
{
    ShopOptions shop;
    auto url = DatabaseUrl::parse(freshDatabaseUrl(m_dir.path()));
    if (!url) {
        m_error = url.error().detail;
        return false;
    }
    shop.database = url.value();
    shop.settings = m_options.settings;
    shop.settings.publicUrl.clear(); // relative media URLs: the port is not known yet
    shop.jwtKey = QByteArray::fromBase64(testJwtKey());
    shop.dataDir = m_dir.path();
    shop.payments = m_options.payments;
    m_shop = std::make_unique<Shop>(shop);
    if (auto s = m_shop->open(); !s) {
        m_error = s.error().detail;
        return false;
    }
    ApiOptions api;
    api.corsOrigins = m_options.corsOrigins;
    api.debugRoutes = m_options.debugRoutes;
    api.authRateLimit = m_options.authRateLimit;
    api.storefront.enabled = m_options.storefront;
    api.storefront.stripePublishableKey = m_options.stripePublishableKey;
    if (m_options.extraRoutes)
        m_options.extraRoutes(m_router);
    registerApi(m_router, *m_shop, m_metrics, api);
    ServerOptions server;
    server.address = QHostAddress::LocalHost;
    server.port = 0;
    server.workers = m_options.workers;
    server.limits = m_options.limits;
    Shop *s = m_shop.get();
    m_server = std::make_unique<ApiServer>(&m_router, &m_metrics, server,
                                           [s] { s->database().releaseThreadConnection(); });
    if (auto st = m_server->start(); !st) {
        m_error = st.error().detail;
        return false;
    }
    return true;
}

QString TestServer::baseUrl() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(port());
}

// ---- ServerProcess ----------------------------------------------------------------------

quint16 freePort()
{
    // Suites run several at a time (CTest -j), and a port is free only until someone binds
    // it; mercato-server binds with SO_REUSEPORT, so two servers given the same port would
    // share it silently. Each port handed out is claimed with a lock on a file named after it,
    // held until this process ends: no other suite on the machine gets it meanwhile.
    static std::mutex mutex;
    static std::vector<int> claims;
    std::lock_guard lock(mutex);
    const QByteArray dir
            = QDir::temp().filePath(QStringLiteral("mercato-test-ports")).toLocal8Bit();
    ::mkdir(dir.constData(), 0777);
    ::chmod(dir.constData(), 0777);
    for (int attempt = 0; attempt < 100; ++attempt) {
        QTcpServer probe;
        if (!probe.listen(QHostAddress::LocalHost, 0))
            continue;
        const quint16 port = probe.serverPort();
        probe.close();
        const QByteArray path = dir + '/' + QByteArray::number(port);
        const int fd = ::open(path.constData(), O_CREAT | O_RDWR | O_CLOEXEC, 0666);
        if (fd < 0)
            return port; // no claim possible: the port as the kernel gave it
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
            claims.push_back(fd);
            return port;
        }
        ::close(fd); // claimed by another suite (or by this one for an earlier server)
    }
    qFatal("no free TCP port could be claimed");
}

QString serverBinary()
{
    return QStringLiteral(MERCATO_SERVER_BINARY);
}

bool makeTlsPair(const QString &certPath, const QString &keyPath)
{
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                   QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-keyout"),
                   keyPath, QStringLiteral("-out"), certPath, QStringLiteral("-days"),
                   QStringLiteral("1"), QStringLiteral("-subj"), QStringLiteral("/CN=localhost")});
    return openssl.waitForFinished(30000) && openssl.exitStatus() == QProcess::NormalExit
           && openssl.exitCode() == 0;
}

QString nodePeerMissing(const QString &module)
{
    const QString peers = QStringLiteral(MERCATO_PEERS_DIR);
    if (QStandardPaths::findExecutable(QStringLiteral("node")).isEmpty())
        return QStringLiteral("`node` is not on PATH: install Node.js, then `npm ci --prefix %1`")
                .arg(peers);
    const QString dir = peers + QStringLiteral("/node_modules/") + module;
    if (!QFileInfo::exists(dir + QStringLiteral("/package.json")))
        return QStringLiteral("%1 is missing: run `npm ci --prefix %2`").arg(dir, peers);
    return {};
}

bool missingPeersAllowed()
{
    return qEnvironmentVariable("MERCATO_TEST_ALLOW_MISSING_PEERS") == QLatin1String("1");
}

ServerProcess::ServerProcess(QProcessEnvironment extraEnv)
    : m_env(std::move(extraEnv))
{
    m_dataDirPath = m_dir.path() + QStringLiteral("/data");
}

ServerProcess::~ServerProcess()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

bool ServerProcess::start(int timeoutMs)
{
    m_port = freePort();
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const QStringList keys = env.keys();
    for (const QString &k : keys) {
        if (k.startsWith(QLatin1String("MERCATO_"))
            && !k.startsWith(QLatin1String("MERCATO_TEST_")))
            env.remove(k);
    }
    env.insert(QStringLiteral("MERCATO_LISTEN"),
               QStringLiteral("%1:%2").arg(m_listenHost).arg(m_port));
    env.insert(QStringLiteral("MERCATO_DATA_DIR"), m_dataDirPath);
    env.insert(QStringLiteral("MERCATO_PUBLIC_URL"),
               QStringLiteral("http://127.0.0.1:%1").arg(m_port));
    env.insert(QStringLiteral("MERCATO_JWT_SECRET"), QString::fromLatin1(testJwtKey()));
    env.insert(QStringLiteral("MERCATO_AUTH_RATE_LIMIT"), QStringLiteral("0"));
    env.insert(QStringLiteral("MERCATO_PASSWORD_CHECKS"), QStringLiteral("0"));
    env.insert(QStringLiteral("MERCATO_EMAIL_VERIFICATION"), QStringLiteral("off"));
    env.insert(QStringLiteral("MERCATO_TIMEZONE"), QStringLiteral("UTC"));
    // Tests register sellers through the API and place orders freely; the tests of seller
    // approval and of the unpaid-order and held-unit caps turn them on.
    env.insert(QStringLiteral("MERCATO_SELLER_APPROVAL"), QStringLiteral("off"));
    env.insert(QStringLiteral("MERCATO_MAX_UNPAID_ORDERS"), QStringLiteral("0"));
    env.insert(QStringLiteral("MERCATO_MAX_HELD_UNITS"), QStringLiteral("0"));
    if (usingPostgres() && !m_env.contains(QStringLiteral("MERCATO_DATABASE")))
        env.insert(QStringLiteral("MERCATO_DATABASE"), freshDatabaseUrl(m_dir.path()));
    const QStringList extra = m_env.keys();
    for (const QString &k : extra)
        env.insert(k, m_env.value(k));
    m_process.setProcessEnvironment(env);
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    m_process.setStandardOutputFile(m_dir.path() + QStringLiteral("/server.log"),
                                    QIODevice::Append); // a restart keeps the earlier runs
    m_process.start(serverBinary(), {});
    if (!m_process.waitForStarted(5000))
        return false;
    // Under a sanitizer, with other suites running beside this one, migrating and filling a
    // store can take a while: waiting longer costs nothing when the server answers at once,
    // and a server that exits ends the wait.
    timeoutMs = std::max(timeoutMs, 90000);
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        if (m_process.state() == QProcess::NotRunning)
            return false;
        const QString host = m_listenHost == QLatin1String("0.0.0.0") ? QStringLiteral("127.0.0.1")
                                                                      : m_listenHost;
        if (httpRequest(m_port, "GET", "/healthz", {}, {}, 1000, host).status == 200)
            return true;
        QThread::msleep(50);
    }
    return false;
}

int ServerProcess::terminate(int timeoutMs)
{
    if (m_process.state() == QProcess::NotRunning)
        return m_process.exitCode();
    ::kill(pid_t(m_process.processId()), SIGTERM);
    if (!m_process.waitForFinished(timeoutMs))
        return -1;
    return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
}

bool ServerProcess::killHard(int timeoutMs)
{
    if (m_process.state() == QProcess::NotRunning)
        return true;
    ::kill(pid_t(m_process.processId()), SIGKILL);
    return m_process.waitForFinished(timeoutMs);
}

QString ServerProcess::log() const
{
    QFile f(m_dir.path() + QStringLiteral("/server.log"));
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

QString logExcerpt(const QString &log)
{
    static const QRegularExpression report(
            QStringLiteral("WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: "
                           "LeakSanitizer|runtime error:"));
    const QRegularExpressionMatch m = report.match(log);
    if (m.hasMatch())
        return log.mid(m.capturedStart(), 20000);
    return log.right(8000);
}

qint64 ServerProcess::rssKiB() const
{
    QFile f(QStringLiteral("/proc/%1/status").arg(m_process.processId()));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}

QByteArray SampleImages::png()
{
    return QByteArray::fromBase64(
            "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACAQMAAABIeJ9nAAAABGdBTUEAALGPC/"
            "xhBQAAACBjSFJNAAB6JgAAgIQAAPoAAACA6AAAdTAAAOpgAAA6mAAAF3CculE8AAAABlBMVEX/AAD///"
            "9BHTQRAAAAAWJLR0QB/"
            "wIt3gAAAAd0SU1FB+"
            "oLGgA4NXJTbHYAAAAMSURBVAjXY2BgYAAAAAQAASc0JwoAAAAldEVYdGRhdGU6Y3JlYXRlADIwMjYtMTEtMjZU"
            "MDA6"
            "NTY6NTMrMDA6MDBOBLazAAAAJXRFWHRkYXRlOm1vZGlmeQAyMDI2LTExLTI2VDAwOjU2OjUzKzAwOjAwP1kODw"
            "AAAA"
            "BJRU5ErkJggg==");
}

QByteArray SampleImages::jpeg()
{
    return QByteArray::fromBase64("/9j/4AAQSkZJRgABAQAAAQABAAD/"
                                  "2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYW"
                                  "ICwgIyYnKSopGR8tMC0oMCUoKS"
                                  "j/"
                                  "2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgo"
                                  "KCgoKCgoKCgoKCgoKCgoKCgoKC"
                                  "j/wAARCAACAAIDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAj/"
                                  "xAAUEAEAAAAAAAAAAAAAAAAAAAAA/"
                                  "8QAFQEBAQAAAAAAAAAAAAAAAAAABQj/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/"
                                  "9oADAMBAAIRAxEAPwCewFIh3//Z");
}

QByteArray SampleImages::webp()
{
    return QByteArray::fromBase64("UklGRjgAAABXRUJQVlA4ICwAAADQAQCdASoCAAIAAgA0JaACdLoB+AADsAD+"
                                  "8Oj3/yC5YXXI1/5sCua5+agAAA==");
}

} // namespace Mercato::Test
