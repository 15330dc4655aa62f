#include "refunds.h"

#include "checkoutquote.h"

#include "clock.h"
#include "coinledger.h"
#include "cursor.h"
#include "ids.h"
#include "invoices.h"
#include "keysetpage.h"
#include "mailer.h"
#include "mailoutbox.h"
#include "shipments.h"
#include "shop.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QLoggingCategory>

#include <algorithm>

Q_LOGGING_CATEGORY(lcRefunds, "mercato.refunds")

namespace Mercato {

namespace {

const QString kSelect = QStringLiteral(
        "SELECT r.id, r.order_id, r.order_item_id, oi.product_id, oi.name, r.customer_id, "
        "u.display_name, r.seller_id, r.quantity, r.reason, r.status, r.note, r.amount_cents, "
        "r.coins_returned, r.restock, o.currency, r.created_at, r.updated_at, r.decided_at, "
        "(SELECT pr.last_error FROM payment_refunds pr WHERE pr.refund_request_id = r.id "
        "  ORDER BY pr.created_at DESC, pr.id DESC LIMIT 1), r.complaint_id, "
        "(SELECT cn.credit_note_number FROM refunds cn WHERE cn.refund_request_id = r.id) "
        "FROM refund_requests r JOIN order_items oi ON oi.id = r.order_item_id "
        "JOIN orders o ON o.id = r.order_id JOIN users u ON u.id = r.customer_id ");

RefundRequest fromRow(const QSqlQuery &q)
{
    RefundRequest r;
    r.id = q.value(0).toString();
    r.orderId = q.value(1).toString();
    r.orderItemId = q.value(2).toString();
    r.productId = q.value(3).toString();
    r.productName = q.value(4).toString();
    r.customerId = q.value(5).toString();
    r.customerName = q.value(6).toString();
    r.sellerId = q.value(7).toString();
    r.quantity = q.value(8).toInt();
    r.reason = q.value(9).toString();
    r.status = q.value(10).toString();
    r.note = q.value(11).toString();
    if (!q.value(12).isNull())
        r.amountCents = q.value(12).toLongLong();
    if (!q.value(13).isNull())
        r.coinsReturned = q.value(13).toLongLong();
    r.restock = q.value(14).toInt() != 0;
    r.currency = q.value(15).toString();
    r.createdAt = q.value(16).toLongLong();
    r.updatedAt = q.value(17).toLongLong();
    if (!q.value(18).isNull())
        r.decidedAt = q.value(18).toLongLong();
    if (r.status == QLatin1String("refund_failed"))
        r.refundError = q.value(19).toString();
    r.complaintId = q.value(20).toString();
    r.creditNoteNumber = q.value(21).toString();
    return r;
}

Error notFound()
{
    return makeError(ErrorCode::NotFound, QStringLiteral("no such refund request"));
}

// A no-op write that takes the row's write lock on PostgreSQL (SQLite's BEGIN IMMEDIATE
// already serialises writers), so concurrent requests on one line queue up.
Status lockRow(const QSqlDatabase &db, const QString &table, const QString &id)
{
    auto q = execSql(db, QStringLiteral("UPDATE %1 SET id = id WHERE id = ?").arg(table), {id});
    if (!q)
        return q.error();
    return Ok{};
}

qint64 backoffMs(int attempts)
{
    // 30 s, 1 min, 2 min, ... capped at one hour.
    const int shift = std::clamp(attempts - 1, 0, 7);
    return std::min<qint64>(30'000LL << shift, 3'600'000LL);
}

constexpr qint64 kSendLeaseMs = 120'000;

// Records a provider outcome on a payment_refunds row that is in one of `fromStates` (an SQL
// list) and moves its request: refunded on success, refund_failed otherwise (`retryAt` set: due
// again then; unset: a permanent failure). False when the row was not in those states.
Result<bool> settle(const QSqlDatabase &db, const QString &paymentRefundId,
                    const QString &requestId, const RefundAttempt &outcome,
                    std::optional<qint64> retryAt, const QString &fromStates)
{
    const qint64 now = Clock::nowMs();
    const bool ok = outcome.kind == RefundAttempt::Kind::Succeeded;
    auto u = execSql(db,
                     QStringLiteral("UPDATE payment_refunds SET state = ?, provider_ref = "
                                    "COALESCE(?, provider_ref), last_error = ?, "
                                    "next_attempt_at = ?, updated_at = ? WHERE id = ? AND state "
                                    "IN (%1)")
                             .arg(fromStates),
                     {ok ? QStringLiteral("succeeded")
                         : (retryAt ? QStringLiteral("retrying") : QStringLiteral("failed")),
                      outcome.providerRef.isEmpty() ? QVariant() : QVariant(outcome.providerRef),
                      ok ? QVariant() : QVariant(outcome.error),
                      retryAt ? QVariant(*retryAt) : QVariant(), now, paymentRefundId});
    if (!u)
        return u.error();
    if (u->numRowsAffected() != 1)
        return false;
    // A refund Stripe reports failed after it succeeded is owed again.
    auto r = execSql(
            db,
            QStringLiteral("UPDATE refund_requests SET status = ?, updated_at = ? "
                           "WHERE id = ? AND status IN ('approved', 'refund_failed'%1)")
                    .arg(ok ? QString() : QStringLiteral(", 'refunded'")),
            {ok ? QStringLiteral("refunded") : QStringLiteral("refund_failed"), now, requestId});
    if (!r)
        return r.error();
    return true;
}

} // namespace

RefundAmount computeRefund(const RefundLine &line, int quantity)
{
    RefundAmount a;
    if (quantity <= 0 || line.lineQuantity <= 0)
        return a;
    const qint64 paid = std::max<qint64>(0, line.lineTotalCents - line.discountShareCents);
    const qint64 leftCents = std::max<qint64>(0, paid - line.refundedCents);
    const qint64 leftCoins = std::max<qint64>(0, line.lineCoins - line.coinsReturned);
    if (line.refundedQuantity + quantity >= line.lineQuantity) {
        a.cents = leftCents;
        a.coins = leftCoins;
    } else {
        a.cents = std::min(leftCents, paid * quantity / line.lineQuantity);
        a.coins = std::min(leftCoins, line.lineCoins * quantity / line.lineQuantity);
    }
    return a;
}

Refunds::Refunds(Shop &shop)
    : m_shop(shop)
{
    m_executors.insert(QStringLiteral("manual"), std::make_shared<ManualRefundExecutor>());
}

Refunds::~Refunds() = default;

void Refunds::setExecutor(const QString &provider, std::shared_ptr<RefundExecutor> executor)
{
    std::lock_guard lock(m_mutex);
    m_executors.insert(provider, std::move(executor));
}

std::shared_ptr<RefundExecutor> Refunds::executor(const QString &provider)
{
    std::lock_guard lock(m_mutex);
    return m_executors.value(provider.isEmpty() ? QStringLiteral("manual") : provider);
}

bool Refunds::isStatus(const QString &status)
{
    static const QStringList all{QStringLiteral("requested"), QStringLiteral("approved"),
                                 QStringLiteral("refunded"), QStringLiteral("refund_failed"),
                                 QStringLiteral("rejected")};
    return all.contains(status);
}

Result<RefundRequest> Refunds::load(const QSqlDatabase &db, const QString &where,
                                    const QVariantList &binds)
{
    auto q = execSql(db, kSelect + where, binds);
    if (!q)
        return q.error();
    if (!q->next())
        return notFound();
    RefundRequest r = fromRow(q.value());
    auto images = Evidence::list(db, QStringLiteral("refund"), r.id);
    if (!images)
        return images.error();
    r.images = images.value();
    return r;
}

Result<RefundRequestPage> Refunds::page(const QString &scope, const QString &where,
                                        QVariantList binds, int limit, const QString &cursor)
{
    const QSqlDatabase db = m_shop.database().connection();
    auto rows = keysetPage<RefundRequest>(db, scope, kSelect + where, std::move(binds),
                                          QStringLiteral("r"), limit, cursor, fromRow);
    if (!rows)
        return rows.error();
    RefundRequestPage page{std::move(rows->items), std::move(rows->nextCursor)};
    for (RefundRequest &r : page.items) {
        auto images = Evidence::list(db, QStringLiteral("refund"), r.id);
        if (!images)
            return images.error();
        r.images = images.value();
    }
    return page;
}

Result<RefundRequest> Refunds::request(const QString &customerId, const QString &orderId,
                                       const QString &orderItemId, int quantity,
                                       const QString &reason, const QString &complaintId)
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

