#include "router.h"

#include "metrics.h"

#include "model/ids.h"

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QUrl>

#include <cstring>
#include <exception>

Q_LOGGING_CATEGORY(lcRouter, "mercato.server.router")
// One line per answered request; QT_LOGGING_RULES="mercato.access.info=false" silences it.
Q_LOGGING_CATEGORY(lcAccess, "mercato.access")

namespace Mercato::Http {

namespace {
// 96 bits in 24 hex characters: an id to find a request's log line by, not a secret. SplitMix64
// over a per-thread state seeded from the CSPRNG: no two ids of one thread repeat (the first
// 64 bits are a bijection of the step), threads start at unrelated points, and an id costs no
// system call or lock (the CSPRNG for every request was a twentieth of a cached catalogue read).
QByteArray freshRequestId()
{
    thread_local quint64 state = [] {
        quint64 seed = 0;
        const QByteArray bytes = Ids::randomBytes(sizeof seed);
        std::memcpy(&seed, bytes.constData(), sizeof seed);
        return seed;
    }();
    auto next = [] {
        quint64 z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    };
    const quint64 a = next();
    const quint64 b = next();
    char raw[12];
    std::memcpy(raw, &a, 8);
    std::memcpy(raw + 8, &b, 4);
    return QByteArray(raw, sizeof raw).toHex();
}
} // namespace

QByteArray requestIdFor(const QByteArray &incoming)
{
    const QByteArray id = incoming.trimmed();
    bool sane = !id.isEmpty() && id.size() <= 64;
    for (const char c : id) {
        if (!sane)
            break;
        sane = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
               || c == '.' || c == '_' || c == '-';
    }
    return sane ? id : freshRequestId();
}

namespace {
// A log field value without spaces, quotes or control bytes (the path is percent-encoded
// already; this keeps a line one line, whatever arrives).
QByteArray logSafe(const QByteArray &value, qsizetype max)
{
    QByteArray out;
    out.reserve(qMin(value.size(), max));
    for (const char c : value) {
        if (out.size() >= max) {
            out += "...";
            break;
        }
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\\') {
            out += '%';
            out += QByteArray::number(u, 16).rightJustified(2, '0').toUpper();
        } else {
            out += c;
        }
    }
    return out.isEmpty() ? QByteArray("-") : out;
}
} // namespace

void logRequest(const QByteArray &method, const QString &path, int status, qint64 nsecs,
                const QByteArray &requestId, const QString &route)
{
    if (!lcAccess().isInfoEnabled())
        return;
    const QByteArray line = "method=" + logSafe(method, 16) + " path=" + logSafe(path.toUtf8(), 512)
                            + " status=" + QByteArray::number(status) + " duration_ms="
                            + QByteArray::number(double(nsecs) / 1e6, 'f', 3) + " request_id="
                            + logSafe(requestId, 64) + " route=" + logSafe(route.toUtf8(), 256);
    qCInfo(lcAccess, "%s", line.constData());
}

std::optional<QStringList> pathSegments(const QString &encodedPath)
{
    if (!encodedPath.startsWith(QLatin1Char('/')))
        return std::nullopt;
    QStringList out;
    if (encodedPath.size() == 1)
        return out;
    const QStringList raw = encodedPath.mid(1).split(QLatin1Char('/'));
    out.reserve(raw.size());
    for (const QString &s : raw) {
        QString segment = QUrl::fromPercentEncoding(s.toUtf8());
        if (segment.isEmpty() || segment == QLatin1String(".") || segment == QLatin1String(".."))
            return std::nullopt;
        out.append(std::move(segment));
    }
    return out;
}

void Router::add(const QByteArray &method, const QString &pattern, Access access, Handler handler,
                 qint64 bodyLimit)
{
    m_routes.push_back(Route{method, pattern, pattern.split(QLatin1Char('/'), Qt::SkipEmptyParts),
                             access, std::move(handler), bodyLimit, nullptr});
}

