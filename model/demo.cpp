#include "demo.h"

#include "accounts.h"
#include "catalog.h"
#include "database.h"
#include "shop.h"

#include <QLoggingCategory>

namespace Mercato {

Q_LOGGING_CATEGORY(lcDemo, "mercato.demo")

namespace {

struct DemoProduct
{
    const char *name;
    const char *description;
    qint64 priceCents;
    qint64 stock;
    qint64 lowStockThreshold;
};

// Stock levels chosen so the console shows every state: plenty, low (at or under the
// threshold) and sold out.
constexpr DemoProduct kProducts[] = {
        {"Espresso beans, 1 kg", "Dark roast, chocolate and hazelnut notes. Whole beans.", 2490, 40,
         5},
        {"Filter coffee, 500 g", "Light roast from Ethiopia, floral and citrus.", 1450, 25, 5},
        {"Ceramic pour-over dripper", "Fits size 02 paper filters; dishwasher safe.", 2200, 12, 3},
        {"Paper filters, 100 pack", "Unbleached size 02 filters.", 590, 3, 10},
        {"Gooseneck kettle", "1 litre stainless steel kettle with a thermometer.", 5900, 7, 2},
        {"Hand grinder", "Conical steel burrs, 40 click settings.", 8900, 0, 2},
        {"Glass server, 600 ml", "Heat-resistant borosilicate glass.", 1900, 18, 4},
        {"Travel mug", "Double-walled, 350 ml, leak-proof lid.", 2400, 30, 5},
        {"Green tea sencha, 100 g", "Steamed Japanese green tea, spring harvest.", 1290, 22, 5},
        {"Chai spice blend, 200 g", "Black tea with cardamom, cinnamon, ginger and clove.", 990, 2,
         5},
        {"Milk frother", "Battery-powered whisk with a stand.", 1590, 15, 3},
        {"Coffee scale", "0.1 g resolution with a built-in timer.", 3490, 9, 2},
};

} // namespace

QList<DemoAccount> Demo::accounts()
{
    return {
            {QStringLiteral("seller@demo.mercato.test"), QStringLiteral("demo-seller-pass"),
             QStringLiteral("seller")},
            {QStringLiteral("alice@demo.mercato.test"), QStringLiteral("demo-customer-pass"),
             QStringLiteral("customer")},
            {QStringLiteral("bob@demo.mercato.test"), QStringLiteral("demo-customer-pass"),
             QStringLiteral("customer")},
    };
}

Result<bool> Demo::seed(Shop &shop)
{
    auto count
            = execSql(shop.database().connection(), QStringLiteral("SELECT COUNT(*) FROM users"));
    if (!count)
        return count.error();
    if (!count->next())
        return makeError(ErrorCode::Internal, QStringLiteral("cannot count accounts"));
    if (count->value(0).toLongLong() > 0) {
        qCInfo(lcDemo) << "the store already has accounts; demo data not added";
        return false;
    }

    QString sellerId;
    const QStringList names = {QStringLiteral("Demo Roastery"), QStringLiteral("Alice Example"),
                               QStringLiteral("Bob Example")};
    const QList<DemoAccount> demoAccounts = accounts();
    for (qsizetype i = 0; i < demoAccounts.size(); ++i) {
        const DemoAccount &a = demoAccounts.at(i);
        auto session = shop.accounts().registerAccount({a.email, a.password, names.at(i), a.role});
        if (!session)
            return session.error();
        if (a.role == QLatin1String("seller")) {
            sellerId = session->user.id;
            if (session->user.status == QLatin1String("pending")) {
                if (auto s = shop.accounts().approveSeller(sellerId); !s)
                    return s.error();
            }
        }
    }

    for (const DemoProduct &p : kProducts) {
        NewProduct product;
        product.name = QString::fromUtf8(p.name);
        product.description = QString::fromUtf8(p.description);
        product.priceCents = p.priceCents;
        product.stock = p.stock;
        product.lowStockThreshold = p.lowStockThreshold;
        if (auto created = shop.catalog().create(sellerId, product); !created)
            return created.error();
    }
    qCInfo(lcDemo).nospace() << "demo data added: " << demoAccounts.size() << " accounts, "
                             << std::size(kProducts) << " products";
    return true;
}

} // namespace Mercato