    if (auto s = lockRow(db, QStringLiteral("order_items"), orderItemId); !s)
        return s.error();
    auto item = execSql(
            db,
            QStringLiteral("SELECT seller_id, quantity, refunded_quantity, name FROM order_items "
                           "WHERE id = ? AND order_id = ?"),
            {orderItemId, orderId});
    if (!item)
        return item.error();
    if (!item->next())
        return Error::validation(QStringLiteral("orderItemId"),
                                 QStringLiteral("orderItemId is not a line of this order"));
    const QString sellerId = item->value(0).toString();
    const int lineQuantity = item->value(1).toInt();
    const int refunded = item->value(2).toInt();
    const QString productName = item->value(3).toString();
    if (!complaintId.isEmpty()) {
        auto c = execSql(db,
                         QStringLiteral("SELECT 1 FROM complaints WHERE id = ? AND customer_id = ? "
                                        "AND order_id = ?"),
                         {complaintId, customerId, orderId});
        if (!c)
            return c.error();
        if (!c->next())
            return Error::validation(QStringLiteral("complaintId"),
                                     QStringLiteral("complaintId is not your complaint about "
                                                    "this order"));
    }

    if (orderStatus != QLatin1String("paid") && orderStatus != QLatin1String("shipped")
        && orderStatus != QLatin1String("delivered")
        && orderStatus != QLatin1String("partially_shipped"))
        return makeError(
                ErrorCode::Conflict,
                QStringLiteral(
                        "only paid, shipped or delivered orders can be refunded (this one is %1)")
                        .arg(orderStatus));
    // Approved requests are already counted in refunded_quantity; open ones still hold theirs.
    auto open = execSql(db,
                        QStringLiteral("SELECT COALESCE(SUM(quantity), 0) FROM refund_requests "
                                       "WHERE order_item_id = ? AND status = 'requested'"),
                        {orderItemId});
    if (!open)
        return open.error();
    const qint64 pending = open->next() ? open->value(0).toLongLong() : 0;
    const qint64 remaining = lineQuantity - refunded - pending;
    if (quantity > remaining)
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("at most %1 of this line can still be refunded")
                                 .arg(std::max<qint64>(0, remaining)));

