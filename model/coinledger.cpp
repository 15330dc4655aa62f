#include "coinledger.h"

#include "clock.h"

namespace Mercato::CoinLedger {

Result<qint64> balance(const QSqlDatabase &db, const QString &userId)
{
    auto q = execSql(
            db, QStringLiteral("SELECT COALESCE(SUM(delta), 0) FROM coin_ledger WHERE user_id = ?"),
            {userId});
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : 0;
}

Status append(const QSqlDatabase &db, const QString &userId, qint64 delta, const QString &reason,
              const QString &orderId)
{
    if (delta == 0)
        return Ok{};
    if (delta < 0) {
        auto current = balance(db, userId);
        if (!current)
            return current.error();
        if (current.value() + delta < 0)
            return makeError(ErrorCode::Conflict, QStringLiteral("not enough coins"));
    }
    auto q = execSql(db,
                     QStringLiteral("INSERT INTO coin_ledger (user_id, delta, reason, order_id, "
                                    "created_at) VALUES (?, ?, ?, ?, ?)"),
                     {userId, delta, reason, orderId.isEmpty() ? QVariant() : QVariant(orderId),
                      Clock::nowMs()});
    if (!q)
        return q.error();
    return Ok{};
}

Status recordSpend(const QSqlDatabase &db, const QString &userId, const QString &orderId,
                   qint64 coinsUsed)
{
    if (coinsUsed <= 0)
        return Ok{};
    auto q = execSql(db,
                     QStringLiteral("INSERT INTO coin_ledger (user_id, delta, reason, order_id, "
                                    "created_at) VALUES (?, 0, 'order.spend', ?, ?)"),
                     {userId, orderId, Clock::nowMs()});
    if (!q)
        return q.error();
    return Ok{};
}

} // namespace Mercato::CoinLedger
