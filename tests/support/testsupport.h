#pragma once
// Shared by the test executables: a database per run (SQLite, or PostgreSQL when the CTest
// fixture started one), an in-process API server on an ephemeral port, a blocking HTTP
// client, and a mercato-server child process.

#include "model/shop.h"
#include "server/apiserver.h"
#include "server/metrics.h"
#include "server/router.h"

#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>

#include <functional>
#include <memory>

namespace Mercato::Test {

// "sqlite" or "postgresql": which engine this run uses (MERCATO_TEST_PG_HOST set: PostgreSQL).
QString engineName();
bool usingPostgres();
// A fresh, empty database URL: a file in `dir`, or a new PostgreSQL database.
QString freshDatabaseUrl(const QString &dir);
// A base64 256-bit key for MERCATO_JWT_SECRET.
QByteArray testJwtKey();

struct HttpResult
{
    int status = 0;                        // 0: no answer (connection closed or timed out)
    QHash<QByteArray, QByteArray> headers; // lower-case names
    QByteArray body;

    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QJsonArray jsonArray() const { return QJsonDocument::fromJson(body).array(); }
    QByteArray header(const QByteArray &lowerName) const { return headers.value(lowerName); }
    bool isProblem() const { return header("content-type").startsWith("application/problem+json"); }
};

// One request on a fresh connection (Connection: close), blocking up to `timeoutMs`.
HttpResult httpRequest(quint16 port, const QByteArray &method, const QByteArray &target,
                       const QByteArray &body = {},
                       const QList<QPair<QByteArray, QByteArray>> &headers = {},
                       int timeoutMs = 15000, const QString &host = QStringLiteral("127.0.0.1"));

// A client of the in-process or child server, with JSON helpers and a bearer token.
class Client
{
public:
    explicit Client(quint16 port)
        : m_port(port)
    {}
    void setToken(const QString &token) { m_token = token; }
    const QString &token() const { return m_token; }
    HttpResult get(const QString &path,
                   const QList<QPair<QByteArray, QByteArray>> &headers = {}) const;
    HttpResult del(const QString &path,
                   const QList<QPair<QByteArray, QByteArray>> &headers = {}) const;
    HttpResult post(const QString &path, const QJsonObject &body = {},
                    const QList<QPair<QByteArray, QByteArray>> &headers = {}) const;
    HttpResult put(const QString &path, const QJsonObject &body = {},
                   const QList<QPair<QByteArray, QByteArray>> &headers = {}) const;
    HttpResult patch(const QString &path, const QJsonObject &body = {},
                     const QList<QPair<QByteArray, QByteArray>> &headers = {}) const;
    HttpResult send(const QByteArray &method, const QString &path, const QByteArray &body,
                    const QByteArray &contentType,
                    QList<QPair<QByteArray, QByteArray>> headers = {}) const;
    quint16 port() const { return m_port; }

private:
    quint16 m_port;
    QString m_token;
};

// The whole API in this process: a Shop on a fresh database, every route, worker threads.
class TestServer
{
public:
    struct Options
    {
        int workers = 2;
        // scrypt at N = 2^12 keeps registrations fast; set passwordHashLogN back to 17 where
        // the production cost matters.
        StoreSettings settings = [] {
            StoreSettings s;
            s.passwordHashLogN = 12;
            s.verifyNewAccounts = false; // no confirmation mails unless a test asks for them
            return s;
        }();
        PaymentConfig payments; // manual unless a test sets Stripe keys
        TransportLimits limits;
        QStringList corsOrigins;
        bool debugRoutes = true;
        int authRateLimit = 0;
        bool storefront = true;
        QString stripePublishableKey;
        // Extra routes a test adds before the server starts.
        std::function<void(Http::Router &)> extraRoutes;
    };
    TestServer();
    explicit TestServer(Options options);
    ~TestServer();