    const QString id = Ids::newId();
    const qint64 now = Clock::nowMs();
    auto ins = execSql(
            db,
            QStringLiteral("INSERT INTO refund_requests (id, order_id, order_item_id, customer_id, "
                           "seller_id, quantity, reason, status, restock, created_at, updated_at, "
                           "complaint_id) VALUES (?, ?, ?, ?, ?, ?, ?, 'requested', 0, ?, ?, ?)"),
            {id, orderId, orderItemId, customerId, sellerId, quantity, reason, now, now,
             complaintId.isEmpty() ? QVariant() : QVariant(complaintId)});
    if (!ins)
        return ins.error();
    QList<PendingNotification> pendingNotes;
    if (auto s
        = m_shop.notifier().add(db, sellerId, QStringLiteral("refund.requested"),
                                QStringLiteral("Refund requested"),
                                QStringLiteral("A customer asks to refund %1 × %2: %3")
                                        .arg(quantity)
                                        .arg(productName, reason),
                                QJsonObject{{QStringLiteral("refundRequestId"), id},
                                            {QStringLiteral("orderId"), orderId},
                                            {QStringLiteral("orderItemId"), orderItemId},
                                            {QStringLiteral("complaintId"),
                                             complaintId.isEmpty() ? QJsonValue(QJsonValue::Null)
                                                                   : QJsonValue(complaintId)}},
                                &pendingNotes);
        !s)
        return s.error();
    auto created = load(db, QStringLiteral("WHERE r.id = ?"), {id});
    if (!created)
        return created.error();
    if (auto s = tx.commit(); !s)
        return s.error();
    m_shop.notifier().announce(pendingNotes);
    Q_EMIT m_shop.events().refundRequested(id);
    return created;
}

Status Refunds::checkOrderOwner(const QString &customerId, const QString &orderId)
{
    auto o = execSql(m_shop.database().connection(),
                     QStringLiteral("SELECT customer_id FROM orders WHERE id = ?"), {orderId});
    if (!o)
        return o.error();
    if (!o->next() || o->value(0).toString() != customerId)
        return makeError(ErrorCode::NotFound, QStringLiteral("no such order"));
    return Ok{};
}

Result<RefundRequest> Refunds::getForCustomer(const QString &customerId, const QString &id)
{
    return load(m_shop.database().connection(),
                QStringLiteral("WHERE r.id = ? AND r.customer_id = ?"), {id, customerId});
}

Result<RefundRequestPage> Refunds::listForCustomer(const QString &customerId, int limit,
                                                   const QString &cursor)
{
    return page(QStringLiteral("refunds:c:") + customerId,
                QStringLiteral("WHERE r.customer_id = ?"), {customerId}, limit, cursor);
}

Result<RefundRequest> Refunds::getForSeller(const QString &sellerId, const QString &id)
{
    return load(m_shop.database().connection(),
                QStringLiteral("WHERE r.id = ? AND r.seller_id = ?"), {id, sellerId});
}

Result<RefundRequestPage> Refunds::listForSeller(const QString &sellerId, const QString &status,
                                                 int limit, const QString &cursor)
{
    if (status.isEmpty())
        return page(QStringLiteral("refunds:s:") + sellerId,
                    QStringLiteral("WHERE r.seller_id = ?"), {sellerId}, limit, cursor);
    return page(QStringLiteral("refunds:s:") + sellerId + QLatin1Char(':') + status,
                QStringLiteral("WHERE r.seller_id = ? AND r.status = ?"), {sellerId, status}, limit,
                cursor);
}

Result<qint64> Refunds::countForSeller(const QString &sellerId, const QString &status)
{
    auto q = execSql(
            m_shop.database().connection(),
            QStringLiteral(
                    "SELECT COUNT(*) FROM refund_requests WHERE seller_id = ? AND status = ?"),
            {sellerId, status});
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : qint64(0);
}

