#include "orders.h"

#include "catalog.h"
#include "clock.h"
#include "coinledger.h"
#include "cursor.h"
#include "discountcodes.h"
#include "ids.h"
#include "invoices.h"
#include "mailoutbox.h"
#include "preparedsql.h"
#include "sellermail.h"
#include "sellerrefunds.h"
#include "stocksale.h"
#include "storeowner.h"
#include "storeprofile.h"
#include "taxrates.h"

#include <QHash>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QSet>

#include <algorithm>

Q_LOGGING_CATEGORY(lcOrders, "mercato.checkout")

namespace Mercato {

namespace OrderStatus {
bool isKnown(const QString &status)
{
    return status == PendingPayment || status == Paid || status == PartiallyShipped
           || status == Shipped || status == Delivered || status == Cancelled;
}
} // namespace OrderStatus

qint64 Order::linesTotalCents() const
{
    qint64 sum = 0;
    for (const OrderLine &l : items)
        sum += l.lineTotalCents;
    return sum;
}

namespace {

QString money(qint64 cents, const QString &currency)
{
    return QStringLiteral("%1.%2 %3")
            .arg(cents / 100)
            .arg(cents % 100, 2, 10, QLatin1Char('0'))
            .arg(currency);
}

const QString kOrderColumns = QStringLiteral(
        "o.id, o.customer_id, u.display_name, o.status, o.subtotal_cents, o.discount_cents, "
        "o.coins_used, o.total_cents, o.currency, o.payment_provider, o.payment_state, "
        "o.payment_ref, o.expires_at, o.created_at, o.updated_at, o.number, "
        "o.shipping_address, o.shipping_option_id, o.shipping_name, o.shipping_cents, "
        "o.discount_code_id, o.discount_code, o.code_cents, o.tax_rate_milli, o.tax_cents, "
        "o.shipping_tax_cents, o.invoice_number");

Order orderFromRow(const QSqlQuery &q)
{
    Order o;
    o.id = q.value(0).toString();
    o.customerId = q.value(1).toString();
    o.customerName = q.value(2).toString();
    o.status = q.value(3).toString();
    o.subtotalCents = q.value(4).toLongLong();
    o.discountCents = q.value(5).toLongLong();
    o.coinsUsed = q.value(6).toLongLong();
    o.totalCents = q.value(7).toLongLong();
    o.currency = q.value(8).toString();
    o.paymentProvider = q.value(9).toString();
    o.paymentState = q.value(10).toString();
    o.paymentRef = q.value(11).toString();
    o.expiresAt = q.value(12).toLongLong();
    o.createdAt = q.value(13).toLongLong();
    o.updatedAt = q.value(14).toLongLong();
    o.number = q.value(15).toLongLong();
    if (const QString a = q.value(16).toString(); !a.isEmpty()) {
        if (auto address = addressFromJson(QJsonDocument::fromJson(a.toUtf8()).object()))
            o.shippingAddress = address.value();
    }
    o.shippingOptionId = q.value(17).toString();
    o.shippingName = q.value(18).toString();
    o.shippingCents = q.value(19).toLongLong();
    o.discountCodeId = q.value(20).toString();
    o.discountCode = q.value(21).toString();
    o.codeCents = q.value(22).toLongLong();
    o.taxRateMilli = q.value(23).toLongLong();
    o.taxCents = q.value(24).toLongLong();
    o.shippingTaxCents = q.value(25).toLongLong();
    o.invoiceNumber = q.value(26).toString();
    return o;
}

// Lines (all, or one seller's) and history of each order, in as few queries as the page.
Status fillDetails(const QSqlDatabase &db, Order &o, const QString &sellerId)
{
    auto lines = execSql(
            db,
            sellerId.isEmpty()
                    ? QStringLiteral(
                            "SELECT id, product_id, seller_id, name, unit_price_cents, quantity, "
                            "line_total_cents, discount_share_cents, refunded_quantity, "
                            "code_share_cents, tax_cents "
                            "FROM order_items WHERE order_id = ? ORDER BY product_id")
                    : QStringLiteral(
                            "SELECT id, product_id, seller_id, name, unit_price_cents, quantity, "
                            "line_total_cents, discount_share_cents, refunded_quantity, "
                            "code_share_cents, tax_cents "
                            "FROM order_items WHERE order_id = ? AND seller_id = ? ORDER BY "
                            "product_id"),
            sellerId.isEmpty() ? QVariantList{o.id} : QVariantList{o.id, sellerId});
    if (!lines)
        return lines.error();
    while (lines->next()) {
        OrderLine l;
        l.id = lines->value(0).toString();
        l.productId = lines->value(1).toString();
        l.sellerId = lines->value(2).toString();
        l.name = lines->value(3).toString();
        l.unitPriceCents = lines->value(4).toLongLong();
        l.quantity = lines->value(5).toInt();
        l.lineTotalCents = lines->value(6).toLongLong();
        l.discountShareCents = lines->value(7).toLongLong();
        l.refundedQuantity = lines->value(8).toInt();
        l.codeShareCents = lines->value(9).toLongLong();
        l.taxCents = lines->value(10).toLongLong();
        o.items.append(l);
    }
    auto hist = execSql(
            db,
            QStringLiteral(
                    "SELECT status, at FROM order_status_history WHERE order_id = ? ORDER BY id"),
            {o.id});
    if (!hist)
        return hist.error();
    while (hist->next())
        o.history.append({hist->value(0).toString(), hist->value(1).toLongLong()});
    hist->finish();
    auto shipments = Shipments::forOrder(db, o.id, sellerId);
    if (!shipments)
        return shipments.error();
    o.shipments = std::move(shipments.value());
    for (OrderLine &l : o.items) {
        for (const Shipment &s : std::as_const(o.shipments)) {
            for (const ShipmentItem &it : s.items)
                l.shippedQuantity += it.orderItemId == l.id ? it.quantity : 0;
        }
    }
    auto refunds = SellerRefunds::forOrder(db, o.id, sellerId);
    if (!refunds)
        return refunds.error();
    o.refunds = std::move(refunds.value());
    return Ok{};
}

QJsonObject orderData(const Order &o)
{
    return QJsonObject{{QStringLiteral("orderId"), o.id}, {QStringLiteral("status"), o.status}};
}

} // namespace

OrderService::OrderService(Database &database, const StoreSettings &settings, Notifier &notifier,
                           ModelEvents &events, PaymentGateway &gateway, Inventory &inventory,
                           Catalog &catalog)
    : m_database(database)
    , m_settings(settings)
    , m_notifier(notifier)
    , m_events(events)
    , m_gateway(gateway)
    , m_inventory(inventory)
    , m_catalog(catalog)
{}

Result<Order> OrderService::load(const QSqlDatabase &db, const QString &orderId)
{
    auto q = execSql(
            db,
            QStringLiteral("SELECT ") + kOrderColumns
                    + QStringLiteral(
                            " FROM orders o JOIN users u ON u.id = o.customer_id WHERE o.id = ?"),
            {orderId});
    if (!q)
        return q.error();
    if (!q->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such order"));
    Order o = orderFromRow(q.value());
    if (auto s = fillDetails(db, o, {}); !s)
        return s.error();
    return o;
}

Status OrderService::addHistory(const QSqlDatabase &db, const QString &orderId,
                                const QString &status)
{
    // Every way to paid (marked by a seller, Stripe's webhook, coins alone) passes here, in the
    // transaction that pays: the invoice gets its number with it.
    if (status == OrderStatus::Paid) {
        if (auto n = Invoices::issueNumber(db, orderId, Clock::nowMs(), m_settings.zone()); !n)
            return n.error();
    }
    auto q = execSql(
            db,
            QStringLiteral(
                    "INSERT INTO order_status_history (order_id, status, at) VALUES (?, ?, ?)"),
            {orderId, status, Clock::nowMs()});
    if (!q)
        return q.error();
    return Ok{};
}

Status OrderService::notifySellers(const QSqlDatabase &db, const Order &order, const QString &kind,
                                   const QString &title, const QString &body,
                                   QList<PendingNotification> *pending)
{
    QStringList sellers;
    for (const OrderLine &l : order.items) {
        if (!sellers.contains(l.sellerId))
            sellers.append(l.sellerId);
    }
    for (const QString &sellerId : sellers) {
        qint64 own = 0;
        for (const OrderLine &l : order.items) {
            if (l.sellerId == sellerId)
                own += l.lineTotalCents;
        }
        QJsonObject data = orderData(order);
        data.insert(QStringLiteral("sellerSubtotalCents"), own);
        if (auto s = m_notifier.add(db, sellerId, kind, title, body, data, pending); !s)
            return s;
        if (kind == QLatin1String("order.paid")) {
            if (auto s = SellerMail::sale(db, order, sellerId); !s)
                return s;
        }
    }
    return Ok{};
}

Result<Order> OrderService::placeOrder(const QString &customerId, qint64 coinsToUse,
                                       const ShippingChoice &shipping, const QString &discountCode)
{
    if (coinsToUse < 0)
        return Error::validation(QStringLiteral("coinsToUse"),
                                 QStringLiteral("coinsToUse must not be negative"));
    // On SQLite every checkout runs on the database's writer thread, one after another on one
    // connection whose pages stay cached (Database::runOnWriter); its effects are announced
    // here, on the caller's thread, once committed.
    Result<Order> placed = makeError(ErrorCode::Internal, QStringLiteral("checkout did not run"));
    StockEffects effects;
    m_database.runOnWriter([&] {
        placed = placeOrderInTransaction(customerId, coinsToUse, shipping, discountCode, &effects);
    });
    if (!placed)
        return placed;
    m_inventory.announce(effects);
    Q_EMIT m_events.orderChanged(placed->id, OrderStatus::PendingPayment);
    return placed;
}

Result<Order> OrderService::placeOrderInTransaction(const QString &customerId, qint64 coinsToUse,
                                                    const ShippingChoice &shippingChoice,
                                                    const QString &discountCode,
                                                    StockEffects *effectsOut)
{
    // The hot path of the shop: every statement is prepared once per connection
    // (execPrepared), nothing is read twice, and the answer is built from what was written.
    QSqlDatabase db = m_database.connection();
    Transaction tx(m_database);
    if (auto s = tx.begin(); !s)
        return s.error();
    const qint64 now = Clock::nowMs();
    // One checkout per customer at a time (its coins and cart): the row lock on PostgreSQL; on
    // SQLite the write lock does it, and a read writes no page to the WAL.
    QString customerName;
    {
        auto lock = execPrepared(
                db,
                m_database.engine() == Engine::Postgres
                        ? QStringLiteral("UPDATE users SET updated_at = updated_at WHERE id = ? "
                                         "RETURNING display_name")
                        : QStringLiteral("SELECT display_name FROM users WHERE id = ?"),
                {customerId});
        if (!lock)
            return lock.error();
        QSqlQuery &row = *lock.value();
        if (row.next())
            customerName = row.value(0).toString();
        row.finish();
    }
    // Where it goes and how: checked before any state conflict (422 before 409).
    auto shipping = Checkout::resolveShipping(db, customerId, shippingChoice, false);
    if (!shipping)
        return shipping.error();
    // The code, its row locked to the end of the transaction (as stock is), so `maxUses` holds
    // under concurrent checkouts; taken before any product row, as a cancel gives it back.
    std::optional<DiscountCode> code;
    if (!discountCode.isEmpty()) {
        auto found = DiscountCodes::forCheckout(db, m_database.engine(), discountCode, customerId,
                                                now, true);
        if (!found)
            return found.error();
        code = found.value();
    }
    // Unpaid orders hold stock: a customer may keep only a few of them at a time, and only so
    // many units of one product in them together. Read after the lock above, so concurrent
    // checkouts of one customer see each other's orders.
    QHash<QString, qint64> heldUnits;
    if (m_settings.maxUnpaidOrders > 0 || m_settings.maxHeldUnits > 0) {
        auto unpaid
                = execPrepared(db,
                               QStringLiteral("SELECT o.id, i.product_id, i.quantity FROM orders o "
                                              "JOIN order_items i ON i.order_id = o.id "
                                              "WHERE o.customer_id = ? AND o.status = ?"),
                               {customerId, OrderStatus::PendingPayment});
        if (!unpaid)
            return unpaid.error();
        QSqlQuery &row = *unpaid.value();
        QSet<QString> orders;
        while (row.next()) {
            orders.insert(row.value(0).toString());
            heldUnits[row.value(1).toString()] += row.value(2).toLongLong();
        }
        row.finish();
        const qint64 n = orders.size();
        if (m_settings.maxUnpaidOrders > 0 && n >= m_settings.maxUnpaidOrders)
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("%1 of your orders await payment; pay or cancel one "
                                            "before placing another")
                                     .arg(n));
    }
    // The cart, emptied by the same statement: if a line is short the transaction rolls back
    // and the cart is as it was.
    QList<QPair<QString, int>> wanted;
    {
        auto cartRows = execPrepared(
                db,
                QStringLiteral(
                        "DELETE FROM cart_items WHERE user_id = ? RETURNING product_id, quantity"),
                {customerId});
        if (!cartRows)
            return cartRows.error();
        QSqlQuery &rows = *cartRows.value();
        while (rows.next())
            wanted.append({rows.value(0).toString(), rows.value(1).toInt()});
        rows.finish();
    }
    if (wanted.isEmpty())
        return makeError(ErrorCode::Conflict, QStringLiteral("the cart is empty"));
    if (m_settings.maxHeldUnits > 0) {
        for (const auto &[productId, quantity] : std::as_const(wanted)) {
            const qint64 held = heldUnits.value(productId);
            if (held + quantity > m_settings.maxHeldUnits) {
                const QString message
                        = QStringLiteral("your unpaid orders hold %1 of this product already; "
                                         "at most %2 may wait for payment at once")
                                  .arg(held)
                                  .arg(m_settings.maxHeldUnits);
                return Error{ErrorCode::Conflict,
                             message,
                             {{QStringLiteral("items.%1").arg(productId), message}}};
            }
        }
    }
    // Product-id order: concurrent checkouts take row locks in one order (no deadlocks).
    std::sort(wanted.begin(), wanted.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });

    const QString orderId = Ids::newId();
    StockEffects effects;
    QList<FieldError> shortLines;
    QList<OrderLine> lines;
    QList<QuoteLine> totals;
    lines.reserve(wanted.size());
    totals.reserve(wanted.size());
    // Each line: conditional update of the stock (returning the name and price frozen on the
    // line), its ledger row and the low-stock rule.
    for (const auto &[productId, quantity] : wanted) {
        auto sold = StockSale::take(db, m_notifier, productId, quantity, orderId, customerId,
                                    &effects);
        if (sold) {
            OrderLine l;
            l.id = Ids::newId();
            l.productId = productId;
            l.sellerId = sold->sellerId;
            l.name = sold->name;
            l.unitPriceCents = sold->priceCents;
            l.quantity = quantity;
            l.lineTotalCents = l.unitPriceCents * quantity;
            lines.append(l);
            totals.append({l.sellerId, l.lineTotalCents});
            continue;
        }
        if (sold.error().code != ErrorCode::Conflict)
            return sold.error();
        auto p = execSql(db,
                         QStringLiteral("SELECT p.name, p.stock, COALESCE(p.deleted_at, "
                                        "u.suspended_at) FROM products p JOIN users u ON "
                                        "u.id = p.seller_id WHERE p.id = ?"),
                         {productId});
        if (!p)
            return p.error();
        const bool live = p->next() && p->value(2).isNull();
        const QString message = live ? QStringLiteral("%1: %2 requested, %3 in stock")
                                                .arg(p->value(0).toString())
                                                .arg(quantity)
                                                .arg(p->value(1).toLongLong())
                                     : QStringLiteral("is no longer sold");
        shortLines.append({QStringLiteral("items.") + productId, message});
    }
    if (!shortLines.isEmpty()) {
        QStringList parts;
        for (const FieldError &f : shortLines)
            parts.append(f.message);
        return Error{ErrorCode::Conflict,
                     QStringLiteral("not enough stock for %1 line(s): %2")
                             .arg(shortLines.size())
                             .arg(parts.join(QStringLiteral("; "))),
                     shortLines};
    }

