#include "dashboardqueries.h"

#include "model/shop.h"

#include <QDate>
#include <QDateTime>

namespace Mercato {

DashboardFigures dashboardFigures(Shop &shop, const QString &sellerId)
{
    DashboardFigures f;
    f.currency = shop.settings().currency;
    const QTimeZone zone = shop.settings().timeZone;
    const QDate today = QDateTime::currentDateTimeUtc().toTimeZone(zone).date();
    for (int i = 29; i >= 0; --i) {
        f.dayLabels.append(today.addDays(-i).toString(QStringLiteral("MMM d")));
        f.dailyCents.append(0);
    }
    auto refunds = shop.refunds().countForSeller(sellerId, QStringLiteral("requested"));
    auto complaints = shop.complaints().countForSeller(sellerId, QStringLiteral("open"));
    if (!refunds || !complaints) {
        f.error = QObject::tr("Some figures could not be read: %1")
                          .arg((!refunds ? refunds.error() : complaints.error()).detail);
    }
    auto low = fetchAll<Product, ProductPage>([&](const QString &cursor) {
        InventoryQuery q;
        q.sellerId = sellerId;
        q.lowStockOnly = true;
        q.limit = 100;
        q.cursor = cursor;
        return shop.catalog().inventory(q);
    }, 10000);
    if (!low && f.error.isEmpty())
        f.error = QObject::tr("Some figures could not be read: %1").arg(low.error().detail);
    f.lowStock = low ? low->size() : -1;
    f.openRefunds = refunds ? refunds.value() : -1;
    f.openComplaints = complaints ? complaints.value() : -1;
    return f;
}

} // namespace Mercato