Result<EvidenceImage> Refunds::addImage(const QString &customerId, const QString &id,
                                        const QByteArray &bytes, const QString &declaredType)
{
    auto owner = execSql(
            m_shop.database().connection(),
            QStringLiteral("SELECT 1 FROM refund_requests WHERE id = ? AND customer_id = ?"),
            {id, customerId});
    if (!owner)
        return owner.error();
    const bool owned = owner->next();
    // Ended before Evidence::add writes: a read left open on this connection keeps its SQLite
    // snapshot, and BEGIN IMMEDIATE on it then fails at once with "database is locked" (no
    // busy wait) whenever another connection wrote since.
    owner->finish();
    if (!owned)
        return notFound();
    return Evidence::add(m_shop.database(), m_shop.images(), QStringLiteral("refund"), id,
                         customerId, bytes, declaredType,
                         qint64(m_shop.settings().evidenceMiBPerDay) * 1024 * 1024);
}

Result<RefundRequest> Refunds::reject(const QString &sellerId, const QString &id,
                                      const QString &note)
{
    Transaction tx(m_shop.database());
    if (auto s = tx.begin(); !s)
        return s.error();
    const QSqlDatabase db = tx.db();
    auto current = lockUndecided(db, sellerId, id);
    if (!current)
        return current.error();
    const qint64 now = Clock::nowMs();
    auto u = execSql(
            db,
            QStringLiteral(
                    "UPDATE refund_requests SET status = 'rejected', note = ?, decided_at = ?, "
                    "updated_at = ? WHERE id = ? AND status = 'requested'"),
            {note, now, now, id});
    if (!u)
        return u.error();
    QList<PendingNotification> pendingNotes;
    if (auto s = m_shop.notifier().add(
                db, current->customerId, QStringLiteral("refund.rejected"),
                QStringLiteral("Refund declined"),
                note.isEmpty()
                        ? QStringLiteral("The seller declined your refund request for %1.")
                                  .arg(current->productName)
                        : QStringLiteral("The seller declined your refund request for %1: %2")
                                  .arg(current->productName, note),
                QJsonObject{{QStringLiteral("refundRequestId"), id},
                            {QStringLiteral("orderId"), current->orderId},
                            {QStringLiteral("note"), note}},
                &pendingNotes);
        !s)
        return s.error();
    auto reference = orderReference(db, current->orderId);
    if (!reference)
        return reference.error();
    if (auto s = mailCustomer(
                db, current->customerId, QStringLiteral("Your refund request was declined"),
                note.isEmpty() ? QStringLiteral("the seller declined your refund request for %1 "
                                                "(order %2).")
                                         .arg(current->productName, reference.value())
                               : QStringLiteral("the seller declined your refund request for %1 "
                                                "(order %2):\n\n%3")
                                         .arg(current->productName, reference.value(), note));
        !s)
        return s.error();
    auto after = load(db, QStringLiteral("WHERE r.id = ?"), {id});
    if (!after)
        return after.error();
    if (auto s = tx.commit(); !s)
        return s.error();
    m_shop.notifier().announce(pendingNotes);
    m_shop.mail().wake();
    Q_EMIT m_shop.events().refundChanged(id);
    return after;
}

Result<RefundRequest> Refunds::lockUndecided(const QSqlDatabase &db, const QString &sellerId,
                                             const QString &id)
{
    if (auto s = lockRow(db, QStringLiteral("refund_requests"), id); !s)
        return s.error();
    auto current = load(db, QStringLiteral("WHERE r.id = ? AND r.seller_id = ?"), {id, sellerId});
    if (!current)
        return current.error();
    if (current->status != QLatin1String("requested"))
        return makeError(
                ErrorCode::Conflict,
                QStringLiteral("this request was already decided (%1)").arg(current->status));
    return current;
}

Result<Refunds::LineState> Refunds::lineState(const QSqlDatabase &db, const QString &orderItemId)
{
    auto line = execSql(
            db,
            QStringLiteral(
                    "SELECT oi.quantity, oi.line_total_cents, oi.discount_share_cents, "
                    "oi.refunded_quantity, oi.refunded_cents, o.coins_used, "
                    "o.discount_cents - o.code_cents, o.payment_provider, oi.code_share_cents "
                    "FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE oi.id = ?"),
            {orderItemId});
    if (!line)
        return line.error();
    if (!line->next())
        return notFound();
    LineState state;
    RefundLine &l = state.line;
    l.lineQuantity = line->value(0).toInt();
    l.lineTotalCents = line->value(1).toLongLong();
    l.discountShareCents = line->value(2).toLongLong();
    l.refundedQuantity = line->value(3).toInt();
    l.refundedCents = line->value(4).toLongLong();
    const qint64 coinsUsed = line->value(5).toLongLong();
    const qint64 discountCents = line->value(6).toLongLong(); // the coins' part
    state.provider = line->value(7).toString().isEmpty() ? QStringLiteral("manual")
                                                         : line->value(7).toString();
    // The coins that paid for this line: its share of the coins' discount (the line's discount
    // less its discount code's share), in coins.
    const qint64 coinShare = l.discountShareCents - line->value(8).toLongLong();
    l.lineCoins = discountCents > 0 ? coinsUsed * coinShare / discountCents : 0;
    auto returned
            = execSql(db,
                      QStringLiteral("SELECT COALESCE(SUM(coins_returned), 0) FROM refund_items "
                                     "WHERE order_item_id = ?"),
                      {orderItemId});
    if (!returned)
        return returned.error();
    l.coinsReturned = returned->next() ? returned->value(0).toLongLong() : 0;
    return state;
}

