#include "webhookroutes.h"

#include "metrics.h"

#include "model/clock.h"
#include "model/shop.h"
#include "model/stripe.h"

#include <QJsonDocument>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcWebhooks, "mercato.server.webhooks")

namespace Mercato {

using namespace Http;

void registerWebhookRoutes(Router &router, Shop &shop, Metrics &metrics)
{
    const QString stripe = QStringLiteral("stripe");
    const QString signature = QStringLiteral("signature");
    const QString processing = QStringLiteral("processing");
    metrics.recordWebhookFailure(stripe, signature, 0);
    metrics.recordWebhookFailure(stripe, processing, 0);
    const auto refused = [&metrics, stripe, signature](Response response) {
        metrics.recordWebhookFailure(stripe, signature);
        return response;
    };
    const auto failed = [&metrics, stripe, processing](const Error &error) {
        metrics.recordWebhookFailure(stripe, processing);
        return Response::fromError(error);
    };
    // Always routed, so the served API equals the OpenAPI document; without Stripe it is 404.
    router.add(
            "POST", QStringLiteral("/api/v1/webhooks/stripe"), Access::Public,
            [&shop, refused, failed](Request &r) {
                if (!shop.payments().stripeEnabled())
                    return Response::problem(404, {},
                                             QStringLiteral("Stripe payments are not configured"));
                const QByteArray secret = shop.payments().stripeWebhookSecret.toUtf8();
                const QByteArray header = r.header("stripe-signature");
                if (secret.isEmpty())
                    return refused(Response::problem(
                            400, {}, QStringLiteral("no webhook secret is configured")));
                if (header.isEmpty())
                    return refused(
                            Response::problem(400, {}, QStringLiteral("missing Stripe-Signature")));
                if (auto s = StripeSignature::verify(secret, r.body, header, Clock::nowMs() / 1000);
                    !s) {
                    qCWarning(lcWebhooks).noquote() << "refused a webhook:" << s.error().detail;
                    return refused(Response::fromError(s.error()));
                }
                auto outcome = shop.orders().handleStripeEvent(r.body);
                if (!outcome)
                    return failed(outcome.error());
                // Refunds of refund requests settle from the charge's list of refunds.
                const QJsonObject event = QJsonDocument::fromJson(r.body).object();
                if (!outcome->replayed
                    && event.value(QStringLiteral("type")).toString()
                               == QLatin1String("charge.refunded")) {
                    auto settled = shop.refunds().reconcileStripeCharge(
                            event.value(QStringLiteral("data"))
                                    .toObject()
                                    .value(QStringLiteral("object"))
                                    .toObject());
                    if (!settled)
                        return failed(settled.error());
                }
                return Response::json(200,
                                      QJsonObject{{QStringLiteral("received"), true},
                                                  {QStringLiteral("replayed"), outcome->replayed},
                                                  {QStringLiteral("action"), outcome->action}});
            });
}

} // namespace Mercato
