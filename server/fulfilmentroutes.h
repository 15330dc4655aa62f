#pragma once
// Fulfilment and seller-side changes: shipments with tracking, the seller's cancel and refunds,
// packing slips; and the JSON of shipments and refunds that orders carry.

#include "model/orderrefund.h"
#include "model/shipments.h"

#include <QJsonArray>
#include <QJsonObject>

namespace Mercato {
class Shop;
namespace Http {
class Router;
}

QJsonObject shipmentJson(const Shipment &shipment);
QJsonArray shipmentsJson(const QList<Shipment> &shipments);
QJsonObject orderRefundJson(const OrderRefund &refund);
QJsonArray orderRefundsJson(const QList<OrderRefund> &refunds);

void registerFulfilmentRoutes(Http::Router &router, Shop &shop);
} // namespace Mercato
