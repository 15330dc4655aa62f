#pragma once
// Invoices: the number an order gets when it is paid ({invoicePrefix}{year}-{n}, n from 1 each
// year, no gap and no repeat even with several processes), the credit note number each refund
// gets the same way, and the printable invoice.

#include "database.h"

#include <QTimeZone>

namespace Mercato {

struct Order;
struct StoreProfile;

namespace Invoices {

// A tax rate in thousandths of a percent as people read it: 7700 → "7.7%".
QString percentText(qint64 milli);

// The next number of the named counter (`invoice`, `credit_note`) for `year`, inside the
// caller's transaction: the counter's row stays locked until that transaction ends, so numbers
// have no gap and no repeat across connections and processes.
Result<qint64> nextNumber(const QSqlDatabase &db, const QString &kind, int year);

// Gives the order its invoice number, inside the transaction that pays it: the year's counter
// row is taken with a lock until the transaction ends (the year of `nowMs` in `zone`). An order
// that has a number keeps it.
Result<QString> issueNumber(const QSqlDatabase &db, const QString &orderId, qint64 nowMs,
                            const QTimeZone &zone);

// Gives the refund (a recorded row of `refunds`) its credit note number
// ({creditNotePrefix}{year}-{n}, default prefix `CN-`), inside the transaction that records it,
// from the `credit_note` counter as issueNumber does. A refund that has a number keeps it.
Result<QString> issueCreditNoteNumber(const QSqlDatabase &db, const QString &refundId, qint64 nowMs,
                                      const QTimeZone &zone);

// The invoice of a paid order as a printable HTML page: the store's name, address and tax id,
// the customer's address, the lines, discounts, shipping, the tax by rate and the refunds that
// followed.
QByteArray html(const Order &order, const StoreProfile &store);

// The tax contained in each of the order's refunds (o.refunds' order): a line's tax comes back
// by the share rule, ⌊line tax × q ÷ n⌋, the refund that leaves no unit of the line unrefunded
// taking what is left, and the shipping's tax with the refund that pays the shipping back. The
// credit notes of a fully refunded order hold exactly its tax.
QList<qint64> creditNoteTaxes(const Order &order);

} // namespace Invoices

} // namespace Mercato