    Order order;
    qint64 balance = 0;
    if (coinsToUse > 0) { // no coins asked for: none are held, the balance does not matter
        auto b = CoinLedger::balance(db, customerId);
        if (!b)
            return b.error();
        balance = b.value();
    }
    auto rates = TaxRates::load(db);
    if (!rates)
        return rates.error();
    auto priced = Checkout::quote(totals, code, shipping.value(), coinsToUse, balance,
                                  rates->rateFor(shipping->country), m_settings);
    if (!priced)
        return priced.error();
    const Quote &quote = priced.value();
    const Pricing &price = quote.pricing;
    if (code) {
        if (auto s = DiscountCodes::holdUse(db, code->id); !s)
            return s.error();
        order.discountCodeId = code->id;
        order.discountCode = code->code;
        order.codeCents = price.codeCents;
    }
    auto number = Checkout::nextOrderNumber(db, m_database.engine());
    if (!number)
        return number.error();
    auto currency = StoreProfiles::currency(db, m_settings.configuredCurrency());
    if (!currency)
        return currency.error();
    const qint64 expiresAt = now + qint64(m_settings.pendingOrderTtlMinutes) * 60'000;
    order.id = orderId;
    order.customerId = customerId;
    order.customerName = customerName;
    order.status = OrderStatus::PendingPayment;
    order.subtotalCents = price.subtotalCents;
    order.discountCents = price.discountCents;
    order.coinsUsed = price.coinsUsed;
    order.totalCents = quote.totalCents;
    order.currency = currency.value();
    order.number = number.value();
    if (!quote.shipping.none) {
        order.shippingAddress = quote.shipping.address;
        order.shippingOptionId = quote.shipping.option.id;
        order.shippingName = quote.shipping.option.name;
        order.shippingCents = quote.shippingCents;
    }
    order.taxRateMilli = quote.taxRateMilli;
    order.taxCents = quote.taxCents;
    order.shippingTaxCents = quote.shippingTaxCents;
    order.paymentProvider = m_gateway.provider();
    order.paymentState = QStringLiteral("not_started");
    order.expiresAt = expiresAt;
    order.createdAt = now;
    order.updatedAt = now;
    auto ins = execPrepared(
            db,
            QStringLiteral(
                    "INSERT INTO orders (id, customer_id, status, subtotal_cents, discount_cents, "
                    "coins_used, total_cents, currency, payment_provider, payment_state, "
                    "payment_ref, expires_at, created_at, updated_at, number, shipping_address, "
                    "shipping_option_id, shipping_name, shipping_cents, discount_code_id, "
                    "discount_code, code_cents, tax_rate_milli, tax_cents, shipping_tax_cents) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    "?, ?, ?)"),
            {orderId,
             customerId,
             order.status,
             order.subtotalCents,
             order.discountCents,
             order.coinsUsed,
             order.totalCents,
             order.currency,
             order.paymentProvider,
             order.paymentState,
             expiresAt,
             now,
             now,
             order.number,
             order.shippingAddress ? QVariant(QString::fromUtf8(
                     QJsonDocument(order.shippingAddress->toJson()).toJson(QJsonDocument::Compact)))
                                   : QVariant(),
             order.shippingOptionId.isEmpty() ? QVariant() : QVariant(order.shippingOptionId),
             order.shippingName.isEmpty() ? QVariant() : QVariant(order.shippingName),
             order.shippingCents,
             order.discountCodeId.isEmpty() ? QVariant() : QVariant(order.discountCodeId),
             order.discountCode.isEmpty() ? QVariant() : QVariant(order.discountCode),
             order.codeCents,
             order.taxRateMilli,
             order.taxCents,
             order.shippingTaxCents});
    if (!ins)
        return ins.error();
    for (int i = 0; i < lines.size(); ++i) {
        OrderLine &l = lines[i];
        l.discountShareCents = price.discountShares[i];
        l.codeShareCents = price.codeShares[i];
        l.taxCents = quote.lineTaxCents[i];
        auto li = execPrepared(
                db,
                QStringLiteral(
                        "INSERT INTO order_items (id, order_id, product_id, seller_id, name, "
                        "unit_price_cents, quantity, line_total_cents, discount_share_cents, "
                        "code_share_cents, tax_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                {l.id, orderId, l.productId, l.sellerId, l.name, l.unitPriceCents, l.quantity,
                 l.lineTotalCents, l.discountShareCents, l.codeShareCents, l.taxCents});
        if (!li)
            return li.error();
    }
    order.items = std::move(lines);
    if (auto s = CoinLedger::append(db, customerId, -price.coinsUsed, QStringLiteral("order.hold"),
                                    orderId);
        !s)
        return s.error();
    auto history = execPrepared(
            db,
            QStringLiteral(
                    "INSERT INTO order_status_history (order_id, status, at) VALUES (?, ?, ?)"),
            {orderId, order.status, now});
    if (!history)
        return history.error();
    order.history.append({order.status, now});
    if (m_placedHook) {
        if (auto s = m_placedHook(db, order); !s)
            return s.error();
    }
    if (auto s = tx.commit(); !s)
        return s.error();
    *effectsOut = std::move(effects);
    return order;
}

