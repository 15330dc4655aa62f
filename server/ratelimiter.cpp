#include "ratelimiter.h"

#include "model/clock.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace Mercato::Http {

AuthRateLimiter::AuthRateLimiter(int attemptsPerMinute)
    : m_limit(std::max(0, attemptsPerMinute))
{}

qint64 AuthRateLimiter::hit(const QStringList &keys)
{
    if (m_limit == 0)
        return 0;
    const qint64 now = Clock::nowMs();
    std::lock_guard lock(m_mutex);
    if (++m_hits % 4096 == 0) {
        // Forget windows that ended, so the table does not grow with every address seen.
        for (auto it = m_windows.begin(); it != m_windows.end();) {
            if (now - it->startMs >= kWindowMs)
                it = m_windows.erase(it);
            else
                ++it;
        }
    }
    qint64 waitMs = 0;
    for (const QString &key : keys) {
        Window &w = m_windows[key];
        if (w.count == 0 || now - w.startMs >= kWindowMs || now < w.startMs) {
            w.startMs = now;
            w.count = 0;
        }
        ++w.count;
        if (w.count > m_limit)
            waitMs = std::max(waitMs, w.startMs + kWindowMs - now);
    }
    return waitMs <= 0 ? 0 : std::max<qint64>(1, (waitMs + 999) / 1000);
}

std::optional<Response> AuthRateLimiter::check(const Request &request, const QString &account)
{
    if (m_limit == 0)
        return std::nullopt;
    const QString route = request.routePattern;
    QStringList keys{route + QStringLiteral("|addr|") + request.remoteAddress.toString()};
    const QString normalised = account.trimmed().toLower();
    if (!normalised.isEmpty())
        keys.append(route + QStringLiteral("|account|") + normalised);
    const qint64 wait = hit(keys);
    if (wait == 0)
        return std::nullopt;
    Response r = Response::problem(
            429, {}, QStringLiteral("too many attempts; try again in %1 s").arg(wait));
    r.setHeader("Retry-After", QByteArray::number(wait));
    return r;
}

std::optional<Response> AuthRateLimiter::check(const Request &request)
{
    QString account;
    if (m_limit != 0) {
        const QJsonDocument doc = QJsonDocument::fromJson(request.body);
        if (doc.isObject())
            account = doc.object().value(QStringLiteral("email")).toString();
    }
    return check(request, account);
}

} // namespace Mercato::Http
