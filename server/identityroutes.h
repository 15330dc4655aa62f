#pragma once
// /auth/forgot-password, /auth/reset-password and /me/avatar: the account routes that go
// through outside systems (mail, the image store).

#include "router.h"

#include <memory>

namespace Mercato {
class Shop;
namespace Http {
class AuthRateLimiter;
class PasswordCheckGate;
} // namespace Http

void registerIdentityRoutes(Http::Router &router, Shop &shop,
                            std::shared_ptr<Http::AuthRateLimiter> limiter,
                            std::shared_ptr<Http::PasswordCheckGate> checks);
} // namespace Mercato
