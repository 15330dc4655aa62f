// Addresses and shipping over HTTP: the address book, shipping options, the store's profile,
// checkout with shipping (required once an option exists, free over a threshold, the order's
// frozen copy), the cart preview, manual payment's answer, order numbers under concurrent
// checkouts (two processes on PostgreSQL), and shipping refunded with the last refund. Runs
// on SQLite and on PostgreSQL.

#include "orderfixture.h"

#include "model/shop.h"

#include <QDateTime>
#include <QJsonArray>
#include <QSet>
#include <QTest>

#include <atomic>
#include <thread>
#include <vector>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

const QString kAddresses = QStringLiteral("/api/v1/me/addresses");
const QString kOptions = QStringLiteral("/api/v1/owner/shipping-options");

QStringList errorFields(const HttpResult &r)
{
    QStringList out;
    const QJsonArray errors = r.json().value(QStringLiteral("errors")).toArray();
    for (const QJsonValue &e : errors)
        out.append(e.toObject().value(QStringLiteral("field")).toString());
    return out;
}

QJsonObject addressDe()
{
    return QJsonObject{{QStringLiteral("name"), QStringLiteral("Erika Mustermann")},
                       {QStringLiteral("line1"), QStringLiteral("Hauptstrasse 5")},
                       {QStringLiteral("city"), QStringLiteral("Berlin")},
                       {QStringLiteral("postalCode"), QStringLiteral("10115")},
                       {QStringLiteral("country"), QStringLiteral("DE")},
                       {QStringLiteral("phone"), QStringLiteral("+49 30 1234567")}};
}

QJsonObject with(QJsonObject o, const QString &key, const QJsonValue &value)
{
    if (value.isUndefined())
        o.remove(key);
    else
        o.insert(key, value);
    return o;
}

QJsonObject option(const QString &name, qint64 price, const QJsonValue &freeOver,
                   const QJsonValue &countries)
{
    return QJsonObject{{QStringLiteral("name"), name},
                       {QStringLiteral("priceCents"), price},
                       {QStringLiteral("freeOverCents"), freeOver},
                       {QStringLiteral("countries"), countries},
                       {QStringLiteral("estimatedDays"),
                        QJsonObject{{QStringLiteral("min"), 2}, {QStringLiteral("max"), 5}}}};
}

// A store with an owner (the first seller), a customer and a product, on a fresh server.
struct Store
{
    TestServer server;
    QString owner;
    QString customer;
    QString product;
    Client ownerClient{0};
    Client customerClient{0};

    bool start(qint64 price = 1000, int stock = 500)
    {
        if (!server.start())
            return false;
        Shop &shop = server.shop();
        owner = insertUser(shop, QStringLiteral("seller"));
        customer = insertUser(shop, QStringLiteral("customer"));
        product = insertProduct(shop, owner, price, stock);
        ownerClient = clientFor(server, owner, QStringLiteral("seller"));
        customerClient = clientFor(server, customer, QStringLiteral("customer"));
        return !product.isEmpty();
    }
    QString addOption(const QJsonObject &body)
    {
        const HttpResult r = ownerClient.post(kOptions, body);
        return r.status == 201 ? r.json().value(QStringLiteral("id")).toString() : QString();
    }
    bool fill(const Client &c, int quantity, const QString &productId = {})
    {
        c.del(QStringLiteral("/api/v1/cart"));
        return c.put(QStringLiteral("/api/v1/cart/items/")
                             + (productId.isEmpty() ? product : productId),
                     QJsonObject{{QStringLiteral("quantity"), quantity}})
                       .status
               == 200;
    }
};

} // namespace

class TestShipping : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void addressValidation_data();
    void addressValidation();
    void addressBookRules();
    void shippingOptions();
    void storeProfile();
    void shippingRequiredOnceAnOptionExists();
    void freeOverThreshold_data();
    void freeOverThreshold();
    void orderKeepsItsAddressCopy();
    void cartPreviewEqualsOrder();
    void idempotentOrderWithShipping();
    void manualCheckoutAnswer();
    void orderMailSaysWhatAndHowToPay();
    void orderNumbersUniqueUnderConcurrentOrders();
    void orderNumbersUniqueAcrossTwoProcesses();
    void shippingRefundedWithTheLastRefund();
};

void TestShipping::addressValidation_data()
{
    QTest::addColumn<QJsonObject>("body");
    QTest::addColumn<QString>("field"); // empty: accepted
    const QJsonObject de = addressDe();
    QTest::newRow("complete") << de << QString();
    QTest::newRow("no-name") << with(de, QStringLiteral("name"), {}) << QStringLiteral("name");
    QTest::newRow("blank-line1") << with(de, QStringLiteral("line1"), QStringLiteral("  "))
                                 << QStringLiteral("line1");
    QTest::newRow("no-city") << with(de, QStringLiteral("city"), {}) << QStringLiteral("city");
    QTest::newRow("no-country") << with(de, QStringLiteral("country"), {})
                                << QStringLiteral("country");
    QTest::newRow("unassigned-country") << with(de, QStringLiteral("country"), QStringLiteral("XX"))
                                        << QStringLiteral("country");
    QTest::newRow("lower-case-country") << with(de, QStringLiteral("country"), QStringLiteral("de"))
                                        << QStringLiteral("country");
    QTest::newRow("country-name") << with(de, QStringLiteral("country"), QStringLiteral("Germany"))
                                  << QStringLiteral("country");
    QTest::newRow("no-postal-code-in-DE")
            << with(de, QStringLiteral("postalCode"), {}) << QStringLiteral("postalCode");
    QTest::newRow("201-character-city")
            << with(de, QStringLiteral("city"), QString(201, QLatin1Char('B')))
            << QStringLiteral("city");
    QTest::newRow("200-character-name")
            << with(de, QStringLiteral("name"), QString(200, QLatin1Char('N'))) << QString();
    QTest::newRow("numeric-phone")
            << with(de, QStringLiteral("phone"), 4930) << QStringLiteral("phone");
    QTest::newRow("junk-isDefault") << with(de, QStringLiteral("isDefault"), QStringLiteral("yes"))
                                    << QStringLiteral("isDefault");
    for (const char *country : {"AE", "HK", "QA", "JM", "BS", "FJ"}) {
        QJsonObject noPostal = with(de, QStringLiteral("postalCode"), {});
        noPostal.insert(QStringLiteral("country"), QString::fromLatin1(country));
        QTest::newRow(qPrintable(QStringLiteral("no-postal-code-in-") + QLatin1String(country)))
                << noPostal << QString();
    }
}

