#pragma once
// Coins: an append-only ledger per user; the balance is the sum and never goes below zero.
// An order's coins: `order.hold` (-n) when placed, then `order.release` (+n) when cancelled or
// expired, or `order.spend` (0) when paid; `refund` (+) gives back a refunded line's share.

#include "database.h"

namespace Mercato {

struct CoinEntry
{
    qint64 id = 0;
    qint64 delta = 0;
    QString reason; // daily, order.hold, order.release, order.spend, refund
    QString orderId;
    qint64 createdAt = 0;
};

namespace CoinLedger {

// The balance as seen by `db` (inside a transaction: including its own writes).
Result<qint64> balance(const QSqlDatabase &db, const QString &userId);
// Appends one entry; refuses (Conflict) a negative delta that would take the balance below 0.
// Call inside a write transaction so the check and the insert are atomic.
Status append(const QSqlDatabase &db, const QString &userId, qint64 delta, const QString &reason,
              const QString &orderId = {});
// The order was paid: its held coins are spent for good. Appends an `order.spend` entry (delta 0:
// the hold took them from the balance already) when the order held coins. Call in the
// transaction that marks the order paid.
Status recordSpend(const QSqlDatabase &db, const QString &userId, const QString &orderId,
                   qint64 coinsUsed);

} // namespace CoinLedger
} // namespace Mercato
