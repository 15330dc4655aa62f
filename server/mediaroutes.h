#pragma once
// GET /media/{name}: the local image store's files, immutable and cacheable.

#include "router.h"

namespace Mercato {
class Shop;

void registerMediaRoutes(Http::Router &router, Shop &shop);

} // namespace Mercato
