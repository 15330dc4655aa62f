#pragma once
// A sale's stock change in one statement (used by the checkout): the conditional update also
// returns what the order line freezes (seller, name, price) and what the low-stock rule needs,
// so neither the catalog nor the product row is read again. Same ledger row and low-stock
// rule as Inventory::reserve.

#include "inventory.h"

namespace Mercato::StockSale {

struct Sold
{
    QString sellerId;
    QString name;
    qint64 priceCents = 0;
    qint64 stock = 0; // after the sale
};

// Takes `qty` (> 0) of a live product (`stock >= qty AND deleted_at IS NULL`), writes the
// ledger row `sale`, applies the low-stock rule (notification through `notifier`, collected in
// `effects`). Conflict when the product lacks the stock, is deleted or unknown (nothing
// changed then).
Result<Sold> take(const QSqlDatabase &db, Notifier &notifier, const QString &productId, int qty,
                  const QString &orderId, const QString &actorId, StockEffects *effects);

} // namespace Mercato::StockSale
