#pragma once
// Refund requests on order lines: the customer asks (with photos), the line's seller decides,
// and an approval moves money back through the order's payment provider (RefundExecutor),
// returns coins in proportion and optionally restocks.

#include "evidence.h"
#include "orderrefund.h"
#include "refundexecutor.h"
#include "result.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <memory>
#include <mutex>
#include <optional>

namespace Mercato {

class Shop;
struct StockEffects;

struct RefundRequest
{
    QString id;
    QString orderId;
    QString orderItemId;
    QString productId;
    QString productName;
    QString customerId;
    QString customerName;
    QString sellerId;
    int quantity = 0;
    QString reason;
    QString status; // requested, approved, refunded, refund_failed, rejected
    QString note;
    std::optional<qint64> amountCents;
    std::optional<qint64> coinsReturned;
    bool restock = false;
    QString currency;
    QString refundError;      // the provider's last error while refund_failed
    QString complaintId;      // the complaint that asked for this money back, if any
    QString creditNoteNumber; // the credit note of its refund, once approved
    qint64 createdAt = 0;
    qint64 updatedAt = 0;
    std::optional<qint64> decidedAt;
    QList<EvidenceImage> images;
};

struct RefundRequestPage
{
    QList<RefundRequest> items;
    QString nextCursor;
};

// What a refund of `quantity` units of a line pays back (pure arithmetic, tested by rows).
struct RefundLine
{
    int lineQuantity = 0;
    qint64 lineTotalCents = 0;
    qint64 discountShareCents = 0;
    int refundedQuantity = 0;
    qint64 refundedCents = 0;
    qint64 lineCoins = 0;     // coins the line was paid with
    qint64 coinsReturned = 0; // coins already returned for earlier refunds of the line
};
struct RefundAmount
{
    qint64 cents = 0;
    qint64 coins = 0;
};
RefundAmount computeRefund(const RefundLine &line, int quantity);

class Refunds
{
public:
    static constexpr int kMaxAttempts = 8;

    explicit Refunds(Shop &shop);
    ~Refunds();

    // The executor for a payment provider (`manual` is installed by default).
    void setExecutor(const QString &provider, std::shared_ptr<RefundExecutor> executor);

    // NotFound unless the order exists and is the customer's (checked before the body).
    Status checkOrderOwner(const QString &customerId, const QString &orderId);
    // The order's customer asks for `quantity` units of a line back, optionally answering one
    // of its complaints on the same order (`complaintId`, else a validation error naming it).
    Result<RefundRequest> request(const QString &customerId, const QString &orderId,
                                  const QString &orderItemId, int quantity, const QString &reason,
                                  const QString &complaintId = {});
    Result<RefundRequest> getForCustomer(const QString &customerId, const QString &id);
    Result<RefundRequestPage> listForCustomer(const QString &customerId, int limit,
                                              const QString &cursor);
    Result<RefundRequest> getForSeller(const QString &sellerId, const QString &id);
    // `status` empty: all.
    Result<RefundRequestPage> listForSeller(const QString &sellerId, const QString &status,
                                            int limit, const QString &cursor);
    // How many of the seller's requests are in `status` (the console's dashboard).
    Result<qint64> countForSeller(const QString &sellerId, const QString &status);
    Result<EvidenceImage> addImage(const QString &customerId, const QString &id,
                                   const QByteArray &bytes, const QString &declaredType);

    // Decisions by the line's seller; only a `requested` request can be decided (Conflict).
    Result<RefundRequest> approve(const QString &sellerId, const QString &id, const QString &note,
                                  bool restock);
    Result<RefundRequest> reject(const QString &sellerId, const QString &id, const QString &note);
    // What approving the request now would pay back (the console shows it before confirming).
    Result<RefundAmount> preview(const QString &sellerId, const QString &id);
    // The seller asks again for a `refund_failed` request: a transient error is sent now (same
    // idempotency key); after a permanent refusal a new provider refund (a new key) is made.
    // Conflict unless the request is `refund_failed`.
    Result<RefundRequest> retryRefund(const QString &sellerId, const QString &id);
    // A Stripe `charge.refunded` event: each listed refund that is one of ours (by
    // metadata[mercato_refund] or its id) settles its request: `succeeded` refunds it,
    // `failed`/`canceled` leaves it `refund_failed` with Stripe's reason. Idempotent.
    // Returns how many requests changed.
    Result<int> reconcileStripeCharge(const QJsonObject &charge);

    // The one way money goes back for units of an order's lines, whoever asked: inside the
    // caller's transaction (`db`), each line pays back by the share rule (computeRefund) and
    // returns its coins, units go back on the shelf through Inventory when `restock`, the
    // refund is recorded with its lines, its provider refund is queued (*paymentRefundId, left
    // empty when there is no money to send: pass it to sendQueued after commit), and the order
    // moves as its lines call for (Shipments::settle). Conflict when the order cannot be
    // refunded or a line has fewer units left; NotFound for a line not the seller's in it.
    Result<OrderRefund> refundUnits(const QSqlDatabase &db, const RefundOrder &what,
                                    StockEffects *effects, QString *paymentRefundId);
    // Sends a provider refund queued by refundUnits, after its transaction committed.
    void sendQueued(const QString &paymentRefundId) { send(paymentRefundId); }

    // Sends every provider refund that is due (new, retrying, or stuck past its lease).
    // Returns how many were attempted. The app calls it periodically; tests call it directly.
    int retryDue();

    static bool isStatus(const QString &status);

private:
    Result<RefundRequest> load(const QSqlDatabase &db, const QString &where,
                               const QVariantList &binds);
    // Inside a transaction: locks the seller's request and checks it is still `requested`.
    Result<RefundRequest> lockUndecided(const QSqlDatabase &db, const QString &sellerId,
                                        const QString &id);
    // The line's money and coins so far, for computeRefund.
    struct LineState
    {
        RefundLine line;
        QString provider;
    };
    Result<LineState> lineState(const QSqlDatabase &db, const QString &orderItemId);
    Result<RefundRequestPage> page(const QString &scope, const QString &where, QVariantList binds,
                                   int limit, const QString &cursor);
    // Claims one payment_refunds row, calls its provider outside any transaction, records the
    // outcome. Safe to call twice: the claim is conditional and the provider call idempotent.
    void send(const QString &paymentRefundId);
    std::shared_ptr<RefundExecutor> executor(const QString &provider);

    Shop &m_shop;
    std::mutex m_mutex; // guards m_executors
    QHash<QString, std::shared_ptr<RefundExecutor>> m_executors;
};

} // namespace Mercato