Result<OrderRefund> Refunds::refundUnits(const QSqlDatabase &db, const RefundOrder &what,
                                         StockEffects *effects, QString *paymentRefundId)
{
    paymentRefundId->clear();
    // The order's row first (as shipments take it), so a refund and a shipment of one order
    // take turns; then its lines in id order.
    if (auto s = lockRow(db, QStringLiteral("orders"), what.orderId); !s)
        return s.error();
    auto o = execSql(
            db, QStringLiteral("SELECT customer_id, status, currency FROM orders WHERE id = ?"),
            {what.orderId});
    if (!o)
        return o.error();
    if (!o->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such order"));
    const QString customerId = o->value(0).toString();
    const QString orderStatus = o->value(1).toString();
    OrderRefund refund;
    refund.currency = o->value(2).toString();
    o->finish();
    if (orderStatus != QLatin1String("paid") && orderStatus != QLatin1String("partially_shipped")
        && orderStatus != QLatin1String("shipped") && orderStatus != QLatin1String("delivered"))
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("only paid, shipped or delivered orders can be refunded "
                                        "(this one is %1)")
                                 .arg(orderStatus));
    QList<RefundItem> items = what.items;
    std::sort(items.begin(), items.end(), [](const RefundItem &a, const RefundItem &b) {
        return a.orderItemId < b.orderItemId;
    });
    QString provider = QStringLiteral("manual");
    for (RefundItem &item : items) {
        if (auto s = lockRow(db, QStringLiteral("order_items"), item.orderItemId); !s)
            return s.error();
        auto owner = execSql(db,
                             QStringLiteral("SELECT product_id, name FROM order_items WHERE id = ? "
                                            "AND order_id = ? AND seller_id = ?"),
                             {item.orderItemId, what.orderId, what.sellerId});
        if (!owner)
            return owner.error();
        if (!owner->next())
            return makeError(ErrorCode::NotFound, QStringLiteral("no such line of yours"));
        const QString productId = owner->value(0).toString();
        const QString name = owner->value(1).toString();
        owner->finish();
        auto state = lineState(db, item.orderItemId);
        if (!state)
            return state.error();
        const RefundLine &l = state->line;
        provider = state->provider;
        if (item.quantity <= 0 || l.refundedQuantity + item.quantity > l.lineQuantity)
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("%1: %2 to refund, %3 left unrefunded")
                                     .arg(name)
                                     .arg(item.quantity)
                                     .arg(l.lineQuantity - l.refundedQuantity));
        const RefundAmount amount = computeRefund(l, item.quantity);
        item.amountCents = amount.cents;
        item.coinsReturned = amount.coins;
        auto u = execSql(
                db,
                QStringLiteral("UPDATE order_items SET refunded_quantity = refunded_quantity + ?, "
                               "refunded_cents = refunded_cents + ? WHERE id = ?"),
                {item.quantity, amount.cents, item.orderItemId});
        if (!u)
            return u.error();
        // Back on the shelf as any stock change is: its ledger row, the low-stock re-arm, and
        // the announcements after commit.
        if (what.restock) {
            if (auto s = m_shop.inventory().restock(db, productId, item.quantity, what.orderId,
                                                    what.sellerId, effects);
                !s)
                return s.error();
        }
        refund.amountCents += amount.cents;
        refund.coinsReturned += amount.coins;
    }
    // The refund that leaves no unit of the order unrefunded also pays back its shipping (the
    // order's row is locked above, so exactly one refund is the last).
    auto shipping = Checkout::refundShippingIfLast(db, what.orderId);
    if (!shipping)
        return shipping.error();
    refund.shippingRefundedCents = shipping.value();
    refund.amountCents += shipping.value();
    if (refund.coinsReturned > 0) {
        if (auto s = CoinLedger::append(db, customerId, refund.coinsReturned,
                                        QStringLiteral("refund"), what.orderId);
            !s)
            return s.error();
    }
    const qint64 now = Clock::nowMs();
    refund.id = what.refundRequestId.isEmpty() ? Ids::newId() : what.refundRequestId;
    refund.orderId = what.orderId;
    refund.sellerId = what.sellerId;
    refund.refundRequestId = what.refundRequestId;
    refund.reason = what.reason;
    refund.restock = what.restock;
    refund.items = items;
    refund.createdAt = now;
    auto r = execSql(db,
                     QStringLiteral("INSERT INTO refunds (id, order_id, seller_id, "
                                    "refund_request_id, reason, amount_cents, coins_returned, "
                                    "shipping_refunded_cents, restock, created_at) VALUES (?, ?, "
                                    "?, ?, ?, ?, ?, ?, ?, ?)"),
                     {refund.id, what.orderId, what.sellerId,
                      what.refundRequestId.isEmpty() ? QVariant() : QVariant(what.refundRequestId),
                      what.reason, refund.amountCents, refund.coinsReturned,
                      refund.shippingRefundedCents, what.restock ? 1 : 0, now});
    if (!r)
        return r.error();
    // The credit note is numbered as the refund is recorded (not when the money arrives), so
    // a refund rolled back gives its number back and the numbers stay gapless.
    auto creditNote
            = Invoices::issueCreditNoteNumber(db, refund.id, now, m_shop.settings().timeZone);
    if (!creditNote)
        return creditNote.error();
    refund.creditNoteNumber = creditNote.value();
    for (const RefundItem &item : std::as_const(items)) {
        auto ri = execSql(
                db,
                QStringLiteral("INSERT INTO refund_items (refund_id, order_item_id, "
                               "quantity, amount_cents, coins_returned) VALUES (?, ?, "
                               "?, ?, ?)"),
                {refund.id, item.orderItemId, item.quantity, item.amountCents, item.coinsReturned});
        if (!ri)
            return ri.error();
    }
    // The provider call happens after commit; this row is its claim ticket and idempotency key.
    const bool nothingToSend = refund.amountCents == 0;
    const QString sendId = Ids::newId();
    auto pr = execSql(
            db,
            QStringLiteral("INSERT INTO payment_refunds (id, order_id, refund_request_id, "
                           "refund_id, provider, amount_cents, state, attempts, next_attempt_at, "
                           "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)"),
            {sendId, what.orderId,
             what.refundRequestId.isEmpty() ? QVariant() : QVariant(what.refundRequestId),
             refund.id, provider, refund.amountCents,
             nothingToSend ? QStringLiteral("succeeded") : QStringLiteral("pending"),
             nothingToSend ? QVariant() : QVariant(now), now, now});
    if (!pr)
        return pr.error();
    refund.status = nothingToSend ? QStringLiteral("succeeded") : QStringLiteral("pending");
    if (!nothingToSend)
        *paymentRefundId = sendId;
    if (auto moved = Shipments::settle(db, what.orderId); !moved)
        return moved.error();
    return refund;
}