void TestShipping::addressValidation()
{
    QFETCH(QJsonObject, body);
    QFETCH(QString, field);
    Store store;
    QVERIFY(store.start());
    const HttpResult r = store.customerClient.post(kAddresses, body);
    const QJsonArray book
            = store.customerClient.get(kAddresses).json().value(QStringLiteral("items")).toArray();
    if (field.isEmpty()) {
        QCOMPARE(r.status, 201);
        QCOMPARE(r.header("location"),
                 (kAddresses + QLatin1Char('/') + r.json().value(QStringLiteral("id")).toString())
                         .toUtf8());
        QCOMPARE(r.json().value(QStringLiteral("country")), body.value(QStringLiteral("country")));
        QCOMPARE(book.size(), 1);
    } else {
        QCOMPARE(r.status, 422);
        QVERIFY(r.isProblem());
        QVERIFY2(errorFields(r).contains(field), r.body.constData());
        QCOMPARE(book.size(), 0); // nothing stored
    }
}

void TestShipping::addressBookRules()
{
    Store store;
    QVERIFY(store.start());
    const Client &cust = store.customerClient;
    const HttpResult first = cust.post(kAddresses, addressDe());
    QCOMPARE(first.status, 201);
    QCOMPARE(first.json().value(QStringLiteral("isDefault")).toBool(), true);
    const QString firstId = first.json().value(QStringLiteral("id")).toString();
    const HttpResult second = cust.post(
            kAddresses, with(addressDe(), QStringLiteral("city"), QStringLiteral("Bonn")));
    QCOMPARE(second.status, 201);
    QCOMPARE(second.json().value(QStringLiteral("isDefault")).toBool(), false);
    const QString secondId = second.json().value(QStringLiteral("id")).toString();
    auto defaults = [&] {
        QStringList ids;
        const QJsonArray items
                = cust.get(kAddresses).json().value(QStringLiteral("items")).toArray();
        for (const QJsonValue &a : items) {
            if (a.toObject().value(QStringLiteral("isDefault")).toBool())
                ids.append(a.toObject().value(QStringLiteral("id")).toString());
        }
        return ids;
    };
    QCOMPARE(defaults(), QStringList{firstId});
    const HttpResult made = cust.patch(kAddresses + QLatin1Char('/') + secondId,
                                       QJsonObject{{QStringLiteral("isDefault"), true}});
    QCOMPARE(made.status, 200);
    QCOMPARE(made.json().value(QStringLiteral("city")).toString(), QStringLiteral("Bonn"));
    QCOMPARE(defaults(), QStringList{secondId});
    // A patch is checked as a whole address: DE needs a postal code.
    const HttpResult bad = cust.patch(kAddresses + QLatin1Char('/') + secondId,
                                      QJsonObject{{QStringLiteral("postalCode"), QJsonValue()}});
    QCOMPARE(bad.status, 422);
    QVERIFY(errorFields(bad).contains(QStringLiteral("postalCode")));

    // Another customer's address is unknown to them; a seller has no address book.
    const QString otherId = insertUser(store.server.shop(), QStringLiteral("customer"));
    const Client other = clientFor(store.server, otherId, QStringLiteral("customer"));
    QCOMPARE(other.patch(kAddresses + QLatin1Char('/') + firstId,
                         QJsonObject{{QStringLiteral("city"), QStringLiteral("Hamburg")}})
                     .status,
             404);
    QCOMPARE(other.del(kAddresses + QLatin1Char('/') + firstId).status, 404);
    QCOMPARE(other.get(kAddresses).json().value(QStringLiteral("items")).toArray().size(), 0);
    QCOMPARE(store.ownerClient.get(kAddresses).status, 403);
    QCOMPARE(store.ownerClient.post(kAddresses, addressDe()).status, 403);

    // 20 at most; the 21st is refused and changes nothing.
    for (int i = 2; i < 20; ++i)
        QCOMPARE(cust.post(kAddresses, with(addressDe(), QStringLiteral("line1"),
                                            QStringLiteral("%1 Lindenweg").arg(i)))
                         .status,
                 201);
    const HttpResult full = cust.post(kAddresses, addressDe());
    QCOMPARE(full.status, 409);
    QVERIFY(full.isProblem());
    QJsonArray book = cust.get(kAddresses).json().value(QStringLiteral("items")).toArray();
    QCOMPARE(book.size(), 20);
    const QString newest = book.last().toObject().value(QStringLiteral("id")).toString();
    QCOMPARE(book.last().toObject().value(QStringLiteral("line1")).toString(),
             QStringLiteral("19 Lindenweg"));

    // Deleting the default makes the newest remaining address the default.
    QCOMPARE(cust.del(kAddresses + QLatin1Char('/') + secondId).status, 204);
    QCOMPARE(defaults(), QStringList{newest});
    QCOMPARE(cust.post(kAddresses, addressDe()).status, 201); // room again
    // Deleting another one leaves the default alone.
    QCOMPARE(cust.del(kAddresses + QLatin1Char('/') + firstId).status, 204);
    QCOMPARE(defaults(), QStringList{newest});
    QCOMPARE(cust.del(kAddresses + QLatin1Char('/') + firstId).status, 404);
}

