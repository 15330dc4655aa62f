#pragma once
// Routes of refund requests (with evidence photos and the seller's decision) and complaints.

namespace Mercato {
class Shop;
namespace Http {
class Router;
}

void registerAftersalesRoutes(Http::Router &router, Shop &shop);

} // namespace Mercato
