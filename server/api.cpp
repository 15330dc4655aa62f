#include "api.h"

#include "opsroutes.h"

#include "model/shop.h"

namespace Mercato {

void registerApi(Http::Router &router, Shop &shop, Metrics &metrics, const ApiOptions &options)
{
    router.setCorsOrigins(options.corsOrigins);
    router.setMetrics(&metrics);
    router.setAuthenticator([&shop](const QString &token) { return shop.tokens().verify(token); });
    registerOpsRoutes(router, shop.database(), metrics, options.debugRoutes);
}

} // namespace Mercato