void TestShipping::shippingOptions()
{
    Store store;
    QVERIFY(store.start());
    const QString other = insertUser(store.server.shop(), QStringLiteral("seller"));
    const Client otherSeller = clientFor(store.server, other, QStringLiteral("seller"));
    const QJsonObject de = option(QStringLiteral("DHL"), 490, 5000,
                                  QJsonArray{QStringLiteral("DE"), QStringLiteral("AT")});
    QCOMPARE(otherSeller.post(kOptions, de).status, 403); // only the owner
    QCOMPARE(store.customerClient.post(kOptions, de).status, 403);
    QCOMPARE(store.server.client().post(kOptions, de).status, 401);

    const QList<QPair<QJsonObject, QString>> invalid{
            {with(de, QStringLiteral("name"), {}), QStringLiteral("name")},
            {with(de, QStringLiteral("priceCents"), -1), QStringLiteral("priceCents")},
            {with(de, QStringLiteral("priceCents"), 1.5), QStringLiteral("priceCents")},
            {with(de, QStringLiteral("freeOverCents"), QStringLiteral("50")),
             QStringLiteral("freeOverCents")},
            {with(de, QStringLiteral("countries"), QJsonArray{QStringLiteral("de")}),
             QStringLiteral("countries")},
            {with(de, QStringLiteral("countries"), QJsonArray{}), QStringLiteral("countries")},
            {with(de, QStringLiteral("estimatedDays"),
                  QJsonObject{{QStringLiteral("min"), 5}, {QStringLiteral("max"), 2}}),
             QStringLiteral("estimatedDays")}};
    for (const auto &[body, field] : invalid) {
        const HttpResult r = store.ownerClient.post(kOptions, body);
        QCOMPARE(r.status, 422);
        QVERIFY2(errorFields(r).join(QLatin1Char(' ')).contains(field), r.body.constData());
    }
    QCOMPARE(store.server.client()
                     .get(QStringLiteral("/api/v1/shipping-options"))
                     .json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .size(),
             0);

    const HttpResult created = store.ownerClient.post(kOptions, de);
    QCOMPARE(created.status, 201);
    const QJsonObject made = created.json();
    QCOMPARE(made.value(QStringLiteral("countries")).toArray(),
             (QJsonArray{QStringLiteral("AT"), QStringLiteral("DE")}));
    QCOMPARE(made.value(QStringLiteral("freeOverCents")).toInteger(), 5000);
    QCOMPARE(made.value(QStringLiteral("estimatedDays"))
                     .toObject()
                     .value(QStringLiteral("max"))
                     .toInt(),
             5);
    const HttpResult world = store.ownerClient.post(
            kOptions, option(QStringLiteral("World"), 1990, QJsonValue(), QJsonValue()));
    QCOMPARE(world.status, 201);
    QVERIFY(world.json().value(QStringLiteral("countries")).isNull());

    auto namesFor = [&](const QString &query) {
        QStringList names;
        const QJsonArray items = store.server.client()
                                         .get(QStringLiteral("/api/v1/shipping-options") + query)
                                         .json()
                                         .value(QStringLiteral("items"))
                                         .toArray();
        for (const QJsonValue &o : items)
            names.append(o.toObject().value(QStringLiteral("name")).toString());
        return names;
    };
    QCOMPARE(namesFor(QStringLiteral("?country=DE")),
             (QStringList{QStringLiteral("DHL"), QStringLiteral("World")}));
    QCOMPARE(namesFor(QStringLiteral("?country=US")), QStringList{QStringLiteral("World")});
    QCOMPARE(namesFor({}).size(), 2);
    for (const char *junk : {"?country=de", "?country=XX", "?country=", "?country=DEU"}) {
        const HttpResult r = store.server.client().get(QStringLiteral("/api/v1/shipping-options")
                                                       + QString::fromLatin1(junk));
        QCOMPARE(r.status, 400);
        QVERIFY(errorFields(r).contains(QStringLiteral("country")));
    }
    // GET /store says where the store ships: null while one option ships everywhere.
    QVERIFY(store.server.client()
                    .get(QStringLiteral("/api/v1/store"))
                    .json()
                    .value(QStringLiteral("shipsTo"))
                    .isNull());
    const QString worldId = world.json().value(QStringLiteral("id")).toString();
    const HttpResult patched = store.ownerClient.patch(
            kOptions + QLatin1Char('/') + worldId,
            QJsonObject{{QStringLiteral("countries"), QJsonArray{QStringLiteral("US")}},
                        {QStringLiteral("priceCents"), 2490}});
    QCOMPARE(patched.status, 200);
    QCOMPARE(patched.json().value(QStringLiteral("priceCents")).toInteger(), 2490);
    QCOMPARE(patched.json().value(QStringLiteral("name")).toString(), QStringLiteral("World"));
    QCOMPARE(store.server.client()
                     .get(QStringLiteral("/api/v1/store"))
                     .json()
                     .value(QStringLiteral("shipsTo"))
                     .toArray(),
             (QJsonArray{QStringLiteral("AT"), QStringLiteral("DE"), QStringLiteral("US")}));
    QCOMPARE(store.ownerClient
                     .patch(kOptions + QLatin1Char('/') + worldId,
                            QJsonObject{{QStringLiteral("priceCents"), -5}})
                     .status,
             422);
    QCOMPARE(otherSeller.del(kOptions + QLatin1Char('/') + worldId).status, 403);
    QCOMPARE(store.ownerClient.del(kOptions + QLatin1Char('/') + worldId).status, 204);
    QCOMPARE(store.ownerClient.del(kOptions + QLatin1Char('/') + worldId).status, 404);
    QCOMPARE(namesFor(QStringLiteral("?country=US")), QStringList{});
}

void TestShipping::storeProfile()
{
    Store store;
    QVERIFY(store.start());
    const QJsonObject address{{QStringLiteral("name"), QStringLiteral("Demo GmbH")},
                              {QStringLiteral("line1"), QStringLiteral("Marktplatz 1")},
                              {QStringLiteral("city"), QStringLiteral("Leipzig")},
                              {QStringLiteral("postalCode"), QStringLiteral("04109")},
                              {QStringLiteral("country"), QStringLiteral("DE")}};
    const QJsonObject patch{{QStringLiteral("name"), QStringLiteral("Kaffee & Co")},
                            {QStringLiteral("currency"), QStringLiteral("EUR")},
                            {QStringLiteral("address"), address},
                            {QStringLiteral("taxId"), QStringLiteral("DE123456789")},
                            {QStringLiteral("invoicePrefix"), QStringLiteral("INV-")},
                            {QStringLiteral("creditNotePrefix"), QStringLiteral("CN-")},
                            {QStringLiteral("paymentInstructions"),
                             QStringLiteral("IBAN DE89 3704 0044 0532 0130 00")}};
    const QString other = insertUser(store.server.shop(), QStringLiteral("seller"));
    QCOMPARE(clientFor(store.server, other, QStringLiteral("seller"))
                     .patch(QStringLiteral("/api/v1/owner/store"), patch)
                     .status,
             403);
    QCOMPARE(store.customerClient.patch(QStringLiteral("/api/v1/owner/store"), patch).status, 403);
    const QList<QPair<QJsonObject, QString>> invalid{
            {QJsonObject{{QStringLiteral("currency"), QStringLiteral("euro")}},
             QStringLiteral("currency")},
            {QJsonObject{{QStringLiteral("address"),
                          with(address, QStringLiteral("country"), QStringLiteral("XX"))}},
             QStringLiteral("address.country")},
            {QJsonObject{{QStringLiteral("name"), QString()}}, QStringLiteral("name")},
            {QJsonObject{{QStringLiteral("logoUrl"), QStringLiteral("javascript:alert(1)")}},
             QStringLiteral("logoUrl")},
            {QJsonObject{{QStringLiteral("taxId"), 12}}, QStringLiteral("taxId")}};
    for (const auto &[body, field] : invalid) {
        const HttpResult r = store.ownerClient.patch(QStringLiteral("/api/v1/owner/store"), body);
        QCOMPARE(r.status, 422);
        QVERIFY2(errorFields(r).contains(field), r.body.constData());
    }
    const HttpResult r = store.ownerClient.patch(QStringLiteral("/api/v1/owner/store"), patch);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("paymentInstructions")),
             patch.value(QStringLiteral("paymentInstructions")));
    const QJsonObject shown = store.server.client().get(QStringLiteral("/api/v1/store")).json();
    QCOMPARE(shown.value(QStringLiteral("name")).toString(), QStringLiteral("Kaffee & Co"));
    QCOMPARE(shown.value(QStringLiteral("currency")).toString(), QStringLiteral("EUR"));
    QCOMPARE(shown.value(QStringLiteral("taxId")).toString(), QStringLiteral("DE123456789"));
    QCOMPARE(shown.value(QStringLiteral("address")).toObject().value(QStringLiteral("city")),
             QJsonValue(QStringLiteral("Leipzig")));
    QVERIFY(shown.contains(QStringLiteral("shipsTo")));
    QVERIFY(shown.contains(QStringLiteral("logoUrl")));

    // The currency is the orders' currency: it changes only while the store has none.
    QVERIFY(store.fill(store.customerClient, 1));
    const HttpResult order = store.customerClient.post(QStringLiteral("/api/v1/orders"));
    QCOMPARE(order.status, 201);
    QCOMPARE(order.json().value(QStringLiteral("currency")).toString(), QStringLiteral("EUR"));
    const HttpResult late = store.ownerClient.patch(
            QStringLiteral("/api/v1/owner/store"),
            QJsonObject{{QStringLiteral("currency"), QStringLiteral("USD")}});
    QCOMPARE(late.status, 409);
    QCOMPARE(store.server.client()
                     .get(QStringLiteral("/api/v1/store"))
                     .json()
                     .value(QStringLiteral("currency"))
                     .toString(),
             QStringLiteral("EUR"));
    // Naming the same currency again is no change.
    QCOMPARE(store.ownerClient
                     .patch(QStringLiteral("/api/v1/owner/store"),
                            QJsonObject{{QStringLiteral("currency"), QStringLiteral("EUR")},
                                        {QStringLiteral("taxId"), QJsonValue()}})
                     .status,
             200);
    QVERIFY(store.server.client()
                    .get(QStringLiteral("/api/v1/store"))
                    .json()
                    .value(QStringLiteral("taxId"))
                    .isNull());
}

