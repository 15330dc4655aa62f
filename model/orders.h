#pragma once
// Orders: the checkout (cart → pending order with stock reserved and coins held), the state
// machine (pending_payment → paid → partially_shipped → shipped → delivered, by shipments;
// pending_payment → cancelled), payment
// through the PaymentGateway port, Stripe's webhook events, expiry of unpaid orders, and the
// customer's and sellers' views. Every state move is one transaction with its side effects.

#include "checkoutquote.h"
#include "database.h"
#include "events.h"
#include "inventory.h"
#include "notifier.h"
#include "orderrefund.h"
#include "payments.h"
#include "shipments.h"
#include "storesettings.h"

#include <QJsonObject>
#include <QList>

#include <functional>
#include <optional>

namespace Mercato {

class Catalog;

namespace OrderStatus {
inline const QString PendingPayment = QStringLiteral("pending_payment");
inline const QString Paid = QStringLiteral("paid");
inline const QString PartiallyShipped = QStringLiteral("partially_shipped");
inline const QString Shipped = QStringLiteral("shipped");
inline const QString Delivered = QStringLiteral("delivered");
inline const QString Cancelled = QStringLiteral("cancelled");
bool isKnown(const QString &status);
} // namespace OrderStatus

struct OrderLine
{
    QString id;
    QString productId;
    QString sellerId;
    QString name;
    qint64 unitPriceCents = 0;
    int quantity = 0;
    qint64 lineTotalCents = 0;
    qint64 discountShareCents = 0; // its share of every discount (the code's and the coins')
    qint64 codeShareCents = 0;     // its share of the discount code's amount
    qint64 taxCents = 0;           // the tax contained in what was paid for it
    int refundedQuantity = 0;
    int shippedQuantity = 0;
};

struct StatusChange
{
    QString status;
    qint64 at = 0;
};

struct Order
{
    QString id;
    QString customerId;
    QString customerName;
    QString status;
    qint64 subtotalCents = 0;
    qint64 discountCents = 0;
    qint64 coinsUsed = 0;
    qint64 totalCents = 0;
    QString currency;
    QString paymentProvider;
    QString paymentState;
    QString paymentRef;
    qint64 expiresAt = 0;
    qint64 createdAt = 0;
    qint64 updatedAt = 0;
    QList<OrderLine> items; // for a seller: only its own lines
    QList<StatusChange> history;
    QList<Shipment> shipments;  // for a seller: only its own
    QList<OrderRefund> refunds; // for a seller: only its own
    qint64 number = 0; // shown to people (1001, 1002, ...); 0 only for rows made outside checkout
    // The shipping frozen at checkout; none (empty id, 0) when the store had no option.
    std::optional<Address> shippingAddress;
    QString shippingOptionId;
    QString shippingName;
    qint64 shippingCents = 0;
    // The discount code it holds a use of (none: empty) and what the code took off.
    QString discountCodeId;
    QString discountCode;
    qint64 codeCents = 0;
    // The tax rate frozen at checkout (thousandths of a percent) and the tax contained.
    qint64 taxRateMilli = 0;
    qint64 taxCents = 0;
    qint64 shippingTaxCents = 0;
    // Given in the transaction that pays it; empty before.
    QString invoiceNumber;

    // Sum of the lines shown (a seller's share of the order).
    qint64 linesTotalCents() const;
};

struct OrderPage
{
    QList<Order> items;
    QString nextCursor; // empty: last page
};

struct SellerOrderFilter
{
    QString status;               // empty: any
    std::optional<qint64> fromMs; // created at or after
    std::optional<qint64> toMs;   // created before
    int limit = 20;
    QString cursor;
};

struct CheckoutAnswer
{
    PaymentStart payment;
    Order order;
};

enum class SellerAction { MarkPaid, Ship, Deliver };

// What a verified webhook event did.
struct WebhookOutcome
{
    bool replayed = false;
    QString action; // "paid", "mismatch", "refunded", "failed", "recorded", "ignored"
};

class OrderService
{
public:
    OrderService(Database &database, const StoreSettings &settings, Notifier &notifier,
                 ModelEvents &events, PaymentGateway &gateway, Inventory &inventory,
                 Catalog &catalog);

