#pragma once
// The category tree: read by anyone, shaped by the store's owner.

namespace Mercato {
class Shop;
namespace Http {
class Router;
}

void registerCategoryRoutes(Http::Router &router, Shop &shop);
} // namespace Mercato
