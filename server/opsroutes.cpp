#include "opsroutes.h"

#include "metrics.h"
#include "model/database.h"
#include "model/dbpool.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QThread>

namespace Mercato {

using namespace Http;

namespace {
QJsonObject readJson(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(f.readAll()).object()
                                       : QJsonObject();
}

void mergeInto(QJsonObject &target, const QJsonObject &source)
{
    for (auto it = source.begin(); it != source.end(); ++it)
        target.insert(it.key(), it.value());
}
} // namespace

QByteArray openApiDocument()
{
    // The base document plus one `paths-*.json` per capability: {paths, schemas, tags}.
    QJsonObject doc = readJson(QStringLiteral(":/openapi/openapi.json"));
    QJsonObject paths = doc.value(QStringLiteral("paths")).toObject();
    QJsonObject components = doc.value(QStringLiteral("components")).toObject();
    QJsonObject schemas = components.value(QStringLiteral("schemas")).toObject();
    QJsonArray tags = doc.value(QStringLiteral("tags")).toArray();
    const QStringList parts
            = QDir(QStringLiteral(":/openapi"))
                      .entryList({QStringLiteral("paths-*.json")}, QDir::Files, QDir::Name);
    for (const QString &name : parts) {
        const QJsonObject part = readJson(QStringLiteral(":/openapi/") + name);
        mergeInto(paths, part.value(QStringLiteral("paths")).toObject());
        mergeInto(schemas, part.value(QStringLiteral("schemas")).toObject());
        const QJsonArray partTags = part.value(QStringLiteral("tags")).toArray();
        for (const QJsonValue &t : partTags)
            tags.append(t);
    }
    components.insert(QStringLiteral("schemas"), schemas);
    doc.insert(QStringLiteral("paths"), paths);
    doc.insert(QStringLiteral("components"), components);
    doc.insert(QStringLiteral("tags"), tags);
    return QJsonDocument(doc).toJson(QJsonDocument::Indented);
}

namespace {
// Loopback clients (the host's own scraper, a proxy's health checks), or the bearer token. The
// peer address is the socket's: a header such as X-Forwarded-For is never believed.
bool mayReadMetrics(const Request &request, const QByteArray &token)
{
    if (request.remoteAddress.isLoopback())
        return true;
    const QByteArray auth = request.header("authorization");
    if (token.isEmpty() || !auth.startsWith("Bearer "))
        return false;
    const QByteArray given = auth.mid(7).trimmed();
    // Compared in constant time: how far a guess matches must not show in the answer's timing.
    const QByteArray a = QCryptographicHash::hash(given, QCryptographicHash::Sha256);
    const QByteArray b = QCryptographicHash::hash(token, QCryptographicHash::Sha256);
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a.at(i) ^ b.at(i));
    return diff == 0;
}
} // namespace

void registerOpsRoutes(Router &router, Database &database, Metrics &metrics, bool debugRoutes,
                       const QByteArray &metricsToken)
{
    router.add("GET", QStringLiteral("/healthz"), Access::Public, [](Request &) {
        return Response::json(200, QJsonObject{{QStringLiteral("status"), QStringLiteral("ok")}});
    });
    router.add("GET", QStringLiteral("/readyz"), Access::Public, [&database](Request &) {
        if (!database.ping())
            return Response::problem(503, {}, QStringLiteral("the database does not answer"));
        return Response::json(200,
                              QJsonObject{{QStringLiteral("status"), QStringLiteral("ready")}});
    });
    router.add("GET", QStringLiteral("/metrics"), Access::Public,
               [&metrics, metricsToken](Request &request) {
                   if (!mayReadMetrics(request, metricsToken))
                       return Response::problem(403, {},
                                                QStringLiteral("metrics are served to loopback "
                                                               "clients and to the metrics token"));
                   return Response::text(200, metrics.render(),
                                         "text/plain; version=0.0.4; charset=utf-8");
               });
    // The pool: one connection per thread that uses the database (API workers, sweepers,
    // listeners), counted by thread name.
    metrics.addGauge(QStringLiteral("mercato_db_connections"),
                     QStringLiteral("Database connections open, by the thread that owns them."),
                     [&database] {
                         QMap<QString, int> byThread;
                         const QStringList threads = connectionThreads(database);
                         for (const QString &t : threads)
                             ++byThread[t];
                         std::vector<std::pair<QString, double>> out;
                         for (auto it = byThread.cbegin(); it != byThread.cend(); ++it)
                             out.emplace_back(QStringLiteral("thread=\"%1\"").arg(it.key()),
                                              double(it.value()));
                         return out;
                     });
    const QByteArray doc = openApiDocument();
    router.add("GET", QStringLiteral("/api/v1/openapi.json"), Access::Public, [doc](Request &) {
        Response r = Response::text(200, doc, "application/json");
        r.setHeader("Cache-Control", "public, max-age=300");
        return r;
    });
    if (debugRoutes) {
        // Only with MERCATO_DEBUG_ROUTES=1: lets tests hold a worker busy.
        router.add("GET", QStringLiteral("/debug/sleep"), Access::Public, [](Request &r) {
            const int ms
                    = std::clamp(r.query.queryItemValue(QStringLiteral("ms")).toInt(), 0, 30'000);
            QThread::msleep(ulong(ms));
            return Response::json(200, QJsonObject{{QStringLiteral("slept"), ms}});
        });
    }
}

} // namespace Mercato
