#pragma once
// Shipping at checkout: what the customer chose (an option and where it goes), checked against
// the store's options and the customer's address book, and the fee that choice costs. The
// cart preview and the checkout both go through here, so they cannot disagree.

#include "addresses.h"
#include "database.h"
#include "shippingoptions.h"

#include <optional>

namespace Mercato {

struct ShippingChoice
{
    QString optionId;                   // shippingOptionId; empty: none given
    QString addressId;                  // shippingAddressId: one of the customer's
    std::optional<QJsonObject> address; // shippingAddress: a full address given inline
    QString country;                    // the cart preview only: a country instead of an address
};

struct ResolvedShipping
{
    bool none = true; // no shipping: the store has no option (or a preview that chose none)
    ShippingOption option;
    std::optional<Address> address; // the copy an order freezes (nullopt in a preview)
    QString country;
};

namespace Checkout {

// Checks the choice: while the store has no shipping option, nothing is needed and the order
// carries none; once it has one, shippingOptionId and shippingAddressId or shippingAddress
// are required (422 naming the missing or unknown one) and the option must ship to the
// address's country (422 naming shippingOptionId). A `preview` (GET /cart) may leave the
// option or the address out, or name only a country: the fee is then what it can tell.
Result<ResolvedShipping> resolveShipping(const QSqlDatabase &db, const QString &customerId,
                                         const ShippingChoice &choice, bool preview);

// The fee: the option's price, or 0 once the subtotal less the discount code's amount reaches
// its freeOverCents (coins do not count toward it).
qint64 shippingFee(const ResolvedShipping &shipping, qint64 subtotalCents, qint64 codeCents);

// The next order number (1001, 1002, ...), inside the checkout's transaction: a sequence on
// PostgreSQL; on SQLite the highest so far plus one under the write lock.
Result<qint64> nextOrderNumber(const QSqlDatabase &db, Engine engine);

// The shipping a refund gives back: the order's fee (what is left of it) once no unit of the
// order is left unrefunded, else 0; recorded on the order, so it is refunded once. Call with
// the order's row locked, after the refund's units are counted in refunded_quantity.
Result<qint64> refundShippingIfLast(const QSqlDatabase &db, const QString &orderId);

} // namespace Checkout

} // namespace Mercato
