#include "idempotency.h"

#include "clock.h"

#include <QThread>

namespace Mercato::Idempotency {

namespace {
// A claim left in progress this long belongs to a request that died midway.
constexpr qint64 kAbandonedMs = 60'000;
} // namespace

Result<Claim> claim(Database &database, const QString &userId, const QString &route,
                    const QString &key, const QString &requestHash, int waitMs)
{
    QSqlDatabase db = database.connection();
    const qint64 deadline = Clock::nowMs() + waitMs;
    for (;;) {
        const qint64 now = Clock::nowMs();
        auto ins = execSql(db,
                           QStringLiteral("INSERT INTO idempotency_keys (user_id, route, idem_key, "
                                          "request_hash, status, response_body, response_location, "
                                          "created_at) VALUES (?, ?, ?, ?, 0, '', NULL, ?)"),
                           {userId, route, key, requestHash, now});
        if (ins)
            return Claim{true, {}};
        if (ins.error().code != ErrorCode::Conflict)
            return ins.error();
        auto q = execSql(
                db,
                QStringLiteral("SELECT request_hash, status, response_body, response_location, "
                               "created_at FROM idempotency_keys WHERE user_id = ? AND "
                               "route = ? AND idem_key = ?"),
                {userId, route, key});
        if (!q)
            return q.error();
        if (!q->next())
            continue; // removed meanwhile: claim again
        const QString hash = q->value(0).toString();
        const int status = q->value(1).toInt();
        const qint64 createdAt = q->value(4).toLongLong();
        if (createdAt < now - kKeepMs || (status == 0 && createdAt < now - kAbandonedMs)) {
            auto del = execSql(
                    db,
                    QStringLiteral("DELETE FROM idempotency_keys WHERE user_id = ? AND "
                                   "route = ? AND idem_key = ? AND created_at = ? AND status = ?"),
                    {userId, route, key, createdAt, status});
            if (!del)
                return del.error();
            continue;
        }
        if (hash != requestHash)
            return makeError(
                    ErrorCode::Conflict,
                    QStringLiteral("this Idempotency-Key was used with another request body"));
        if (status != 0)
            return Claim{false, {status, q->value(2).toString().toUtf8(), q->value(3).toString()}};
        if (Clock::nowMs() >= deadline)
            return makeError(
                    ErrorCode::Conflict,
                    QStringLiteral("a request with this Idempotency-Key is still in progress"));
        QThread::msleep(20);
    }
}

Status finish(Database &database, const QString &userId, const QString &route, const QString &key,
              int status, const QByteArray &body, const QString &location)
{
    auto q = execSql(
            database.connection(),
            QStringLiteral(
                    "UPDATE idempotency_keys SET status = ?, response_body = ?, "
                    "response_location = ? WHERE user_id = ? AND route = ? AND idem_key = ?"),
            {status, QString::fromUtf8(body), location.isEmpty() ? QVariant() : QVariant(location),
             userId, route, key});
    if (!q)
        return q.error();
    return Ok{};
}

Status abandon(Database &database, const QString &userId, const QString &route, const QString &key)
{
    auto q = execSql(database.connection(),
                     QStringLiteral("DELETE FROM idempotency_keys WHERE user_id = ? AND route = ? "
                                    "AND idem_key = ? AND status = 0"),
                     {userId, route, key});
    if (!q)
        return q.error();
    return Ok{};
}

} // namespace Mercato::Idempotency