void TestShipping::shippingRequiredOnceAnOptionExists()
{
    Store store;
    QVERIFY(store.start());
    const Client &cust = store.customerClient;
    Shop &shop = store.server.shop();
    // No option: an order carries no shipping.
    QVERIFY(store.fill(cust, 1));
    const HttpResult plain = cust.post(QStringLiteral("/api/v1/orders"));
    QCOMPARE(plain.status, 201);
    QVERIFY(plain.json().value(QStringLiteral("shipping")).isNull());
    QVERIFY(plain.json().value(QStringLiteral("shippingAddress")).isNull());
    QCOMPARE(plain.json().value(QStringLiteral("shippingCents")).toInteger(), 0);
    QCOMPARE(plain.json().value(QStringLiteral("totalCents")).toInteger(), 1000);
    QVERIFY(plain.json().value(QStringLiteral("number")).toInteger() >= 1001);

    const QString fr = store.addOption(option(QStringLiteral("Colissimo"), 700, QJsonValue(),
                                              QJsonArray{QStringLiteral("FR")}));
    QVERIFY(!fr.isEmpty());
    const QString addressId
            = cust.post(kAddresses, addressDe()).json().value(QStringLiteral("id")).toString();
    QVERIFY(!addressId.isEmpty());
    QVERIFY(store.fill(cust, 2));
    const qint64 stock = stockOf(shop, store.product);
    const qint64 orders = scalar(shop, QStringLiteral("SELECT COUNT(*) FROM orders"));
    struct Case
    {
        const char *name;
        QJsonObject body;
        QStringList fields;
    };
    const QList<Case> cases{
            {"nothing",
             QJsonObject{},
             {QStringLiteral("shippingOptionId"), QStringLiteral("shippingAddress")}},
            {"no-address",
             QJsonObject{{QStringLiteral("shippingOptionId"), fr}},
             {QStringLiteral("shippingAddress")}},
            {"no-option",
             QJsonObject{{QStringLiteral("shippingAddressId"), addressId}},
             {QStringLiteral("shippingOptionId")}},
            {"unknown-option",
             QJsonObject{{QStringLiteral("shippingOptionId"), QStringLiteral("nope")},
                         {QStringLiteral("shippingAddressId"), addressId}},
             {QStringLiteral("shippingOptionId")}},
            {"unknown-address",
             QJsonObject{{QStringLiteral("shippingOptionId"), fr},
                         {QStringLiteral("shippingAddressId"), QStringLiteral("nope")}},
             {QStringLiteral("shippingAddressId")}},
            {"not-shipped-there",
             QJsonObject{{QStringLiteral("shippingOptionId"), fr},
                         {QStringLiteral("shippingAddressId"), addressId}},
             {QStringLiteral("shippingOptionId")}},
            {"bad-inline-address",
             QJsonObject{{QStringLiteral("shippingOptionId"), fr},
                         {QStringLiteral("shippingAddress"),
                          with(addressDe(), QStringLiteral("country"), QStringLiteral("FRA"))}},
             {QStringLiteral("shippingAddress.country")}},
            {"address-not-an-object",
             QJsonObject{{QStringLiteral("shippingOptionId"), fr},
                         {QStringLiteral("shippingAddress"), QStringLiteral("Paris")}},
             {QStringLiteral("shippingAddress")}},
    };
    for (const Case &c : cases) {
        const HttpResult r = cust.post(QStringLiteral("/api/v1/orders"), c.body);
        QVERIFY2(r.status == 422, c.name);
        for (const QString &field : c.fields)
            QVERIFY2(errorFields(r).contains(field),
                     qPrintable(QLatin1String(c.name) + QLatin1Char(' ')
                                + QString::fromUtf8(r.body)));
    }
    // Nothing changed: no order, the stock and the cart as they were.
    QCOMPARE(scalar(shop, QStringLiteral("SELECT COUNT(*) FROM orders")), orders);
    QCOMPARE(stockOf(shop, store.product), stock);
    QCOMPARE(cust.get(QStringLiteral("/api/v1/cart"))
                     .json()
                     .value(QStringLiteral("subtotalCents"))
                     .toInteger(),
             2000);

    // A full address inline in a country the option serves.
    const HttpResult ok = cust.post(
            QStringLiteral("/api/v1/orders"),
            QJsonObject{{QStringLiteral("shippingOptionId"), fr},
                        {QStringLiteral("shippingAddress"),
                         with(addressDe(), QStringLiteral("country"), QStringLiteral("FR"))}});
    QCOMPARE(ok.status, 201);
    const QJsonObject placed = ok.json();
    QCOMPARE(placed.value(QStringLiteral("shippingCents")).toInteger(), 700);
    QCOMPARE(placed.value(QStringLiteral("totalCents")).toInteger(), 2700);
    QCOMPARE(placed.value(QStringLiteral("shipping")).toObject(),
             (QJsonObject{{QStringLiteral("optionId"), fr},
                          {QStringLiteral("name"), QStringLiteral("Colissimo")},
                          {QStringLiteral("priceCents"), 700}}));
    QCOMPARE(placed.value(QStringLiteral("shippingAddress"))
                     .toObject()
                     .value(QStringLiteral("country"))
                     .toString(),
             QStringLiteral("FR"));
    QVERIFY(placed.value(QStringLiteral("number")).toInteger()
            > plain.json().value(QStringLiteral("number")).toInteger());
    // The old order without shipping stays as it was.
    const HttpResult old = cust.get(QStringLiteral("/api/v1/orders/")
                                    + plain.json().value(QStringLiteral("id")).toString());
    QCOMPARE(old.status, 200);
    QVERIFY(old.json().value(QStringLiteral("shipping")).isNull());
    QCOMPARE(old.json().value(QStringLiteral("totalCents")).toInteger(), 1000);
}