const Router::Route *Router::match(const QByteArray &method, const QStringList &segments,
                                   QHash<QString, QString> *params) const
{
    for (const Route &route : m_routes) {
        if (route.segments.size() != segments.size())
            continue;
        if (!method.isEmpty() && route.method != method)
            continue;
        bool same = true;
        QHash<QString, QString> found;
        for (qsizetype i = 0; i < segments.size() && same; ++i) {
            const QString &p = route.segments.at(i);
            if (p.startsWith(QLatin1Char('{')) && p.endsWith(QLatin1Char('}'))) {
                if (segments.at(i).isEmpty())
                    same = false;
                else
                    found.insert(p.mid(1, p.size() - 2), segments.at(i));
            } else {
                same = p == segments.at(i);
            }
        }
        if (same) {
            if (params)
                *params = std::move(found);
            return &route;
        }
    }
    return nullptr;
}

void Router::runOnPasswordChecks(const QByteArray &method, const QString &pattern,
                                 std::shared_ptr<PasswordCheckGate> checks)
{
    for (Route &route : m_routes) {
        if (route.method == method && route.pattern == pattern) {
            route.passwordChecks = checks;
            return;
        }
    }
    qFatal("runOnPasswordChecks: no route %s %s", method.constData(), qPrintable(pattern));
}

PasswordCheckGate *Router::passwordChecksFor(const QByteArray &method, const QString &path) const
{
    // Reads never check a password: they are not looked up twice.
    if (method == "GET" || method == "HEAD" || method == "OPTIONS")
        return nullptr;
    const std::optional<QStringList> segments = pathSegments(path);
    const Route *route = segments ? match(method, *segments, nullptr) : nullptr;
    return route ? route->passwordChecks.get() : nullptr;
}

QList<PasswordCheckGate *> Router::passwordCheckGates() const
{
    QList<PasswordCheckGate *> out;
    for (const Route &route : m_routes) {
        if (route.passwordChecks && !out.contains(route.passwordChecks.get()))
            out.append(route.passwordChecks.get());
    }
    return out;
}

qint64 Router::bodyLimit(const QByteArray &method, const QString &path) const
{
    const std::optional<QStringList> segments = pathSegments(path);
    const Route *route = segments ? match(method, *segments, nullptr) : nullptr;
    return route ? route->bodyLimit : kJsonBodyLimit;
}

QList<Router::RouteInfo> Router::routes() const
{
    QList<RouteInfo> out;
    out.reserve(qsizetype(m_routes.size()));
    for (const Route &r : m_routes)
        out.append({r.method, r.pattern, r.access});
    return out;
}

QList<QByteArray> Router::allowedMethods(const QString &path) const
{
    const std::optional<QStringList> segments = pathSegments(path);
    QList<QByteArray> out;
    if (!segments)
        return out;
    for (const Route &route : m_routes) {
        if (out.contains(route.method))
            continue;
        QHash<QString, QString> unused;
        if (match(route.method, *segments, &unused) != nullptr)
            out.append(route.method);
    }
    if (out.contains("GET") && !out.contains("HEAD"))
        out.append("HEAD");
    if (!out.isEmpty())
        out.append("OPTIONS");
    return out;
}

void Router::addCors(const Request &request, Response &response) const
{
    const QByteArray origin = request.header("origin");
    if (origin.isEmpty() || !m_corsOrigins.contains(QString::fromUtf8(origin)))
        return;
    response.setHeader("Access-Control-Allow-Origin", origin);
    response.setHeader("Vary", "Origin");
    response.setHeader("Access-Control-Expose-Headers",
                       "ETag, Location, Retry-After, Idempotent-Replayed, X-Request-Id");
}

Response Router::dispatch(Request &request) const
{
    QElapsedTimer timer;
    timer.start();
    request.requestId = requestIdFor(request.header("x-request-id"));
    Response response;
    try {
        response = run(request);
    } catch (const std::exception &e) {
        qCCritical(lcRouter) << "handler threw for" << request.routePattern << ":" << e.what();
        response = Response::problem(500, {}, QStringLiteral("unexpected error"));
    }
    addCors(request, response);
    response.setHeader("X-Request-Id", request.requestId);
    const qint64 elapsed = timer.nsecsElapsed();
    if (m_metrics)
        m_metrics->recordRequest(request.routePattern, request.method, response.status, elapsed);
    logRequest(request.method, request.path, response.status, elapsed, request.requestId,
               request.routePattern);
    return response;
}

