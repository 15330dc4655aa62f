#include "complaints.h"
#include "complaintthreads.h"

#include "clock.h"
#include "cursor.h"
#include "ids.h"
#include "keysetpage.h"
#include "shop.h"

#include <QJsonObject>
#include <QSet>

namespace Mercato {

namespace {

const QString kSelect = QStringLiteral(
        "SELECT c.id, c.order_id, c.order_item_id, c.customer_id, u.display_name, c.seller_id, "
        "c.subject, c.message, c.status, c.created_at, c.updated_at "
        "FROM complaints c JOIN users u ON u.id = c.customer_id ");

// A seller's complaints: its own lines, or whole-order complaints on orders it has lines in.
const QString kSellerWhere = QStringLiteral(
        "(c.seller_id = ? OR (c.order_item_id IS NULL AND EXISTS (SELECT 1 FROM order_items oi "
        "WHERE oi.order_id = c.order_id AND oi.seller_id = ?)))");

Complaint fromRow(const QSqlQuery &q)
{
    Complaint c;
    c.id = q.value(0).toString();
    c.orderId = q.value(1).toString();
    c.orderItemId = q.value(2).toString();
    c.customerId = q.value(3).toString();
    c.customerName = q.value(4).toString();
    c.sellerId = q.value(5).toString();
    c.subject = q.value(6).toString();
    c.message = q.value(7).toString();
    c.status = q.value(8).toString();
    c.createdAt = q.value(9).toLongLong();
    c.updatedAt = q.value(10).toLongLong();
    return c;
}

Error notFound()
{
    return makeError(ErrorCode::NotFound, QStringLiteral("no such complaint"));
}

Status addMessage(const QSqlDatabase &db, const QString &complaintId, const QString &authorId,
                  const QString &message, qint64 now)
{
    auto q = execSql(
            db,
            QStringLiteral("INSERT INTO complaint_messages (id, complaint_id, author_id, message, "
                           "created_at) VALUES (?, ?, ?, ?, ?)"),
            {Ids::newId(), complaintId, authorId, message, now});
    if (!q)
        return q.error();
    return Ok{};
}

} // namespace

bool Complaints::isStatus(const QString &status)
{
    return status == QLatin1String("open") || status == QLatin1String("answered")
           || status == QLatin1String("resolved");
}

Status Complaints::fillDetails(const QSqlDatabase &db, Complaint &c)
{
    auto q = execSql(
            db,
            QStringLiteral(
                    "SELECT m.id, m.author_id, u.display_name, u.role, m.message, m.created_at "
                    "FROM complaint_messages m JOIN users u ON u.id = m.author_id "
                    "WHERE m.complaint_id = ? ORDER BY m.created_at, m.id"),
            {c.id});
    if (!q)
        return q.error();
    c.messages.clear();
    while (q->next())
        c.messages.append({q->value(0).toString(), q->value(1).toString(), q->value(2).toString(),
                           q->value(3).toString(), q->value(4).toString(),
                           q->value(5).toLongLong()});
    auto images = Evidence::list(db, QStringLiteral("complaint"), c.id);
    if (!images)
        return images.error();
    c.images = images.value();
    auto refunds = execSql(db,
                           QStringLiteral("SELECT id FROM refund_requests WHERE complaint_id = ? "
                                          "ORDER BY created_at, id"),
                           {c.id});
    if (!refunds)
        return refunds.error();
    c.refundRequestIds.clear();
    while (refunds->next())
        c.refundRequestIds.append(refunds->value(0).toString());
    return Ok{};
}

Result<Complaint> Complaints::load(const QSqlDatabase &db, const QString &where,
                                   const QVariantList &binds, bool details)
{
    auto q = execSql(db, kSelect + where, binds);
    if (!q)
        return q.error();
    if (!q->next())
        return notFound();
    Complaint c = fromRow(q.value());
    if (details) {
        if (auto s = fillDetails(db, c); !s)
            return s.error();
    }
    return c;
}

Result<ComplaintPage> Complaints::page(const QString &scope, const QString &where,
                                       QVariantList binds, int limit, const QString &cursor)
{
    const QSqlDatabase db = m_shop.database().connection();
    auto rows = keysetPage<Complaint>(db, scope, kSelect + where, std::move(binds),
                                      QStringLiteral("c"), limit, cursor, fromRow);
    if (!rows)
        return rows.error();
    ComplaintPage page{std::move(rows->items), std::move(rows->nextCursor)};
    for (Complaint &c : page.items) {
        if (auto s = fillDetails(db, c); !s)
            return s.error();
    }
    return page;
}

Result<Complaint> Complaints::open(const QString &customerId, const QString &orderId,
                                   const QString &orderItemId, const QString &subject,
                                   const QString &message)
{
    Transaction tx(m_shop.database());
    if (auto s = tx.begin(); !s)
        return s.error();
    const QSqlDatabase db = tx.db();
    auto o = execSql(db, QStringLiteral("SELECT customer_id, status FROM orders WHERE id = ?"),
                     {orderId});
    if (!o)
        return o.error();
    if (!o->next() || o->value(0).toString() != customerId)
        return makeError(ErrorCode::NotFound, QStringLiteral("no such order"));
    const QString orderStatus = o->value(1).toString();
    o->finish();
    QStringList sellers;
    if (!orderItemId.isEmpty()) {
        auto item = execSql(
                db,
                QStringLiteral("SELECT seller_id FROM order_items WHERE id = ? AND order_id = ?"),
                {orderItemId, orderId});
        if (!item)
            return item.error();
        if (!item->next())
            return Error::validation(QStringLiteral("orderItemId"),
                                     QStringLiteral("orderItemId is not a line of this order"));
        sellers.append(item->value(0).toString());
    } else {
        auto items = execSql(
                db,
                QStringLiteral("SELECT DISTINCT seller_id FROM order_items WHERE order_id = ? "
                               "ORDER BY seller_id"),
                {orderId});
        if (!items)
            return items.error();
        while (items->next())
            sellers.append(items->value(0).toString());
        if (sellers.isEmpty())
            return makeError(ErrorCode::Conflict, QStringLiteral("the order has no lines"));
    }
    // Something bought and paid for can be complained about; an unpaid or cancelled order
    // cannot (nothing was delivered or charged).
    if (orderStatus != QLatin1String("paid") && orderStatus != QLatin1String("shipped")
        && orderStatus != QLatin1String("delivered")
        && orderStatus != QLatin1String("partially_shipped"))
        return Error::validation(QStringLiteral("orderId"),
                                 QStringLiteral("complaints are about paid orders; this one is %1")
                                         .arg(orderStatus));
    auto open = execSql(db,
                        QStringLiteral("SELECT COUNT(*) FROM complaints WHERE order_id = ? AND "
                                       "status <> 'resolved'"),
                        {orderId});
    if (!open)
        return open.error();
    const qint64 openCount = open->next() ? open->value(0).toLongLong() : 0;
    open->finish();
    const int most = m_shop.settings().maxOpenComplaintsPerOrder;
    if (most > 0 && openCount >= most)
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("this order has %1 unresolved complaints already; add "
                                        "to one of them")
                                 .arg(openCount));
    const QString id = Ids::newId();
    const qint64 now = Clock::nowMs();
    auto ins = execSql(
            db,
            QStringLiteral(
                    "INSERT INTO complaints (id, order_id, order_item_id, customer_id, seller_id, "
                    "subject, message, status, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)"),
            {id, orderId, orderItemId.isEmpty() ? QVariant() : QVariant(orderItemId), customerId,
             sellers.first(), subject, message, now, now});
    if (!ins)
        return ins.error();
    if (auto s = addMessage(db, id, customerId, message, now); !s)
        return s.error();
    QList<PendingNotification> pendingNotes;
    for (const QString &seller : std::as_const(sellers)) {
        if (auto s
            = m_shop.notifier().add(db, seller, QStringLiteral("complaint.opened"),
                                    QStringLiteral("New complaint: %1").arg(subject), message,
                                    QJsonObject{{QStringLiteral("complaintId"), id},
                                                {QStringLiteral("orderId"), orderId}},
                                    &pendingNotes);
            !s)
            return s.error();
    }
    auto created = load(db, QStringLiteral("WHERE c.id = ?"), {id}, true);
    if (!created)
        return created.error();
    if (auto s = tx.commit(); !s)
        return s.error();
    m_shop.notifier().announce(pendingNotes);
    Q_EMIT m_shop.events().complaintChanged(id);
    return created;
}