void TestShipping::freeOverThreshold_data()
{
    QTest::addColumn<int>("quantity");
    QTest::addColumn<int>("coins");
    QTest::addColumn<qint64>("shipping");
    // One unit costs 1499, the option 450, free from 2998.
    QTest::newRow("below") << 1 << 0 << qint64(450);
    QTest::newRow("reaches-exactly") << 2 << 0 << qint64(0);
    QTest::newRow("above") << 3 << 0 << qint64(0);
    // Coins do not count toward the threshold: still free with 400 coins off.
    QTest::newRow("reaches-with-coins") << 2 << 400 << qint64(0);
}

void TestShipping::freeOverThreshold()
{
    QFETCH(int, quantity);
    QFETCH(int, coins);
    QFETCH(qint64, shipping);
    Store store;
    QVERIFY(store.start(1499));
    const QString standard
            = store.addOption(option(QStringLiteral("Standard"), 450, 2998, QJsonValue()));
    QVERIFY(!standard.isEmpty());
    QVERIFY(grantCoins(store.server.shop(), store.customer, 1000));
    QVERIFY(store.fill(store.customerClient, quantity));
    const HttpResult r = store.customerClient.post(
            QStringLiteral("/api/v1/orders"),
            QJsonObject{{QStringLiteral("coinsToUse"), coins},
                        {QStringLiteral("shippingOptionId"), standard},
                        {QStringLiteral("shippingAddress"), addressDe()}});
    QCOMPARE(r.status, 201);
    const QJsonObject o = r.json();
    QCOMPARE(o.value(QStringLiteral("shippingCents")).toInteger(), shipping);
    QCOMPARE(o.value(QStringLiteral("shipping"))
                     .toObject()
                     .value(QStringLiteral("priceCents"))
                     .toInteger(),
             shipping);
    QCOMPARE(o.value(QStringLiteral("coinsUsed")).toInteger(), coins);
    QCOMPARE(o.value(QStringLiteral("totalCents")).toInteger(),
             o.value(QStringLiteral("subtotalCents")).toInteger()
                     - o.value(QStringLiteral("discountCents")).toInteger() + shipping);
}

void TestShipping::orderKeepsItsAddressCopy()
{
    Store store;
    QVERIFY(store.start());
    const Client &cust = store.customerClient;
    const QString world
            = store.addOption(option(QStringLiteral("World"), 990, QJsonValue(), QJsonValue()));
    const HttpResult added = cust.post(kAddresses, addressDe());
    const QString addressId = added.json().value(QStringLiteral("id")).toString();
    QVERIFY(store.fill(cust, 1));
    const HttpResult placed
            = cust.post(QStringLiteral("/api/v1/orders"),
                        QJsonObject{{QStringLiteral("shippingOptionId"), world},
                                    {QStringLiteral("shippingAddressId"), addressId}});
    QCOMPARE(placed.status, 201);
    const QString orderId = placed.json().value(QStringLiteral("id")).toString();
    QJsonObject expected = addressDe();
    expected.insert(QStringLiteral("line2"), QJsonValue());
    expected.insert(QStringLiteral("region"), QJsonValue());
    QCOMPARE(placed.json().value(QStringLiteral("shippingAddress")).toObject(), expected);

    QCOMPARE(cust.patch(kAddresses + QLatin1Char('/') + addressId,
                        QJsonObject{{QStringLiteral("city"), QStringLiteral("Hamburg")},
                                    {QStringLiteral("postalCode"), QStringLiteral("20095")}})
                     .status,
             200);
    QCOMPARE(cust.get(QStringLiteral("/api/v1/orders/") + orderId)
                     .json()
                     .value(QStringLiteral("shippingAddress"))
                     .toObject(),
             expected);
    QCOMPARE(cust.del(kAddresses + QLatin1Char('/') + addressId).status, 204);
    const QJsonObject after = cust.get(QStringLiteral("/api/v1/orders/") + orderId).json();
    QCOMPARE(after.value(QStringLiteral("shippingAddress")).toObject(), expected);
    QCOMPARE(after.value(QStringLiteral("number")), placed.json().value(QStringLiteral("number")));
    // The list and the seller's views show the same copy, number and fee.
    const QJsonObject listed = cust.get(QStringLiteral("/api/v1/orders"))
                                       .json()
                                       .value(QStringLiteral("items"))
                                       .toArray()
                                       .first()
                                       .toObject();
    QCOMPARE(listed.value(QStringLiteral("shippingAddress")).toObject(), expected);
    QCOMPARE(listed.value(QStringLiteral("shippingCents")).toInteger(), 990);
    const QJsonObject seller
            = store.ownerClient.get(QStringLiteral("/api/v1/seller/orders/") + orderId).json();
    QCOMPARE(seller.value(QStringLiteral("shippingAddress")).toObject(), expected);
    QCOMPARE(seller.value(QStringLiteral("number")), placed.json().value(QStringLiteral("number")));
    QCOMPARE(seller.value(QStringLiteral("shipping"))
                     .toObject()
                     .value(QStringLiteral("name"))
                     .toString(),
             QStringLiteral("World"));
    const QJsonObject sellerListed = store.ownerClient.get(QStringLiteral("/api/v1/seller/orders"))
                                             .json()
                                             .value(QStringLiteral("items"))
                                             .toArray()
                                             .first()
                                             .toObject();
    QCOMPARE(sellerListed.value(QStringLiteral("shippingCents")).toInteger(), 990);
    // The packing slip sends the parcel to the copy, under the order's number.
    const HttpResult slip = store.ownerClient.get(QStringLiteral("/api/v1/seller/orders/") + orderId
                                                  + QStringLiteral("/packing-slip"));
    QCOMPARE(slip.status, 200);
    const QString html = QString::fromUtf8(slip.body);
    QVERIFY2(html.contains(expected.value(QStringLiteral("line1")).toString().toHtmlEscaped()),
             qPrintable(html));
    QVERIFY(html.contains(expected.value(QStringLiteral("city")).toString()));
    QVERIFY(!html.contains(QStringLiteral("Hamburg")));
    QVERIFY(html.contains(
            QStringLiteral("#%1").arg(placed.json().value(QStringLiteral("number")).toInteger())));
    QVERIFY(html.contains(QStringLiteral("Shipping: World")));
    // Deleting the option does not change the order either.
    QCOMPARE(store.ownerClient.del(kOptions + QLatin1Char('/') + world).status, 204);
    QCOMPARE(cust.get(QStringLiteral("/api/v1/orders/") + orderId)
                     .json()
                     .value(QStringLiteral("shipping"))
                     .toObject()
                     .value(QStringLiteral("priceCents"))
                     .toInteger(),
             990);
}

