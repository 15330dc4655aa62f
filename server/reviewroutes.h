#pragma once
// Routes of product reviews: public lists, customers who bought a product write one.

namespace Mercato {
class Shop;
namespace Http {
class Router;
}

void registerReviewRoutes(Http::Router &router, Shop &shop);

} // namespace Mercato
