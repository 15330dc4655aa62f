#include "fulfilmentroutes.h"

#include "jsonbody.h"
#include "orderroutes.h"
#include "router.h"

#include "model/clock.h"
#include "model/packingslip.h"
#include "model/sellerrefunds.h"
#include "model/shop.h"

#include <QUrl>

namespace Mercato {

using namespace Http;

namespace {

QJsonValue nullable(const QString &s)
{
    return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s);
}

constexpr int kMaxCarrier = 100;
constexpr int kMaxTrackingNumber = 100;
constexpr int kMaxTrackingUrl = 2048;
constexpr int kMaxReason = 2000;
constexpr int kMaxItems = 100;

// `items: [{orderItemId, quantity}]`: each problem named by its place (`items[1].quantity`).
std::optional<QList<QPair<QString, int>>> readItems(FieldReader &f, const QJsonObject &body,
                                                    Need need)
{
    const QJsonValue v = body.value(QStringLiteral("items"));
    if (v.isUndefined() || v.isNull()) {
        if (need == Need::Required)
            f.fail(QStringLiteral("items"), QStringLiteral("is required"));
        return std::nullopt;
    }
    if (!v.isArray() || v.toArray().isEmpty() || v.toArray().size() > kMaxItems) {
        f.fail(QStringLiteral("items"),
               QStringLiteral("must be a list of 1 to %1 {orderItemId, quantity}").arg(kMaxItems));
        return std::nullopt;
    }
    QList<QPair<QString, int>> out;
    const QJsonArray items = v.toArray();
    bool good = true;
    for (int i = 0; i < items.size(); ++i) {
        const QString at = QStringLiteral("items[%1]").arg(i);
        if (!items.at(i).isObject()) {
            f.fail(at, QStringLiteral("must be an object {orderItemId, quantity}"));
            good = false;
            continue;
        }
        const QJsonObject item = items.at(i).toObject();
        FieldReader one(item);
        const auto id = one.string(QStringLiteral("orderItemId"), Need::Required, 1, 200);
        const auto quantity = one.integer(QStringLiteral("quantity"), Need::Required, 1, 1'000'000);
        if (!one.ok()) {
            for (const FieldError &e : one.error().fields)
                f.fail(at + QLatin1Char('.') + e.field, e.message.mid(e.field.size() + 1));
            good = false;
            continue;
        }
        out.append({*id, int(*quantity)});
    }
    if (!good)
        return std::nullopt;
    return out;
}

template<typename T, typename ToJson>
Response one(const Result<T> &value, ToJson toJson)
{
    if (!value)
        return Response::fromError(value.error());
    return Response::json(200, toJson(value.value()));
}

// NotFound unless the seller has a line in the order (checked before the body is read).
Status sellerHoldsLine(Shop &shop, const Request &r)
{
    auto order = shop.orders().sellerOrder(r.user().userId, r.param(QStringLiteral("id")));
    if (!order)
        return order.error();
    return Ok{};
}

} // namespace

QJsonObject shipmentJson(const Shipment &s)
{
    QJsonArray items;
    for (const ShipmentItem &i : s.items)
        items.append(QJsonObject{{QStringLiteral("orderItemId"), i.orderItemId},
                                 {QStringLiteral("quantity"), i.quantity}});
    return QJsonObject{{QStringLiteral("id"), s.id},
                       {QStringLiteral("orderId"), s.orderId},
                       {QStringLiteral("sellerId"), s.sellerId},
                       {QStringLiteral("carrier"), nullable(s.carrier)},
                       {QStringLiteral("trackingNumber"), nullable(s.trackingNumber)},
                       {QStringLiteral("trackingUrl"), nullable(s.trackingUrl)},
                       {QStringLiteral("items"), items},
                       {QStringLiteral("shippedAt"), Clock::toRfc3339(s.shippedAt)},
                       {QStringLiteral("deliveredAt"),
                        s.deliveredAt ? QJsonValue(Clock::toRfc3339(*s.deliveredAt))
                                      : QJsonValue(QJsonValue::Null)}};
}

