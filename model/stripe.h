#pragma once
// Stripe adapter of the payment port (PaymentIntents and refunds over Stripe's form-encoded
// REST API) and the webhook signature check.

#include "payments.h"
#include "refundexecutor.h"

#include <QByteArray>
#include <QJsonObject>

namespace Mercato {

class StripeGateway : public PaymentGateway
{
public:
    explicit StripeGateway(PaymentConfig config);

    QString provider() const override { return QStringLiteral("stripe"); }
    Result<PaymentStart> start(const PaymentRequest &request) override;
    Result<ProviderRefund> refund(const QString &paymentRef, qint64 amountCents,
                                  const QString &idempotencyKey) override;

    struct Answer
    {
        int status = 0;
        QJsonObject body;
    };
    // One API call with timeout and retries (network errors, 429, 5xx); blocks the calling
    // thread on a local event loop. `form` is already encoded.
    Result<Answer> call(const QByteArray &method, const QString &path, const QByteArray &form,
                        const QString &idempotencyKey) const;

private:
    PaymentConfig m_config;
};

// Approved refund requests (after-sales) paid back through the same Stripe gateway.
class StripeRefundExecutor : public RefundExecutor
{
public:
    explicit StripeRefundExecutor(PaymentGateway &gateway)
        : m_gateway(gateway)
    {}
    RefundAttempt refund(const RefundCall &call) override;

private:
    PaymentGateway &m_gateway;
};

namespace StripeSignature {

// Checks a `Stripe-Signature` header (`t=...,v1=...[,v1=...]`) against the raw payload:
// HMAC-SHA256(secret, "<t>.<payload>") equal (in constant time) to any v1, and `t` within
// `toleranceSeconds` of `nowSeconds`. The error detail says which check failed.
Status verify(const QByteArray &secret, const QByteArray &payload, const QByteArray &header,
              qint64 nowSeconds, qint64 toleranceSeconds = 300);
// `t=<t>,v1=<hex>` for tests and tools.
QByteArray sign(const QByteArray &secret, const QByteArray &payload, qint64 timestamp);

} // namespace StripeSignature

// Stripe's form encoding of flat `key=value` pairs (keys may hold `[...]`).
QByteArray stripeForm(const QList<QPair<QString, QString>> &fields);

} // namespace Mercato
