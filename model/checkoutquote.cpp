#include "checkoutquote.h"

namespace Mercato::Checkout {

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

} // namespace Mercato::Checkout
