#pragma once
// Idempotency-Key records: the first answer to a keyed request, kept 24 h per user and route,
// so a retried request gets that answer again instead of acting twice.

#include "database.h"

namespace Mercato::Idempotency {

constexpr qint64 kKeepMs = 24LL * 60 * 60 * 1000;

struct StoredAnswer
{
    int status = 0;
    QByteArray body;
    QString location;
};

struct Claim
{
    bool fresh = false;  // true: this request does the work, then calls finish() or abandon()
    StoredAnswer answer; // when not fresh: the first request's answer
};

// Claims `key` for (userId, route) with the hash of the parsed request body. A key in use by
// a concurrent request is waited for (up to `waitMs`); a key used with another body is a
// Conflict, as is one still in progress after the wait.
Result<Claim> claim(Database &database, const QString &userId, const QString &route,
                    const QString &key, const QString &requestHash, int waitMs = 10'000);
Status finish(Database &database, const QString &userId, const QString &route, const QString &key,
              int status, const QByteArray &body, const QString &location);
// Forgets a claim whose request failed on our side, so a retry may run again.
Status abandon(Database &database, const QString &userId, const QString &route, const QString &key);

} // namespace Mercato::Idempotency
