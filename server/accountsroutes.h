#pragma once
// /auth (register, login, refresh, logout), /me (profile, password, coins).

#include "router.h"

#include <memory>

namespace Mercato {
class Shop;
namespace Http {
class AuthRateLimiter;
}

void registerAccountsRoutes(Http::Router &router, Shop &shop,
                            std::shared_ptr<Http::AuthRateLimiter> limiter);
} // namespace Mercato
