#pragma once
// Invoices: the number an order gets when it is paid ({invoicePrefix}{year}-{n}, n from 1 each
// year, no gap and no repeat even with several processes), and the printable invoice.

#include "database.h"

#include <QTimeZone>

namespace Mercato {

struct Order;
struct StoreProfile;

namespace Invoices {

// Gives the order its invoice number, inside the transaction that pays it: the year's counter
// row is taken with a lock until the transaction ends (the year of `nowMs` in `zone`). An order
// that has a number keeps it.
Result<QString> issueNumber(const QSqlDatabase &db, const QString &orderId, qint64 nowMs,
                            const QTimeZone &zone);

// The invoice of a paid order as a printable HTML page: the store's name, address and tax id,
// the customer's address, the lines, discounts, shipping, the tax by rate and the refunds that
// followed.
QByteArray html(const Order &order, const StoreProfile &store);

} // namespace Invoices

} // namespace Mercato