Result<Complaint> Complaints::getForCustomer(const QString &customerId, const QString &id)
{
    return load(m_shop.database().connection(),
                QStringLiteral("WHERE c.id = ? AND c.customer_id = ?"), {id, customerId}, true);
}

Result<ComplaintPage> Complaints::listForCustomer(const QString &customerId, int limit,
                                                  const QString &cursor)
{
    return page(QStringLiteral("complaints:c:") + customerId,
                QStringLiteral("WHERE c.customer_id = ?"), {customerId}, limit, cursor);
}

Result<Complaint> Complaints::getForSeller(const QString &sellerId, const QString &id)
{
    return load(m_shop.database().connection(),
                QStringLiteral("WHERE c.id = ? AND ") + kSellerWhere, {id, sellerId, sellerId},
                true);
}

Result<ComplaintPage> Complaints::listForSeller(const QString &sellerId, const QString &status,
                                                int limit, const QString &cursor)
{
    if (status.isEmpty())
        return page(QStringLiteral("complaints:s:") + sellerId,
                    QStringLiteral("WHERE ") + kSellerWhere, {sellerId, sellerId}, limit, cursor);
    return page(QStringLiteral("complaints:s:") + sellerId + QLatin1Char(':') + status,
                QStringLiteral("WHERE c.status = ? AND ") + kSellerWhere,
                {status, sellerId, sellerId}, limit, cursor);
}