QJsonArray shipmentsJson(const QList<Shipment> &shipments)
{
    QJsonArray out;
    for (const Shipment &s : shipments)
        out.append(shipmentJson(s));
    return out;
}

QJsonObject orderRefundJson(const OrderRefund &r)
{
    QJsonArray items;
    for (const RefundItem &i : r.items)
        items.append(QJsonObject{{QStringLiteral("orderItemId"), i.orderItemId},
                                 {QStringLiteral("quantity"), i.quantity},
                                 {QStringLiteral("amountCents"), i.amountCents},
                                 {QStringLiteral("coinsReturned"), i.coinsReturned}});
    return QJsonObject{{QStringLiteral("id"), r.id},
                       {QStringLiteral("orderId"), r.orderId},
                       {QStringLiteral("sellerId"), r.sellerId},
                       {QStringLiteral("refundRequestId"), nullable(r.refundRequestId)},
                       {QStringLiteral("items"), items},
                       {QStringLiteral("amountCents"), r.amountCents},
                       {QStringLiteral("coinsReturned"), r.coinsReturned},
                       {QStringLiteral("shippingRefundedCents"), r.shippingRefundedCents},
                       {QStringLiteral("currency"), r.currency},
                       {QStringLiteral("restock"), r.restock},
                       {QStringLiteral("status"), r.status},
                       {QStringLiteral("creditNoteNumber"), nullable(r.creditNoteNumber)},
                       {QStringLiteral("reason"), r.reason},
                       {QStringLiteral("createdAt"), Clock::toRfc3339(r.createdAt)}};
}

QJsonArray orderRefundsJson(const QList<OrderRefund> &refunds)
{
    QJsonArray out;
    for (const OrderRefund &r : refunds)
        out.append(orderRefundJson(r));
    return out;
}

