#include "shipments.h"

#include "clock.h"
#include "ids.h"
#include "mailoutbox.h"

#include <QHash>
#include <QJsonObject>
#include <QLoggingCategory>

#include <algorithm>

Q_LOGGING_CATEGORY(lcShipments, "mercato.fulfilment")

namespace Mercato {

namespace {

// Order states along fulfilment, in the order they are reached.
int rank(const QString &status)
{
    static const QStringList order{QStringLiteral("paid"), QStringLiteral("partially_shipped"),
                                   QStringLiteral("shipped"), QStringLiteral("delivered")};
    return int(order.indexOf(status));
}

// Takes the order's row lock (PostgreSQL; SQLite's write lock serialises anyway) and returns
// its customer and status; NotFound when there is no such order.
struct OrderHead
{
    QString customerId;
    QString status;
    QString reference; // #number
};
Result<OrderHead> lockOrder(const QSqlDatabase &db, const QString &orderId)
{
    auto lock = execSql(db, QStringLiteral("UPDATE orders SET updated_at = ? WHERE id = ?"),
                        {Clock::nowMs(), orderId});
    if (!lock)
        return lock.error();
    if (lock->numRowsAffected() != 1)
        return makeError(ErrorCode::NotFound, QStringLiteral("no such order"));
    auto q = execSql(db,
                     QStringLiteral("SELECT customer_id, status, number FROM orders WHERE id = ?"),
                     {orderId});
    if (!q)
        return q.error();
    if (!q->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such order"));
    return OrderHead{q->value(0).toString(), q->value(1).toString(),
                     orderReference(q->value(2).toLongLong(), orderId)};
}

QString trackingText(const Shipment &s)
{
    if (s.carrier.isEmpty() && s.trackingNumber.isEmpty())
        return {};
    QString text
            = QStringLiteral("Carrier: %1\nTracking number: %2\n").arg(s.carrier, s.trackingNumber);
    if (!s.trackingUrl.isEmpty())
        text += QStringLiteral("Track it: %1\n").arg(s.trackingUrl);
    return text;
}

QJsonValue nullable(const QString &s)
{
    return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s);
}

QVariant orNull(const QString &s)
{
    return s.isEmpty() ? QVariant() : QVariant(s);
}

} // namespace

Status mailCustomer(const QSqlDatabase &db, const QString &customerId, const QString &subject,
                    const QString &text)
{
    auto q = execSql(db, QStringLiteral("SELECT email, display_name FROM users WHERE id = ?"),
                     {customerId});
    if (!q)
        return q.error();
    if (!q->next())
        return Ok{};
    MailMessage message;
    message.to = q->value(0).toString();
    const QString name = q->value(1).toString();
    q->finish(); // the read ends before the write below
    message.subject = subject;
    message.textBody = QStringLiteral("Hello %1,\n\n%2\n").arg(name, text);
    if (auto id = MailOutboxTable::add(db, message); !id)
        return id.error();
    return Ok{};
}

QString orderReference(qint64 number, const QString &orderId)
{
    return number > 0 ? QStringLiteral("#%1").arg(number) : orderId;
}

Result<QString> orderReference(const QSqlDatabase &db, const QString &orderId)
{
    auto q = execSql(db, QStringLiteral("SELECT number FROM orders WHERE id = ?"), {orderId});
    if (!q)
        return q.error();
    const qint64 number = q->next() ? q->value(0).toLongLong() : 0;
    q->finish();
    return orderReference(number, orderId);
}

Shipments::Shipments(Database &database, Notifier &notifier, ModelEvents &events)
    : m_database(database)
    , m_notifier(notifier)
    , m_events(events)
{}

Result<QList<Shipment>> Shipments::forOrder(const QSqlDatabase &db, const QString &orderId,
                                            const QString &sellerId)
{
    const QString where = sellerId.isEmpty() ? QStringLiteral("s.order_id = ?")
                                             : QStringLiteral("s.order_id = ? AND s.seller_id = ?");
    const QVariantList binds
            = sellerId.isEmpty() ? QVariantList{orderId} : QVariantList{orderId, sellerId};
    auto q = execSql(db,
                     QStringLiteral("SELECT s.id, s.order_id, s.seller_id, s.carrier, "
                                    "s.tracking_number, s.tracking_url, s.shipped_at, "
                                    "s.delivered_at FROM shipments s WHERE ")
                             + where + QStringLiteral(" ORDER BY s.shipped_at, s.id"),
                     binds);
    if (!q)
        return q.error();
    QList<Shipment> out;
    QHash<QString, int> index;
    while (q->next()) {
        Shipment s;
        s.id = q->value(0).toString();
        s.orderId = q->value(1).toString();
        s.sellerId = q->value(2).toString();
        s.carrier = q->value(3).toString();
        s.trackingNumber = q->value(4).toString();
        s.trackingUrl = q->value(5).toString();
        s.shippedAt = q->value(6).toLongLong();
        if (!q->value(7).isNull())
            s.deliveredAt = q->value(7).toLongLong();
        index.insert(s.id, int(out.size()));
        out.append(s);
    }
    q->finish();
    if (out.isEmpty())
        return out;
    auto items = execSql(db,
                         QStringLiteral("SELECT si.shipment_id, si.order_item_id, si.quantity "
                                        "FROM shipment_items si JOIN shipments s ON s.id = "
                                        "si.shipment_id WHERE ")
                                 + where + QStringLiteral(" ORDER BY si.order_item_id"),
                         binds);
    if (!items)
        return items.error();
    while (items->next()) {
        const auto at = index.constFind(items->value(0).toString());
        if (at != index.constEnd())
            out[*at].items.append({items->value(1).toString(), items->value(2).toInt()});
    }
    return out;
}

Result<Shipment> Shipments::get(const QSqlDatabase &db, const QString &sellerId,
                                const QString &shipmentId)
{
    auto q = execSql(
            db, QStringLiteral("SELECT order_id FROM shipments WHERE id = ? AND seller_id = ?"),
            {shipmentId, sellerId});
    if (!q)
        return q.error();
    if (!q->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such shipment"));
    const QString orderId = q->value(0).toString();
    q->finish();
    auto all = forOrder(db, orderId);
    if (!all)
        return all.error();
    for (const Shipment &s : all.value()) {
        if (s.id == shipmentId)
            return s;
    }
    return makeError(ErrorCode::NotFound, QStringLiteral("no such shipment"));
}

Result<QString> Shipments::settle(const QSqlDatabase &db, const QString &orderId)
{
    auto o = execSql(db, QStringLiteral("SELECT status FROM orders WHERE id = ?"), {orderId});
    if (!o)
        return o.error();
    if (!o->next())
        return QString();
    const QString status = o->value(0).toString();
    o->finish();
    if (rank(status) < 0)
        return QString(); // unpaid or cancelled: fulfilment does not move it
    auto lines = execSql(db,
                         QStringLiteral("SELECT COUNT(*), "
                                        "COALESCE(SUM(CASE WHEN refunded_quantity < quantity "
                                        "THEN 1 ELSE 0 END), 0), "
                                        "COALESCE(SUM(CASE WHEN shipped_quantity + "
                                        "refunded_quantity < quantity THEN 1 ELSE 0 END), 0) "
                                        "FROM order_items WHERE order_id = ?"),
                         {orderId});
    if (!lines)
        return lines.error();
    if (!lines->next())
        return QString();
    const qint64 unrefundedLines = lines->value(1).toLongLong();
    const qint64 waitingLines = lines->value(2).toLongLong();
    lines->finish();
    auto shipped = execSql(
            db,
            QStringLiteral(
                    "SELECT COUNT(*), COUNT(delivered_at) FROM shipments WHERE order_id = ?"),
            {orderId});
    if (!shipped)
        return shipped.error();
    const qint64 shipments = shipped->next() ? shipped->value(0).toLongLong() : 0;
    const qint64 delivered = shipments > 0 ? shipped->value(1).toLongLong() : 0;
    shipped->finish();
    QString target;
    if (shipments == 0) {
        // Refunded before anything shipped: nothing is left to send.
        if (status == QLatin1String("paid") && unrefundedLines == 0)
            target = QStringLiteral("cancelled");
    } else if (waitingLines > 0) {
        target = QStringLiteral("partially_shipped");
    } else {
        target = delivered == shipments ? QStringLiteral("delivered") : QStringLiteral("shipped");
    }
    if (target.isEmpty() || target == status
        || (target != QLatin1String("cancelled") && rank(target) < rank(status)))
        return QString();
    const qint64 now = Clock::nowMs();
    auto u = execSql(db,
                     QStringLiteral("UPDATE orders SET status = ?, updated_at = ? WHERE id = ?"),
                     {target, now, orderId});
    if (!u)
        return u.error();
    auto h = execSql(
            db,
            QStringLiteral(
                    "INSERT INTO order_status_history (order_id, status, at) VALUES (?, ?, ?)"),
            {orderId, target, now});
    if (!h)
        return h.error();
    return target;
}

Result<Shipment> Shipments::ship(const QString &sellerId, const QString &orderId,
                                 const NewShipment &input)
{
    QList<PendingNotification> pending;
    QString moved;
    Shipment shipment;
    {
        Transaction tx(m_database);
        if (auto s = tx.begin(); !s)
            return s.error();
        const QSqlDatabase db = tx.db();
        auto head = lockOrder(db, orderId);
        if (!head)
            return head.error();
        struct Line
        {
            QString sellerId;
            QString name;
            int quantity = 0;
            int refunded = 0;
            int shipped = 0;
        };
        QHash<QString, Line> lines;
        QStringList own; // the caller's lines, in a stable order
        {
            auto q = execSql(db,
                             QStringLiteral("SELECT id, seller_id, name, quantity, "
                                            "refunded_quantity, shipped_quantity FROM order_items "
                                            "WHERE order_id = ? ORDER BY id"),
                             {orderId});
            if (!q)
                return q.error();
            while (q->next()) {
                const QString id = q->value(0).toString();
                lines.insert(id, {q->value(1).toString(), q->value(2).toString(),
                                  q->value(3).toInt(), q->value(4).toInt(), q->value(5).toInt()});
                if (q->value(1).toString() == sellerId)
                    own.append(id);
            }
        }
        if (own.isEmpty())
            return makeError(ErrorCode::NotFound, QStringLiteral("no such order"));
        QList<ShipmentItem> items;
        if (input.items) {
            QList<FieldError> bad;
            QStringList seen;
            for (int i = 0; i < input.items->size(); ++i) {
                const ShipmentItem &it = input.items->at(i);
                const QString field = QStringLiteral("items[%1].orderItemId").arg(i);
                if (!lines.contains(it.orderItemId))
                    bad.append({field, QStringLiteral("is not a line of this order")});
                else if (seen.contains(it.orderItemId))
                    bad.append({field, QStringLiteral("names a line already listed")});
                seen.append(it.orderItemId);
            }
            if (!bad.isEmpty())
                return Error{ErrorCode::Validation, bad.first().message, bad};
            items = *input.items;
        }
        if (head->status != QLatin1String("paid")
            && head->status != QLatin1String("partially_shipped"))
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("the order is %1; only a paid or partly shipped order "
                                            "can ship")
                                     .arg(head->status));
        if (input.items) {
            for (const ShipmentItem &it : std::as_const(items)) {
                const Line &l = lines.value(it.orderItemId);
                if (l.sellerId != sellerId)
                    return makeError(ErrorCode::Conflict,
                                     QStringLiteral("line %1 is another seller's; you ship only "
                                                    "your own lines")
                                             .arg(it.orderItemId));
                const int unshipped = std::max(0, l.quantity - l.shipped);
                const int shippable = std::max(0, unshipped - l.refunded);
                if (it.quantity > unshipped)
                    return makeError(ErrorCode::Conflict,
                                     QStringLiteral("%1: %2 to ship, %3 not shipped yet")
                                             .arg(l.name)
                                             .arg(it.quantity)
                                             .arg(unshipped));
                if (it.quantity > shippable)
                    return makeError(ErrorCode::Conflict,
                                     QStringLiteral("%1: %2 to ship, but %3 of the units not "
                                                    "shipped were refunded (%4 left to ship)")
                                             .arg(l.name)
                                             .arg(it.quantity)
                                             .arg(l.refunded)
                                             .arg(shippable));
            }
        } else {
            for (const QString &id : std::as_const(own)) {
                const Line &l = lines.value(id);
                const int shippable = l.quantity - l.shipped - l.refunded;
                if (shippable > 0)
                    items.append({id, shippable});
            }
            if (items.isEmpty())
                return makeError(ErrorCode::Conflict,
                                 QStringLiteral("the order is %1 and your lines in it have "
                                                "nothing left to ship")
                                         .arg(head->status));
        }
        std::sort(items.begin(), items.end(), [](const ShipmentItem &a, const ShipmentItem &b) {
            return a.orderItemId < b.orderItemId;
        });
        const qint64 now = Clock::nowMs();
        shipment.id = Ids::newId();
        shipment.orderId = orderId;
        shipment.sellerId = sellerId;
        shipment.carrier = input.carrier;
        shipment.trackingNumber = input.trackingNumber;
        shipment.trackingUrl = input.trackingUrl;
        shipment.shippedAt = now;
        shipment.items = items;
        auto ins = execSql(db,
                           QStringLiteral("INSERT INTO shipments (id, order_id, seller_id, "
                                          "carrier, tracking_number, tracking_url, shipped_at, "
                                          "delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)"),
                           {shipment.id, orderId, sellerId, orNull(input.carrier),
                            orNull(input.trackingNumber), orNull(input.trackingUrl), now});
        if (!ins)
            return ins.error();
        QStringList described;
        for (const ShipmentItem &it : std::as_const(items)) {
            // Bounded by the row itself, so no unit ships twice or ships once refunded, whoever
            // else writes the line.
            auto u = execSql(db,
                             QStringLiteral("UPDATE order_items SET shipped_quantity = "
                                            "shipped_quantity + ? WHERE id = ? AND seller_id = ? "
                                            "AND shipped_quantity + refunded_quantity + ? <= "
                                            "quantity"),
                             {it.quantity, it.orderItemId, sellerId, it.quantity});
            if (!u)
                return u.error();
            if (u->numRowsAffected() != 1)
                return makeError(
                        ErrorCode::Conflict,
                        QStringLiteral("line %1 has fewer units left to ship").arg(it.orderItemId));
            auto si = execSql(db,
                              QStringLiteral("INSERT INTO shipment_items (shipment_id, "
                                             "order_item_id, quantity) VALUES (?, ?, ?)"),
                              {shipment.id, it.orderItemId, it.quantity});
            if (!si)
                return si.error();
            described.append(QStringLiteral("  %1 x %2")
                                     .arg(it.quantity)
                                     .arg(lines.value(it.orderItemId).name));
        }
        auto to = settle(db, orderId);
        if (!to)
            return to.error();
        moved = to.value();
        const QString status = moved.isEmpty() ? head->status : moved;
        QString body = (status == QLatin1String("partially_shipped")
                                ? QStringLiteral("Part of your order %1 is on its way")
                                : QStringLiteral("Your order %1 is on its way"))
                               .arg(head->reference);
        if (!shipment.carrier.isEmpty())
            body += QStringLiteral(" with %1 (tracking number %2)")
                            .arg(shipment.carrier, shipment.trackingNumber);
        body += QLatin1Char('.');
        QJsonObject data{{QStringLiteral("orderId"), orderId},
                         {QStringLiteral("status"), status},
                         {QStringLiteral("shipmentId"), shipment.id},
                         {QStringLiteral("carrier"), nullable(shipment.carrier)},
                         {QStringLiteral("trackingNumber"), nullable(shipment.trackingNumber)},
                         {QStringLiteral("trackingUrl"), nullable(shipment.trackingUrl)}};
        if (auto s = m_notifier.add(db, head->customerId, QStringLiteral("order.shipped"),
                                    QStringLiteral("Order shipped"), body, data, &pending);
            !s)
            return s.error();
        if (auto s = mailCustomer(db, head->customerId,
                                  QStringLiteral("Your order %1 has shipped").arg(head->reference),
                                  QStringLiteral("these items of your order %1 are on their "
                                                 "way:\n%2\n\n%3")
                                          .arg(head->reference, described.join(QLatin1Char('\n')),
                                               trackingText(shipment)));
            !s)
            return s.error();
        if (moved == QLatin1String("delivered")) { // cannot happen on a new shipment; kept safe
            if (auto s = tellDelivered(db, orderId, &pending); !s)
                return s.error();
        }
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    m_notifier.announce(pending);
    if (!moved.isEmpty())
        Q_EMIT m_events.orderChanged(orderId, moved);
    qCInfo(lcShipments).noquote() << "order" << orderId << "shipment" << shipment.id;
    return shipment;
}

Status Shipments::tellDelivered(const QSqlDatabase &db, const QString &orderId,
                                QList<PendingNotification> *pending)
{
    auto q = execSql(db, QStringLiteral("SELECT customer_id, number FROM orders WHERE id = ?"),
                     {orderId});
    if (!q)
        return q.error();
    if (!q->next())
        return Ok{};
    const QString customerId = q->value(0).toString();
    const QString reference = orderReference(q->value(1).toLongLong(), orderId);
    q->finish();
    if (auto s
        = m_notifier.add(db, customerId, QStringLiteral("order.delivered"),
                         QStringLiteral("Order delivered"),
                         QStringLiteral("Your order %1 was delivered.").arg(reference),
                         QJsonObject{{QStringLiteral("orderId"), orderId},
                                     {QStringLiteral("status"), QStringLiteral("delivered")}},
                         pending);
        !s)
        return s;
    return mailCustomer(db, customerId,
                        QStringLiteral("Your order %1 was delivered").arg(reference),
                        QStringLiteral("every parcel of your order %1 has been delivered. We hope "
                                       "you enjoy it.")
                                .arg(reference));
}

Result<Shipment> Shipments::deliver(const QString &sellerId, const QString &shipmentId)
{
    QList<PendingNotification> pending;
    QString moved;
    QString orderId;
    {
        Transaction tx(m_database);
        if (auto s = tx.begin(); !s)
            return s.error();
        const QSqlDatabase db = tx.db();
        auto q = execSql(db,
                         QStringLiteral("SELECT order_id FROM shipments WHERE id = ? AND "
                                        "seller_id = ?"),
                         {shipmentId, sellerId});
        if (!q)
            return q.error();
        if (!q->next())
            return makeError(ErrorCode::NotFound, QStringLiteral("no such shipment"));
        orderId = q->value(0).toString();
        q->finish();
        if (auto head = lockOrder(db, orderId); !head)
            return head.error();
        auto u = execSql(db,
                         QStringLiteral("UPDATE shipments SET delivered_at = ? WHERE id = ? AND "
                                        "delivered_at IS NULL"),
                         {Clock::nowMs(), shipmentId});
        if (!u)
            return u.error();
        if (u->numRowsAffected() != 1)
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("the shipment was delivered already"));
        auto to = settle(db, orderId);
        if (!to)
            return to.error();
        moved = to.value();
        if (moved == QLatin1String("delivered")) {
            if (auto s = tellDelivered(db, orderId, &pending); !s)
                return s.error();
        }
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    m_notifier.announce(pending);
    if (!moved.isEmpty())
        Q_EMIT m_events.orderChanged(orderId, moved);
    return get(m_database.connection(), sellerId, shipmentId);
}

Status Shipments::deliverAll(const QString &sellerId, const QString &orderId)
{
    QList<PendingNotification> pending;
    QString moved;
    {
        Transaction tx(m_database);
        if (auto s = tx.begin(); !s)
            return s.error();
        const QSqlDatabase db = tx.db();
        auto head = lockOrder(db, orderId);
        if (!head)
            return head.error();
        auto own = execSql(db,
                           QStringLiteral("SELECT COUNT(*) FROM order_items WHERE order_id = ? "
                                          "AND seller_id = ?"),
                           {orderId, sellerId});
        if (!own)
            return own.error();
        if (!own->next() || own->value(0).toLongLong() == 0)
            return makeError(ErrorCode::NotFound, QStringLiteral("no such order"));
        own->finish();
        auto u = execSql(db,
                         QStringLiteral("UPDATE shipments SET delivered_at = ? WHERE order_id = ? "
                                        "AND seller_id = ? AND delivered_at IS NULL"),
                         {Clock::nowMs(), orderId, sellerId});
        if (!u)
            return u.error();
        if (u->numRowsAffected() < 1)
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("the order is %1 and your lines in it have no "
                                            "shipment to deliver")
                                     .arg(head->status));
        auto to = settle(db, orderId);
        if (!to)
            return to.error();
        moved = to.value();
        if (moved == QLatin1String("delivered")) {
            if (auto s = tellDelivered(db, orderId, &pending); !s)
                return s.error();
        }
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    m_notifier.announce(pending);
    if (!moved.isEmpty())
        Q_EMIT m_events.orderChanged(orderId, moved);
    return Ok{};
}

} // namespace Mercato