    bool start(); // false on failure (see errorString)
    QString errorString() const { return m_error; }
    quint16 port() const { return m_server ? m_server->port() : 0; }
    QString baseUrl() const;
    Shop &shop() { return *m_shop; }
    Metrics &metrics() { return m_metrics; }
    const Http::Router &router() const { return m_router; }
    ApiServer &server() { return *m_server; }
    Client client() const { return Client(port()); }
    QString dataDir() const { return m_dir.path(); }

private:
    Options m_options;
    QTemporaryDir m_dir;
    Metrics m_metrics;
    Http::Router m_router;
    std::unique_ptr<Shop> m_shop;
    std::unique_ptr<ApiServer> m_server;
    QString m_error;
};

// A real mercato-server process on a free port with its own data folder.
class ServerProcess
{
public:
    explicit ServerProcess(QProcessEnvironment extraEnv = {});
    ~ServerProcess();
    // The address it listens on (MERCATO_LISTEN's host); "0.0.0.0" reaches it on every local
    // address too. Set before start().
    void setListenHost(const QString &host) { m_listenHost = host; }
    bool start(int timeoutMs = 20000);
    // SIGTERM; returns the exit code (-1 if it did not exit within `timeoutMs`).
    int terminate(int timeoutMs = 15000);
    // SIGKILL, as a crash would; true once the process is gone. start() again restarts it
    // on the same data folder (and the same MERCATO_DATABASE), on a new port.
    bool killHard(int timeoutMs = 10000);
    qint64 pid() const { return m_process.processId(); }
    quint16 port() const { return m_port; }
    QString log() const;
    const QString &dataDir() const { return m_dataDirPath; }
    // Resident set size in KiB, from /proc.
    qint64 rssKiB() const;

private:
    QTemporaryDir m_dir;
    QString m_dataDirPath;
    QProcessEnvironment m_env;
    QProcess m_process;
    quint16 m_port = 0;
    QString m_listenHost = QStringLiteral("127.0.0.1");
};

// Stops `process` with SIGTERM and fails the test unless it exits with code 0, showing the
// sanitizer report from its log if there is one, else the end of the log.
#define MERCATO_VERIFY_CLEAN_EXIT(process)                                                         \
    do {                                                                                           \
        const int exitCode_ = (process).terminate();                                               \
        QVERIFY2(exitCode_ == 0,                                                                   \
                 qPrintable(QStringLiteral("exit code %1; log:\n%2")                               \
                                    .arg(exitCode_)                                                \
                                    .arg(::Mercato::Test::logExcerpt((process).log()))));          \
    } while (false)

// The part of a server log worth showing in a failure: from the first sanitizer report on
// (up to 20,000 characters), or else its last 8,000 characters.
QString logExcerpt(const QString &log);

quint16 freePort();
QString serverBinary(); // path of mercato-server in this build

// A self-signed RSA certificate for localhost and its key, made by the openssl command into
// `certPath` and `keyPath` (PEM, key unencrypted); false when openssl failed.
bool makeTlsPair(const QString &certPath, const QString &keyPath);

// Real 2 x 2 pictures that Qt's readers decode, for upload tests.
namespace SampleImages {
QByteArray png();
QByteArray jpeg();
QByteArray webp();
} // namespace SampleImages

// The reference libraries of tests/peers (Stripe's and Cloudinary's own Node code). Why
// `node` cannot run `tests/peers/node_modules/<module>` here, or empty when it can.
QString nodePeerMissing(const QString &module);
// MERCATO_TEST_ALLOW_MISSING_PEERS=1: a missing peer skips the test instead of failing it.
bool missingPeersAllowed();

// Fails the test (or skips it, only where MERCATO_TEST_ALLOW_MISSING_PEERS=1 says so) when the
// Node reference library `module` cannot be used: a test that signs with the vendor's own code
// must never pass silently without it.
#define MERCATO_REQUIRE_NODE_PEER(module)                                                          \
    do {                                                                                           \
        const QString why_ = ::Mercato::Test::nodePeerMissing(module);                             \
        if (!why_.isEmpty()) {                                                                     \
            if (::Mercato::Test::missingPeersAllowed())                                            \
                QSKIP(qPrintable(why_));                                                           \
            QFAIL(qPrintable(why_                                                                  \
                             + QStringLiteral(" (MERCATO_TEST_ALLOW_MISSING_PEERS=1 skips "        \
                                              "instead)")));                                       \
        }                                                                                          \
    } while (false)

} // namespace Mercato::Test
