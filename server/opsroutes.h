#pragma once
// /healthz, /readyz, /metrics and the OpenAPI document.

#include "router.h"

namespace Mercato {
class Database;
class Metrics;

// /metrics answers loopback clients, and others that send `Authorization: Bearer
// <metricsToken>` when one is set; anyone else gets 403.
void registerOpsRoutes(Http::Router &router, Database &database, Metrics &metrics, bool debugRoutes,
                       const QByteArray &metricsToken = {});
// The OpenAPI 3.1 document served at /api/v1/openapi.json (from resources).
QByteArray openApiDocument();
} // namespace Mercato
