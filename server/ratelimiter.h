#pragma once
// Attempt limits on the sign-in routes (login, register, forgot-password): N attempts a
// minute, every attempt counted, one counter per route and client address and one per
// route and account. Shared by the worker threads.

#include "http.h"

#include <QHash>
#include <QString>

#include <mutex>
#include <optional>

namespace Mercato::Http {

class AuthRateLimiter
{
public:
    static constexpr qint64 kWindowMs = 60 * 1000;

    // `attemptsPerMinute` 0: no limit.
    explicit AuthRateLimiter(int attemptsPerMinute);

    // Counts this attempt on `request.routePattern` for the client address and, when the
    // JSON body names an `email`, for that account. Over the limit: the 429 problem (with
    // Retry-After) to answer; else nothing.
    std::optional<Response> check(const Request &request);
    // The same with the account given explicitly (empty: address only).
    std::optional<Response> check(const Request &request, const QString &account);

    // Counts one attempt for each key; the seconds to wait when any is over the limit, else 0.
    qint64 hit(const QStringList &keys);

private:
    struct Window
    {
        qint64 startMs = 0;
        qint64 count = 0;
    };
    int m_limit;
    std::mutex m_mutex;
    QHash<QString, Window> m_windows;
    quint64 m_hits = 0;
};

} // namespace Mercato::Http
