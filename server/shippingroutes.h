#pragma once
// Addresses and shipping: the customer's address book, the store's shipping options (read by
// anyone, kept by the owner) and the owner's store profile (PATCH /owner/store).

#include <QJsonObject>

namespace Mercato {
class Shop;
namespace Http {
class Router;
}

void registerShippingRoutes(Http::Router &router, Shop &shop);
// Adds GET /store's profile fields (address, taxId, shipsTo, and the name, currency and logo
// the owner set) to `store`.
void addStoreProfile(QJsonObject &store, Shop &shop);
} // namespace Mercato
