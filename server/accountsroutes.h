#pragma once
// /auth (register, login, refresh, logout), /me (profile, password, coins).

#include "router.h"

#include <memory>

namespace Mercato {
class Shop;
namespace Http {
class AuthRateLimiter;
class PasswordCheckGate;
} // namespace Http

void registerAccountsRoutes(Http::Router &router, Shop &shop,
                            std::shared_ptr<Http::AuthRateLimiter> limiter,
                            std::shared_ptr<Http::PasswordCheckGate> checks);
} // namespace Mercato
