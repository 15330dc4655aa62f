#pragma once
// POST /api/v1/webhooks/stripe: verified Stripe events (registered only when Stripe is on).

#include "router.h"

namespace Mercato {
class Shop;

void registerWebhookRoutes(Http::Router &router, Shop &shop);
} // namespace Mercato