Result<qint64> Complaints::countForSeller(const QString &sellerId, const QString &status)
{
    auto q = execSql(m_shop.database().connection(),
                     QStringLiteral("SELECT COUNT(*) FROM complaints c WHERE c.status = ? AND ")
                             + kSellerWhere,
                     {status, sellerId, sellerId});
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : qint64(0);
}

Result<Complaint> Complaints::reply(const QString &sellerId, const QString &id,
                                    const QString &message)
{
    return sellerMove(sellerId, id, message, false);
}

Result<Complaint> Complaints::resolve(const QString &sellerId, const QString &id,
                                      const QString &message)
{
    return sellerMove(sellerId, id, message, true);
}

Result<Complaint> Complaints::sellerMove(const QString &sellerId, const QString &id,
                                         const QString &message, bool resolve)
{
    Transaction tx(m_shop.database());
    if (auto s = tx.begin(); !s)
        return s.error();
    const QSqlDatabase db = tx.db();
    auto lock = execSql(db, QStringLiteral("UPDATE complaints SET id = id WHERE id = ?"), {id});
    if (!lock)
        return lock.error();
    auto current = load(db, QStringLiteral("WHERE c.id = ? AND ") + kSellerWhere,
                        {id, sellerId, sellerId}, false);
    if (!current)
        return current.error();
    if (current->status == QLatin1String("resolved"))
        return makeError(ErrorCode::Conflict, QStringLiteral("this complaint is already resolved"));
    const qint64 now = Clock::nowMs();
    if (!message.isEmpty()) {
        if (auto s = addMessage(db, id, sellerId, message, now); !s)
            return s.error();
    }
    const QString status = resolve ? QStringLiteral("resolved") : QStringLiteral("answered");
    auto u = execSql(
            db, QStringLiteral("UPDATE complaints SET status = ?, updated_at = ? WHERE id = ?"),
            {status, now, id});
    if (!u)
        return u.error();
    QList<PendingNotification> pendingNotes;
    const QString kind
            = resolve ? QStringLiteral("complaint.resolved") : QStringLiteral("complaint.replied");
    const QString title = resolve ? QStringLiteral("Complaint resolved: %1").arg(current->subject)
                                  : QStringLiteral("The seller replied: %1").arg(current->subject);
    if (auto s = m_shop.notifier().add(db, current->customerId, kind, title,
                                       message.isEmpty() ? title : message,
                                       QJsonObject{{QStringLiteral("complaintId"), id},
                                                   {QStringLiteral("orderId"), current->orderId}},
                                       &pendingNotes);
        !s)
        return s.error();
    auto after = load(db, QStringLiteral("WHERE c.id = ?"), {id}, true);
    if (!after)
        return after.error();
    if (auto s = tx.commit(); !s)
        return s.error();
    m_shop.notifier().announce(pendingNotes);
    Q_EMIT m_shop.events().complaintChanged(id);
    return after;
}