Result<Quote> OrderService::quoteCart(const QString &customerId, const QList<QuoteLine> &lines,
                                      const ShippingChoice &shipping, qint64 coinsToUse,
                                      const QString &discountCode)
{
    if (coinsToUse < 0)
        return Error::validation(QStringLiteral("coinsToUse"),
                                 QStringLiteral("coinsToUse must not be negative"));
    QSqlDatabase db = m_database.connection();
    auto resolved = Checkout::resolveShipping(db, customerId, shipping, true);
    if (!resolved)
        return resolved.error();
    std::optional<DiscountCode> code;
    if (!discountCode.isEmpty()) {
        auto found = DiscountCodes::forCheckout(db, m_database.engine(), discountCode, customerId,
                                                Clock::nowMs(), false);
        if (!found)
            return found.error();
        code = found.value();
    }
    qint64 balance = 0;
    if (coinsToUse > 0) {
        auto b = CoinLedger::balance(db, customerId);
        if (!b)
            return b.error();
        balance = b.value();
    }
    auto rates = TaxRates::load(db);
    if (!rates)
        return rates.error();
    return Checkout::quote(lines, code, resolved.value(), coinsToUse, balance,
                           rates->rateFor(resolved->country), m_settings);
}

Result<Order> OrderService::order(const QString &customerId, const QString &orderId)
{
    auto o = load(m_database.connection(), orderId);
    if (!o)
        return o.error();
    if (o->customerId != customerId)
        return makeError(ErrorCode::NotFound, QStringLiteral("no such order"));
    return o;
}

Result<OrderPage> OrderService::orders(const QString &customerId, int limit, const QString &cursor)
{
    const QString scope = QStringLiteral("orders:") + customerId;
    QString sql = QStringLiteral("SELECT ") + kOrderColumns
                  + QStringLiteral(" FROM orders o JOIN users u ON u.id = o.customer_id WHERE "
                                   "o.customer_id = ?");
    QVariantList binds{customerId};
    if (!cursor.isEmpty()) {
        const auto after = Cursor::decode(scope, cursor);
        if (!after || after->size() != 2)
            return Error{ErrorCode::BadRequest,
                         QStringLiteral("cursor is not valid"),
                         {{QStringLiteral("cursor"), QStringLiteral("cursor is not valid")}}};
        sql += QStringLiteral(" AND (o.created_at < ? OR (o.created_at = ? AND o.id < ?))");
        binds << after->at(0).toLongLong() << after->at(0).toLongLong() << after->at(1).toString();
    }
    sql += QStringLiteral(" ORDER BY o.created_at DESC, o.id DESC LIMIT ?");
    binds << limit + 1;
    QSqlDatabase db = m_database.connection();
    auto q = execSql(db, sql, binds);
    if (!q)
        return q.error();
    OrderPage page;
    while (q->next())
        page.items.append(orderFromRow(q.value()));
    if (page.items.size() > limit) {
        page.items.resize(limit);
        const Order &last = page.items.last();
        page.nextCursor = Cursor::encode(scope, {last.createdAt, last.id});
    }
    for (Order &o : page.items) {
        if (auto s = fillDetails(db, o, {}); !s)
            return s.error();
    }
    return page;
}

Status OrderService::releaseOrder(const QSqlDatabase &db, const Order &order, const QString &reason,
                                  StockEffects *effects)
{
    // The code's use first (its row before any product's, as checkout takes them).
    if (!order.discountCodeId.isEmpty()) {
        if (auto s = DiscountCodes::releaseUse(db, order.discountCodeId); !s)
            return s;
    }
    QList<OrderLine> lines = order.items;
    std::sort(lines.begin(), lines.end(),
              [](const OrderLine &a, const OrderLine &b) { return a.productId < b.productId; });
    for (const OrderLine &l : lines) {
        if (auto s = m_inventory.release(db, l.productId, l.quantity, order.id, order.customerId,
                                         reason, effects);
            !s)
            return s;
    }
    if (order.coinsUsed > 0) {
        if (auto s = CoinLedger::append(db, order.customerId, order.coinsUsed,
                                        QStringLiteral("order.release"), order.id);
            !s)
            return s;
    }
    return Ok{};
}

Result<Order> OrderService::cancel(const QString &customerId, const QString &orderId)
{
    QSqlDatabase db = m_database.connection();
    StockEffects effects;
    {
        Transaction tx(m_database);
        if (auto s = tx.begin(); !s)
            return s.error();
        auto o = load(db, orderId);
        if (!o || o->customerId != customerId)
            return o ? makeError(ErrorCode::NotFound, QStringLiteral("no such order")) : o.error();
        auto u = execSql(
                db,
                QStringLiteral(
                        "UPDATE orders SET status = ?, updated_at = ? WHERE id = ? AND status = ?"),
                {OrderStatus::Cancelled, Clock::nowMs(), orderId, OrderStatus::PendingPayment});
        if (!u)
            return u.error();
        if (u->numRowsAffected() != 1)
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("only an order awaiting payment can be cancelled"));
        if (auto s = releaseOrder(db, o.value(), StockReason::Cancel, &effects); !s)
            return s.error();
        if (auto s = addHistory(db, orderId, OrderStatus::Cancelled); !s)
            return s.error();
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    m_inventory.announce(effects);
    Q_EMIT m_events.orderChanged(orderId, OrderStatus::Cancelled);
    return order(customerId, orderId);
}

Result<Order> OrderService::sellerCancelUnpaid(const QString &sellerId, const QString &orderId,
                                               const QString &reason)
{
    QSqlDatabase db = m_database.connection();
    StockEffects effects;
    {
        Transaction tx(m_database);
        if (auto s = tx.begin(); !s)
            return s.error();
        auto o = load(db, orderId);
        if (!o)
            return o.error();
        qsizetype own = 0;
        for (const OrderLine &l : o->items)
            own += l.sellerId == sellerId ? 1 : 0;
        if (own == 0)
            return makeError(ErrorCode::NotFound, QStringLiteral("no such order"));
        if (own != o->items.size())
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("an unpaid order is cancelled by its customer, or by "
                                            "a seller holding every line of it"));
        auto u = execSql(
                db,
                QStringLiteral(
                        "UPDATE orders SET status = ?, updated_at = ? WHERE id = ? AND status = ?"),
                {OrderStatus::Cancelled, Clock::nowMs(), orderId, OrderStatus::PendingPayment});
        if (!u)
            return u.error();
        if (u->numRowsAffected() != 1)
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("the order is no longer awaiting payment"));
        if (auto s = releaseOrder(db, o.value(), StockReason::Cancel, &effects); !s)
            return s.error();
        if (auto s = addHistory(db, orderId, OrderStatus::Cancelled); !s)
            return s.error();
        o->status = OrderStatus::Cancelled;
        QJsonObject data = orderData(o.value());
        data.insert(QStringLiteral("reason"), reason);
        if (auto s = m_notifier.add(db, o->customerId, QStringLiteral("order.cancelled"),
                                    QStringLiteral("Order cancelled"),
                                    QStringLiteral("The seller cancelled your order %1: %2")
                                            .arg(orderReference(o->number, orderId), reason),
                                    data, &effects.notifications);
            !s)
            return s.error();
        if (auto s = mailCustomer(db, o->customerId,
                                  QStringLiteral("Your order was cancelled by the seller"),
                                  QStringLiteral("the seller cancelled your order %1, which was "
                                                 "not paid yet: %2\n\nNothing was charged, and "
                                                 "any coins held for it are back in your balance.")
                                          .arg(orderReference(o->number, orderId), reason));
            !s)
            return s.error();
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    m_inventory.announce(effects);
    Q_EMIT m_events.orderChanged(orderId, OrderStatus::Cancelled);
    return sellerOrder(sellerId, orderId);
}