void TestShipping::cartPreviewEqualsOrder()
{
    Store store;
    QVERIFY(store.start(1234));
    const Client &cust = store.customerClient;
    const QString eu
            = store.addOption(option(QStringLiteral("EU"), 650, 5000,
                                     QJsonArray{QStringLiteral("DE"), QStringLiteral("FR")}));
    const QString addressId
            = cust.post(kAddresses, addressDe()).json().value(QStringLiteral("id")).toString();
    QVERIFY(grantCoins(store.server.shop(), store.customer, 5000));
    QVERIFY(store.fill(cust, 3));
    const QString cart = QStringLiteral("/api/v1/cart");
    // Without choices the cart alone; junk values 400 naming the parameter.
    QVERIFY(!cust.get(cart).json().contains(QStringLiteral("totalCents")));
    for (const auto &[query, name] : QList<QPair<QString, QString>>{
                 {QStringLiteral("?coinsToUse=abc"), QStringLiteral("coinsToUse")},
                 {QStringLiteral("?coinsToUse=-1"), QStringLiteral("coinsToUse")},
                 {QStringLiteral("?country=de"), QStringLiteral("country")},
                 {QStringLiteral("?shippingOptionId="), QStringLiteral("shippingOptionId")}}) {
        const HttpResult r = cust.get(cart + query);
        QCOMPARE(r.status, 400);
        QVERIFY2(errorFields(r).contains(name), r.body.constData());
    }
    // A choice the checkout would refuse gives the same 422.
    const HttpResult us
            = cust.get(cart + QStringLiteral("?shippingOptionId=%1&country=US").arg(eu));
    QCOMPARE(us.status, 422);
    QVERIFY(errorFields(us).contains(QStringLiteral("shippingOptionId")));
    QCOMPARE(cust.get(cart + QStringLiteral("?shippingOptionId=nope")).status, 422);
    QCOMPARE(cust.get(cart + QStringLiteral("?shippingAddressId=nope")).status, 422);

    const HttpResult byCountry = cust.get(
            cart + QStringLiteral("?shippingOptionId=%1&country=FR&coinsToUse=300").arg(eu));
    QCOMPARE(byCountry.status, 200);
    QCOMPARE(byCountry.json().value(QStringLiteral("shippingCents")).toInteger(), 650);
    const HttpResult preview
            = cust.get(cart
                       + QStringLiteral("?shippingOptionId=%1&shippingAddressId=%2&coinsToUse=300")
                                 .arg(eu, addressId));
    QCOMPARE(preview.status, 200);
    const QJsonObject p = preview.json();
    QCOMPARE(p.value(QStringLiteral("subtotalCents")).toInteger(), 3702);
    QCOMPARE(p.value(QStringLiteral("coinsUsed")).toInteger(), 300);
    QCOMPARE(p.value(QStringLiteral("discounts")).toArray().size(), 1);
    const HttpResult placed
            = cust.post(QStringLiteral("/api/v1/orders"),
                        QJsonObject{{QStringLiteral("coinsToUse"), 300},
                                    {QStringLiteral("shippingOptionId"), eu},
                                    {QStringLiteral("shippingAddressId"), addressId}});
    QCOMPARE(placed.status, 201);
    const QJsonObject o = placed.json();
    for (const char *field :
         {"subtotalCents", "discountCents", "coinsUsed", "shippingCents", "totalCents"})
        QVERIFY2(p.value(QLatin1String(field)) == o.value(QLatin1String(field)),
                 qPrintable(QStringLiteral("%1: preview %2, order %3")
                                    .arg(QLatin1String(field))
                                    .arg(p.value(QLatin1String(field)).toInteger())
                                    .arg(o.value(QLatin1String(field)).toInteger())));
    QCOMPARE(o.value(QStringLiteral("totalCents")).toInteger(), 3702 - 300 + 650);
}

void TestShipping::idempotentOrderWithShipping()
{
    Store store;
    QVERIFY(store.start());
    const Client &cust = store.customerClient;
    const QString a = store.addOption(option(QStringLiteral("A"), 300, QJsonValue(), QJsonValue()));
    const QString b = store.addOption(option(QStringLiteral("B"), 900, QJsonValue(), QJsonValue()));
    QVERIFY(store.fill(cust, 1));
    const QJsonObject body{{QStringLiteral("shippingOptionId"), a},
                           {QStringLiteral("shippingAddress"), addressDe()}};
    const QList<QPair<QByteArray, QByteArray>> key{{"Idempotency-Key", "order-with-shipping-1"}};
    const HttpResult first = cust.post(QStringLiteral("/api/v1/orders"), body, key);
    QCOMPARE(first.status, 201);
    // The same body again (its keys in another order): the first answer, nothing new.
    QJsonObject same;
    same.insert(QStringLiteral("shippingAddress"), addressDe());
    same.insert(QStringLiteral("shippingOptionId"), a);
    const HttpResult replay = cust.post(QStringLiteral("/api/v1/orders"), same, key);
    QCOMPARE(replay.status, 201);
    QCOMPARE(replay.header("idempotent-replayed"), QByteArray("true"));
    QCOMPARE(replay.json().value(QStringLiteral("id")), first.json().value(QStringLiteral("id")));
    QCOMPARE(replay.json().value(QStringLiteral("shippingCents")).toInteger(), 300);
    // Another shipping choice under the same key is another request: 409.
    const HttpResult other = cust.post(QStringLiteral("/api/v1/orders"),
                                       with(body, QStringLiteral("shippingOptionId"), b), key);
    QCOMPARE(other.status, 409);
    QCOMPARE(scalar(store.server.shop(), QStringLiteral("SELECT COUNT(*) FROM orders")), 1);
}

void TestShipping::manualCheckoutAnswer()
{
    Store store;
    QVERIFY(store.start());
    const Client &cust = store.customerClient;
    auto placeAndCheckout = [&]() -> std::pair<QJsonObject, QJsonObject> {
        if (!store.fill(cust, 1))
            return {};
        const QJsonObject order = cust.post(QStringLiteral("/api/v1/orders")).json();
        const HttpResult r = cust.post(QStringLiteral("/api/v1/orders/%1/checkout")
                                               .arg(order.value(QStringLiteral("id")).toString()));
        return {order, r.status == 200 ? r.json() : QJsonObject{}};
    };
    const auto [first, answer] = placeAndCheckout();
    QCOMPARE(answer.value(QStringLiteral("provider")).toString(), QStringLiteral("manual"));
    const QString reference
            = QStringLiteral("#%1").arg(first.value(QStringLiteral("number")).toInteger());
    QCOMPARE(answer.value(QStringLiteral("reference")).toString(), reference);
    QCOMPARE(answer.value(QStringLiteral("payBefore")), first.value(QStringLiteral("expiresAt")));
    QVERIFY(!answer.value(QStringLiteral("payBefore")).toString().isEmpty());
    // The default text quotes the number, not the API's id.
    QVERIFY2(answer.value(QStringLiteral("instructions")).toString().contains(reference),
             qPrintable(answer.value(QStringLiteral("instructions")).toString()));

    const QString bank = QStringLiteral("Bank transfer to IBAN DE89 3704 0044 0532 0130 00.");
    QCOMPARE(store.ownerClient
                     .patch(QStringLiteral("/api/v1/owner/store"),
                            QJsonObject{{QStringLiteral("paymentInstructions"), bank}})
                     .status,
             200);
    const auto [second, answer2] = placeAndCheckout();
    QCOMPARE(answer2.value(QStringLiteral("instructions")).toString(), bank);
    QCOMPARE(answer2.value(QStringLiteral("reference")).toString(),
             QStringLiteral("#%1").arg(second.value(QStringLiteral("number")).toInteger()));
    QCOMPARE(second.value(QStringLiteral("number")).toInteger(),
             first.value(QStringLiteral("number")).toInteger() + 1);
}