Result<EvidenceImage> Complaints::addImage(const QString &customerId, const QString &id,
                                           const QByteArray &bytes, const QString &declaredType)
{
    auto owner
            = execSql(m_shop.database().connection(),
                      QStringLiteral("SELECT 1 FROM complaints WHERE id = ? AND customer_id = ?"),
                      {id, customerId});
    if (!owner)
        return owner.error();
    const bool owned = owner->next();
    owner->finish(); // before Evidence::add writes (see Refunds::addImage)
    if (!owned)
        return notFound();
    return Evidence::add(m_shop.database(), m_shop.images(), QStringLiteral("complaint"), id,
                         customerId, bytes, declaredType,
                         qint64(m_shop.settings().evidenceMiBPerDay) * 1024 * 1024);
}

Result<Complaint> ComplaintThreads::customerMessage(Shop &shop, const QString &customerId,
                                                    const QString &id, const QString &message)
{
    {
        Transaction tx(shop.database());
        if (auto s = tx.begin(); !s)
            return s.error();
        const QSqlDatabase db = tx.db();
        auto lock = execSql(db, QStringLiteral("UPDATE complaints SET id = id WHERE id = ?"), {id});
        if (!lock)
            return lock.error();
        auto c = execSql(
                db,
                QStringLiteral("SELECT status, order_id, order_item_id, seller_id, subject "
                               "FROM complaints WHERE id = ? AND customer_id = ?"),
                {id, customerId});
        if (!c)
            return c.error();
        if (!c->next())
            return notFound();
        if (c->value(0).toString() == QLatin1String("resolved"))
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("this complaint is already resolved"));
        const QString orderId = c->value(1).toString();
        const bool wholeOrder = c->value(2).isNull() || c->value(2).toString().isEmpty();
        const QString lineSeller = c->value(3).toString();
        const QString subject = c->value(4).toString();
        const qint64 now = Clock::nowMs();
        if (auto s = addMessage(db, id, customerId, message, now); !s)
            return s.error();
        auto u = execSql(
                db,
                QStringLiteral(
                        "UPDATE complaints SET status = 'open', updated_at = ? WHERE id = ?"),
                {now, id});
        if (!u)
            return u.error();
        QStringList sellers;
        if (wholeOrder) {
            auto q = execSql(db,
                             QStringLiteral("SELECT DISTINCT seller_id FROM order_items WHERE "
                                            "order_id = ? ORDER BY seller_id"),
                             {orderId});
            if (!q)
                return q.error();
            while (q->next())
                sellers.append(q->value(0).toString());
        } else {
            sellers.append(lineSeller);
        }
        QList<PendingNotification> pendingNotes;
        for (const QString &seller : std::as_const(sellers)) {
            if (auto s = shop.notifier().add(
                        db, seller, QStringLiteral("complaint.message"),
                        QStringLiteral("The customer wrote again: %1").arg(subject), message,
                        QJsonObject{{QStringLiteral("complaintId"), id},
                                    {QStringLiteral("orderId"), orderId}},
                        &pendingNotes);
                !s)
                return s.error();
        }
        if (auto s = tx.commit(); !s)
            return s.error();
        shop.notifier().announce(pendingNotes);
        Q_EMIT shop.events().complaintChanged(id);
    }
    return shop.complaints().getForCustomer(customerId, id);
}

} // namespace Mercato
