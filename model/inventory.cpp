#include "inventory.h"

#include "preparedsql.h"
#include "sellermail.h"
#include "stocksale.h"

#include "clock.h"

#include <QJsonObject>

namespace Mercato {

namespace {

// The seller's `stock.low` notification of a crossing (the flag already disarmed), and its mail
// when the seller asked for one.
Status notifyLowStock(const QSqlDatabase &db, Notifier &notifier, const QString &productId,
                      const QString &sellerId, const QString &name, int stock, int threshold,
                      StockEffects *effects)
{
    QList<PendingNotification> pending;
    if (auto s = notifier.add(db, sellerId, QStringLiteral("stock.low"),
                              QStringLiteral("Low stock: %1").arg(name),
                              QStringLiteral("%1 has %2 left (threshold %3).")
                                      .arg(name)
                                      .arg(stock)
                                      .arg(threshold),
                              QJsonObject{{QStringLiteral("productId"), productId},
                                          {QStringLiteral("stock"), stock},
                                          {QStringLiteral("lowStockThreshold"), threshold}},
                              &pending);
        !s)
        return s;
    if (auto s = SellerMail::lowStock(db, sellerId, name, stock, threshold); !s)
        return s;
    if (effects) {
        effects->notifications += pending;
        effects->lowStock.append({productId, sellerId, stock});
    }
    return Ok{};
}

} // namespace

Status Inventory::change(const QSqlDatabase &db, const QString &productId, qint64 delta,
                         const QString &reason, const QString &note, const QString &orderId,
                         const QString &actorId, bool requireLive, StockEffects *effects)
{
    if (delta == 0)
        return Error::validation(QStringLiteral("delta"), QStringLiteral("delta must not be 0"));
    const qint64 now = Clock::nowMs();
    // One conditional update: the check and the change cannot be split by another writer.
    QString sql = QStringLiteral("UPDATE products SET stock = stock + ?, version = version + 1, "
                                 "updated_at = ? WHERE id = ? AND stock + ? >= 0");
    if (requireLive)
        sql += QStringLiteral(" AND deleted_at IS NULL");
    auto q = execSql(db, sql, {delta, now, productId, delta});
    if (!q)
        return q.error();
    if (q->numRowsAffected() != 1) {
        auto exists
                = execSql(db, QStringLiteral("SELECT stock, deleted_at FROM products WHERE id = ?"),
                          {productId});
        if (!exists)
            return exists.error();
        if (!exists->next())
            return makeError(ErrorCode::NotFound, QStringLiteral("no such product"));
        const qint64 stock = exists->value(0).toLongLong();
        Error e = makeError(ErrorCode::Conflict,
                            !exists->value(1).isNull() && requireLive
                                    ? QStringLiteral("the product is no longer sold")
                                    : QStringLiteral("not enough stock: %1 left").arg(stock));
        e.fields.append({productId, e.detail});
        return e;
    }
    auto ledger = execSql(
            db,
            QStringLiteral("INSERT INTO stock_ledger (product_id, delta, reason, note, "
                           "actor_id, order_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
            {productId, delta, reason, note.isEmpty() ? QVariant() : QVariant(note),
             actorId.isEmpty() ? QVariant() : QVariant(actorId),
             orderId.isEmpty() ? QVariant() : QVariant(orderId), now});
    if (!ledger)
        return ledger.error();
    if (effects && !effects->changedProducts.contains(productId))
        effects->changedProducts.append(productId);
    return evaluateLowStock(db, productId, effects);
}

Status Inventory::reserve(const QSqlDatabase &db, const QString &productId, int qty,
                          const QString &orderId, const QString &actorId, StockEffects *effects)
{
    if (qty <= 0)
        return Error::validation(QStringLiteral("quantity"),
                                 QStringLiteral("quantity must be positive"));
    return change(db, productId, -qint64(qty), StockReason::Sale, {}, orderId, actorId, true,
                  effects);
}

Status Inventory::release(const QSqlDatabase &db, const QString &productId, int qty,
                          const QString &orderId, const QString &actorId, const QString &reason,
                          StockEffects *effects)
{
    if (qty <= 0)
        return Error::validation(QStringLiteral("quantity"),
                                 QStringLiteral("quantity must be positive"));
    return change(db, productId, qty, reason.isEmpty() ? StockReason::Cancel : reason, {}, orderId,
                  actorId, false, effects);
}

Status Inventory::restock(const QSqlDatabase &db, const QString &productId, int qty,
                          const QString &orderId, const QString &actorId, StockEffects *effects)
{
    return release(db, productId, qty, orderId, actorId, StockReason::Refund, effects);
}

Status Inventory::adjust(const QSqlDatabase &db, const QString &productId, qint64 delta,
                         const QString &note, const QString &actorId, StockEffects *effects)
{
    return change(db, productId, delta, StockReason::Adjust, note, {}, actorId, true, effects);
}

Status Inventory::recordCreation(const QSqlDatabase &db, const QString &productId,
                                 qint64 initialStock, const QString &actorId, StockEffects *effects)
{
    auto ledger = execSql(
            db,
            QStringLiteral("INSERT INTO stock_ledger (product_id, delta, reason, note, "
                           "actor_id, order_id, created_at) VALUES (?, ?, ?, NULL, ?, NULL, ?)"),
            {productId, initialStock, StockReason::Create,
             actorId.isEmpty() ? QVariant() : QVariant(actorId), Clock::nowMs()});
    if (!ledger)
        return ledger.error();
    return evaluateLowStock(db, productId, effects);
}

Status Inventory::evaluateLowStock(const QSqlDatabase &db, const QString &productId,
                                   StockEffects *effects)
{
    // Disarm on a crossing: only one transaction can flip the flag, so one alert per crossing.
    auto disarm = execSql(db,
                          QStringLiteral("UPDATE products SET low_stock_armed = 0 WHERE id = ? AND "
                                         "low_stock_armed = 1 AND stock <= low_stock_threshold"),
                          {productId});
    if (!disarm)
        return disarm.error();
    if (disarm->numRowsAffected() == 1) {
        auto p = execSql(db,
                         QStringLiteral("SELECT seller_id, name, stock, low_stock_threshold "
                                        "FROM products WHERE id = ?"),
                         {productId});
        if (!p)
            return p.error();
        if (p->next())
            return notifyLowStock(db, m_notifier, productId, p->value(0).toString(),
                                  p->value(1).toString(), p->value(2).toInt(), p->value(3).toInt(),
                                  effects);
        return Ok{};
    }
    auto rearm = execSql(db,
                         QStringLiteral("UPDATE products SET low_stock_armed = 1 WHERE id = ? AND "
                                        "low_stock_armed = 0 AND stock > low_stock_threshold"),
                         {productId});
    if (!rearm)
        return rearm.error();
    return Ok{};
}

void Inventory::announce(const StockEffects &effects)
{
    m_notifier.announce(effects.notifications);
    for (const StockEffects::LowStock &low : effects.lowStock)
        Q_EMIT m_events.stockLow(low.productId, low.sellerId, low.stock);
    for (const QString &id : effects.changedProducts)
        Q_EMIT m_events.productChanged(id);
}

Result<QList<LedgerMismatch>> Inventory::verifyLedger(const QSqlDatabase &db)
{
    auto q = execSql(
            db,
            QStringLiteral(
                    "SELECT p.id, p.stock, COALESCE(l.total, 0) FROM products p "
                    "LEFT JOIN (SELECT product_id, SUM(delta) AS total FROM stock_ledger GROUP BY "
                    "product_id) l "
                    "ON l.product_id = p.id WHERE p.stock <> COALESCE(l.total, 0) ORDER BY p.id"));
    if (!q)
        return q.error();
    QList<LedgerMismatch> out;
    while (q->next())
        out.append({q->value(0).toString(), q->value(1).toLongLong(), q->value(2).toLongLong()});
    return out;
}

namespace StockSale {

Result<Sold> take(const QSqlDatabase &db, Notifier &notifier, const QString &productId, int qty,
                  const QString &orderId, const QString &actorId, StockEffects *effects)
{
    if (qty <= 0)
        return Error::validation(QStringLiteral("quantity"),
                                 QStringLiteral("quantity must be positive"));
    const qint64 now = Clock::nowMs();
    // The check and the change in one statement (as Inventory::change), returning what the
    // order line and the low-stock rule need from the row it locked.
    auto q = execPrepared(
            db,
            QStringLiteral("UPDATE products SET stock = stock - ?, version = version + 1, "
                           "updated_at = ? WHERE id = ? AND stock >= ? AND deleted_at IS NULL "
                           "AND NOT EXISTS (SELECT 1 FROM users s WHERE s.id = products.seller_id "
                           "AND s.suspended_at IS NOT NULL) "
                           "RETURNING seller_id, name, price_cents, stock, low_stock_threshold, "
                           "low_stock_armed"),
            {qty, now, productId, qty});
    if (!q)
        return q.error();
    QSqlQuery &row = *q.value();
    if (!row.next()) {
        row.finish();
        Error e = makeError(ErrorCode::Conflict, QStringLiteral("not enough stock"));
        e.fields.append({productId, e.detail});
        return e;
    }
    Sold sold;
    sold.sellerId = row.value(0).toString();
    sold.name = row.value(1).toString();
    sold.priceCents = row.value(2).toLongLong();
    sold.stock = row.value(3).toLongLong();
    const int threshold = row.value(4).toInt();
    const bool armed = row.value(5).toInt() != 0;
    row.finish(); // a SQLite write with RETURNING stays open until reset
    auto ledger = execPrepared(
            db,
            QStringLiteral("INSERT INTO stock_ledger (product_id, delta, reason, note, "
                           "actor_id, order_id, created_at) VALUES (?, ?, ?, NULL, ?, ?, ?)"),
            {productId, -qint64(qty), StockReason::Sale,
             actorId.isEmpty() ? QVariant() : QVariant(actorId),
             orderId.isEmpty() ? QVariant() : QVariant(orderId), now});
    if (!ledger)
        return ledger.error();
    if (effects && !effects->changedProducts.contains(productId))
        effects->changedProducts.append(productId);
    // The low-stock rule on the values just returned (the row is locked by this transaction):
    // disarm and notify on a crossing, re-arm above the threshold, else nothing to write.
    if (armed && sold.stock <= threshold) {
        auto disarm = execSql(db,
                              QStringLiteral("UPDATE products SET low_stock_armed = 0 WHERE id = ? "
                                             "AND low_stock_armed = 1 AND stock <= "
                                             "low_stock_threshold"),
                              {productId});
        if (!disarm)
            return disarm.error();
        if (disarm->numRowsAffected() == 1) {
            if (auto s = notifyLowStock(db, notifier, productId, sold.sellerId, sold.name,
                                        int(sold.stock), threshold, effects);
                !s)
                return s.error();
        }
    } else if (!armed && sold.stock > threshold) {
        auto rearm = execSql(db,
                             QStringLiteral("UPDATE products SET low_stock_armed = 1 WHERE id = ? "
                                            "AND low_stock_armed = 0 AND stock > "
                                            "low_stock_threshold"),
                             {productId});
        if (!rearm)
            return rearm.error();
    }
    return sold;
}

} // namespace StockSale

} // namespace Mercato
