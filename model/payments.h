#pragma once
// The payment port: how an order's money is collected and given back. Manual payments (the
// seller marks the order paid) by default; Stripe PaymentIntents when keys are configured.

#include "result.h"

#include <QString>

#include <memory>

namespace Mercato {

// What configuration says about payments; secrets stay in memory only.
struct PaymentConfig
{
    QString stripeSecretKey;
    QString stripePublishableKey;
    QString stripeWebhookSecret;
    QString stripeApiBase = QStringLiteral("https://api.stripe.com");
    int stripeTimeoutMs = 10'000;
    int stripeMaxAttempts = 3;
    int stripeBackoffMs = 300;

    bool stripeEnabled() const { return !stripeSecretKey.isEmpty(); }
};

struct PaymentRequest
{
    QString orderId;
    qint64 amountCents = 0;
    QString currency;       // ISO 4217, any case
    QString existingRef;    // a payment already started for this order (reuse it)
    QString idempotencyKey; // the same for every attempt to start this order's payment
    QString reference;      // what the customer quotes ("#1001"); empty: the order id
};

struct PaymentStart
{
    QString provider;       // "manual" or "stripe"
    QString state;          // the order's payment state after this step
    QString paymentRef;     // PaymentIntent id (Stripe)
    QString clientSecret;   // Stripe
    QString publishableKey; // Stripe
    QString instructions;   // manual
};

struct ProviderRefund
{
    QString providerRef; // the provider's refund id
    QString state;       // "succeeded" or "pending"
};

class PaymentGateway
{
public:
    virtual ~PaymentGateway() = default;
    virtual QString provider() const = 0;
    // Starts (or resumes) collecting `amountCents`; blocks, so never on the GUI thread.
    virtual Result<PaymentStart> start(const PaymentRequest &request) = 0;
    // Gives back `amountCents` of the payment `paymentRef`; retried calls pass the same key.
    // A refusal that retrying cannot change is a Conflict; anything else may be retried.
    virtual Result<ProviderRefund> refund(const QString &paymentRef, qint64 amountCents,
                                          const QString &idempotencyKey)
            = 0;
};

// The default without keys: the customer pays as the store says, the seller marks it paid.
class ManualGateway : public PaymentGateway
{
public:
    QString provider() const override { return QStringLiteral("manual"); }
    Result<PaymentStart> start(const PaymentRequest &request) override;
    Result<ProviderRefund> refund(const QString &paymentRef, qint64 amountCents,
                                  const QString &idempotencyKey) override;
};

// The gateway that `config` asks for.
std::unique_ptr<PaymentGateway> makePaymentGateway(const PaymentConfig &config);

} // namespace Mercato