Result<RefundAmount> Refunds::preview(const QString &sellerId, const QString &id)
{
    const QSqlDatabase db = m_shop.database().connection();
    auto current = getForSeller(sellerId, id);
    if (!current)
        return current.error();
    if (current->status != QLatin1String("requested"))
        return makeError(
                ErrorCode::Conflict,
                QStringLiteral("this request was already decided (%1)").arg(current->status));
    auto state = lineState(db, current->orderItemId);
    if (!state)
        return state.error();
    return computeRefund(state->line, current->quantity);
}

Result<RefundRequest> Refunds::approve(const QString &sellerId, const QString &id,
                                       const QString &note, bool restockItems)
{
    QString paymentRefundId;
    {
        Transaction tx(m_shop.database());
        if (auto s = tx.begin(); !s)
            return s.error();
        const QSqlDatabase db = tx.db();
        auto current = lockUndecided(db, sellerId, id);
        if (!current)
            return current.error();
        const QString customerId = current->customerId;
        StockEffects stockEffects;
        auto refund = refundUnits(db,
                                  RefundOrder{current->orderId,
                                              sellerId,
                                              id,
                                              current->reason,
                                              restockItems,
                                              {{current->orderItemId, current->quantity, 0, 0}}},
                                  &stockEffects, &paymentRefundId);
        if (!refund)
            return refund.error();
        const RefundAmount amount{refund->amountCents, refund->coinsReturned};
        const bool nothingToSend = paymentRefundId.isEmpty();
        const qint64 now = Clock::nowMs();
        auto d = execSql(
                db,
                QStringLiteral("UPDATE refund_requests SET status = ?, note = ?, amount_cents = ?, "
                               "coins_returned = ?, restock = ?, decided_at = ?, updated_at = ? "
                               "WHERE id = ? AND status = 'requested'"),
                {nothingToSend ? QStringLiteral("refunded") : QStringLiteral("approved"), note,
                 amount.cents, amount.coins, restockItems ? 1 : 0, now, now, id});
        if (!d)
            return d.error();
        QList<PendingNotification> pendingNotes;
        const QString money = QStringLiteral("%1.%2 %3")
                                      .arg(amount.cents / 100)
                                      .arg(amount.cents % 100, 2, 10, QLatin1Char('0'))
                                      .arg(current->currency);
        QString body = QStringLiteral("Your refund of %1 × %2 was approved: %3")
                               .arg(current->quantity)
                               .arg(current->productName, money);
        if (amount.coins > 0)
            body += QStringLiteral(" and %1 coins").arg(amount.coins);
        if (!note.isEmpty())
            body += QStringLiteral(". ") + note;
        if (auto s
            = m_shop.notifier().add(db, customerId, QStringLiteral("refund.approved"),
                                    QStringLiteral("Refund approved"), body,
                                    QJsonObject{{QStringLiteral("refundRequestId"), id},
                                                {QStringLiteral("orderId"), current->orderId},
                                                {QStringLiteral("amountCents"), amount.cents},
                                                {QStringLiteral("coins"), amount.coins},
                                                {QStringLiteral("note"), note}},
                                    &pendingNotes);
            !s)
            return s.error();
        auto reference = orderReference(db, current->orderId);
        if (!reference)
            return reference.error();
        if (auto s = mailCustomer(db, customerId, QStringLiteral("Your refund was approved"),
                                  QStringLiteral("%1\n\nOrder: %2").arg(body, reference.value()));
            !s)
            return s.error();
        if (auto s = tx.commit(); !s)
            return s.error();
        m_shop.notifier().announce(pendingNotes);
        m_shop.inventory().announce(stockEffects);
        m_shop.mail().wake();
        Q_EMIT m_shop.events().refundChanged(id);
    }
    if (!paymentRefundId.isEmpty())
        send(paymentRefundId);
    return load(m_shop.database().connection(), QStringLiteral("WHERE r.id = ?"), {id});
}

