#pragma once
// Shipments: each seller ships units of its own lines of a paid order, in parts, with a carrier
// and tracking, and marks them delivered. The order follows (API.md order states): paid →
// partially_shipped (some units shipped) → shipped (every unrefunded unit) → delivered (every
// shipment delivered); the customer is notified and mailed per shipment and on delivery.

#include "database.h"
#include "events.h"
#include "notifier.h"

#include <QList>
#include <QString>

#include <optional>

namespace Mercato {

struct ShipmentItem
{
    QString orderItemId;
    int quantity = 0;
};

struct Shipment
{
    QString id;
    QString orderId;
    QString sellerId;
    QString carrier;        // empty: shipped without tracking
    QString trackingNumber; // empty: shipped without tracking
    QString trackingUrl;    // empty: none given
    QList<ShipmentItem> items;
    qint64 shippedAt = 0;
    std::optional<qint64> deliveredAt;
};

struct NewShipment
{
    QString carrier;
    QString trackingNumber;
    QString trackingUrl;
    // Unset: every unshipped, unrefunded unit of the caller's lines.
    std::optional<QList<ShipmentItem>> items;
};

// A mail to a customer, greeted by name, in the outbox inside the caller's transaction (the
// mail exists exactly when what it tells of does); nothing for an account that is gone.
Status mailCustomer(const QSqlDatabase &db, const QString &customerId, const QString &subject,
                    const QString &text);
// How people are told of an order: `#1001`, or the id of an order made without a number.
QString orderReference(qint64 number, const QString &orderId);
// The same, read from the order's row (the id when there is no such row).
Result<QString> orderReference(const QSqlDatabase &db, const QString &orderId);

class Shipments
{
public:
    Shipments(Database &database, Notifier &notifier, ModelEvents &events);

    // A shipment of the seller's own units of a paid or partly shipped order. NotFound when the
    // seller has no line in it; Validation naming `items[i].orderItemId` for a line not in the
    // order; Conflict for another seller's line, more than is unshipped, a refunded unit, or
    // an order in another state.
    Result<Shipment> ship(const QString &sellerId, const QString &orderId,
                          const NewShipment &input);
    // The seller's shipment delivered (NotFound unless it is the seller's; Conflict when it
    // already was).
    Result<Shipment> deliver(const QString &sellerId, const QString &shipmentId);
    // Every undelivered shipment of the seller in the order delivered; Conflict when none.
    Status deliverAll(const QString &sellerId, const QString &orderId);

    // The seller's shipment (NotFound for another seller's).
    static Result<Shipment> get(const QSqlDatabase &db, const QString &sellerId,
                                const QString &shipmentId);
    // The order's shipments, oldest first; one seller's only when `sellerId` is set.
    static Result<QList<Shipment>> forOrder(const QSqlDatabase &db, const QString &orderId,
                                            const QString &sellerId = {});
    // Inside the caller's transaction, after units were shipped, delivered or refunded: moves
    // the order forward to the state its lines and shipments call for, with its history row
    // (a paid order with no shipment becomes cancelled once every unit is refunded). Returns
    // the new state, or an empty string when it stays.
    static Result<QString> settle(const QSqlDatabase &db, const QString &orderId);

private:
    // order.delivered to the customer (and the mail) once the order is delivered.
    Status tellDelivered(const QSqlDatabase &db, const QString &orderId,
                         QList<PendingNotification> *pending);

    Database &m_database;
    Notifier &m_notifier;
    ModelEvents &m_events;
};

} // namespace Mercato
