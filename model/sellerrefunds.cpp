#include "sellerrefunds.h"

#include "clock.h"
#include "keysetpage.h"
#include "mailoutbox.h"
#include "shipments.h"
#include "shop.h"

#include <QHash>
#include <QJsonObject>

namespace Mercato {

namespace {

// Status: the provider refund's (the latest one, when a failed one was tried again).
const QString kSelect = QStringLiteral(
        "SELECT r.id, r.order_id, r.seller_id, r.refund_request_id, r.reason, r.amount_cents, "
        "r.coins_returned, r.shipping_refunded_cents, r.restock, o.currency, r.created_at, "
        "r.credit_note_number, "
        "(SELECT pr.state FROM payment_refunds pr WHERE pr.refund_id = r.id OR "
        "(r.refund_request_id IS NOT NULL AND pr.refund_request_id = r.refund_request_id) "
        "ORDER BY pr.created_at DESC, pr.id DESC LIMIT 1) "
        "FROM refunds r JOIN orders o ON o.id = r.order_id ");

OrderRefund fromRow(const QSqlQuery &q)
{
    OrderRefund r;
    r.id = q.value(0).toString();
    r.orderId = q.value(1).toString();
    r.sellerId = q.value(2).toString();
    r.refundRequestId = q.value(3).toString();
    r.reason = q.value(4).toString();
    r.amountCents = q.value(5).toLongLong();
    r.coinsReturned = q.value(6).toLongLong();
    r.shippingRefundedCents = q.value(7).toLongLong();
    r.restock = q.value(8).toInt() != 0;
    r.currency = q.value(9).toString();
    r.createdAt = q.value(10).toLongLong();
    r.creditNoteNumber = q.value(11).toString();
    const QString state = q.value(12).toString();
    r.status = state == QLatin1String("succeeded") ? QStringLiteral("succeeded")
               : state == QLatin1String("failed")  ? QStringLiteral("failed")
                                                   : QStringLiteral("pending");
    return r;
}

Status fillItems(const QSqlDatabase &db, QList<OrderRefund> &refunds)
{
    for (OrderRefund &r : refunds) {
        auto q = execSql(db,
                         QStringLiteral("SELECT order_item_id, quantity, amount_cents, "
                                        "coins_returned FROM refund_items WHERE refund_id = ? "
                                        "ORDER BY order_item_id"),
                         {r.id});
        if (!q)
            return q.error();
        while (q->next())
            r.items.append({q->value(0).toString(), q->value(1).toInt(), q->value(2).toLongLong(),
                            q->value(3).toLongLong()});
    }
    return Ok{};
}

QString money(qint64 cents, const QString &currency)
{
    return QStringLiteral("%1.%2 %3")
            .arg(cents / 100)
            .arg(cents % 100, 2, 10, QLatin1Char('0'))
            .arg(currency);
}

} // namespace

SellerRefunds::SellerRefunds(Shop &shop)
    : m_shop(shop)
{}

Result<QList<OrderRefund>> SellerRefunds::forOrder(const QSqlDatabase &db, const QString &orderId,
                                                   const QString &sellerId)
{
    auto q = sellerId.isEmpty()
                     ? execSql(db,
                               kSelect
                                       + QStringLiteral(
                                               "WHERE r.order_id = ? ORDER BY r.created_at, r.id"),
                               {orderId})
                     : execSql(db,
                               kSelect
                                       + QStringLiteral("WHERE r.order_id = ? AND r.seller_id = ? "
                                                        "ORDER BY r.created_at, r.id"),
                               {orderId, sellerId});
    if (!q)
        return q.error();
    QList<OrderRefund> out;
    while (q->next())
        out.append(fromRow(q.value()));
    q->finish();
    if (auto s = fillItems(db, out); !s)
        return s.error();
    return out;
}

Result<OrderRefund> SellerRefunds::get(const QString &sellerId, const QString &refundId)
{
    const QSqlDatabase db = m_shop.database().connection();
    auto q = execSql(db, kSelect + QStringLiteral("WHERE r.id = ? AND r.seller_id = ?"),
                     {refundId, sellerId});
    if (!q)
        return q.error();
    if (!q->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such refund"));
    QList<OrderRefund> one{fromRow(q.value())};
    q->finish();
    if (auto s = fillItems(db, one); !s)
        return s.error();
    return one.first();
}

Result<OrderRefundPage> SellerRefunds::list(const QString &sellerId, int limit,
                                            const QString &cursor)
{
    const QSqlDatabase db = m_shop.database().connection();
    auto rows = keysetPage<OrderRefund>(db, QStringLiteral("seller-refunds:") + sellerId,
                                        kSelect + QStringLiteral("WHERE r.seller_id = ?"),
                                        {sellerId}, QStringLiteral("r"), limit, cursor, fromRow);
    if (!rows)
        return rows.error();
    OrderRefundPage page{std::move(rows->items), std::move(rows->nextCursor)};
    if (auto s = fillItems(db, page.items); !s)
        return s.error();
    return page;
}

Result<OrderRefund> SellerRefunds::refund(const QString &sellerId, const QString &orderId,
                                          const QList<RefundItem> &items, const QString &reason,
                                          bool restock)
{
    return refundInTransaction(RefundOrder{orderId, sellerId, {}, reason, restock, items}, false);
}

Result<Order> SellerRefunds::cancel(const QString &sellerId, const QString &orderId,
                                    const QString &reason)
{
    auto head = execSql(m_shop.database().connection(),
                        QStringLiteral("SELECT status FROM orders WHERE id = ?"), {orderId});
    if (!head)
        return head.error();
    const QString status = head->next() ? head->value(0).toString() : QString();
    head->finish();
    if (status == OrderStatus::PendingPayment)
        return m_shop.orders().sellerCancelUnpaid(sellerId, orderId, reason);
    auto done = refundInTransaction(RefundOrder{orderId, sellerId, {}, reason, true, {}}, true);
    if (!done)
        return done.error();
    return m_shop.orders().sellerOrder(sellerId, orderId);
}

Result<OrderRefund> SellerRefunds::refundInTransaction(const RefundOrder &input, bool cancelling)
{
    RefundOrder what = input;
    QString paymentRefundId;
    QString orderStatus;
    StockEffects effects;
    OrderRefund made;
    {
        Transaction tx(m_shop.database());
        if (auto s = tx.begin(); !s)
            return s.error();
        const QSqlDatabase db = tx.db();
        // Takes the order's row first, as shipments do: a cancel and a shipment take turns.
        auto lock = execSql(
                db, QStringLiteral("UPDATE orders SET updated_at = updated_at WHERE id = ?"),
                {what.orderId});
        if (!lock)
            return lock.error();
        auto o = execSql(
                db, QStringLiteral("SELECT customer_id, status, number FROM orders WHERE id = ?"),
                {what.orderId});
        if (!o)
            return o.error();
        if (!o->next())
            return makeError(ErrorCode::NotFound, QStringLiteral("no such order"));
        const QString customerId = o->value(0).toString();
        const QString statusBefore = o->value(1).toString();
        const QString reference = orderReference(o->value(2).toLongLong(), what.orderId);
        o->finish();
        struct Line
        {
            QString sellerId;
            QString name;
            int quantity = 0;
            int refunded = 0;
            int shipped = 0;
        };
        QHash<QString, Line> lines;
        QStringList own;
        {
            auto q = execSql(db,
                             QStringLiteral("SELECT id, seller_id, name, quantity, "
                                            "refunded_quantity, shipped_quantity FROM order_items "
                                            "WHERE order_id = ? ORDER BY id"),
                             {what.orderId});
            if (!q)
                return q.error();
            while (q->next()) {
                const QString id = q->value(0).toString();
                lines.insert(id, {q->value(1).toString(), q->value(2).toString(),
                                  q->value(3).toInt(), q->value(4).toInt(), q->value(5).toInt()});
                if (q->value(1).toString() == what.sellerId)
                    own.append(id);
            }
        }
        if (own.isEmpty())
            return makeError(ErrorCode::NotFound, QStringLiteral("no such order"));
        if (cancelling) {
            if (statusBefore != OrderStatus::Paid && statusBefore != OrderStatus::PartiallyShipped)
                return makeError(ErrorCode::Conflict,
                                 QStringLiteral("the order is %1; a seller cancels its lines of "
                                                "an unpaid or paid order before they ship")
                                         .arg(statusBefore));
            auto shipped = execSql(db,
                                   QStringLiteral("SELECT COUNT(*) FROM shipments WHERE order_id "
                                                  "= ? AND seller_id = ?"),
                                   {what.orderId, what.sellerId});
            if (!shipped)
                return shipped.error();
            const bool any = shipped->next() && shipped->value(0).toLongLong() > 0;
            shipped->finish();
            if (any)
                return makeError(ErrorCode::Conflict,
                                 QStringLiteral("some of your lines in this order have shipped; "
                                                "refund them instead of cancelling"));
            for (const QString &id : std::as_const(own)) {
                const Line &l = lines.value(id);
                if (l.quantity > l.refunded)
                    what.items.append({id, l.quantity - l.refunded, 0, 0});
            }
            if (what.items.isEmpty())
                return makeError(ErrorCode::Conflict,
                                 QStringLiteral("every unit of your lines in this order was "
                                                "refunded already"));
        } else {
            QList<FieldError> bad;
            QStringList seen;
            for (int i = 0; i < what.items.size(); ++i) {
                const RefundItem &it = what.items.at(i);
                const QString field = QStringLiteral("items[%1].orderItemId").arg(i);
                if (!lines.contains(it.orderItemId))
                    bad.append({field, QStringLiteral("is not a line of this order")});
                else if (seen.contains(it.orderItemId))
                    bad.append({field, QStringLiteral("names a line already listed")});
                seen.append(it.orderItemId);
            }
            if (!bad.isEmpty())
                return Error{ErrorCode::Validation, bad.first().message, bad};
            for (const RefundItem &it : std::as_const(what.items)) {
                if (lines.value(it.orderItemId).sellerId != what.sellerId)
                    return makeError(ErrorCode::Conflict,
                                     QStringLiteral("line %1 is another seller's; you refund only "
                                                    "your own lines")
                                             .arg(it.orderItemId));
            }
        }
        // Units a customer asked back in an open request are the request's to decide: a seller
        // refund that took them would leave the request unable to be approved.
        for (const RefundItem &it : std::as_const(what.items)) {
            auto open = execSql(db,
                                QStringLiteral("SELECT COALESCE(SUM(quantity), 0) FROM "
                                               "refund_requests WHERE order_item_id = ? AND "
                                               "status = 'requested'"),
                                {it.orderItemId});
            if (!open)
                return open.error();
            const qint64 requested = open->next() ? open->value(0).toLongLong() : 0;
            open->finish();
            const Line &l = lines.value(it.orderItemId);
            if (requested > 0 && it.quantity > l.quantity - l.refunded - requested)
                return makeError(ErrorCode::Conflict,
                                 QStringLiteral("%1: the customer asked for %2 unit(s) back in an "
                                                "open refund request; approve or reject it first")
                                         .arg(l.name)
                                         .arg(requested));
        }
        auto refund = m_shop.refunds().refundUnits(db, what, &effects, &paymentRefundId);
        if (!refund)
            return refund.error();
        made = refund.value();
        auto after = execSql(db, QStringLiteral("SELECT status FROM orders WHERE id = ?"),
                             {what.orderId});
        if (!after)
            return after.error();
        orderStatus = after->next() ? after->value(0).toString() : statusBefore;
        after->finish();
        QStringList described;
        for (const RefundItem &it : std::as_const(made.items))
            described.append(QStringLiteral("  %1 x %2")
                                     .arg(it.quantity)
                                     .arg(lines.value(it.orderItemId).name));
        QString paid = money(made.amountCents, made.currency);
        if (made.coinsReturned > 0)
            paid += QStringLiteral(" and %1 coins").arg(made.coinsReturned);
        const QJsonObject data{{QStringLiteral("orderId"), what.orderId},
                               {QStringLiteral("status"), orderStatus},
                               {QStringLiteral("refundId"), made.id},
                               {QStringLiteral("amountCents"), made.amountCents},
                               {QStringLiteral("coins"), made.coinsReturned},
                               {QStringLiteral("reason"), what.reason}};
        const QString kind = cancelling ? QStringLiteral("order.cancelled")
                                        : QStringLiteral("payment.refunded");
        const QString title = cancelling ? QStringLiteral("Order cancelled by the seller")
                                         : QStringLiteral("Refund issued");
        const QString body = cancelling
                                     ? QStringLiteral("The seller cancelled its items of your "
                                                      "order %1 (%2) and refunded %3.")
                                               .arg(reference, what.reason, paid)
                                     : QStringLiteral("The seller refunded %1 for your order %2: "
                                                      "%3.")
                                               .arg(paid, reference, what.reason);
        if (auto s = m_shop.notifier().add(db, customerId, kind, title, body, data,
                                           &effects.notifications);
            !s)
            return s.error();
        // The mail says what was cancelled or refunded, how much came back, and what is left.
        QString text
                = cancelling
                          ? QStringLiteral("the seller cancelled these items of your "
                                           "order %1:\n%2\n\nReason: %3\n\n")
                                    .arg(reference, described.join(QLatin1Char('\n')), what.reason)
                          : QStringLiteral("the seller refunded these items of your "
                                           "order %1:\n%2\n\nReason: %3\n\n")
                                    .arg(reference, described.join(QLatin1Char('\n')), what.reason);
        text += QStringLiteral("Refunded: %1").arg(paid);
        if (made.shippingRefundedCents > 0)
            text += QStringLiteral(" (shipping included)");
        text += QStringLiteral(".\n\n");
        if (orderStatus == OrderStatus::Cancelled)
            text += QStringLiteral("Nothing is left of the order, so it is now cancelled.\n");
        else if (cancelling)
            text += QStringLiteral("The rest of your order goes on as before.\n");
        if (auto s
            = mailCustomer(db, customerId,
                           cancelling ? QStringLiteral("Items of your order %1 were "
                                                       "cancelled and refunded")
                                                .arg(reference)
                                      : QStringLiteral("A refund for your order %1").arg(reference),
                           text);
            !s)
            return s.error();
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    m_shop.inventory().announce(effects);
    m_shop.mail().wake();
    Q_EMIT m_shop.events().orderChanged(what.orderId, orderStatus);
    if (!paymentRefundId.isEmpty())
        m_shop.refunds().sendQueued(paymentRefundId);
    return get(what.sellerId, made.id);
}

} // namespace Mercato
