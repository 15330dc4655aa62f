#pragma once
// The port through which approved refunds move money back: one executor per payment provider
// (`manual`, `stripe`). The orders area's Stripe adapter implements it; the manual one records
// the refund as done, to be settled by the seller outside the shop.

#include <QString>

namespace Mercato {

struct RefundCall
{
    QString refundId; // payment_refunds.id; also the idempotency key of the provider call
    QString orderId;
    QString paymentRef; // the provider's payment reference (Stripe: the PaymentIntent id)
    qint64 amountCents = 0;
    QString currency;
};

struct RefundAttempt
{
    enum class Kind {
        Succeeded, // money is on its way back
        Retry,     // a transient provider error: try again later
        Failed,    // a permanent refusal: no retry
    };
    Kind kind = Kind::Retry;
    QString providerRef; // the provider's refund id
    QString error;       // for the seller, never secrets
};

class RefundExecutor
{
public:
    virtual ~RefundExecutor() = default;
    // Called outside any database transaction, possibly again for the same refundId after a
    // Retry; implementations pass refundId as the provider's idempotency key.
    virtual RefundAttempt refund(const RefundCall &call) = 0;
};

// Manual payments: nothing to call; the record is the refund.
class ManualRefundExecutor : public RefundExecutor
{
public:
    RefundAttempt refund(const RefundCall &call) override
    {
        return {RefundAttempt::Kind::Succeeded, QStringLiteral("manual-") + call.refundId, {}};
    }
};

} // namespace Mercato