Result<CheckoutAnswer> OrderService::checkout(const QString &customerId, const QString &orderId)
{
    auto o = order(customerId, orderId);
    if (!o)
        return o.error();
    if (o->status != OrderStatus::PendingPayment)
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("the order is %1, not awaiting payment").arg(o->status));
    QSqlDatabase db = m_database.connection();
    if (o->totalCents == 0) {
        // Paid in full with coins: nothing to collect.
        QList<PendingNotification> pending;
        Transaction tx(m_database);
        if (auto s = tx.begin(); !s)
            return s.error();
        auto u = execSql(
                db,
                QStringLiteral(
                        "UPDATE orders SET status = ?, payment_provider = 'coins', payment_state = "
                        "'succeeded', updated_at = ? WHERE id = ? AND status = ?"),
                {OrderStatus::Paid, Clock::nowMs(), orderId, OrderStatus::PendingPayment});
        if (!u)
            return u.error();
        if (u->numRowsAffected() != 1)
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("the order is no longer awaiting payment"));
        if (auto s = addHistory(db, orderId, OrderStatus::Paid); !s)
            return s.error();
        if (auto s = CoinLedger::recordSpend(db, o->customerId, orderId, o->coinsUsed); !s)
            return s.error();
        if (auto s = notifySellers(db, o.value(), QStringLiteral("order.paid"),
                                   QStringLiteral("Order paid"),
                                   QStringLiteral("Order %1 was paid.").arg(orderId), &pending);
            !s)
            return s.error();
        if (auto s = tx.commit(); !s)
            return s.error();
        m_notifier.announce(pending);
        Q_EMIT m_events.orderChanged(orderId, OrderStatus::Paid);
        PaymentStart start;
        start.provider = QStringLiteral("coins");
        start.state = QStringLiteral("succeeded");
        start.instructions = QStringLiteral("Nothing to pay: the order was paid with coins.");
        auto after = order(customerId, orderId);
        if (!after)
            return after.error();
        return CheckoutAnswer{start, after.value()};
    }
    PaymentRequest req;
    req.orderId = orderId;
    req.amountCents = o->totalCents;
    req.currency = o->currency;
    if (o->paymentProvider == m_gateway.provider())
        req.existingRef = o->paymentRef;
    req.idempotencyKey = QStringLiteral("mercato-order-%1-%2").arg(orderId).arg(o->totalCents);
    if (o->number > 0)
        req.reference = QStringLiteral("#%1").arg(o->number);
    auto start = m_gateway.start(req);
    if (!start)
        return start.error();
    if (start->provider == QLatin1String("manual")) {
        // The owner's bank details and terms, when given, replace the default text.
        auto profile = StoreProfiles::load(db);
        if (!profile)
            return profile.error();
        if (!profile->paymentInstructions.isEmpty())
            start->instructions = profile->paymentInstructions;
    }
    {
        Transaction tx(m_database);
        if (auto s = tx.begin(); !s)
            return s.error();
        auto u = execSql(
                db,
                QStringLiteral("UPDATE orders SET payment_provider = ?, payment_state = ?, "
                               "payment_ref = COALESCE(?, payment_ref), updated_at = ? "
                               "WHERE id = ? AND status = ?"),
                {start->provider, start->state,
                 start->paymentRef.isEmpty() ? QVariant() : QVariant(start->paymentRef),
                 Clock::nowMs(), orderId, OrderStatus::PendingPayment});
        if (!u)
            return u.error();
        if (u->numRowsAffected() != 1)
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("the order is no longer awaiting payment"));
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    auto after = order(customerId, orderId);
    if (!after)
        return after.error();
    return CheckoutAnswer{start.value(), after.value()};
}

Result<OrderPage> OrderService::sellerOrders(const QString &sellerId,
                                             const SellerOrderFilter &filter)
{
    const QString scope = QStringLiteral("seller-orders:") + sellerId;
    QString sql = QStringLiteral("SELECT ") + kOrderColumns
                  + QStringLiteral(" FROM orders o JOIN users u ON u.id = o.customer_id WHERE "
                                   "EXISTS (SELECT 1 FROM "
                                   "order_items i WHERE i.order_id = o.id AND i.seller_id = ?)");
    QVariantList binds{sellerId};
    if (!filter.status.isEmpty()) {
        sql += QStringLiteral(" AND o.status = ?");
        binds << filter.status;
    }
    if (filter.fromMs) {
        sql += QStringLiteral(" AND o.created_at >= ?");
        binds << *filter.fromMs;
    }
    if (filter.toMs) {
        sql += QStringLiteral(" AND o.created_at < ?");
        binds << *filter.toMs;
    }
    if (!filter.cursor.isEmpty()) {
        const auto after = Cursor::decode(scope, filter.cursor);
        if (!after || after->size() != 2)
            return Error{ErrorCode::BadRequest,
                         QStringLiteral("cursor is not valid"),
                         {{QStringLiteral("cursor"), QStringLiteral("cursor is not valid")}}};
        sql += QStringLiteral(" AND (o.created_at < ? OR (o.created_at = ? AND o.id < ?))");
        binds << after->at(0).toLongLong() << after->at(0).toLongLong() << after->at(1).toString();
    }
    sql += QStringLiteral(" ORDER BY o.created_at DESC, o.id DESC LIMIT ?");
    binds << filter.limit + 1;
    QSqlDatabase db = m_database.connection();
    auto q = execSql(db, sql, binds);
    if (!q)
        return q.error();
    OrderPage page;
    while (q->next())
        page.items.append(orderFromRow(q.value()));
    if (page.items.size() > filter.limit) {
        page.items.resize(filter.limit);
        const Order &last = page.items.last();
        page.nextCursor = Cursor::encode(scope, {last.createdAt, last.id});
    }
    for (Order &o : page.items) {
        if (auto s = fillDetails(db, o, sellerId); !s)
            return s.error();
    }
    return page;
}

