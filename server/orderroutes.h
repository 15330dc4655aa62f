#pragma once
// Cart, orders, checkout and the sellers' order views and status moves.

#include "router.h"

namespace Mercato {
class Shop;
class Metrics;

void registerOrderRoutes(Http::Router &router, Shop &shop, Metrics &metrics);
} // namespace Mercato
