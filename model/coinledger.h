#pragma once
// Coins: an append-only ledger per user; the balance is the sum and never goes below zero.

#include "database.h"

namespace Mercato {

struct CoinEntry
{
    qint64 id = 0;
    qint64 delta = 0;
    QString reason; // daily, order.hold, order.release, refund, ...
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

} // namespace CoinLedger
} // namespace Mercato
