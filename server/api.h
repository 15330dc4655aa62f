#pragma once
// Every route of the REST API, registered on one Router.

#include "router.h"
#include "storefrontroutes.h"

namespace Mercato {
class Shop;
class Metrics;

struct ApiOptions
{
    QStringList corsOrigins;
    bool debugRoutes = false;
    int authRateLimit = 20;
    QByteArray metricsToken; // opens /metrics to non-loopback clients that send it
    int passwordChecks = 0;  // password checks at once (0: no bound)
    StorefrontOptions storefront;
};

void registerApi(Http::Router &router, Shop &shop, Metrics &metrics, const ApiOptions &options);
} // namespace Mercato