Response Router::run(Request &request) const
{
    // A path that is not canonical matches no route: unknown, never collapsed onto another.
    const std::optional<QStringList> parsed = pathSegments(request.path);
    const QStringList segments = parsed.value_or(QStringList());
    const QByteArray method = request.method == "HEAD" ? QByteArray("GET") : request.method;
    const Route *route = parsed ? match(method, segments, &request.params) : nullptr;
    if (!route) {
        const QList<QByteArray> allowed = allowedMethods(request.path);
        if (allowed.isEmpty()) {
            request.routePattern = QStringLiteral("(unmatched)");
            if (m_fallback && parsed) {
                Response response = m_fallback(request);
                if (request.method == "HEAD")
                    response.setHeader("Content-Length", QByteArray::number(response.body.size()));
                return response;
            }
            return Response::problem(404, {}, QStringLiteral("no such resource"));
        }
        // Any route on the path names the pattern for metrics.
        for (const Route &r : m_routes) {
            if (match(r.method, segments, nullptr) == &r) {
                request.routePattern = r.pattern;
                break;
            }
        }
        QByteArray allowHeader;
        for (const QByteArray &m : allowed)
            allowHeader += (allowHeader.isEmpty() ? "" : ", ") + m;
        if (request.method == "OPTIONS") {
            Response r = Response::noContent(204);
            r.setHeader("Allow", allowHeader);
            const QByteArray origin = request.header("origin");
            if (!origin.isEmpty() && m_corsOrigins.contains(QString::fromUtf8(origin))) {
                r.setHeader("Access-Control-Allow-Methods", allowHeader);
                r.setHeader("Access-Control-Allow-Headers",
                            "Authorization, Content-Type, Idempotency-Key, If-Match, X-Request-Id");
                r.setHeader("Access-Control-Max-Age", "600");
            }
            return r;
        }
        Response r = Response::problem(405, {},
                                       QStringLiteral("%1 is not allowed here; allowed: %2")
                                               .arg(QString::fromLatin1(request.method),
                                                    QString::fromLatin1(allowHeader)));
        r.setHeader("Allow", allowHeader);
        return r;
    }
    request.routePattern = route->pattern;

    if (route->access != Access::Public) {
        const QByteArray auth = request.header("authorization");
        if (!auth.startsWith("Bearer ") || !m_authenticate) {
            Response r = Response::problem(401, {},
                                           QStringLiteral("sign in: send Authorization: "
                                                          "Bearer <accessToken>"));
            r.setHeader("WWW-Authenticate", "Bearer");
            return r;
        }
        Result<Principal> who = m_authenticate(QString::fromLatin1(auth.mid(7).trimmed()));
        if (!who) {
            Response r = Response::fromError(who.error());
            if (r.status == 401)
                r.setHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
            return r;
        }
        const QString &role = who->role;
        if ((route->access == Access::Customer && role != QLatin1String("customer"))
            || (route->access == Access::Seller && role != QLatin1String("seller"))) {
            return Response::problem(403, {},
                                     QStringLiteral("this needs a %1 account")
                                             .arg(route->access == Access::Customer
                                                          ? QStringLiteral("customer")
                                                          : QStringLiteral("seller")));
        }
        if (route->access == Access::Seller && who->status == QLatin1String("pending"))
            return Response::problem(403, {},
                                     QStringLiteral("this seller account waits for the owner's "
                                                    "approval"));
        request.principal = std::move(who).value();
    }
    Response response = route->handler(request);
    if (request.method == "HEAD")
        response.setHeader("Content-Length", QByteArray::number(response.body.size()));
    return response;
}

} // namespace Mercato::Http
