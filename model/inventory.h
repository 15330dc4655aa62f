#pragma once
// Stock: every change is one row of the stock ledger (with its reason and actor), and the
// product's `stock` column always equals the sum of its ledger rows. Low-stock alerts: one
// `stock.low` notification per crossing of the product's threshold, re-armed above it.
//
// Every writing call runs on `db`, the connection of a transaction the CALLER has begun
// (an order's, a refund's, a hand adjustment's), so the stock change, the ledger row and the
// alert commit or roll back with the rest of that transaction. Collect the effects in a
// `StockEffects` and hand them to `announce()` after the commit.

#include "database.h"
#include "notifier.h"

#include <QList>
#include <QString>

namespace Mercato {

// What a stock change announces once its transaction has committed.
struct StockEffects
{
    struct LowStock
    {
        QString productId;
        QString sellerId;
        int stock = 0;
    };
    QList<PendingNotification> notifications;
    QList<LowStock> lowStock;
    QStringList changedProducts;
};

// One product whose stock differs from its ledger's sum (found by `verifyLedger`).
struct LedgerMismatch
{
    QString productId;
    qint64 stock = 0;
    qint64 ledgerSum = 0;
};

namespace StockReason {
inline const QString Create = QStringLiteral("create");
inline const QString Adjust = QStringLiteral("adjust");
inline const QString Sale = QStringLiteral("sale");
inline const QString Cancel = QStringLiteral("cancel");
inline const QString Expire = QStringLiteral("expire");
inline const QString Refund = QStringLiteral("refund");
} // namespace StockReason

class Inventory
{
public:
    Inventory(Notifier &notifier, ModelEvents &events)
        : m_notifier(notifier)
        , m_events(events)
    {}

    // A sale: takes `qty` (> 0) from a live product's stock, atomically
    // (`stock = stock - qty WHERE stock >= qty AND deleted_at IS NULL`), ledger row `sale`.
    // Conflict (field = productId) when the product lacks the stock, is deleted or unknown.
    Status reserve(const QSqlDatabase &db, const QString &productId, int qty,
                   const QString &orderId, const QString &actorId, StockEffects *effects);
    // Gives `qty` (> 0) back, e.g. an order cancelled (`StockReason::Cancel`) or expired
    // (`StockReason::Expire`); works on deleted products too (their history stays right).
    Status release(const QSqlDatabase &db, const QString &productId, int qty,
                   const QString &orderId, const QString &actorId, const QString &reason,
                   StockEffects *effects);
    // A refunded quantity put back on the shelf: `release` with reason `refund`.
    Status restock(const QSqlDatabase &db, const QString &productId, int qty,
                   const QString &orderId, const QString &actorId, StockEffects *effects);
    // A hand adjustment by the seller: any non-zero delta; Conflict when the stock would go
    // below zero. `note` is the seller's reason.
    Status adjust(const QSqlDatabase &db, const QString &productId, qint64 delta,
                  const QString &note, const QString &actorId, StockEffects *effects);

    // The first ledger row of a new product (reason `create`); the product row must exist
    // with `stock` already set to `initialStock`. Evaluates the low-stock rule.
    Status recordCreation(const QSqlDatabase &db, const QString &productId, qint64 initialStock,
                          const QString &actorId, StockEffects *effects);
    // Applies the low-stock rule to the product's current stock and threshold: disarms and
    // notifies its seller on a crossing, re-arms above the threshold. Call after any change
    // of stock or threshold (inside the transaction).
    Status evaluateLowStock(const QSqlDatabase &db, const QString &productId,
                            StockEffects *effects);

    // Emits the notifications and ModelEvents (stockLow, productChanged) after commit.
    void announce(const StockEffects &effects);

    // Every product whose stock differs from the sum of its ledger rows (empty: all good).
    static Result<QList<LedgerMismatch>> verifyLedger(const QSqlDatabase &db);

private:
    Status change(const QSqlDatabase &db, const QString &productId, qint64 delta,
                  const QString &reason, const QString &note, const QString &orderId,
                  const QString &actorId, bool requireLive, StockEffects *effects);

    Notifier &m_notifier;
    ModelEvents &m_events;
};

} // namespace Mercato
