#pragma once
// The store owner's routes: the sellers, their approval, suspension and reinstatement.

namespace Mercato {
class Shop;
namespace Http {
class Router;
}

void registerOwnerRoutes(Http::Router &router, Shop &shop);
} // namespace Mercato