void Refunds::send(const QString &paymentRefundId)
{
    const QSqlDatabase db = m_shop.database().connection();
    auto row = execSql(
            db,
            QStringLiteral(
                    "SELECT pr.state, pr.attempts, pr.provider, pr.amount_cents, pr.order_id, "
                    "pr.refund_request_id, o.payment_ref, o.currency, pr.next_attempt_at "
                    "FROM payment_refunds pr JOIN orders o ON o.id = pr.order_id WHERE pr.id = ?"),
            {paymentRefundId});
    if (!row || !row->next())
        return;
    const QString state = row->value(0).toString();
    const int attempts = row->value(1).toInt();
    const QString provider = row->value(2).toString();
    RefundCall call;
    call.refundId = paymentRefundId;
    call.amountCents = row->value(3).toLongLong();
    call.orderId = row->value(4).toString();
    const QString requestId = row->value(5).toString();
    call.paymentRef = row->value(6).toString();
    call.currency = row->value(7).toString();
    const qint64 now = Clock::nowMs();
    const bool leaseOver = state == QLatin1String("sending") && row->value(8).toLongLong() <= now;
    // Ends the read (and its SQLite snapshot) before the claim writes: an UPDATE on a snapshot
    // another connection has since written past fails at once with SQLITE_BUSY_SNAPSHOT.
    row->finish();
    if (state != QLatin1String("pending") && state != QLatin1String("retrying") && !leaseOver)
        return;

    // The claim: only one caller moves this exact (state, attempts) to `sending`.
    auto claim = execSql(
            db,
            QStringLiteral("UPDATE payment_refunds SET state = 'sending', attempts = attempts + 1, "
                           "next_attempt_at = ?, updated_at = ? WHERE id = ? AND state = ? "
                           "AND attempts = ?"),
            {now + kSendLeaseMs, now, paymentRefundId, state, attempts});
    if (!claim || claim->numRowsAffected() != 1)
        return;

    auto exec = executor(provider);
    RefundAttempt outcome;
    if (!exec)
        outcome = {RefundAttempt::Kind::Retry,
                   {},
                   QStringLiteral("no refund provider configured for '%1'").arg(provider)};
    else
        outcome = exec->refund(call);

    const int tried = attempts + 1;
    const qint64 done = Clock::nowMs();
    const bool again = outcome.kind == RefundAttempt::Kind::Retry && tried < kMaxAttempts;
    if (outcome.kind != RefundAttempt::Kind::Succeeded)
        qCWarning(lcRefunds) << "refund" << paymentRefundId << "attempt" << tried
                             << "failed:" << outcome.error
                             << (again ? "(will retry)" : "(giving up)");
    Transaction tx(m_shop.database());
    if (auto s = tx.begin(); !s)
        return; // the lease runs out and the sweep tries again
    if (auto s = settle(tx.db(), paymentRefundId, requestId, outcome,
                        again ? std::optional<qint64>(done + backoffMs(tried)) : std::nullopt,
                        QStringLiteral("'sending'"));
        !s || !s.value())
        return;
    if (tx.commit())
        Q_EMIT m_shop.events().refundChanged(requestId);
}

