#pragma once
// Routes with the role each needs; one pipeline answers 404/405/CORS/401/403 before a
// handler runs, and records metrics.

#include "http.h"

#include <QStringList>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace Mercato {
class Metrics;
}

namespace Mercato::Http {

class PasswordCheckGate;

enum class Access { Public, SignedIn, Customer, Seller };

using Handler = std::function<Response(Request &)>;
// Checks a bearer token (signature, expiry, revocation, account state).
using Authenticator = std::function<Result<Principal>(const QString &bearerToken)>;

constexpr qint64 kJsonBodyLimit = 1024 * 1024;
constexpr qint64 kImageBodyLimit = 8 * 1024 * 1024;

class Router
{
public:
    void setAuthenticator(Authenticator authenticator)
    {
        m_authenticate = std::move(authenticator);
    }
    void setCorsOrigins(const QStringList &origins) { m_corsOrigins = origins; }
    void setMetrics(Metrics *metrics) { m_metrics = metrics; }
    // Answers requests whose canonical path no route knows (the storefront's pages and its
    // HTML 404); without one, and for paths that are not canonical, 404 problem+json.
    void setFallback(Handler fallback) { m_fallback = std::move(fallback); }

    // `pattern` is a path with `{name}` segments, e.g. `/api/v1/products/{id}`.
    void add(const QByteArray &method, const QString &pattern, Access access, Handler handler,
             qint64 bodyLimit = kJsonBodyLimit);

    // The whole pipeline for one request.
    Response dispatch(Request &request) const;

    // The route's handler checks a password (scrypt): the transport runs its whole pipeline on
    // `checks`' threads instead of the API worker that read it, so that sign-ins queue there
    // and never hold every worker (the connection reads nothing more until it is answered).
    void runOnPasswordChecks(const QByteArray &method, const QString &pattern,
                             std::shared_ptr<PasswordCheckGate> checks);
    // Where a request runs: the password checks it queues on, or null for the worker.
    PasswordCheckGate *passwordChecksFor(const QByteArray &method, const QString &path) const;
    // Every distinct gate routes run on (for the server to settle them when it stops).
    QList<PasswordCheckGate *> passwordCheckGates() const;

    // What the transport guard asks before reading a body.
    qint64 bodyLimit(const QByteArray &method, const QString &path) const;
    // Methods registered for a path (empty: unknown path).
    QList<QByteArray> allowedMethods(const QString &path) const;

    struct RouteInfo
    {
        QByteArray method;
        QString pattern;
        Access access;
    };
    // Every registered route, in registration order (what the API serves).
    QList<RouteInfo> routes() const;

private:
    struct Route
    {
        QByteArray method;
        QString pattern;
        QStringList segments;
        Access access;
        Handler handler;
        qint64 bodyLimit;
        std::shared_ptr<PasswordCheckGate> passwordChecks;
    };
    const Route *match(const QByteArray &method, const QStringList &segments,
                       QHash<QString, QString> *params) const;
    Response run(Request &request) const;
    void addCors(const Request &request, Response &response) const;

    std::vector<Route> m_routes;
    Authenticator m_authenticate;
    QStringList m_corsOrigins;
    Metrics *m_metrics = nullptr;
    Handler m_fallback;
};

// The id a request is known by in logs and in its X-Request-Id answer: the client's own when it
// is 1 to 64 characters of [A-Za-z0-9._-], else 24 fresh random hex digits.
QByteArray requestIdFor(const QByteArray &incoming);
// One structured line (category mercato.access) for an answered request: method, path without
// its query, status, duration in ms, request id, route.
void logRequest(const QByteArray &method, const QString &path, int status, qint64 nsecs,
                const QByteArray &requestId, const QString &route);

// Splits an encoded path into decoded segments ("/a/b%2Fc" -> ["a", "b/c"], "/" -> []). A path
// that is not canonical (not starting with `/`, an empty segment as in `//` or a trailing
// slash, a `.` or `..` segment) has none: it never matches a route, so that no path is read
// as another one (a proxy in front may route it differently).
std::optional<QStringList> pathSegments(const QString &encodedPath);

} // namespace Mercato::Http