void TestShipping::orderMailSaysWhatAndHowToPay()
{
    Store store;
    QVERIFY(store.start());
    const Client &cust = store.customerClient;
    const QString bank = QStringLiteral("Bank transfer to IBAN DE89 3704 0044 0532 0130 00.");
    QCOMPARE(store.ownerClient
                     .patch(QStringLiteral("/api/v1/owner/store"),
                            QJsonObject{{QStringLiteral("paymentInstructions"), bank}})
                     .status,
             200);
    const QString world
            = store.addOption(option(QStringLiteral("World"), 990, QJsonValue(), QJsonValue()));
    QVERIFY(!world.isEmpty());
    const QString addressId
            = cust.post(kAddresses, addressDe()).json().value(QStringLiteral("id")).toString();
    QVERIFY(!addressId.isEmpty());
    QVERIFY(store.fill(cust, 2));
    const HttpResult placed
            = cust.post(QStringLiteral("/api/v1/orders"),
                        QJsonObject{{QStringLiteral("shippingOptionId"), world},
                                    {QStringLiteral("shippingAddressId"), addressId}});
    QCOMPARE(placed.status, 201);
    const QJsonObject order = placed.json();
    const QString id = order.value(QStringLiteral("id")).toString();
    const QString reference
            = QStringLiteral("#%1").arg(order.value(QStringLiteral("number")).toInteger());
    QCOMPARE(order.value(QStringLiteral("totalCents")).toInteger(), 2990);

    const QString to = store.customer + QStringLiteral("@example.test");
    const QString subject = QStringLiteral("We received your order ") + reference;
    QTRY_VERIFY_WITH_TIMEOUT(!mailWithSubject(store.server, to, subject).isEmpty(), 15000);
    const QByteArray mail = mailWithSubject(store.server, to, subject);
    const QDateTime expires = QDateTime::fromString(
            order.value(QStringLiteral("expiresAt")).toString(), Qt::ISODate);
    QVERIFY(expires.isValid());
    for (const QString &expected : QStringList{
                 QStringLiteral("thank you for your order ") + reference + QLatin1Char(':'),
                 QStringLiteral("Shipping (World): 9.90 USD"), QStringLiteral("Total: 29.90 USD"),
                 QStringLiteral("Ship to:\nErika Mustermann\nHauptstrasse 5\n10115 Berlin\nDE\n"),
                 QStringLiteral("How to pay:\n") + bank, QStringLiteral("Reference: ") + reference,
                 QStringLiteral("Pay before: ")
                         + Shop::payBeforeText(expires.toMSecsSinceEpoch())}) {
        QVERIFY2(mail.contains(expected.toUtf8()),
                 qPrintable(QStringLiteral("no \"%1\" in:\n%2")
                                    .arg(expected, QString::fromUtf8(mail))));
    }
    // People quote the number; the API's id appears nowhere.
    QVERIFY2(!mail.contains(id.toUtf8()), mail.constData());

    // Without the owner's text, the default instructions quote the number too.
    QCOMPARE(store.ownerClient
                     .patch(QStringLiteral("/api/v1/owner/store"),
                            QJsonObject{{QStringLiteral("paymentInstructions"), QJsonValue()}})
                     .status,
             200);
    QVERIFY(store.fill(cust, 1));
    const HttpResult second
            = cust.post(QStringLiteral("/api/v1/orders"),
                        QJsonObject{{QStringLiteral("shippingOptionId"), world},
                                    {QStringLiteral("shippingAddressId"), addressId}});
    QCOMPARE(second.status, 201);
    const QString secondRef
            = QStringLiteral("#%1").arg(second.json().value(QStringLiteral("number")).toInteger());
    const QString secondSubject = QStringLiteral("We received your order ") + secondRef;
    QTRY_VERIFY_WITH_TIMEOUT(!mailWithSubject(store.server, to, secondSubject).isEmpty(), 15000);
    const QByteArray secondMail = mailWithSubject(store.server, to, secondSubject);
    QVERIFY2(secondMail.contains(
                     QStringLiteral("Pay 19.90 USD to the store by bank transfer or in person, "
                                    "quoting order %1.")
                             .arg(secondRef)
                             .toUtf8()),
             secondMail.constData());
    QVERIFY(!secondMail.contains(bank.toUtf8()));
}

namespace {
// `perCustomer` orders from each of `clients` at once; the numbers of the orders made.
QList<qint64> concurrentOrders(const std::vector<Client> &clients, int perCustomer,
                               const QJsonObject &body, int *failures)
{
    std::mutex lock;
    QList<qint64> numbers;
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (const Client &c : clients) {
        threads.emplace_back([&, c] {
            for (int i = 0; i < perCustomer; ++i) {
                const HttpResult r = c.post(QStringLiteral("/api/v1/orders"), body);
                if (r.status != 201) {
                    ++failed;
                    continue;
                }
                std::lock_guard guard(lock);
                numbers.append(r.json().value(QStringLiteral("number")).toInteger());
            }
        });
    }
    for (auto &t : threads)
        t.join();
    *failures = failed.load();
    return numbers;
}
} // namespace

