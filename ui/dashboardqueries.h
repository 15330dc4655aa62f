#pragma once
// The dashboard's figures, gathered from the model services; runs on the console worker.

#include "dashboardpage.h"

namespace Mercato {

DashboardFigures dashboardFigures(Shop &shop, const QString &sellerId);

} // namespace Mercato
