#include "api.h"

#include "accountsroutes.h"
#include "aftersalesroutes.h"
#include "catalogroutes.h"
#include "identityroutes.h"
#include "mediaroutes.h"
#include "notificationroutes.h"
#include "opsroutes.h"
#include "orderroutes.h"
#include "ratelimiter.h"
#include "reviewroutes.h"
#include "storefrontroutes.h"
#include "webhookroutes.h"

#include "model/shop.h"

namespace Mercato {

void registerApi(Http::Router &router, Shop &shop, Metrics &metrics, const ApiOptions &options)
{
    router.setCorsOrigins(options.corsOrigins);
    router.setMetrics(&metrics);
    // Signature and claims, then the account: its state and the password-change cut-off.
    router.setAuthenticator(
            [&shop](const QString &token) { return shop.accounts().authenticate(token); });
    registerOpsRoutes(router, shop.database(), metrics, options.debugRoutes);
    // One limiter for login, register and forgot-password (pass it to those routes).
    auto authLimiter = std::make_shared<Http::AuthRateLimiter>(options.authRateLimit);
    registerAccountsRoutes(router, shop, authLimiter);
    registerReviewRoutes(router, shop);
    registerAftersalesRoutes(router, shop);
    registerIdentityRoutes(router, shop, authLimiter);
    registerCatalogRoutes(router, shop);
    registerMediaRoutes(router, shop);
    registerNotificationRoutes(router, shop);
    registerOrderRoutes(router, shop, metrics);
    registerWebhookRoutes(router, shop, metrics);
    registerStorefrontRoutes(router, shop, options.storefront);
}

} // namespace Mercato
