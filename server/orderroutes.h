#pragma once
// Cart, orders, checkout and the sellers' order views and status moves.

#include "router.h"

#include <QJsonObject>

namespace Mercato {
class Shop;
class Metrics;

struct Order;

void registerOrderRoutes(Http::Router &router, Shop &shop, Metrics &metrics);
// An order as its seller sees it (GET /seller/orders/{id}).
QJsonObject sellerOrderJson(const Order &order);
} // namespace Mercato
