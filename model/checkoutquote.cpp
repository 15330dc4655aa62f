#include "checkoutquote.h"

#include <algorithm>

namespace Mercato {

QList<qint64> spread(qint64 amount, const QList<qint64> &weights)
{
    QList<qint64> shares(weights.size(), 0);
    qint64 total = 0;
    for (qint64 w : weights)
        total += std::max<qint64>(0, w);
    if (amount <= 0 || total <= 0)
        return shares;
    QList<std::pair<qint64, qsizetype>> remainders;
    qint64 given = 0;
    for (qsizetype i = 0; i < weights.size(); ++i) {
        const qint64 w = std::max<qint64>(0, weights[i]);
        // amount ≤ total and both below 2^53 cents: the product fits in 64 bits for any shop.
        shares[i] = amount * w / total;
        given += shares[i];
        remainders.append({amount * w % total, i});
    }
    std::stable_sort(remainders.begin(), remainders.end(),
                     [](const auto &a, const auto &b) { return a.first > b.first; });
    for (qsizetype k = 0; given < amount && k < remainders.size(); ++k, ++given)
        ++shares[remainders[k].second];
    return shares;
}

qint64 containedTax(qint64 paidCents, qint64 rateMilli)
{
    if (paidCents <= 0 || rateMilli <= 0)
        return 0;
    const qint64 num = paidCents * rateMilli;
    const qint64 den = 100'000 + rateMilli;
    qint64 q = num / den;
    const qint64 twice = 2 * (num % den);
    if (twice > den || (twice == den && q % 2 != 0))
        ++q;
    return q;
}

Pricing priceOrder(const QList<qint64> &lineTotals, qint64 coinsToUse, qint64 coinBalance,
                   int maxDiscountPercent, int coinValueCents, const QList<qint64> &codeShares)
{
    Pricing p;
    for (qint64 t : lineTotals)
        p.subtotalCents += t;
    p.codeShares = codeShares.size() == lineTotals.size() ? codeShares
                                                          : QList<qint64>(lineTotals.size(), 0);
    QList<qint64> afterCode;
    for (qsizetype i = 0; i < lineTotals.size(); ++i) {
        p.codeCents += p.codeShares[i];
        afterCode.append(lineTotals[i] - p.codeShares[i]);
    }
    // Coins worth nothing (MERCATO_COIN_VALUE_CENTS=0) are never spent: none are held.
    const qint64 value = std::max(0, coinValueCents);
    const qint64 percent = std::clamp(maxDiscountPercent, 0, 100);
    const qint64 base = p.subtotalCents - p.codeCents;
    const qint64 maxCoins = value > 0 ? base * percent / 100 / value : 0;
    p.coinsUsed = std::max<qint64>(0, std::min({coinsToUse, coinBalance, maxCoins}));
    const qint64 coinCents = p.coinsUsed * value;
    p.discountCents = p.codeCents + coinCents;
    p.totalCents = p.subtotalCents - p.discountCents;
    p.coinShares = spread(coinCents, afterCode);
    for (qsizetype i = 0; i < lineTotals.size(); ++i)
        p.discountShares.append(p.codeShares[i] + p.coinShares[i]);
    return p;
}

namespace Checkout {

Result<Quote> quote(const QList<QuoteLine> &lines, const std::optional<DiscountCode> &code,
                    const ResolvedShipping &shipping, qint64 coinsToUse, qint64 coinBalance,
                    qint64 taxRateMilli, const StoreSettings &settings)
{
    QList<qint64> totals;
    QList<qint64> codeShares(lines.size(), 0);
    for (const QuoteLine &l : lines)
        totals.append(l.totalCents);
    if (code) {
        QList<qint64> own; // the seller's lines' weights; others 0
        qint64 sellerCents = 0;
        bool any = false;
        for (const QuoteLine &l : lines) {
            const bool mine = l.sellerId == code->sellerId;
            any = any || mine;
            own.append(mine ? l.totalCents : 0);
            sellerCents += mine ? l.totalCents : 0;
        }
        const QString field = QStringLiteral("discountCode");
        if (!any)
            return Error::validation(field, QStringLiteral("%1 applies to none of the items in "
                                                           "the cart")
                                                    .arg(code->code));
        if (sellerCents < code->minSubtotalCents)
            return Error::validation(
                    field, QStringLiteral("%1 needs items of its seller worth at least %2 cents")
                                   .arg(code->code)
                                   .arg(code->minSubtotalCents));
        codeShares = spread(code->amountOff(sellerCents), own);
    }
    Quote q;
    q.code = code;
    q.pricing = priceOrder(totals, coinsToUse, coinBalance, settings.maxCoinDiscountPercent,
                           settings.coinValueCents, codeShares);
    q.shipping = shipping;
    q.shippingCents = shippingFee(shipping, q.pricing.subtotalCents, q.pricing.codeCents);
    q.totalCents = q.pricing.subtotalCents - q.pricing.discountCents + q.shippingCents;
    q.taxRateMilli = std::max<qint64>(0, taxRateMilli);
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const qint64 tax = containedTax(totals[i] - q.pricing.discountShares[i], q.taxRateMilli);
        q.lineTaxCents.append(tax);
        q.taxCents += tax;
    }
    q.shippingTaxCents = containedTax(q.shippingCents, q.taxRateMilli);
    q.taxCents += q.shippingTaxCents;
    return q;
}

Result<ResolvedShipping> resolveShipping(const QSqlDatabase &db, const QString &customerId,
                                         const ShippingChoice &choice, bool preview)
{
    ResolvedShipping out;
    auto any = ShippingOptions::any(db);
    if (!any)
        return any.error();
    const QString optionField = QStringLiteral("shippingOptionId");
    if (!any.value()) {
        if (!choice.optionId.isEmpty())
            return Error::validation(optionField,
                                     QStringLiteral("the store has no shipping options; leave "
                                                    "shippingOptionId out"));
        return out; // a store of pickups or downloads: orders carry no shipping
    }
    QList<FieldError> errors;
    if (choice.optionId.isEmpty()) {
        if (!preview)
            errors.append({optionField, QStringLiteral("shippingOptionId is required: choose "
                                                       "one of GET /shipping-options")});
    } else {
        auto option = ShippingOptions::get(db, choice.optionId);
        if (!option && option.error().code != ErrorCode::NotFound)
            return option.error();
        if (!option)
            errors.append({optionField, QStringLiteral("no such shipping option")});
        else {
            out.none = false;
            out.option = option.value();
        }
    }
    if (!choice.addressId.isEmpty()) {
        auto address = AddressBook::get(db, customerId, choice.addressId);
        if (!address && address.error().code != ErrorCode::NotFound)
            return address.error();
        if (!address)
            errors.append({QStringLiteral("shippingAddressId"),
                           QStringLiteral("no such address in your address book")});
        else
            out.address = address.value();
    } else if (choice.address) {
        auto address = addressFromJson(*choice.address, QStringLiteral("shippingAddress."));
        if (!address)
            errors.append(address.error().fields);
        else
            out.address = address.value();
    } else if (!preview) {
        errors.append({QStringLiteral("shippingAddress"),
                       QStringLiteral("a shippingAddressId or a full shippingAddress is "
                                      "required")});
    }
    if (!errors.isEmpty())
        return Error{ErrorCode::Validation, errors.first().message, errors};
    if (out.address) {
        out.address->id.clear(); // the order's own copy, apart from the address book
        out.address->isDefault = false;
        out.country = out.address->country;
    } else {
        out.country = choice.country;
    }
    if (!out.none && !out.country.isEmpty() && !out.option.shipsTo(out.country))
        return Error::validation(
                optionField,
                QStringLiteral("%1 does not ship to %2").arg(out.option.name, out.country));
    return out;
}

qint64 shippingFee(const ResolvedShipping &shipping, qint64 subtotalCents, qint64 codeCents)
{
    if (shipping.none)
        return 0;
    const ShippingOption &o = shipping.option;
    if (o.freeOverCents && subtotalCents - codeCents >= *o.freeOverCents)
        return 0;
    return o.priceCents;
}

Result<qint64> nextOrderNumber(const QSqlDatabase &db, Engine engine)
{
    auto q = execSql(db, engine == Engine::Postgres
                                 ? QStringLiteral("SELECT nextval('order_number_seq')")
                                 : QStringLiteral("SELECT COALESCE(MAX(number), 1000) + 1 FROM "
                                                  "orders"));
    if (!q)
        return q.error();
    const qint64 n = q->next() ? q->value(0).toLongLong() : 0;
    q->finish();
    if (n <= 1000)
        return makeError(ErrorCode::Internal, QStringLiteral("no order number"));
    return n;
}

Result<qint64> refundShippingIfLast(const QSqlDatabase &db, const QString &orderId)
{
    auto left = execSql(db,
                        QStringLiteral("SELECT COUNT(*) FROM order_items WHERE order_id = ? AND "
                                       "refunded_quantity < quantity"),
                        {orderId});
    if (!left)
        return left.error();
    const qint64 unrefunded = left->next() ? left->value(0).toLongLong() : 1;
    left->finish();
    if (unrefunded > 0)
        return qint64(0);
    auto fee = execSql(db,
                       QStringLiteral("SELECT shipping_cents - shipping_refunded_cents FROM "
                                      "orders WHERE id = ?"),
                       {orderId});
    if (!fee)
        return fee.error();
    const qint64 cents = fee->next() ? std::max<qint64>(0, fee->value(0).toLongLong()) : 0;
    fee->finish();
    if (cents == 0)
        return qint64(0);
    auto u = execSql(db,
                     QStringLiteral("UPDATE orders SET shipping_refunded_cents = shipping_cents "
                                    "WHERE id = ?"),
                     {orderId});
    if (!u)
        return u.error();
    return cents;
}

} // namespace Checkout

} // namespace Mercato
