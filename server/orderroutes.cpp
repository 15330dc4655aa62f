#include "orderroutes.h"

#include "fulfilmentroutes.h"
#include "jsonbody.h"
#include "metrics.h"

#include "model/clock.h"
#include "model/idempotency.h"
#include "model/invoices.h"
#include "model/shop.h"
#include "model/storeprofile.h"

#include <QCryptographicHash>
#include <QDateTime>

namespace Mercato {

using namespace Http;

namespace {

QJsonObject cartJson(const Cart &cart)
{
    QJsonArray items;
    for (const CartLine &l : cart.items) {
        items.append(QJsonObject{{QStringLiteral("productId"), l.productId},
                                 {QStringLiteral("name"), l.name},
                                 {QStringLiteral("unitPriceCents"), l.unitPriceCents},
                                 {QStringLiteral("quantity"), l.quantity},
                                 {QStringLiteral("lineTotalCents"), l.lineTotalCents},
                                 {QStringLiteral("available"), l.available}});
    }
    return QJsonObject{{QStringLiteral("items"), items},
                       {QStringLiteral("subtotalCents"), cart.subtotalCents}};
}

// {kind: code, code, amountCents} and {kind: coins, coins, amountCents}, those that took
// something off (a code that took nothing still shows).
QJsonArray discountsJson(const QString &code, qint64 codeCents, qint64 coinsUsed, qint64 coinCents)
{
    QJsonArray out;
    if (!code.isEmpty())
        out.append(QJsonObject{{QStringLiteral("kind"), QStringLiteral("code")},
                               {QStringLiteral("code"), code},
                               {QStringLiteral("amountCents"), codeCents}});
    if (coinsUsed > 0)
        out.append(QJsonObject{{QStringLiteral("kind"), QStringLiteral("coins")},
                               {QStringLiteral("coins"), coinsUsed},
                               {QStringLiteral("amountCents"), coinCents}});
    return out;
}

// A rate in thousandths of a percent as the JSON number it is (7700 → 7.7).
QJsonValue ratePercentJson(qint64 milli)
{
    return QJsonValue(double(milli) / 1000.0);
}

QJsonObject orderJson(const Order &o, bool forSeller)
{
    QJsonArray items;
    for (const OrderLine &l : o.items) {
        items.append(QJsonObject{{QStringLiteral("id"), l.id},
                                 {QStringLiteral("productId"), l.productId},
                                 {QStringLiteral("name"), l.name},
                                 {QStringLiteral("unitPriceCents"), l.unitPriceCents},
                                 {QStringLiteral("quantity"), l.quantity},
                                 {QStringLiteral("lineTotalCents"), l.lineTotalCents},
                                 {QStringLiteral("refundedQuantity"), l.refundedQuantity},
                                 {QStringLiteral("shippedQuantity"), l.shippedQuantity},
                                 {QStringLiteral("discountShareCents"), l.discountShareCents},
                                 {QStringLiteral("codeShareCents"), l.codeShareCents},
                                 {QStringLiteral("taxCents"), l.taxCents}});
    }
    QJsonArray history;
    for (const StatusChange &h : o.history)
        history.append(QJsonObject{{QStringLiteral("status"), h.status},
                                   {QStringLiteral("at"), Clock::toRfc3339(h.at)}});
    QJsonObject json{{QStringLiteral("id"), o.id},
                     {QStringLiteral("status"), o.status},
                     {QStringLiteral("items"), items},
                     {QStringLiteral("subtotalCents"), o.subtotalCents},
                     {QStringLiteral("discountCents"), o.discountCents},
                     {QStringLiteral("coinsUsed"), o.coinsUsed},
                     {QStringLiteral("totalCents"), o.totalCents},
                     {QStringLiteral("currency"), o.currency},
                     {QStringLiteral("payment"),
                      QJsonObject{{QStringLiteral("provider"),
                                   o.paymentProvider.isEmpty() ? QJsonValue()
                                                               : QJsonValue(o.paymentProvider)},
                                  {QStringLiteral("state"), o.paymentState}}},
                     {QStringLiteral("statusHistory"), history},
                     {QStringLiteral("shipments"), shipmentsJson(o.shipments)},
                     {QStringLiteral("refunds"), orderRefundsJson(o.refunds)},
                     {QStringLiteral("createdAt"), Clock::toRfc3339(o.createdAt)},
                     {QStringLiteral("updatedAt"), Clock::toRfc3339(o.updatedAt)}};
    json.insert(QStringLiteral("expiresAt"),
                o.status == OrderStatus::PendingPayment && o.expiresAt > 0
                        ? QJsonValue(Clock::toRfc3339(o.expiresAt))
                        : QJsonValue());
    json.insert(QStringLiteral("number"), o.number > 0 ? QJsonValue(o.number) : QJsonValue());
    json.insert(QStringLiteral("shippingAddress"),
                o.shippingAddress ? QJsonValue(o.shippingAddress->toJson()) : QJsonValue());
    json.insert(QStringLiteral("shipping"),
                o.shippingOptionId.isEmpty()
                        ? QJsonValue()
                        : QJsonValue(QJsonObject{{QStringLiteral("optionId"), o.shippingOptionId},
                                                 {QStringLiteral("name"), o.shippingName},
                                                 {QStringLiteral("priceCents"), o.shippingCents}}));
    json.insert(QStringLiteral("shippingCents"), o.shippingCents);
    json.insert(QStringLiteral("discounts"), discountsJson(o.discountCode, o.codeCents, o.coinsUsed,
                                                           o.discountCents - o.codeCents));
    json.insert(QStringLiteral("discountCode"),
                o.discountCode.isEmpty() ? QJsonValue() : QJsonValue(o.discountCode));
    json.insert(QStringLiteral("taxRatePercent"), ratePercentJson(o.taxRateMilli));
    json.insert(QStringLiteral("taxCents"), o.taxCents);
    json.insert(QStringLiteral("shippingTaxCents"), o.shippingTaxCents);
    json.insert(QStringLiteral("invoiceNumber"),
                o.invoiceNumber.isEmpty() ? QJsonValue() : QJsonValue(o.invoiceNumber));
    if (forSeller) {
        json.insert(QStringLiteral("customerName"), o.customerName);
        json.insert(QStringLiteral("sellerSubtotalCents"), o.linesTotalCents());
    }
    return json;
}

QJsonObject pageJson(const OrderPage &page, bool forSeller)
{
    QJsonArray items;
    for (const Order &o : page.items)
        items.append(orderJson(o, forSeller));
    return QJsonObject{{QStringLiteral("items"), items},
                       {QStringLiteral("nextCursor"),
                        page.nextCursor.isEmpty() ? QJsonValue() : QJsonValue(page.nextCursor)}};
}

// The shipping choice of POST /orders' body: shippingOptionId, shippingAddressId or a full
// shippingAddress; wrong JSON types are 422 naming the field. (discountCode is read beside it.)
ShippingChoice shippingChoice(FieldReader &in, const QJsonObject &body)
{
    ShippingChoice choice;
    if (auto id = in.string(QStringLiteral("shippingOptionId"), Need::Optional, 1, 64))
        choice.optionId = *id;
    if (auto id = in.string(QStringLiteral("shippingAddressId"), Need::Optional, 1, 64))
        choice.addressId = *id;
    const QJsonValue address = body.value(QStringLiteral("shippingAddress"));
    if (address.isObject())
        choice.address = address.toObject();
    else if (!address.isUndefined() && !address.isNull())
        in.fail(QStringLiteral("shippingAddress"),
                QStringLiteral("shippingAddress must be an address object"));
    return choice;
}

// GET /cart's preview choices (query values): junk is 400 naming the parameter. Empty when
// the request names none (then the cart is answered alone).
struct PreviewChoice
{
    ShippingChoice shipping;
    qint64 coinsToUse = 0;
    QString discountCode;
};

Result<std::optional<PreviewChoice>> previewChoice(const Request &r)
{
    using Out = std::optional<PreviewChoice>;
    const QStringList names{QStringLiteral("shippingOptionId"), QStringLiteral("shippingAddressId"),
                            QStringLiteral("country"), QStringLiteral("coinsToUse"),
                            QStringLiteral("discountCode")};
    QString code;
    bool any = false;
    ShippingChoice choice;
    for (const QString &name : names) {
        if (!r.query.hasQueryItem(name))
            continue;
        any = true;
        const QString v = r.query.queryItemValue(name, QUrl::FullyDecoded);
        if (name == QLatin1String("coinsToUse"))
            continue;
        if (name == QLatin1String("discountCode")) {
            // Any text: a code that does not exist is POST /orders' 422, not a junk value.
            if (v.isEmpty() || v.size() > 64)
                return badParam(name, QStringLiteral("discountCode must be 1 to 64 characters"));
            code = v;
        } else if (name == QLatin1String("country")) {
            if (!isCountryCode(v))
                return badParam(name, QStringLiteral("country must be an assigned ISO 3166-1 "
                                                     "alpha-2 code in upper case"));
            choice.country = v;
        } else if (v.isEmpty() || v.size() > 64) {
            return badParam(name, name + QStringLiteral(" must be an id"));
        } else if (name == QLatin1String("shippingOptionId")) {
            choice.optionId = v;
        } else {
            choice.addressId = v;
        }
    }
    auto coins = intParam(r, QStringLiteral("coinsToUse"), 0, std::numeric_limits<qint32>::max());
    if (!coins)
        return coins.error();
    if (!any)
        return Out{};
    return Out{PreviewChoice{choice, coins.value().value_or(0), code}};
}

// A JSON object body, or {} when there is none (state moves and checkout take no input).
Result<QJsonObject> optionalBody(const Request &r)
{
    if (r.body.trimmed().isEmpty())
        return QJsonObject{};
    return jsonObjectBody(r);
}

// Runs `work` at most once per Idempotency-Key (per user and route, 24 h): a repeat with the
// same parsed body gets the first answer with `Idempotent-Replayed: true`; another body 409.
Response idempotent(Shop &shop, const Request &r, const QJsonObject &body,
                    const std::function<Response()> &work)
{
    const QString key = QString::fromUtf8(r.header("idempotency-key")).trimmed();
    if (r.headers.contains("idempotency-key") && (key.isEmpty() || key.size() > 255))
        return Response::fromError(badParam(QStringLiteral("Idempotency-Key"),
                                            QStringLiteral("must be 1 to 255 characters")));
    if (key.isEmpty())
        return work();
    const QString route = QString::fromLatin1(r.method) + QLatin1Char(' ') + r.path;
    const QString hash = QString::fromLatin1(
            QCryptographicHash::hash(QJsonDocument(body).toJson(QJsonDocument::Compact),
                                     QCryptographicHash::Sha256)
                    .toHex());
    const QString userId = r.user().userId;
    auto claim = Idempotency::claim(shop.database(), userId, route, key, hash);
    if (!claim)
        return Response::fromError(claim.error());
    if (!claim->fresh) {
        const auto &a = claim->answer;
        Response replay
                = Response::text(a.status, a.body,
                                 a.status >= 400 ? QByteArrayLiteral("application/problem+json")
                                                 : QByteArrayLiteral("application/json"));
        if (!a.location.isEmpty())
            replay.setHeader("Location", a.location.toUtf8());
        replay.setHeader("Idempotent-Replayed", "true");
        return replay;
    }
    Response response = work();
    if (response.status >= 500)
        (void)Idempotency::abandon(shop.database(), userId, route, key);
    else
        (void)Idempotency::finish(shop.database(), userId, route, key, response.status,
                                  response.body, QString::fromUtf8(response.header("Location")));
    return response;
}

// `from`/`to` query values: RFC 3339 date-times or dates; `to` is inclusive.
Result<std::optional<qint64>> timeParam(const Request &r, const QString &name, bool endOfRange)
{
    if (!r.query.hasQueryItem(name))
        return std::optional<qint64>{};
    const QString v = r.query.queryItemValue(name, QUrl::FullyDecoded);
    QDateTime t = QDateTime::fromString(v, Qt::ISODateWithMs);
    if (t.isValid() && v.contains(QLatin1Char('T'))) {
        // Times are shown to the second: an inclusive `to` covers the whole second it names.
        const qint64 end = v.contains(QLatin1Char('.')) ? 1 : 1000;
        return std::optional<qint64>{t.toMSecsSinceEpoch() + (endOfRange ? end : 0)};
    }
    const QDate d = QDate::fromString(v, Qt::ISODate);
    if (d.isValid() && v.size() == 10) {
        const QDate day = endOfRange ? d.addDays(1) : d;
        return std::optional<qint64>{day.startOfDay(Qt::UTC).toMSecsSinceEpoch()};
    }
    return badParam(name, QStringLiteral("must be an RFC 3339 date-time or a date (YYYY-MM-DD)"));
}

} // namespace

QJsonObject sellerOrderJson(const Order &order)
{
    return orderJson(order, true);
}

void registerOrderRoutes(Router &router, Shop &shop, Metrics &metrics)
{
    // ---- cart ----
    router.add("GET", QStringLiteral("/api/v1/cart"), Access::Customer, [&shop](Request &r) {
        auto preview = previewChoice(r);
        if (!preview)
            return Response::fromError(preview.error());
        auto cart = shop.cart().cart(r.user().userId);
        if (!cart)
            return Response::fromError(cart.error());
        QJsonObject json = cartJson(cart.value());
        if (preview.value()) {
            // Priced by the checkout's own code over the lines an order would take now, in the
            // order's line order (product id).
            QList<CartLine> available;
            for (const CartLine &l : std::as_const(cart->items)) {
                if (l.available)
                    available.append(l);
            }
            std::sort(available.begin(), available.end(), [](const CartLine &a, const CartLine &b) {
                return a.productId < b.productId;
            });
            QList<QuoteLine> lines;
            for (const CartLine &l : std::as_const(available))
                lines.append({l.sellerId, l.lineTotalCents});
            const PreviewChoice &choice = *preview.value();
            auto quote = shop.orders().quoteCart(r.user().userId, lines, choice.shipping,
                                                 choice.coinsToUse, choice.discountCode);
            if (!quote)
                return Response::fromError(quote.error());
            const Pricing &p = quote->pricing;
            json.insert(QStringLiteral("subtotalCents"), p.subtotalCents);
            json.insert(QStringLiteral("discounts"),
                        discountsJson(quote->code ? quote->code->code : QString(), p.codeCents,
                                      p.coinsUsed, p.discountCents - p.codeCents));
            json.insert(QStringLiteral("discountCents"), quote->pricing.discountCents);
            json.insert(QStringLiteral("coinsUsed"), quote->pricing.coinsUsed);
            json.insert(QStringLiteral("shippingCents"), quote->shippingCents);
            json.insert(QStringLiteral("shipping"),
                        quote->shipping.none
                                ? QJsonValue()
                                : QJsonValue(QJsonObject{
                                        {QStringLiteral("optionId"), quote->shipping.option.id},
                                        {QStringLiteral("name"), quote->shipping.option.name},
                                        {QStringLiteral("priceCents"), quote->shippingCents}}));
            json.insert(QStringLiteral("totalCents"), quote->totalCents);
            json.insert(QStringLiteral("taxRatePercent"), ratePercentJson(quote->taxRateMilli));
            json.insert(QStringLiteral("taxCents"), quote->taxCents);
            json.insert(QStringLiteral("shippingTaxCents"), quote->shippingTaxCents);
        }
        return Response::json(200, json);
    });
    router.add("PUT", QStringLiteral("/api/v1/cart/items/{productId}"), Access::Customer,
               [&shop](Request &r) {
                   auto body = jsonObjectBody(r);
                   if (!body)
                       return Response::fromError(body.error());
                   FieldReader in(body.value());
                   const auto quantity = in.integer(QStringLiteral("quantity"), Need::Required, 1,
                                                    CartService::kMaxQuantity);
                   if (!in.ok())
                       return Response::fromError(in.error());
                   auto cart = shop.cart().setQuantity(
                           r.user().userId, r.param(QStringLiteral("productId")), int(*quantity));
                   return cart ? Response::json(200, cartJson(cart.value()))
                               : Response::fromError(cart.error());
               });
    router.add("DELETE", QStringLiteral("/api/v1/cart/items/{productId}"), Access::Customer,
               [&shop](Request &r) {
                   auto cart = shop.cart().removeItem(r.user().userId,
                                                      r.param(QStringLiteral("productId")));
                   return cart ? Response::json(200, cartJson(cart.value()))
                               : Response::fromError(cart.error());
               });
    router.add("DELETE", QStringLiteral("/api/v1/cart"), Access::Customer, [&shop](Request &r) {
        auto cart = shop.cart().clear(r.user().userId);
        return cart ? Response::json(200, cartJson(cart.value()))
                    : Response::fromError(cart.error());
    });

    // ---- orders (customer) ----
    router.add("POST", QStringLiteral("/api/v1/orders"), Access::Customer, [&shop](Request &r) {
        auto body = optionalBody(r);
        if (!body)
            return Response::fromError(body.error());
        return idempotent(shop, r, body.value(), [&] {
            FieldReader in(body.value());
            const auto coins = in.integer(QStringLiteral("coinsToUse"), Need::Optional, 0,
                                          std::numeric_limits<qint32>::max());
            const ShippingChoice shipping = shippingChoice(in, body.value());
            const auto code = in.string(QStringLiteral("discountCode"), Need::Optional, 1, 64);
            if (!in.ok())
                return Response::fromError(in.error());
            auto order = shop.orders().placeOrder(r.user().userId, coins.value_or(0), shipping,
                                                  code.value_or(QString()));
            if (!order)
                return Response::fromError(order.error());
            return Response::created(QStringLiteral("/api/v1/orders/") + order->id,
                                     orderJson(order.value(), false));
        });
    });
    router.add("GET", QStringLiteral("/api/v1/orders"), Access::Customer, [&shop](Request &r) {
        auto page = pageParams(r);
        if (!page)
            return Response::fromError(page.error());
        auto orders = shop.orders().orders(r.user().userId, page->limit, page->cursor);
        return orders ? Response::json(200, pageJson(orders.value(), false))
                      : Response::fromError(orders.error());
    });
    router.add("GET", QStringLiteral("/api/v1/orders/{id}"), Access::Customer, [&shop](Request &r) {
        auto order = shop.orders().order(r.user().userId, r.param(QStringLiteral("id")));
        return order ? Response::json(200, orderJson(order.value(), false))
                     : Response::fromError(order.error());
    });
    router.add("GET", QStringLiteral("/api/v1/orders/{id}/invoice"), Access::SignedIn,
               [&shop](Request &r) {
                   auto order = shop.orders().invoicedOrder(r.user().userId, r.user().role,
                                                            r.param(QStringLiteral("id")));
                   if (!order)
                       return Response::fromError(order.error());
                   auto store = StoreProfiles::load(shop.database().connection());
                   if (!store)
                       return Response::fromError(store.error());
                   return Response::text(200, Invoices::html(order.value(), store.value()),
                                         QByteArrayLiteral("text/html; charset=utf-8"));
               });
    router.add("POST", QStringLiteral("/api/v1/orders/{id}/cancel"), Access::Customer,
               [&shop](Request &r) {
                   auto order
                           = shop.orders().cancel(r.user().userId, r.param(QStringLiteral("id")));
                   return order ? Response::json(200, orderJson(order.value(), false))
                                : Response::fromError(order.error());
               });
    router.add("POST", QStringLiteral("/api/v1/orders/{id}/checkout"), Access::Customer,
               [&shop](Request &r) {
                   auto body = optionalBody(r);
                   if (!body)
                       return Response::fromError(body.error());
                   return idempotent(shop, r, body.value(), [&] {
                       auto answer = shop.orders().checkout(r.user().userId,
                                                            r.param(QStringLiteral("id")));
                       if (!answer)
                           return Response::fromError(answer.error());
                       const PaymentStart &p = answer->payment;
                       QJsonObject json{{QStringLiteral("provider"), p.provider},
                                        {QStringLiteral("orderId"), answer->order.id},
                                        {QStringLiteral("amountCents"), answer->order.totalCents},
                                        {QStringLiteral("currency"), answer->order.currency},
                                        {QStringLiteral("order"), orderJson(answer->order, false)}};
                       if (p.provider == QLatin1String("stripe")) {
                           json.insert(QStringLiteral("paymentIntentId"), p.paymentRef);
                           json.insert(QStringLiteral("clientSecret"), p.clientSecret);
                           json.insert(QStringLiteral("publishableKey"), p.publishableKey);
                       } else {
                           json.insert(QStringLiteral("instructions"), p.instructions);
                       }
                       if (p.provider == QLatin1String("manual")) {
                           // What the customer quotes, and when the unpaid order is cancelled.
                           json.insert(QStringLiteral("reference"),
                                       answer->order.number > 0
                                               ? QStringLiteral("#%1").arg(answer->order.number)
                                               : answer->order.id);
                           json.insert(QStringLiteral("payBefore"),
                                       answer->order.expiresAt > 0 ? QJsonValue(
                                               Clock::toRfc3339(answer->order.expiresAt))
                                                                   : QJsonValue());
                       }
                       return Response::json(200, json);
                   });
               });

    // ---- seller ----
    router.add("GET", QStringLiteral("/api/v1/seller/orders"), Access::Seller, [&shop](Request &r) {
        auto page = pageParams(r);
        if (!page)
            return Response::fromError(page.error());
        SellerOrderFilter filter;
        filter.limit = page->limit;
        filter.cursor = page->cursor;
        if (r.query.hasQueryItem(QStringLiteral("status"))) {
            filter.status = r.query.queryItemValue(QStringLiteral("status"));
            if (!OrderStatus::isKnown(filter.status))
                return Response::fromError(
                        badParam(QStringLiteral("status"),
                                 QStringLiteral("must be pending_payment, paid, "
                                                "partially_shipped, shipped, delivered or "
                                                "cancelled")));
        }
        auto from = timeParam(r, QStringLiteral("from"), false);
        if (!from)
            return Response::fromError(from.error());
        auto to = timeParam(r, QStringLiteral("to"), true);
        if (!to)
            return Response::fromError(to.error());
        filter.fromMs = from.value();
        filter.toMs = to.value();
        auto orders = shop.orders().sellerOrders(r.user().userId, filter);
        return orders ? Response::json(200, pageJson(orders.value(), true))
                      : Response::fromError(orders.error());
    });
    router.add("GET", QStringLiteral("/api/v1/seller/orders/{id}"), Access::Seller,
               [&shop](Request &r) {
                   auto order = shop.orders().sellerOrder(r.user().userId,
                                                          r.param(QStringLiteral("id")));
                   return order ? Response::json(200, orderJson(order.value(), true))
                                : Response::fromError(order.error());
               });
    const QList<QPair<QString, SellerAction>> moves{
            {QStringLiteral("mark-paid"), SellerAction::MarkPaid},
            {QStringLiteral("ship"), SellerAction::Ship},
            {QStringLiteral("deliver"), SellerAction::Deliver}};
    for (const auto &[name, action] : moves) {
        router.add("POST", QStringLiteral("/api/v1/seller/orders/{id}/") + name, Access::Seller,
                   [&shop, action = action](Request &r) {
                       auto order = shop.orders().sellerMove(r.user().userId,
                                                             r.param(QStringLiteral("id")), action);
                       return order ? Response::json(200, orderJson(order.value(), true))
                                    : Response::fromError(order.error());
                   });
    }

    metrics.addGauge(
            QStringLiteral("mercato_orders"), QStringLiteral("Orders by status."), [&shop] {
                std::vector<std::pair<QString, double>> out;
                QHash<QString, qint64> counts;
                if (auto rows = shop.orders().countByStatus()) {
                    for (const auto &[status, n] : rows.value())
                        counts.insert(status, n);
                }
                for (const QString &s :
                     {OrderStatus::PendingPayment, OrderStatus::Paid, OrderStatus::PartiallyShipped,
                      OrderStatus::Shipped, OrderStatus::Delivered, OrderStatus::Cancelled})
                    out.emplace_back(QStringLiteral("status=\"%1\"").arg(s),
                                     double(counts.value(s)));
                return out;
            });
}

} // namespace Mercato
