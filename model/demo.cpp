#include "demo.h"

#include "accounts.h"
#include "addresses.h"
#include "catalog.h"
#include "clock.h"
#include "database.h"
#include "sellerrefunds.h"
#include "shipments.h"
#include "shippingoptions.h"
#include "shop.h"
#include "storedetails.h"
#include "storeowner.h"
#include "storeprofile.h"
#include "tileimage.h"

#include <QFile>
#include <QJsonArray>

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

// Generated products: adjective x item per seller theme. No name says "coffee", so a search
// for it finds the hand-written ones above on the first page.
constexpr const char *kAdjectives[] = {"Classic", "Small",  "Large",    "Rustic", "Modern",
                                       "Travel",  "Deluxe", "Everyday", "Nordic", "Studio"};
constexpr const char *kThemes[3][7] = {
        {"tamper", "knock box", "milk jug", "cup set", "bean canister", "latte glass",
         "cleaning brush"},
        {"teapot", "tea tin", "infuser", "matcha whisk", "tea tray", "cup warmer",
         "oolong sampler"},
        {"bread board", "mixing bowl", "tea towel", "spice jar", "butter dish", "apron",
         "honey pot"},
};
constexpr const char *kThemeBlurbs[3] = {
        "Made for the home barista; sturdy and easy to clean.",
        "For loose-leaf tea lovers: brews, stores and serves.",
        "Kitchen essentials from a small workshop, built to last.",
};
// Tile colours (0xRRGGBB), picked by product.
constexpr quint32 kColours[] = {0x1e88e5, 0x43a047, 0xe53935, 0x8e24aa, 0xfb8c00, 0x00897b,
                                0x6d4c41, 0x3949ab, 0xc0ca33, 0xd81b60, 0x546e7a, 0xf4511e};

constexpr int kProductCount = 200;

QJsonObject demoAddress(const char *name, const char *line1, const char *city,
                        const char *postalCode, const char *country, const char *phone)
{
    return QJsonObject{{QStringLiteral("name"), QString::fromUtf8(name)},
                       {QStringLiteral("line1"), QString::fromUtf8(line1)},
                       {QStringLiteral("city"), QString::fromUtf8(city)},
                       {QStringLiteral("postalCode"), QString::fromUtf8(postalCode)},
                       {QStringLiteral("country"), QString::fromUtf8(country)},
                       {QStringLiteral("phone"), QString::fromUtf8(phone)}};
}

// Shipping options (domestic, international, free over an amount), the store's address and
// bank details, and an address book for each demo customer.
Status seedShipping(Shop &shop, const QStringList &customerIds, QStringList *optionIds)
{
    const QList<QJsonObject> options{
            QJsonObject{{QStringLiteral("name"), QStringLiteral("Standard (domestic)")},
                        {QStringLiteral("priceCents"), 490},
                        {QStringLiteral("freeOverCents"), 5000},
                        {QStringLiteral("countries"), QJsonArray{QStringLiteral("US")}},
                        {QStringLiteral("estimatedDays"),
                         QJsonObject{{QStringLiteral("min"), 2}, {QStringLiteral("max"), 4}}}},
            QJsonObject{{QStringLiteral("name"), QStringLiteral("Express (domestic)")},
                        {QStringLiteral("priceCents"), 1290},
                        {QStringLiteral("freeOverCents"), QJsonValue()},
                        {QStringLiteral("countries"), QJsonArray{QStringLiteral("US")}},
                        {QStringLiteral("estimatedDays"),
                         QJsonObject{{QStringLiteral("min"), 1}, {QStringLiteral("max"), 1}}}},
            QJsonObject{{QStringLiteral("name"), QStringLiteral("International")},
                        {QStringLiteral("priceCents"), 1990},
                        {QStringLiteral("freeOverCents"), 15000},
                        {QStringLiteral("countries"), QJsonValue()},
                        {QStringLiteral("estimatedDays"),
                         QJsonObject{{QStringLiteral("min"), 5}, {QStringLiteral("max"), 12}}}}};
    for (const QJsonObject &json : options) {
        auto option = ShippingOptions::fromJson(json);
        if (!option)
            return option.error();
        auto added = ShippingOptions::add(shop.database(), option.value());
        if (!added)
            return added.error();
        optionIds->append(added->id);
    }
    const QJsonObject store{
            {QStringLiteral("address"), demoAddress("Demo Roastery", "200 Harbor Street",
                                                    "Portland", "97204", "US", "+1 503 555 0100")},
            {QStringLiteral("taxId"), QStringLiteral("US-EIN 12-3456789")},
            {QStringLiteral("paymentInstructions"),
             QStringLiteral("Pay by bank transfer to Demo Roastery, account 000123456789, "
                            "routing 121000358 (First Demo Bank), quoting your order number. "
                            "We ship once the money has arrived.")}};
    if (auto p = shop.updateStoreProfile(store); !p)
        return p.error();
    const QList<QJsonObject> books{demoAddress("Alice Example", "12 Elm Street", "Springfield",
                                               "62701", "US", "+1 217 555 0142"),
                                   demoAddress("Bob Example", "Hauptstrasse 5", "Berlin", "10115",
                                               "DE", "+49 30 1234567")};
    for (qsizetype i = 0; i < customerIds.size() && i < books.size(); ++i) {
        auto address = addressFromJson(books.at(i));
        if (!address)
            return address.error();
        if (auto added
            = AddressBook::add(shop.database(), customerIds.at(i), address.value(), true);
            !added)
            return added.error();
    }
    return Ok{};
}

