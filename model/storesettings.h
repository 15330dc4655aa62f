#pragma once
// The store-wide rules that configuration sets (currency, rewards, stock, orders).

#include <QString>
#include <QTimeZone>

#include <memory>
#include <mutex>
#include <optional>

namespace Mercato {

// What the owner changes while the shop runs, seen by every thread at once without a restart:
// the currency and time zone the setup wizard or Settings last saved (none until then: the
// ones the process started with), and the store profile's own currency (PATCH /owner/store;
// loaded when the shop opens). Another process of the same shop sees a change at its next
// start; orders always read the profile's currency from the database.
class LiveStoreFacts
{
public:
    void setConfigured(const QString &currency, const QTimeZone &zone)
    {
        std::lock_guard lock(m_mutex);
        m_currency = currency;
        m_zone = zone;
    }
    void setProfileCurrency(const QString &currency) // empty: the profile names none
    {
        std::lock_guard lock(m_mutex);
        m_profileCurrency = currency;
    }
    std::optional<QString> configuredCurrency() const
    {
        std::lock_guard lock(m_mutex);
        return m_currency;
    }
    std::optional<QTimeZone> zone() const
    {
        std::lock_guard lock(m_mutex);
        return m_zone;
    }
    QString profileCurrency() const
    {
        std::lock_guard lock(m_mutex);
        return m_profileCurrency;
    }

private:
    mutable std::mutex m_mutex;
    std::optional<QString> m_currency;
    std::optional<QTimeZone> m_zone;
    QString m_profileCurrency;
};

struct StoreSettings
{
    // As configured when the process started; read the live values through the functions
    // below.
    QString currency = QStringLiteral("USD");
    QTimeZone timeZone = QTimeZone::systemTimeZone();
    int dailyCoins = 10;
    int coinValueCents = 1;
    int maxCoinDiscountPercent = 50;
    int lowStockDefault = 5;
    bool sellerApproval = false;
    int pendingOrderTtlMinutes = 60;
    int maxUnpaidOrders = 0; // per customer; 0: no limit (MERCATO_MAX_UNPAID_ORDERS: 3)
    // Units of one product a customer's unpaid orders may hold together, this order's
    // included; 0: no limit (MERCATO_MAX_HELD_UNITS: 99).
    int maxHeldUnits = 0;
    int maxOpenComplaintsPerOrder = 0; // unresolved at a time; 0: no limit (the server: 3)
    int evidenceMiBPerDay = 0;         // evidence photos per customer in 24 h; 0: no limit
    int minFreeDiskMiB = 0;            // local image uploads refused below this much free space
    QString publicUrl = QStringLiteral("http://127.0.0.1:8080");
    // scrypt cost of new password hashes, N = 2^passwordHashLogN (tests lower it for speed).
    int passwordHashLogN = 17;
    // Catalogue answers kept per API worker (MERCATO_CATALOG_CACHE_MIB); 0: none.
    qint64 catalogCacheBytesPerWorker = 4 * 1024 * 1024;
    // MERCATO_EMAIL_VERIFICATION: an account registered through the API gets a link to prove
    // its address and stays unverified until it is followed; off: it counts as verified.
    bool verifyNewAccounts = true;

    // Shared by the copies of these settings (the shop's services hold references or copies).
    std::shared_ptr<LiveStoreFacts> live = std::make_shared<LiveStoreFacts>();
    // The configured currency (MERCATO_CURRENCY, mercato.conf), as last saved.
    QString configuredCurrency() const { return live->configuredCurrency().value_or(currency); }
    // The currency prices are in: the store profile's, else the configured one.
    QString storeCurrency() const
    {
        const QString chosen = live->profileCurrency();
        return chosen.isEmpty() ? configuredCurrency() : chosen;
    }
    // The store's time zone (days of daily coins, invoice years, the dashboard's days).
    QTimeZone zone() const { return live->zone().value_or(timeZone); }
};

} // namespace Mercato
