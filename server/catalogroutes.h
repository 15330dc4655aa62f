#pragma once
// /api/v1/products, /api/v1/products/{id}/images, /stock-adjustments, /api/v1/seller/inventory.

#include "router.h"

namespace Mercato {
class Shop;
class Metrics;
struct Product;

void registerCatalogRoutes(Http::Router &router, Shop &shop);
// The catalogue answer cache's size and hits on /metrics.
void addCatalogCacheMetrics(Shop &shop, Metrics &metrics);
// A product as GET /products/{id} shows it (also the items of GET /products).
QJsonObject productJson(const Product &product, const QString &currency);

} // namespace Mercato