// One demo order, placed from the customer's cart like any other: `lines` of (product,
// quantity), shipped by `optionId` to the customer's default address.
Result<Order> placeDemoOrder(Shop &shop, const QString &customerId,
                             const QList<QPair<QString, int>> &lines, const QString &optionId)
{
    for (const auto &[productId, quantity] : lines) {
        if (auto c = shop.cart().setQuantity(customerId, productId, quantity); !c)
            return c.error();
    }
    auto book = AddressBook::list(shop.database().connection(), customerId);
    if (!book)
        return book.error();
    ShippingChoice choice;
    choice.optionId = optionId;
    for (const Address &a : book.value()) {
        if (a.isDefault)
            choice.addressId = a.id;
    }
    return shop.orders().placeOrder(customerId, 0, choice);
}

QString lineOf(const Order &order, const QString &productId)
{
    for (const OrderLine &l : order.items) {
        if (l.productId == productId)
            return l.id;
    }
    return {};
}

// Orders in every state a shop sees, each made through the services the API and the console
// call (the rules hold for them as for any order): waiting for payment, paid, partly shipped,
// shipped with tracking, delivered with a refund, cancelled by its customer, and cancelled and
// refunded by its seller. Paid states need manual payment: with Stripe configured only the
// unpaid and cancelled ones are made.
Status seedOrders(Shop &shop, const QStringList &sellerIds, const QStringList &customerIds,
                  const QList<QStringList> &productIds, const QStringList &optionIds)
{
    if (sellerIds.size() < 3 || customerIds.size() < 2 || optionIds.size() < 3
        || productIds.size() < 3 || productIds.at(0).size() < qsizetype(std::size(kProducts))
        || productIds.at(1).isEmpty() || productIds.at(2).isEmpty())
        return makeError(ErrorCode::Internal, QStringLiteral("the demo store is incomplete"));
    const QString alice = customerIds.at(0);
    const QString bob = customerIds.at(1);
    const QString roastery = sellerIds.at(0);
    const QString standard = optionIds.at(0);
    const QString express = optionIds.at(1);
    const QString international = optionIds.at(2);
    // The hand-written products by their place in kProducts.
    const auto product = [&](int i) {
        return productIds.at(0).at(i);
    };
    const QString espresso = product(0), dripper = product(2), kettle = product(4),
                  server = product(6), tea = product(8), frother = product(10);
    const QString teaSellersFirst = productIds.at(1).first();
    const QString kitchensFirst = productIds.at(2).first();
    auto owner = StoreOwner::ownerId(shop.database().connection());
    if (!owner)
        return owner.error();
    Shipments shipments(shop.database(), shop.notifier(), shop.events());
    SellerRefunds sellerRefunds(shop);
    const auto markPaid = [&](const Order &o) -> Status {
        if (auto paid = shop.orders().sellerMove(owner.value(), o.id, SellerAction::MarkPaid);
            !paid)
            return paid.error();
        return Ok{};
    };
    const auto tracked = [](const QString &carrier, const QString &number) {
        NewShipment s;
        s.carrier = carrier;
        s.trackingNumber = number;
        s.trackingUrl = QStringLiteral("https://tracking.example/parcels/") + number;
        return s;
    };

    // Cancelled by its customer before paying.
    auto cancelled = placeDemoOrder(shop, bob, {{kitchensFirst, 1}}, international);
    if (!cancelled)
        return cancelled.error();
    if (auto c = shop.orders().cancel(bob, cancelled->id); !c)
        return c.error();

    if (!shop.payments().stripeEnabled()) {
        // Paid, waiting to ship.
        auto paid = placeDemoOrder(shop, alice, {{espresso, 2}}, standard);
        if (!paid)
            return paid.error();
        if (auto s = markPaid(paid.value()); !s)
            return s;

        // Two sellers' order: the roastery shipped its part, the tea seller not yet.
        auto part = placeDemoOrder(shop, alice, {{server, 1}, {teaSellersFirst, 1}}, standard);
        if (!part)
            return part.error();
        if (auto s = markPaid(part.value()); !s)
            return s;
        NewShipment first = tracked(QStringLiteral("UPS"), QStringLiteral("1Z999AA10123456784"));
        first.items = QList<ShipmentItem>{{lineOf(part.value(), server), 1}};
        if (auto shipped = shipments.ship(roastery, part->id, first); !shipped)
            return shipped.error();

        // Shipped with tracking, on its way abroad.
        auto shipped = placeDemoOrder(shop, bob, {{dripper, 1}}, international);
        if (!shipped)
            return shipped.error();
        if (auto s = markPaid(shipped.value()); !s)
            return s;
        if (auto sent = shipments.ship(
                    roastery, shipped->id,
                    tracked(QStringLiteral("DHL"), QStringLiteral("JD014600006281230704")));
            !sent)
            return sent.error();

        // Delivered, and one of its two units refunded by the seller.
        auto delivered = placeDemoOrder(shop, alice, {{frother, 2}}, express);
        if (!delivered)
            return delivered.error();
        if (auto s = markPaid(delivered.value()); !s)
            return s;
        if (auto sent = shipments.ship(
                    roastery, delivered->id,
                    tracked(QStringLiteral("USPS"), QStringLiteral("9400111899223197428490")));
            !sent)
            return sent.error();
        if (auto s = shipments.deliverAll(roastery, delivered->id); !s)
            return s.error();
        if (auto r = sellerRefunds.refund(roastery, delivered->id,
                                          {{lineOf(delivered.value(), frother), 1, 0, 0}},
                                          QStringLiteral("One frother arrived dented"), false);
            !r)
            return r.error();

        // Paid, then cancelled by its seller, who refunded it in full.
        auto refunded = placeDemoOrder(shop, alice, {{kettle, 1}}, express);
        if (!refunded)
            return refunded.error();
        if (auto s = markPaid(refunded.value()); !s)
            return s;
        if (auto c = sellerRefunds.cancel(roastery, refunded->id,
                                          QStringLiteral("The last kettle failed our check"));
            !c)
            return c.error();
    }

    // Waiting for payment (cancelled on its own if nobody pays it in time).
    auto pending = placeDemoOrder(shop, bob, {{tea, 1}}, international);
    if (!pending)
        return pending.error();
    return Ok{};
}
} // namespace