Result<RefundRequest> Refunds::retryRefund(const QString &sellerId, const QString &id)
{
    QString sendId;
    {
        Transaction tx(m_shop.database());
        if (auto s = tx.begin(); !s)
            return s.error();
        const QSqlDatabase db = tx.db();
        if (auto s = lockRow(db, QStringLiteral("refund_requests"), id); !s)
            return s.error();
        auto current
                = load(db, QStringLiteral("WHERE r.id = ? AND r.seller_id = ?"), {id, sellerId});
        if (!current)
            return current.error();
        if (current->status != QLatin1String("refund_failed"))
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("only a failed refund can be retried (this one is %1)")
                                     .arg(current->status));
        auto last
                = execSql(db,
                          QStringLiteral("SELECT id, state, order_id, provider, amount_cents FROM "
                                         "payment_refunds WHERE refund_request_id = ? "
                                         "ORDER BY created_at DESC, id DESC LIMIT 1"),
                          {id});
        if (!last)
            return last.error();
        if (!last->next())
            return makeError(ErrorCode::Conflict, QStringLiteral("nothing to retry"));
        const QString state = last->value(1).toString();
        const qint64 now = Clock::nowMs();
        if (state == QLatin1String("retrying")) {
            // Due now, with the same idempotency key.
            auto u = execSql(db,
                             QStringLiteral("UPDATE payment_refunds SET next_attempt_at = ?, "
                                            "updated_at = ? WHERE id = ? AND state = 'retrying'"),
                             {now, now, last->value(0)});
            if (!u)
                return u.error();
            sendId = last->value(0).toString();
        } else if (state == QLatin1String("failed")) {
            // The provider refused that call for good (and remembers its key): a new attempt.
            sendId = Ids::newId();
            auto pr = execSql(
                    db,
                    QStringLiteral("INSERT INTO payment_refunds (id, order_id, refund_request_id, "
                                   "provider, amount_cents, state, attempts, next_attempt_at, "
                                   "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, "
                                   "?, ?, ?)"),
                    {sendId, last->value(2), id, last->value(3), last->value(4), now, now, now});
            if (!pr)
                return pr.error();
        } else {
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("the refund is being sent; try again in a minute"));
        }
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    send(sendId);
    return load(m_shop.database().connection(), QStringLiteral("WHERE r.id = ?"), {id});
}

Result<int> Refunds::reconcileStripeCharge(const QJsonObject &charge)
{
    const QJsonArray refunds = charge.value(QStringLiteral("refunds"))
                                       .toObject()
                                       .value(QStringLiteral("data"))
                                       .toArray();
    int changed = 0;
    QStringList changedIds;
    Transaction tx(m_shop.database());
    if (auto s = tx.begin(); !s)
        return s.error();
    const QSqlDatabase db = tx.db();
    for (const QJsonValue &v : refunds) {
        const QJsonObject refund = v.toObject();
        const QString stripeId = refund.value(QStringLiteral("id")).toString();
        const QString ours = refund.value(QStringLiteral("metadata"))
                                     .toObject()
                                     .value(QStringLiteral("mercato_refund"))
                                     .toString();
        const QString status = refund.value(QStringLiteral("status")).toString();
        auto row = execSql(db,
                           QStringLiteral("SELECT id, refund_request_id FROM payment_refunds "
                                          "WHERE provider = 'stripe' AND refund_request_id IS "
                                          "NOT NULL AND (id = ? OR provider_ref = ?)"),
                           {ours, stripeId.isEmpty() ? QStringLiteral("-") : stripeId});
        if (!row)
            return row.error();
        if (!row->next())
            continue; // not a refund request's (a late payment's, or made in Stripe's dashboard)
        const QString paymentRefundId = row->value(0).toString();
        const QString requestId = row->value(1).toString();
        RefundAttempt outcome;
        QString fromStates;
        if (status == QLatin1String("succeeded")) {
            outcome = {RefundAttempt::Kind::Succeeded, stripeId, {}};
            fromStates = QStringLiteral("'pending', 'sending', 'retrying', 'failed'");
        } else if (status == QLatin1String("failed") || status == QLatin1String("canceled")) {
            const QString reason = refund.value(QStringLiteral("failure_reason")).toString();
            outcome = {RefundAttempt::Kind::Failed, stripeId,
                       QStringLiteral("Stripe reports the refund %1%2")
                               .arg(status,
                                    reason.isEmpty() ? QString() : QStringLiteral(": ") + reason)};
            fromStates = QStringLiteral("'pending', 'sending', 'retrying', 'succeeded'");
        } else {
            continue; // pending: the outcome comes later
        }
        auto settled = settle(db, paymentRefundId, requestId, outcome, std::nullopt, fromStates);
        if (!settled)
            return settled.error();
        if (settled.value()) {
            ++changed;
            changedIds.append(requestId);
        }
    }
    if (auto s = tx.commit(); !s)
        return s.error();
    for (const QString &id : std::as_const(changedIds))
        Q_EMIT m_shop.events().refundChanged(id);
    return changed;
}

int Refunds::retryDue()
{
    auto q = execSql(
            m_shop.database().connection(),
            QStringLiteral("SELECT id FROM payment_refunds WHERE state IN ('pending', 'retrying', "
                           "'sending') AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT 50"),
            {Clock::nowMs()});
    if (!q)
        return 0;
    QStringList ids;
    while (q->next())
        ids.append(q->value(0).toString());
    for (const QString &id : ids)
        send(id);
    return int(ids.size());
}

} // namespace Mercato
