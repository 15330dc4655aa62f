#pragma once
// The price of a checkout: what the customer chose (an option and where it goes, a discount
// code, coins), checked against the store's options, codes and the customer's address book,
// and the whole price that choice makes (code, coins, shipping, tax, each line's shares). The
// cart preview and the checkout both go through here, so they cannot disagree.

#include "addresses.h"
#include "database.h"
#include "discountcodes.h"
#include "shippingoptions.h"
#include "storesettings.h"

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

// One line of a checkout, in the order's line order.
struct QuoteLine
{
    QString sellerId;
    qint64 totalCents = 0;
};

// The pricing rule of API.md, computed on the server only: the code's amount first (on its
// seller's lines), then coins on what remains.
struct Pricing
{
    qint64 subtotalCents = 0;
    qint64 codeCents = 0; // the discount code's amount
    qint64 coinsUsed = 0;
    qint64 discountCents = 0; // codeCents + coins used × coin value
    qint64 totalCents = 0;    // subtotal - discountCents (before shipping)
    // Per line, in line order (the share rule of API.md): the code's, the coins', and both.
    QList<qint64> codeShares;
    QList<qint64> coinShares;
    QList<qint64> discountShares;
};
// Coins on lines that the code's shares (empty: none) took from already: coins used = min(asked,
// balance, ⌊(subtotal - code) × max percent ÷ 100 ÷ coin value⌋).
Pricing priceOrder(const QList<qint64> &lineTotals, qint64 coinsToUse, qint64 coinBalance,
                   int maxDiscountPercent, int coinValueCents,
                   const QList<qint64> &codeShares = {});

// `amount` spread over `weights` in proportion, each share rounded down and the cents left
// over given one each to the largest remainders (ties: the earlier); they add up to `amount`.
QList<qint64> spread(qint64 amount, const QList<qint64> &weights);

// The tax contained in `paidCents` at a rate of `rateMilli` thousandths of a percent:
// paid × r ÷ (100 + r), rounded half to even.
qint64 containedTax(qint64 paidCents, qint64 rateMilli);

// The whole price of an order (or of the cart's preview).
struct Quote
{
    Pricing pricing;
    ResolvedShipping shipping;
    std::optional<DiscountCode> code;
    qint64 shippingCents = 0;
    qint64 totalCents = 0; // subtotal - discountCents + shippingCents
    qint64 taxRateMilli = 0;
    QList<qint64> lineTaxCents; // per line, of what it was paid
    qint64 shippingTaxCents = 0;
    qint64 taxCents = 0; // lines' and shipping's
};

namespace Checkout {

// The one price of a checkout: the code (when given; no line of its seller, or its minimum
// not met by them → 422 naming discountCode), coins, shipping (free over its threshold by the
// subtotal less the code's amount) and the tax at `taxRateMilli`.
Result<Quote> quote(const QList<QuoteLine> &lines, const std::optional<DiscountCode> &code,
                    const ResolvedShipping &shipping, qint64 coinsToUse, qint64 coinBalance,
                    qint64 taxRateMilli, const StoreSettings &settings);

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