void TestShipping::orderNumbersUniqueUnderConcurrentOrders()
{
    Store store;
    QVERIFY(store.start(100, 1000));
    const QString world
            = store.addOption(option(QStringLiteral("World"), 300, QJsonValue(), QJsonValue()));
    Shop &shop = store.server.shop();
    constexpr int kCustomers = 10;
    constexpr int kEach = 5;
    std::vector<Client> clients;
    for (int i = 0; i < kCustomers; ++i) {
        Client c = clientFor(store.server, insertUser(shop, QStringLiteral("customer")),
                             QStringLiteral("customer"));
        // Each checkout empties the cart: a line large enough for every order is put back in
        // by the thread before its next order.
        clients.push_back(c);
    }
    // One line of 1 in each cart per order: fill, order, repeat, all customers at once.
    std::mutex lock;
    QList<qint64> numbers;
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    const QJsonObject body{{QStringLiteral("shippingOptionId"), world},
                           {QStringLiteral("shippingAddress"), addressDe()}};
    for (const Client &c : clients) {
        threads.emplace_back([&, c] {
            for (int i = 0; i < kEach; ++i) {
                if (c.put(QStringLiteral("/api/v1/cart/items/") + store.product,
                          QJsonObject{{QStringLiteral("quantity"), 1}})
                            .status
                    != 200) {
                    ++failed;
                    continue;
                }
                const HttpResult r = c.post(QStringLiteral("/api/v1/orders"), body);
                if (r.status != 201) {
                    ++failed;
                    continue;
                }
                std::lock_guard guard(lock);
                numbers.append(r.json().value(QStringLiteral("number")).toInteger());
            }
        });
    }
    for (auto &t : threads)
        t.join();
    QCOMPARE(failed.load(), 0);
    QCOMPARE(numbers.size(), kCustomers * kEach);
    const QSet<qint64> unique(numbers.cbegin(), numbers.cend());
    QCOMPARE(unique.size(), numbers.size());
    QCOMPARE(*std::min_element(numbers.cbegin(), numbers.cend()), qint64(1001));
    const qint64 highest = *std::max_element(numbers.cbegin(), numbers.cend());
    if (!usingPostgres()) {
        // One writer at a time: no gap, and the numbers follow the order of placing.
        QCOMPARE(highest, qint64(1000 + kCustomers * kEach));
        QCOMPARE(
                scalar(shop, QStringLiteral("SELECT COUNT(*) FROM orders a JOIN orders b ON "
                                            "a.created_at < b.created_at AND a.number > b.number")),
                0);
    }
    // A later order gets a higher number than every one before it.
    QVERIFY(store.fill(store.customerClient, 1));
    const HttpResult next = store.customerClient.post(QStringLiteral("/api/v1/orders"), body);
    QCOMPARE(next.status, 201);
    QVERIFY(next.json().value(QStringLiteral("number")).toInteger() > highest);
}

void TestShipping::orderNumbersUniqueAcrossTwoProcesses()
{
    if (!usingPostgres())
        QSKIP("two processes on one database: the PostgreSQL run");
    SharedStore shared;
    QVERIFY(shared.open());
    Shop &shop = *shared.shop;
    const QString seller = insertUser(shop, QStringLiteral("seller"));
    const QString product = insertProduct(shop, seller, 100, 1000);
    ServerProcess a(shared.childEnv(2));
    ServerProcess b(shared.childEnv(2));
    QVERIFY2(a.start(), qPrintable(a.log()));
    QVERIFY2(b.start(), qPrintable(b.log()));
    constexpr int kCustomers = 50;
    std::vector<Client> clients;
    for (int i = 0; i < kCustomers; ++i) {
        Client c(i % 2 ? a.port() : b.port());
        c.setToken(shop.tokens()
                           .issueAccess(insertUser(shop, QStringLiteral("customer")),
                                        QStringLiteral("customer"))
                           .token);
        QCOMPARE(c.put(QStringLiteral("/api/v1/cart/items/") + product,
                       QJsonObject{{QStringLiteral("quantity"), 1}})
                         .status,
                 200);
        clients.push_back(c);
    }
    int failures = 0;
    const QList<qint64> numbers = concurrentOrders(clients, 1, {}, &failures);
    QCOMPARE(failures, 0);
    QCOMPARE(numbers.size(), kCustomers);
    const QSet<qint64> unique(numbers.cbegin(), numbers.cend());
    QCOMPARE(unique.size(), kCustomers);
    QVERIFY(*std::min_element(numbers.cbegin(), numbers.cend()) >= 1001);
    MERCATO_VERIFY_CLEAN_EXIT(a);
    MERCATO_VERIFY_CLEAN_EXIT(b);
    shop.database().releaseThreadConnection();
}

void TestShipping::shippingRefundedWithTheLastRefund()
{
    Store store;
    QVERIFY(store.start(1000));
    Shop &shop = store.server.shop();
    const QString second = insertProduct(shop, store.owner, 333, 50);
    const Client &cust = store.customerClient;
    const QString world
            = store.addOption(option(QStringLiteral("World"), 795, QJsonValue(), QJsonValue()));
    QVERIFY(grantCoins(shop, store.customer, 777));
    cust.del(QStringLiteral("/api/v1/cart"));
    QCOMPARE(cust.put(QStringLiteral("/api/v1/cart/items/") + store.product,
                      QJsonObject{{QStringLiteral("quantity"), 3}})
                     .status,
             200);
    QCOMPARE(cust.put(QStringLiteral("/api/v1/cart/items/") + second,
                      QJsonObject{{QStringLiteral("quantity"), 1}})
                     .status,
             200);
    const HttpResult placed
            = cust.post(QStringLiteral("/api/v1/orders"),
                        QJsonObject{{QStringLiteral("coinsToUse"), 777},
                                    {QStringLiteral("shippingOptionId"), world},
                                    {QStringLiteral("shippingAddress"), addressDe()}});
    QCOMPARE(placed.status, 201);
    const QJsonObject order = placed.json();
    const QString orderId = order.value(QStringLiteral("id")).toString();
    const qint64 total = order.value(QStringLiteral("totalCents")).toInteger();
    QCOMPARE(total, 3333 - 777 + 795);
    QCOMPARE(store.ownerClient
                     .post(QStringLiteral("/api/v1/seller/orders/%1/mark-paid").arg(orderId))
                     .status,
             200);
    QMap<QString, QString> lineOf;
    const QJsonArray items = order.value(QStringLiteral("items")).toArray();
    for (const QJsonValue &l : items)
        lineOf.insert(l.toObject().value(QStringLiteral("productId")).toString(),
                      l.toObject().value(QStringLiteral("id")).toString());
    auto refund = [&](const QString &productId, int quantity) -> qint64 {
        const HttpResult asked = cust.post(
                QStringLiteral("/api/v1/orders/%1/refund-requests").arg(orderId),
                QJsonObject{{QStringLiteral("orderItemId"), lineOf.value(productId)},
                            {QStringLiteral("quantity"), quantity},
                            {QStringLiteral("reason"), QStringLiteral("changed my mind")}});
        if (asked.status != 201)
            return -1;
        const HttpResult approved = store.ownerClient.post(
                QStringLiteral("/api/v1/seller/refund-requests/%1/approve")
                        .arg(asked.json().value(QStringLiteral("id")).toString()),
                QJsonObject{{QStringLiteral("note"), QStringLiteral("ok")}});
        if (approved.status != 200)
            return -2;
        return approved.json().value(QStringLiteral("amountCents")).toInteger(-3);
    };
    const qint64 a = refund(store.product, 2);
    const qint64 b = refund(second, 1);
    QVERIFY(a > 0 && b > 0);
    // Units are left: no shipping yet.
    QVERIFY(a + b < total - 795);
    const qint64 last = refund(store.product, 1);
    QVERIFY(last > 795);
    // Everything paid came back, the shipping with the last refund, and not a cent more.
    QCOMPARE(a + b + last, total);
    QCOMPARE(scalar(shop,
                    QStringLiteral("SELECT COALESCE(SUM(amount_cents), 0) FROM payment_refunds "
                                   "WHERE order_id = ?"),
                    {orderId}),
             total);
}

QTEST_GUILESS_MAIN(TestShipping)
#include "tst_shipping.moc"
