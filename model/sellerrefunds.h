#pragma once
// Seller-side changes to a paid order: refunds the seller makes at once (no request needed) and
// the seller's cancel of its own lines. Both move money through Refunds::refundUnits, the one
// place of the refund rule; the customer sees every refund of its order.

#include "database.h"
#include "orderrefund.h"

#include <QList>
#include <QString>

namespace Mercato {

class Shop;
struct Order;

struct OrderRefundPage
{
    QList<OrderRefund> items;
    QString nextCursor; // empty: last page
};

class SellerRefunds
{
public:
    explicit SellerRefunds(Shop &shop);

    // Refunds units of the seller's own lines now (NotFound unless the seller has a line in the
    // order; Validation naming `items[i].orderItemId` for a line not in it; Conflict for another
    // seller's line, more than is left unrefunded, or an unpaid or cancelled order).
    Result<OrderRefund> refund(const QString &sellerId, const QString &orderId,
                               const QList<RefundItem> &items, const QString &reason, bool restock);
    // Unpaid: cancelled as its customer would, by a seller holding every line. Paid (or partly
    // shipped by others): every unrefunded unit of the seller's lines refunded in full and
    // restocked, unless one of them shipped (Conflict); the order is cancelled once no unit
    // is left unrefunded. The customer is notified (`order.cancelled`) and mailed.
    Result<Order> cancel(const QString &sellerId, const QString &orderId, const QString &reason);

    Result<OrderRefund> get(const QString &sellerId, const QString &refundId);
    Result<OrderRefundPage> list(const QString &sellerId, int limit, const QString &cursor);

    // The order's refunds, oldest first; one seller's only when `sellerId` is set.
    static Result<QList<OrderRefund>> forOrder(const QSqlDatabase &db, const QString &orderId,
                                               const QString &sellerId = {});

private:
    // The refund's transaction: refundUnits, the customer told; returns the refund made.
    Result<OrderRefund> refundInTransaction(const RefundOrder &what, bool cancelling);

    Shop &m_shop;
};

} // namespace Mercato