    // Customer ------------------------------------------------------------------------------
    // Turns the cart into a pending order, atomically; Conflict naming the short lines, or
    // when the customer has maxUnpaidOrders unpaid orders already.
    // `discountCode` (empty: none) takes its use in the same transaction.
    Result<Order> placeOrder(const QString &customerId, qint64 coinsToUse,
                             const ShippingChoice &shipping = {}, const QString &discountCode = {});
    // What placeOrder would charge for these lines (the available lines of the cart, in
    // product-id order as an order holds them) with this choice and the customer's balance
    // now; `shipping` is checked in preview mode, the code as checkout checks it.
    Result<Quote> quoteCart(const QString &customerId, const QList<QuoteLine> &lines,
                            const ShippingChoice &shipping, qint64 coinsToUse,
                            const QString &discountCode = {});
    Result<Order> order(const QString &customerId, const QString &orderId);
    Result<OrderPage> orders(const QString &customerId, int limit, const QString &cursor);
    Result<Order> cancel(const QString &customerId, const QString &orderId);
    // An unpaid order cancelled by a seller holding every line of it, as its customer's cancel
    // would (Conflict otherwise); the customer is told, with `reason`.
    Result<Order> sellerCancelUnpaid(const QString &sellerId, const QString &orderId,
                                     const QString &reason);
    // Starts payment with the gateway (network call outside any transaction).
    Result<CheckoutAnswer> checkout(const QString &customerId, const QString &orderId);

    // Seller --------------------------------------------------------------------------------
    Result<OrderPage> sellerOrders(const QString &sellerId, const SellerOrderFilter &filter);
    Result<Order> sellerOrder(const QString &sellerId, const QString &orderId);
    // The order an invoice is made of (the whole order: one invoice, one number), for
    // GET /orders/{id}/invoice and the console: its customer, the store's owner, or a seller
    // with lines in it (NotFound to anyone else); Conflict until it is paid.
    Result<Order> invoicedOrder(const QString &userId, const QString &role, const QString &orderId);
    // MarkPaid: the store owner, or a seller holding every line (Forbidden otherwise). Ship
    // makes a shipment (no tracking) of the caller's unshipped units, Deliver delivers the
    // caller's shipments (see Shipments); neither touches another seller's lines.
    Result<Order> sellerMove(const QString &sellerId, const QString &orderId, SellerAction action);

    // Background ----------------------------------------------------------------------------
    // Cancels pending orders past their expiry (stock and coins back, `order.expired`);
    // safe with several processes: each order is expired by exactly one. Returns how many.
    Result<int> expireDue();
    // Retries refunds of late payments that the provider did not take yet. Returns how many.
    Result<int> retryRefunds();
    // Order counts by status, for metrics.
    Result<QList<QPair<QString, qint64>>> countByStatus();

    // Stripe --------------------------------------------------------------------------------
    // Handles a verified Stripe event (raw JSON); each event id is processed once.
    Result<WebhookOutcome> handleStripeEvent(const QByteArray &payload);

    PaymentGateway &gateway() { return m_gateway; }
    // Runs inside the checkout's transaction once the order is written (the shop queues the
    // order mail there); an error rolls the checkout back. Set before serving.
    using PlacedHook = std::function<Status(const QSqlDatabase &db, const Order &order)>;
    void setPlacedHook(PlacedHook hook) { m_placedHook = std::move(hook); }

private:
    Result<Order> load(const QSqlDatabase &db, const QString &orderId);
    // placeOrder's transaction, on the database's writer thread; fills *effects once committed.
    Result<Order> placeOrderInTransaction(const QString &customerId, qint64 coinsToUse,
                                          const ShippingChoice &shipping,
                                          const QString &discountCode, StockEffects *effects);
    // Stock (through Inventory, reason StockReason::Cancel or ::Expire) and held coins back.
    Status releaseOrder(const QSqlDatabase &db, const Order &order, const QString &reason,
                        StockEffects *effects);
    Status addHistory(const QSqlDatabase &db, const QString &orderId, const QString &status);
    Status notifySellers(const QSqlDatabase &db, const Order &order, const QString &kind,
                         const QString &title, const QString &body,
                         QList<PendingNotification> *pending);
    Result<QString> recordLatePayment(const QSqlDatabase &db, const Order &order,
                                      const QString &paymentRef, qint64 amount);
    Status issueRefund(const QString &refundId);

    Database &m_database;
    const StoreSettings &m_settings;
    Notifier &m_notifier;
    ModelEvents &m_events;
    PaymentGateway &m_gateway;
    Inventory &m_inventory;
    Catalog &m_catalog;
    PlacedHook m_placedHook;
};

} // namespace Mercato
