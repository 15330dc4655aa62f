#include "payments.h"

#include "ids.h"
#include "stripe.h"

namespace Mercato {

Result<PaymentStart> ManualGateway::start(const PaymentRequest &request)
{
    PaymentStart s;
    s.provider = provider();
    s.state = QStringLiteral("awaiting_payment");
    s.instructions
            = QStringLiteral("Pay %1.%2 %3 to the store by bank transfer or in person, "
                             "quoting order %4. The seller marks the order paid once "
                             "the money has arrived.")
                      .arg(request.amountCents / 100)
                      .arg(request.amountCents % 100, 2, 10, QLatin1Char('0'))
                      .arg(request.currency.toUpper(),
                           request.reference.isEmpty() ? request.orderId : request.reference);
    return s;
}

Result<ProviderRefund> ManualGateway::refund(const QString &, qint64, const QString &)
{
    // The seller hands the money back; the record is the refund itself.
    return ProviderRefund{QStringLiteral("manual_") + Ids::newId(), QStringLiteral("succeeded")};
}

std::unique_ptr<PaymentGateway> makePaymentGateway(const PaymentConfig &config)
{
    if (config.stripeEnabled())
        return std::make_unique<StripeGateway>(config);
    return std::make_unique<ManualGateway>();
}

} // namespace Mercato
