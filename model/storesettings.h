#pragma once
// The store-wide rules that configuration sets (currency, rewards, stock, orders).

#include <QString>
#include <QTimeZone>

namespace Mercato {

struct StoreSettings
{
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
};

} // namespace Mercato
