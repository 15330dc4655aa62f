#pragma once
// The mails a seller opts in to: one for each paid order holding its lines, one for each of its
// products whose stock crosses its low-stock threshold. Both off until the seller turns them on;
// written to the durable outbox inside the transaction that raises the event.

#include "database.h"

#include <optional>

namespace Mercato {

struct Order;

struct SellerMailChoices
{
    bool onSale = false;
    bool onLowStock = false;
};

namespace SellerMail {

Result<SellerMailChoices> choices(const QSqlDatabase &db, const QString &sellerId);
// Inside the caller's transaction: the choices named change, the others stay.
Status setChoices(const QSqlDatabase &db, const QString &sellerId, std::optional<bool> onSale,
                  std::optional<bool> onLowStock);

// Inside the transaction that marks `order` paid: the mail to `sellerId` (order #number, its
// lines and their total) when it asked for one.
Status sale(const QSqlDatabase &db, const Order &order, const QString &sellerId);
// Inside the transaction of a low-stock crossing: the mail to `sellerId` when it asked for one.
Status lowStock(const QSqlDatabase &db, const QString &sellerId, const QString &productName,
                int stock, int threshold);

} // namespace SellerMail

} // namespace Mercato
