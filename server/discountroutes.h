#pragma once
// Prices the store sets: sellers' discount codes (/seller/discount-codes) and the owner's tax
// rates (/owner/tax-rates).

namespace Mercato {
class Shop;
namespace Http {
class Router;
}

void registerDiscountRoutes(Http::Router &router, Shop &shop);
} // namespace Mercato