Result<Order> OrderService::sellerOrder(const QString &sellerId, const QString &orderId)
{
    QSqlDatabase db = m_database.connection();
    auto q = execSql(
            db,
            QStringLiteral("SELECT ") + kOrderColumns
                    + QStringLiteral(
                            " FROM orders o JOIN users u ON u.id = o.customer_id WHERE o.id = ?"),
            {orderId});
    if (!q)
        return q.error();
    if (!q->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such order"));
    Order o = orderFromRow(q.value());
    if (auto s = fillDetails(db, o, sellerId); !s)
        return s.error();
    if (o.items.isEmpty())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such order"));
    return o;
}

Result<Order> OrderService::invoicedOrder(const QString &userId, const QString &role,
                                          const QString &orderId)
{
    QSqlDatabase db = m_database.connection();
    auto o = load(db, orderId);
    if (!o)
        return o.error();
    if (role == QLatin1String("seller")) {
        auto owner = StoreOwner::isOwner(db, userId);
        if (!owner)
            return owner.error();
        const bool holdsLine
                = std::any_of(o->items.cbegin(), o->items.cend(),
                              [&](const OrderLine &l) { return l.sellerId == userId; });
        if (!owner.value() && !holdsLine)
            return makeError(ErrorCode::NotFound, QStringLiteral("no such order"));
    } else if (o->customerId != userId) {
        return makeError(ErrorCode::NotFound, QStringLiteral("no such order"));
    }
    if (o->invoiceNumber.isEmpty())
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("the order has no invoice until it is paid"));
    return o;
}

