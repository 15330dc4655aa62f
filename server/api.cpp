#include "api.h"

#include "accountsroutes.h"
#include "aftersalesroutes.h"
#include "catalogroutes.h"
#include "categoryroutes.h"
#include "discountroutes.h"
#include "fulfilmentroutes.h"
#include "identityroutes.h"
#include "mediaroutes.h"
#include "notificationroutes.h"
#include "opsroutes.h"
#include "orderroutes.h"
#include "ownerroutes.h"
#include "ratelimiter.h"
#include "reviewroutes.h"
#include "shippingroutes.h"
#include "storefrontroutes.h"
#include "webhookroutes.h"

#include "metrics.h"

#include "model/clock.h"
#include "model/shop.h"

#include <QLoggingCategory>

#include <mutex>

Q_LOGGING_CATEGORY(lcApiMetrics, "mercato.server.metrics")

namespace Mercato {

namespace {
// The outbox's depth for /metrics: one aggregate query, read on the worker that serves the
// scrape and reused for a second, so the two gauges and a burst of scrapers cost one query.
class OutboxDepthReader
{
public:
    explicit OutboxDepthReader(MailOutboxTable &table)
        : m_table(table)
    {}
    std::optional<MailOutboxTable::Depth> read()
    {
        std::lock_guard lock(m_mutex);
        const qint64 now = Clock::nowMs();
        if (m_readAtMs != 0 && now - m_readAtMs < 1000)
            return m_last;
        auto depth = m_table.depth();
        if (!depth) {
            qCWarning(lcApiMetrics).noquote()
                    << "cannot read the mail outbox depth:" << depth.error().detail;
            m_last.reset();
        } else {
            m_last = depth.value();
        }
        m_readAtMs = now;
        return m_last;
    }

private:
    MailOutboxTable &m_table;
    std::mutex m_mutex;
    qint64 m_readAtMs = 0;
    std::optional<MailOutboxTable::Depth> m_last;
};

void addOutboxGauges(Shop &shop, Metrics &metrics)
{
    auto reader = std::make_shared<OutboxDepthReader>(shop.mailOutbox());
    metrics.addGauge(QStringLiteral("mercato_mail_outbox_messages"),
                     QStringLiteral("Mail in the outbox not yet delivered (due, waiting for a "
                                    "retry or being sent), by any process on this database."),
                     [reader] {
                         std::vector<std::pair<QString, double>> out;
                         if (const auto d = reader->read())
                             out.emplace_back(QString(), double(d->messages));
                         return out;
                     });
    metrics.addGauge(QStringLiteral("mercato_mail_outbox_oldest_age_seconds"),
                     QStringLiteral("Age of the oldest undelivered mail in the outbox (0 when "
                                    "empty)."),
                     [reader] {
                         std::vector<std::pair<QString, double>> out;
                         if (const auto d = reader->read()) {
                             const qint64 age = d->oldestCreatedAtMs == 0
                                                        ? 0
                                                        : Clock::nowMs() - d->oldestCreatedAtMs;
                             out.emplace_back(QString(), double(std::max<qint64>(age, 0)) / 1000.0);
                         }
                         return out;
                     });
}
} // namespace

void registerApi(Http::Router &router, Shop &shop, Metrics &metrics, const ApiOptions &options)
{
    router.setCorsOrigins(options.corsOrigins);
    router.setMetrics(&metrics);
    // Signature and claims, then the account: its state and the password-change cut-off.
    router.setAuthenticator(
            [&shop](const QString &token) { return shop.accounts().authenticate(token); });
    registerOpsRoutes(router, shop.database(), metrics, options.debugRoutes, options.metricsToken);
    // One limiter for login, register and forgot-password (pass it to those routes).
    auto authLimiter = std::make_shared<Http::AuthRateLimiter>(options.authRateLimit);
    auto passwordChecks = std::make_shared<Http::PasswordCheckGate>(options.passwordChecks);
    registerAccountsRoutes(router, shop, authLimiter, passwordChecks);
    registerReviewRoutes(router, shop);
    registerAftersalesRoutes(router, shop);
    registerIdentityRoutes(router, shop, authLimiter, passwordChecks);
    registerOwnerRoutes(router, shop);
    registerShippingRoutes(router, shop);
    registerCatalogRoutes(router, shop);
    registerCategoryRoutes(router, shop);
    registerMediaRoutes(router, shop);
    registerNotificationRoutes(router, shop);
    registerOrderRoutes(router, shop, metrics);
    registerDiscountRoutes(router, shop);
    registerFulfilmentRoutes(router, shop);
    registerWebhookRoutes(router, shop, metrics);
    registerStorefrontRoutes(router, shop, options.storefront);
    addOutboxGauges(shop, metrics);
    addCatalogCacheMetrics(shop, metrics);
}

} // namespace Mercato
