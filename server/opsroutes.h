#pragma once
// /healthz, /readyz, /metrics and the OpenAPI document.

#include "router.h"

namespace Mercato {
class Database;
class Metrics;

void registerOpsRoutes(Http::Router &router, Database &database, Metrics &metrics,
                       bool debugRoutes);
// The OpenAPI 3.1 document served at /api/v1/openapi.json (from resources).
QByteArray openApiDocument();
} // namespace Mercato