QList<DemoAccount> Demo::accounts()
{
    // Index 0 is the main seller and index 1 a customer (tests rely on that order).
    return {
            {QStringLiteral("seller@demo.mercato.test"), QStringLiteral("demo-seller-pass"),
             QStringLiteral("seller")},
            {QStringLiteral("alice@demo.mercato.test"), QStringLiteral("demo-customer-pass"),
             QStringLiteral("customer")},
            {QStringLiteral("bob@demo.mercato.test"), QStringLiteral("demo-customer-pass"),
             QStringLiteral("customer")},
            {QStringLiteral("tea@demo.mercato.test"), QStringLiteral("demo-seller-pass"),
             QStringLiteral("seller")},
            {QStringLiteral("kitchen@demo.mercato.test"), QStringLiteral("demo-seller-pass"),
             QStringLiteral("seller")},
    };
}

Result<bool> Demo::seed(Shop &shop, const QString &ownerId)
{
    // (A null QString would bind as SQL NULL, and `id <> NULL` counts nothing.)
    auto count = ownerId.isEmpty()
                         ? execSql(shop.database().connection(),
                                   QStringLiteral("SELECT COUNT(*) FROM users"))
                         : execSql(shop.database().connection(),
                                   QStringLiteral("SELECT COUNT(*) FROM users WHERE id <> ?"),
                                   {ownerId});
    if (!count)
        return count.error();
    if (!count->next())
        return makeError(ErrorCode::Internal, QStringLiteral("cannot count accounts"));
    const qint64 existing = count->value(0).toLongLong();
    // The read ends here: a statement left open keeps its snapshot, and a later write on this
    // connection after the writer thread's checkouts would find it stale.
    count->finish();
    if (existing > 0) {
        qCInfo(lcDemo) << "the store already has accounts; demo data not added";
        return false;
    }

    QStringList sellerIds;
    QStringList customerIds;
    const QStringList names = {QStringLiteral("Demo Roastery"), QStringLiteral("Alice Example"),
                               QStringLiteral("Bob Example"), QStringLiteral("Leaf & Kettle Teas"),
                               QStringLiteral("Hearth Kitchenware")};
    const QList<DemoAccount> demoAccounts = accounts();
    for (qsizetype i = 0; i < demoAccounts.size(); ++i) {
        const DemoAccount &a = demoAccounts.at(i);
        auto session = shop.accounts().registerAccount({a.email, a.password, names.at(i), a.role});
        if (!session)
            return session.error();
        if (a.role == QLatin1String("customer"))
            customerIds.append(session->user.id);
        if (a.role == QLatin1String("seller")) {
            sellerIds.append(session->user.id);
            if (session->user.status == QLatin1String("pending")) {
                if (auto s = shop.accounts().approveSeller(session->user.id); !s)
                    return s.error();
            }
        }
    }

    // The products, newest first in the order listed here; one generated picture each.
    QList<QList<ImportedProduct>> bySeller(sellerIds.size());
    QList<QStringList> productIds; // per seller, in the order added
    QStringList storedKeys;
    const qint64 now = Clock::nowMs();
    int n = 0;
    auto add = [&](int seller, NewProduct product) -> Status {
        const QByteArray png = TileImage::png(TileImage::initials(product.name),
                                              kColours[n % std::size(kColours)]);
        auto stored = shop.images().store(png, QStringLiteral("image/png"));
        if (!stored)
            return stored.error();
        storedKeys.append(stored->key);
        ImportedProduct item;
        item.product = std::move(product);
        item.images.append(stored.value());
        item.createdAt = now - n * 1000; // distinct times: a stable "newest" order
        bySeller[seller].append(item);
        ++n;
        return Ok{};
    };
    auto seedAll = [&]() -> Status {
        for (const DemoProduct &p : kProducts) {
            NewProduct product;
            product.name = QString::fromUtf8(p.name);
            product.description = QString::fromUtf8(p.description);
            product.priceCents = p.priceCents;
            product.stock = p.stock;
            product.lowStockThreshold = p.lowStockThreshold;
            if (auto s = add(0, product); !s)
                return s;
        }
        for (int i = 0; n < kProductCount; ++i) {
            const int seller = i % 3;
            const int k = i / 3;
            NewProduct product;
            product.name = QStringLiteral("%1 %2").arg(
                    QString::fromLatin1(kAdjectives[k % std::size(kAdjectives)]),
                    QString::fromLatin1(kThemes[seller][k / std::size(kAdjectives)]));
            product.description = QString::fromLatin1(kThemeBlurbs[seller]);
            product.priceCents = 490 + qint64((i * 7919) % 12000);
            product.lowStockThreshold = 3 + i % 4;
            // Every 29th runs low (at or under its threshold; some sold out), the rest plenty.
            product.stock = i % 29 == 7 ? i % 4 : 8 + (i * 37) % 90;
            if (auto s = add(seller, product); !s)
                return s;
        }
        for (qsizetype s = 0; s < sellerIds.size(); ++s) {
            auto ids = shop.catalog().importProducts(sellerIds.at(s), bySeller.at(s));
            if (!ids)
                return ids.error();
            productIds.append(ids.value());
        }
        return Ok{};
    };
    if (auto s = seedAll(); !s) {
        for (const QString &key : std::as_const(storedKeys))
            [[maybe_unused]] const Status removed = shop.images().remove(key);
        return s.error();
    }
    // A logo in the shop's header, through the image store like one the seller chooses.
    QFile logo(QStringLiteral(":/demo/logo.png"));
    if (logo.open(QIODevice::ReadOnly)) {
        if (auto url = setStoreLogo(shop.database(), shop.images(), logo.readAll()); !url)
            return url.error();
    }
    QStringList optionIds;
    if (auto s = seedShipping(shop, customerIds, &optionIds); !s)
        return s.error();
    if (auto s = seedOrders(shop, sellerIds, customerIds, productIds, optionIds); !s)
        return s.error();
    shop.mail().wake();
    qCInfo(lcDemo).nospace() << "demo data added: " << demoAccounts.size() << " accounts ("
                             << sellerIds.size() << " sellers), " << n
                             << " products with pictures, orders in every state";
    return true;
}

} // namespace Mercato