void registerFulfilmentRoutes(Router &router, Shop &shop)
{
    router.add("POST", QStringLiteral("/api/v1/seller/orders/{id}/shipments"), Access::Seller,
               [&shop](Request &r) {
                   if (auto own = sellerHoldsLine(shop, r); !own)
                       return Response::fromError(own.error());
                   auto body = jsonObjectBody(r);
                   if (!body)
                       return Response::fromError(body.error());
                   FieldReader f(body.value());
                   const auto carrier
                           = f.string(QStringLiteral("carrier"), Need::Required, 1, kMaxCarrier);
                   const auto number = f.string(QStringLiteral("trackingNumber"), Need::Required, 1,
                                                kMaxTrackingNumber);
                   const auto url = f.string(QStringLiteral("trackingUrl"), Need::Optional, 1,
                                             kMaxTrackingUrl);
                   if (url) {
                       const QUrl parsed(*url, QUrl::StrictMode);
                       if (!parsed.isValid() || parsed.scheme() != QLatin1String("https")
                           || parsed.host().isEmpty() || url->contains(QLatin1Char(' ')))
                           f.fail(QStringLiteral("trackingUrl"),
                                  QStringLiteral("must be an https: URL"));
                   }
                   const auto items = readItems(f, body.value(), Need::Optional);
                   if (!f.ok())
                       return Response::fromError(f.error());
                   NewShipment input;
                   input.carrier = *carrier;
                   input.trackingNumber = *number;
                   input.trackingUrl = url.value_or(QString());
                   if (items) {
                       QList<ShipmentItem> list;
                       for (const auto &[id, quantity] : *items)
                           list.append({id, quantity});
                       input.items = list;
                   }
                   Shipments shipments(shop.database(), shop.notifier(), shop.events());
                   auto made
                           = shipments.ship(r.user().userId, r.param(QStringLiteral("id")), input);
                   if (!made)
                       return Response::fromError(made.error());
                   return Response::created(QStringLiteral("/api/v1/seller/shipments/") + made->id,
                                            shipmentJson(made.value()));
               });
    router.add("GET", QStringLiteral("/api/v1/seller/shipments/{id}"), Access::Seller,
               [&shop](Request &r) {
                   auto shipment = Shipments::get(shop.database().connection(), r.user().userId,
                                                  r.param(QStringLiteral("id")));
                   return one(shipment, shipmentJson);
               });
    router.add("POST", QStringLiteral("/api/v1/seller/shipments/{id}/deliver"), Access::Seller,
               [&shop](Request &r) {
                   Shipments shipments(shop.database(), shop.notifier(), shop.events());
                   return one(shipments.deliver(r.user().userId, r.param(QStringLiteral("id"))),
                              shipmentJson);
               });
    router.add("POST", QStringLiteral("/api/v1/seller/orders/{id}/cancel"), Access::Seller,
               [&shop](Request &r) {
                   if (auto own = sellerHoldsLine(shop, r); !own)
                       return Response::fromError(own.error());
                   auto body = jsonObjectBody(r);
                   if (!body)
                       return Response::fromError(body.error());
                   FieldReader f(body.value());
                   const auto reason
                           = f.string(QStringLiteral("reason"), Need::Required, 1, kMaxReason);
                   if (!f.ok())
                       return Response::fromError(f.error());
                   SellerRefunds refunds(shop);
                   return one(
                           refunds.cancel(r.user().userId, r.param(QStringLiteral("id")), *reason),
                           sellerOrderJson);
               });
    router.add("POST", QStringLiteral("/api/v1/seller/orders/{id}/refunds"), Access::Seller,
               [&shop](Request &r) {
                   if (auto own = sellerHoldsLine(shop, r); !own)
                       return Response::fromError(own.error());
                   auto body = jsonObjectBody(r);
                   if (!body)
                       return Response::fromError(body.error());
                   FieldReader f(body.value());
                   const auto items = readItems(f, body.value(), Need::Required);
                   const auto reason
                           = f.string(QStringLiteral("reason"), Need::Required, 1, kMaxReason);
                   const auto restock = f.boolean(QStringLiteral("restock"), Need::Optional);
                   if (!f.ok())
                       return Response::fromError(f.error());
                   QList<RefundItem> list;
                   for (const auto &[id, quantity] : *items)
                       list.append({id, quantity, 0, 0});
                   SellerRefunds refunds(shop);
                   auto made = refunds.refund(r.user().userId, r.param(QStringLiteral("id")), list,
                                              *reason, restock.value_or(false));
                   if (!made)
                       return Response::fromError(made.error());
                   return Response::created(QStringLiteral("/api/v1/seller/refunds/") + made->id,
                                            orderRefundJson(made.value()));
               });
    router.add(
            "GET", QStringLiteral("/api/v1/seller/refunds"), Access::Seller, [&shop](Request &r) {
                auto paging = pageParams(r);
                if (!paging)
                    return Response::fromError(paging.error());
                auto page
                        = SellerRefunds(shop).list(r.user().userId, paging->limit, paging->cursor);
                if (!page)
                    return Response::fromError(page.error());
                return Response::json(
                        200,
                        QJsonObject{{QStringLiteral("items"), orderRefundsJson(page->items)},
                                    {QStringLiteral("nextCursor"), nullable(page->nextCursor)}});
            });
    router.add("GET", QStringLiteral("/api/v1/seller/refunds/{id}"), Access::Seller,
               [&shop](Request &r) {
                   return one(
                           SellerRefunds(shop).get(r.user().userId, r.param(QStringLiteral("id"))),
                           orderRefundJson);
               });
    router.add("GET", QStringLiteral("/api/v1/seller/orders/{id}/packing-slip"), Access::Seller,
               [&shop](Request &r) {
                   auto order = shop.orders().sellerOrder(r.user().userId,
                                                          r.param(QStringLiteral("id")));
                   if (!order)
                       return Response::fromError(order.error());
                   return Response::text(200, packingSlipHtml(order.value()).toUtf8(),
                                         QByteArrayLiteral("text/html; charset=utf-8"));
               });
}

} // namespace Mercato
