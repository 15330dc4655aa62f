#pragma once
// /api/v1/notifications: the signed-in user's own notifications.

#include "router.h"

namespace Mercato {
class Shop;

void registerNotificationRoutes(Http::Router &router, Shop &shop);

} // namespace Mercato
