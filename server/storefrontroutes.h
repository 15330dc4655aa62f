#pragma once
// The customer web shop: static pages and modules compiled in (qrc :/storefront), served with
// ETag, Cache-Control, gzip and a strict CSP; plus GET /api/v1/store, the public facts a shop
// front needs (name, currency, coin rules, Stripe's publishable key).

#include "router.h"

namespace Mercato {
class Shop;

struct StorefrontOptions
{
    bool enabled = true;          // MERCATO_STOREFRONT
    QString stripePublishableKey; // non-empty: Stripe's hosts are allowed by the CSP
};

void registerStorefrontRoutes(Http::Router &router, Shop &shop, const StorefrontOptions &options);

} // namespace Mercato
