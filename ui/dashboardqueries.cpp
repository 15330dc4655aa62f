#include "dashboardqueries.h"

#include "model/clock.h"
#include "model/shop.h"

#include <QDate>
#include <QDateTime>
#include <QTime>

#include <algorithm>
#include <optional>

namespace Mercato {

DashboardFigures dashboardFigures(Shop &shop, const QString &sellerId)
{
    DashboardFigures f;
    f.currency = shop.settings().storeCurrency();
    const QTimeZone zone = shop.settings().zone();
    const QDate today = Clock::nowUtc().toTimeZone(zone).date();
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
    auto low = fetchAll<Product, ProductPage>(
            [&](const QString &cursor) {
                InventoryQuery q;
                q.sellerId = sellerId;
                q.lowStockOnly = true;
                q.limit = 100;
                q.cursor = cursor;
                return shop.catalog().inventory(q);
            },
            10000);
    if (!low && f.error.isEmpty())
        f.error = QObject::tr("Some figures could not be read: %1").arg(low.error().detail);
    f.lowStock = low ? low->size() : -1;
    // Sales: what customers paid for the seller's lines (net of discounts and of the refunds
    // made since), by the day the order was paid in the store's time zone; the window covers
    // the last 30 days and this month.
    const QDate monthStart(today.year(), today.month(), 1);
    const QDate first = std::min(monthStart, today.addDays(-29));
    const qint64 fromMs = QDateTime(first, QTime(0, 0), zone).toMSecsSinceEpoch();
    auto recent = fetchAll<Order, OrderPage>(
            [&](const QString &cursor) {
                SellerOrderFilter filter;
                filter.fromMs = fromMs - 31LL * 24 * 3600 * 1000; // paid later than placed
                filter.limit = 100;
                filter.cursor = cursor;
                return shop.orders().sellerOrders(sellerId, filter);
            },
            20000);
    qint64 waiting = 0;
    for (const QString &status : {OrderStatus::Paid, OrderStatus::PendingPayment}) {
        auto open = fetchAll<Order, OrderPage>(
                [&](const QString &cursor) {
                    SellerOrderFilter filter;
                    filter.status = status;
                    filter.limit = 100;
                    filter.cursor = cursor;
                    return shop.orders().sellerOrders(sellerId, filter);
                },
                20000);
        if (!open) {
            waiting = -1;
            if (f.error.isEmpty())
                f.error = QObject::tr("Some figures could not be read: %1")
                                  .arg(open.error().detail);
            break;
        }
        waiting += open->size();
    }
    f.waitingOrders = waiting;
    if (!recent) {
        if (f.error.isEmpty())
            f.error = QObject::tr("Some figures could not be read: %1").arg(recent.error().detail);
    } else {
        f.todayCents = 0;
        f.monthCents = 0;
        f.monthCoinDiscountCents = 0;
        f.monthCodeDiscountCents = 0;
        for (const Order &o : recent.value()) {
            // Orders that were paid, whatever came after (a cancelled or refunded one nets out).
            std::optional<qint64> paidAt;
            for (const StatusChange &c : o.history) {
                if (c.status == OrderStatus::Paid) {
                    paidAt = c.at;
                    break;
                }
            }
            if (!paidAt
                && (o.status == OrderStatus::Paid || o.status == OrderStatus::PartiallyShipped
                    || o.status == OrderStatus::Shipped || o.status == OrderStatus::Delivered))
                paidAt = o.createdAt;
            if (!paidAt)
                continue;
            const QDate day = QDateTime::fromMSecsSinceEpoch(*paidAt, zone).date();
            // What the customer paid for the seller's lines (less every discount), less the
            // money given back for them since (shipping refunds are not sales of lines).
            qint64 cents = 0;
            for (const OrderLine &line : o.items)
                cents += line.lineTotalCents - line.discountShareCents;
            for (const OrderRefund &r : o.refunds) {
                if (r.status != QLatin1String("failed"))
                    cents -= r.amountCents - r.shippingRefundedCents;
            }
            if (day == today)
                f.todayCents += cents;
            if (day >= monthStart && day <= today) {
                f.monthCents += cents;
                for (const OrderLine &line : o.items) {
                    f.monthCoinDiscountCents += line.discountShareCents - line.codeShareCents;
                    f.monthCodeDiscountCents += line.codeShareCents;
                }
            }
            const qint64 index = 29 - day.daysTo(today);
            if (index >= 0 && index < 30)
                f.dailyCents[int(index)] += std::max<qint64>(cents, 0);
        }
    }
    f.openRefunds = refunds ? refunds.value() : -1;
    f.openComplaints = complaints ? complaints.value() : -1;
    return f;
}

} // namespace Mercato
