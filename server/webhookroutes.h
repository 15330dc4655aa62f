#pragma once
// POST /api/v1/webhooks/stripe: verified Stripe events (registered only when Stripe is on).

#include "router.h"

namespace Mercato {
class Metrics;
class Shop;

// Refusals and processing failures count in `mercato_webhook_failures_total`.
void registerWebhookRoutes(Http::Router &router, Shop &shop, Metrics &metrics);
} // namespace Mercato
