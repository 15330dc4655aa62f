#pragma once
// A refund of an order: units of one seller's lines paid back at once, whether it answers a
// customer's refund request or the seller made it (a seller refund or cancel).

#include <QList>
#include <QString>

namespace Mercato {

struct RefundItem
{
    QString orderItemId;
    int quantity = 0;
    qint64 amountCents = 0;   // what this refund paid back for the line
    qint64 coinsReturned = 0; // coins it returned for the line
};

struct OrderRefund
{
    QString id;
    QString orderId;
    QString sellerId;
    QString refundRequestId; // empty unless it answers a refund request
    QString reason;
    QList<RefundItem> items;
    qint64 amountCents = 0;
    qint64 coinsReturned = 0;
    qint64 shippingRefundedCents = 0;
    bool restock = false;
    QString status; // pending (the provider has not confirmed yet), succeeded, failed
    QString currency;
    // {creditNotePrefix}{year}-{n}, given when the refund is recorded; empty only for refunds
    // recorded before credit notes were numbered.
    QString creditNoteNumber;
    qint64 createdAt = 0;
};

// What a refund takes back: units of the seller's own lines of one order.
struct RefundOrder
{
    QString orderId;
    QString sellerId;
    QString refundRequestId; // the request it answers, if any
    QString reason;
    bool restock = false;
    QList<RefundItem> items; // orderItemId and quantity
};

} // namespace Mercato