Result<Order> OrderService::sellerMove(const QString &sellerId, const QString &orderId,
                                       SellerAction action)
{
    if (action != SellerAction::MarkPaid) {
        // Fulfilment is by shipments of the caller's own units (shipments.h).
        Shipments shipments(m_database, m_notifier, m_events);
        if (action == SellerAction::Ship) {
            if (auto s = shipments.ship(sellerId, orderId, NewShipment{}); !s)
                return s.error();
        } else if (auto s = shipments.deliverAll(sellerId, orderId); !s) {
            return s.error();
        }
        return sellerOrder(sellerId, orderId);
    }
    QSqlDatabase db = m_database.connection();
    QList<PendingNotification> pending;
    QString to; // the order's state after the move (unchanged when other lines wait)
    bool owner = false;
    {
        Transaction tx(m_database);
        if (auto s = tx.begin(); !s)
            return s.error();
        auto o = load(db, orderId);
        if (!o)
            return o.error();
        auto isOwner = StoreOwner::isOwner(db, sellerId);
        if (!isOwner)
            return isOwner.error();
        owner = isOwner.value();
        int own = 0;
        for (const OrderLine &l : o->items)
            own += l.sellerId == sellerId ? 1 : 0;
        if (own == 0 && !owner)
            return makeError(ErrorCode::NotFound, QStringLiteral("no such order"));
        // Payment is the whole order's: only the owner, or a seller holding every line, may
        // say it arrived. Fulfilment is per seller: each ships and delivers its own lines.
        if (!owner && own != o->items.size())
            return makeError(ErrorCode::Forbidden,
                             QStringLiteral("only the store owner, or a seller holding every "
                                            "line of the order, can mark it paid"));
        if (o->paymentProvider != QLatin1String("manual")
            && o->status == OrderStatus::PendingPayment)
            return makeError(
                    ErrorCode::Conflict,
                    QStringLiteral(
                            "the order is paid through %1; it is marked paid when the provider "
                            "confirms the payment")
                            .arg(o->paymentProvider));
        const qint64 now = Clock::nowMs();
        // The order's row first, guarded by its state: concurrent moves of one order take turns.
        auto lock = execSql(
                db, QStringLiteral("UPDATE orders SET updated_at = ? WHERE id = ? AND status = ?"),
                {now, orderId, OrderStatus::PendingPayment});
        if (!lock)
            return lock.error();
        const QString wanted = OrderStatus::Paid;
        const Error offEdge = makeError(
                ErrorCode::Conflict,
                QStringLiteral("the order is %1; it cannot move to %2").arg(o->status, wanted));
        if (lock->numRowsAffected() != 1)
            return offEdge;
        auto u = execSql(db,
                         QStringLiteral("UPDATE orders SET status = ?, payment_state = "
                                        "'succeeded' WHERE id = ?"),
                         {OrderStatus::Paid, orderId});
        if (!u)
            return u.error();
        to = OrderStatus::Paid;
        if (to != o->status) {
            if (auto s = addHistory(db, orderId, to); !s)
                return s.error();
        }
        o->status = to;
        Status n = CoinLedger::recordSpend(db, o->customerId, orderId, o->coinsUsed);
        if (!n)
            return n.error();
        n = notifySellers(db, o.value(), QStringLiteral("order.paid"), QStringLiteral("Order paid"),
                          QStringLiteral("Order %1 was paid (%2).")
                                  .arg(orderId, money(o->totalCents, o->currency)),
                          &pending);
        if (!n)
            return n.error();
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    m_notifier.announce(pending);
    Q_EMIT m_events.orderChanged(orderId, to);
    auto after = sellerOrder(sellerId, orderId);
    if (!after && owner
        && after.error().code == ErrorCode::NotFound) // the owner, no line of its own
        return load(db, orderId);
    return after;
}

Result<int> OrderService::expireDue()
{
    QSqlDatabase db = m_database.connection();
    const qint64 now = Clock::nowMs();
    auto q = execSql(db,
                     QStringLiteral("SELECT id FROM orders WHERE status = ? AND expires_at <= ? "
                                    "ORDER BY expires_at LIMIT 500"),
                     {OrderStatus::PendingPayment, now});
    if (!q)
        return q.error();
    QStringList due;
    while (q->next())
        due.append(q->value(0).toString());
    int expired = 0;
    for (const QString &orderId : due) {
        StockEffects effects;
        Transaction tx(m_database);
        if (auto s = tx.begin(); !s)
            return s.error();
        if (m_database.engine() == Engine::Postgres) {
            // Another process expiring this order right now holds its row: skip it rather
            // than wait for its commit only to find the order already cancelled.
            auto mine = execSql(db,
                                QStringLiteral("SELECT id FROM orders WHERE id = ? AND status = ? "
                                               "FOR UPDATE SKIP LOCKED"),
                                {orderId, OrderStatus::PendingPayment});
            if (!mine)
                return mine.error();
            const bool locked = mine->next();
            mine->finish();
            if (!locked)
                continue;
        }
        // The conditional update decides which process expires the order (exactly one).
        auto u = execSql(db,
                         QStringLiteral("UPDATE orders SET status = ?, updated_at = ? "
                                        "WHERE id = ? AND status = ? AND expires_at <= ?"),
                         {OrderStatus::Cancelled, Clock::nowMs(), orderId,
                          OrderStatus::PendingPayment, now});
        if (!u)
            return u.error();
        if (u->numRowsAffected() != 1)
            continue;
        auto o = load(db, orderId);
        if (!o)
            return o.error();
        if (auto s = releaseOrder(db, o.value(), StockReason::Expire, &effects); !s)
            return s.error();
        if (auto s = addHistory(db, orderId, OrderStatus::Cancelled); !s)
            return s.error();
        if (auto s
            = m_notifier.add(db, o->customerId, QStringLiteral("order.expired"),
                             QStringLiteral("Order expired"),
                             QStringLiteral("Order %1 was not paid in time and has been cancelled.")
                                     .arg(orderId),
                             orderData(o.value()), &effects.notifications);
            !s)
            return s.error();
        if (auto s = tx.commit(); !s)
            return s.error();
        m_inventory.announce(effects);
        Q_EMIT m_events.orderChanged(orderId, OrderStatus::Cancelled);
        ++expired;
    }
    if (expired > 0)
        qCInfo(lcOrders) << "expired" << expired << "unpaid order(s)";
    return expired;
}

Result<QList<QPair<QString, qint64>>> OrderService::countByStatus()
{
    auto q = execSql(m_database.connection(),
                     QStringLiteral("SELECT status, COUNT(*) FROM orders GROUP BY status"));
    if (!q)
        return q.error();
    QList<QPair<QString, qint64>> out;
    while (q->next())
        out.append({q->value(0).toString(), q->value(1).toLongLong()});
    return out;
}

// ---- Stripe events and refunds of late payments -----------------------------------------

Result<QString> OrderService::recordLatePayment(const QSqlDatabase &db, const Order &order,
                                                const QString &paymentRef, qint64 amount)
{
    // Until the provider takes it, provider_ref holds the payment to refund; then the refund's id.
    // `late_*` states keep these rows (no refund request behind them) apart from after-sales'.
    const QString refundId = Ids::newId();
    const qint64 now = Clock::nowMs();
    auto ins = execSql(
            db,
            QStringLiteral(
                    "INSERT INTO payment_refunds (id, order_id, refund_request_id, provider, "
                    "provider_ref, amount_cents, state, attempts, next_attempt_at, last_error, "
                    "created_at, updated_at) VALUES (?, ?, NULL, ?, ?, ?, 'late_pending', 0, ?, "
                    "NULL, ?, ?)"),
            {refundId, order.id, m_gateway.provider(), paymentRef, amount, now, now, now});
    if (!ins)
        return ins.error();
    if (order.paymentRef.isEmpty() || order.status == OrderStatus::Cancelled) {
        auto u = execSql(
                db,
                QStringLiteral(
                        "UPDATE orders SET payment_state = 'refund_pending', payment_ref = ?, "
                        "updated_at = ? WHERE id = ?"),
                {paymentRef, now, order.id});
        if (!u)
            return u.error();
    }
    return refundId;
}

Status OrderService::issueRefund(const QString &refundId)
{
    QSqlDatabase db = m_database.connection();
    auto q = execSql(
            db,
            QStringLiteral(
                    "SELECT order_id, provider_ref, amount_cents, attempts FROM payment_refunds "
                    "WHERE id = ? AND refund_request_id IS NULL AND state IN ('late_pending', "
                    "'late_retrying')"),
            {refundId});
    if (!q)
        return q.error();
    if (!q->next())
        return Ok{};
    const QString orderId = q->value(0).toString();
    const QString paymentRef = q->value(1).toString();
    const qint64 amount = q->value(2).toLongLong();
    const int attempts = q->value(3).toInt();
    q->finish(); // the read ends before the claim writes
    // The claim: one process at a time calls the provider for this refund; the lease lapses
    // if it dies mid-call, and the retry reuses the idempotency key, so it refunds once.
    constexpr qint64 kLeaseMs = 5 * 60'000;
    const qint64 claimedAt = Clock::nowMs();
    auto claim = execSql(db,
                         QStringLiteral("UPDATE payment_refunds SET next_attempt_at = ? WHERE id "
                                        "= ? AND state IN ('late_pending', 'late_retrying') AND "
                                        "next_attempt_at <= ?"),
                         {claimedAt + kLeaseMs, refundId, claimedAt});
    if (!claim)
        return claim.error();
    if (claim->numRowsAffected() != 1)
        return Ok{}; // another process holds it, or its next try is later
    auto outcome
            = m_gateway.refund(paymentRef, amount, QStringLiteral("mercato-refund-") + refundId);
    const qint64 now = Clock::nowMs();
    if (!outcome) {
        // Retried later with the same key, so the provider refunds once.
        const qint64 delay = std::min<qint64>(3'600'000, 30'000LL << std::min(attempts, 7));
        auto u = execSql(
                db,
                QStringLiteral("UPDATE payment_refunds SET state = 'late_retrying', attempts = "
                               "attempts + 1, "
                               "next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ?"),
                {now + delay, outcome.error().detail.left(500), now, refundId});
        if (!u)
            return u.error();
        return outcome.error();
    }
    QList<PendingNotification> pending;
    Transaction tx(m_database);
    if (auto s = tx.begin(); !s)
        return s;
    auto u = execSql(
            db,
            QStringLiteral(
                    "UPDATE payment_refunds SET state = 'succeeded', provider_ref = ?, "
                    "attempts = attempts + 1, last_error = NULL, updated_at = ? WHERE id = ? "
                    "AND state IN ('late_pending', 'late_retrying')"),
            {outcome->providerRef, now, refundId});
    if (!u)
        return u.error();
    if (u->numRowsAffected() != 1)
        return Ok{}; // another process recorded it
    auto o = load(db, orderId);
    if (!o)
        return o.error();
    if (o->status == OrderStatus::Cancelled) {
        auto st = execSql(db,
                          QStringLiteral("UPDATE orders SET payment_state = 'refunded', updated_at "
                                         "= ? WHERE id = ?"),
                          {now, orderId});
        if (!st)
            return st.error();
    }
    const QString body
            = QStringLiteral(
                      "A payment of %1 for order %2 arrived after the order was %3; it has been "
                      "refunded.")
                      .arg(money(amount, o->currency), orderId, o->status);
    QJsonObject data = orderData(o.value());
    data.insert(QStringLiteral("amountCents"), amount);
    if (auto s = m_notifier.add(db, o->customerId, QStringLiteral("payment.refunded"),
                                QStringLiteral("Payment refunded"), body, data, &pending);
        !s)
        return s;
    if (auto s = notifySellers(db, o.value(), QStringLiteral("payment.refunded"),
                               QStringLiteral("Late payment refunded"), body, &pending);
        !s)
        return s;
    if (auto s = tx.commit(); !s)
        return s;
    m_notifier.announce(pending);
    Q_EMIT m_events.orderChanged(orderId, o->status);
    return Ok{};
}

Result<int> OrderService::retryRefunds()
{
    auto q = execSql(
            m_database.connection(),
            QStringLiteral(
                    "SELECT id FROM payment_refunds WHERE refund_request_id IS NULL AND state IN "
                    "('late_pending', 'late_retrying') AND next_attempt_at <= ? ORDER BY "
                    "next_attempt_at LIMIT 50"),
            {Clock::nowMs()});
    if (!q)
        return q.error();
    QStringList ids;
    while (q->next())
        ids.append(q->value(0).toString());
    int done = 0;
    for (const QString &id : ids) {
        if (issueRefund(id))
            ++done;
    }
    return done;
}

Result<WebhookOutcome> OrderService::handleStripeEvent(const QByteArray &payload)
{
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(payload, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        return makeError(ErrorCode::BadRequest, QStringLiteral("the event is not a JSON object"));
    const QJsonObject event = doc.object();
    const QString eventId = event.value(QStringLiteral("id")).toString();
    const QString type = event.value(QStringLiteral("type")).toString();
    if (eventId.isEmpty() || type.isEmpty())
        return makeError(ErrorCode::BadRequest, QStringLiteral("the event has no id or type"));
    const QJsonObject object = event.value(QStringLiteral("data"))
                                       .toObject()
                                       .value(QStringLiteral("object"))
                                       .toObject();

    QSqlDatabase db = m_database.connection();
    QList<PendingNotification> pending;
    WebhookOutcome outcome;
    QString refundId;
    QString changedOrder;
    QString changedStatus;
    {
        Transaction tx(m_database);
        if (auto s = tx.begin(); !s)
            return s.error();
        auto seen = execSql(db,
                            QStringLiteral("INSERT INTO webhook_events (event_id, type, "
                                           "received_at) VALUES (?, ?, ?)"),
                            {eventId, type, Clock::nowMs()});
        if (!seen) {
            if (seen.error().code == ErrorCode::Conflict)
                return WebhookOutcome{true, QStringLiteral("replayed")};
            return seen.error();
        }
        // The order an intent or charge belongs to: metadata first, then the stored reference.
        auto findOrder
                = [&](const QString &metadataOrder, const QString &paymentRef) -> Result<Order> {
            QString id = metadataOrder;
            if (id.isEmpty() && !paymentRef.isEmpty()) {
                auto q = execSql(db, QStringLiteral("SELECT id FROM orders WHERE payment_ref = ?"),
                                 {paymentRef});
                if (!q)
                    return q.error();
                if (q->next())
                    id = q->value(0).toString();
            }
            if (id.isEmpty())
                return makeError(ErrorCode::NotFound, QStringLiteral("no order"));
            // Serialises events of one order (a row lock on PostgreSQL; SQLite's write lock).
            auto lock = execSql(
                    db, QStringLiteral("UPDATE orders SET updated_at = updated_at WHERE id = ?"),
                    {id});
            if (!lock)
                return lock.error();
            return load(db, id);
        };
        const QString metadataOrder = object.value(QStringLiteral("metadata"))
                                              .toObject()
                                              .value(QStringLiteral("order_id"))
                                              .toString();
        outcome.action = QStringLiteral("ignored");
        if (type == QLatin1String("payment_intent.succeeded")) {
            const QString piId = object.value(QStringLiteral("id")).toString();
            const qint64 amount = object.value(QStringLiteral("amount")).toInteger(-1);
            const qint64 received
                    = object.value(QStringLiteral("amount_received")).toInteger(amount);
            const QString currency = object.value(QStringLiteral("currency")).toString();
            auto o = findOrder(metadataOrder, piId);
            if (!o && o.error().code != ErrorCode::NotFound)
                return o.error();
            if (o) {
                const bool matches = amount == o->totalCents && received == o->totalCents
                                     && currency.compare(o->currency, Qt::CaseInsensitive) == 0;
                if (o->status == OrderStatus::PendingPayment && !matches) {
                    auto u = execSql(db,
                                     QStringLiteral("UPDATE orders SET payment_state = 'mismatch', "
                                                    "payment_ref = ?, "
                                                    "updated_at = ? WHERE id = ?"),
                                     {piId, Clock::nowMs(), o->id});
                    if (!u)
                        return u.error();
                    const QString body
                            = QStringLiteral(
                                      "A payment of %1 arrived for order %2, which costs %3; "
                                      "the order stays unpaid.")
                                      .arg(money(received, currency.toUpper()), o->id,
                                           money(o->totalCents, o->currency));
                    if (auto s = notifySellers(db, o.value(), QStringLiteral("payment.mismatch"),
                                               QStringLiteral("Payment does not match the order"),
                                               body, &pending);
                        !s)
                        return s.error();
                    outcome.action = QStringLiteral("mismatch");
                    qCWarning(lcOrders) << "payment mismatch on order" << o->id;
                } else if (o->status == OrderStatus::PendingPayment) {
                    auto u = execSql(
                            db,
                            QStringLiteral(
                                    "UPDATE orders SET status = ?, payment_provider = 'stripe', "
                                    "payment_state = 'succeeded', payment_ref = ?, updated_at = ? "
                                    "WHERE id = ? AND status = ?"),
                            {OrderStatus::Paid, piId, Clock::nowMs(), o->id,
                             OrderStatus::PendingPayment});
                    if (!u)
                        return u.error();
                    if (auto s = addHistory(db, o->id, OrderStatus::Paid); !s)
                        return s.error();
                    if (auto s = CoinLedger::recordSpend(db, o->customerId, o->id, o->coinsUsed);
                        !s)
                        return s.error();
                    o->status = OrderStatus::Paid;
                    if (auto s
                        = notifySellers(db, o.value(), QStringLiteral("order.paid"),
                                        QStringLiteral("Order paid"),
                                        QStringLiteral("Order %1 was paid (%2).")
                                                .arg(o->id, money(o->totalCents, o->currency)),
                                        &pending);
                        !s)
                        return s.error();
                    outcome.action = QStringLiteral("paid");
                    changedOrder = o->id;
                    changedStatus = OrderStatus::Paid;
                } else if (o->status == OrderStatus::Cancelled
                           || (o->paymentRef != piId
                               && o->paymentState == QLatin1String("succeeded"))) {
                    // Money for an order that can no longer take it: never kept, never lost.
                    auto r = recordLatePayment(db, o.value(), piId, received);
                    if (!r)
                        return r.error();
                    refundId = r.value();
                    outcome.action = QStringLiteral("refunded");
                    changedOrder = o->id;
                    changedStatus = o->status;
                }
            }
        } else if (type == QLatin1String("payment_intent.payment_failed")) {
            const QString piId = object.value(QStringLiteral("id")).toString();
            auto o = findOrder(metadataOrder, piId);
            if (!o && o.error().code != ErrorCode::NotFound)
                return o.error();
            if (o && o->status == OrderStatus::PendingPayment) {
                auto u = execSql(
                        db,
                        QStringLiteral(
                                "UPDATE orders SET payment_state = 'failed', payment_ref = ?, "
                                "updated_at = ? WHERE id = ?"),
                        {piId, Clock::nowMs(), o->id});
                if (!u)
                    return u.error();
                outcome.action = QStringLiteral("failed");
                changedOrder = o->id;
                changedStatus = o->status;
            }
        } else if (type == QLatin1String("charge.refunded")) {
            const QString piId = object.value(QStringLiteral("payment_intent")).toString();
            auto o = findOrder(metadataOrder, piId);
            if (!o && o.error().code != ErrorCode::NotFound)
                return o.error();
            if (o && o->paymentRef == piId) {
                const qint64 amount = object.value(QStringLiteral("amount")).toInteger();
                const qint64 refunded = object.value(QStringLiteral("amount_refunded")).toInteger();
                const QString state = refunded >= amount ? QStringLiteral("refunded")
                                                         : QStringLiteral("partially_refunded");
                auto u = execSql(
                        db,
                        QStringLiteral(
                                "UPDATE orders SET payment_state = ?, updated_at = ? WHERE id = ?"),
                        {state, Clock::nowMs(), o->id});
                if (!u)
                    return u.error();
                outcome.action = QStringLiteral("recorded");
                changedOrder = o->id;
                changedStatus = o->status;
            }
        }
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    m_notifier.announce(pending);
    if (!changedOrder.isEmpty())
        Q_EMIT m_events.orderChanged(changedOrder, changedStatus);
    if (!refundId.isEmpty()) {
        if (auto s = issueRefund(refundId); !s)
            qCWarning(lcOrders).noquote()
                    << "refund of a late payment failed, retried later:" << s.error().detail;
    }
    return outcome;
}

} // namespace Mercato
