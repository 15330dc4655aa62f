// Discount codes and tax over HTTP: the sellers' codes (validation naming the field, unique
// case-insensitively, only the owner's), checkout with a code (percent and amount off only the
// seller's lines, its minimum, dates, once per customer, coins after the code, the free
// shipping threshold), the cart preview priced as the order, refunds exact to the cent, the
// use given back on cancel and expiry, maxUses under concurrent orders, and the tax contained
// in each line and in shipping (half to even). Runs on SQLite and on PostgreSQL.

#include "orderfixture.h"

#include "model/orders.h"

#include <QJsonArray>
#include <QSet>
#include <QTest>

#include <atomic>
#include <thread>
#include <vector>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

const QString kCodes = QStringLiteral("/api/v1/seller/discount-codes");
const QString kOrders = QStringLiteral("/api/v1/orders");
const QString kTax = QStringLiteral("/api/v1/owner/tax-rates");

QStringList errorFields(const HttpResult &r)
{
    QStringList out;
    const QJsonArray errors = r.json().value(QStringLiteral("errors")).toArray();
    for (const QJsonValue &e : errors)
        out.append(e.toObject().value(QStringLiteral("field")).toString());
    return out;
}

QJsonObject with(QJsonObject o, const QString &key, const QJsonValue &value)
{
    if (value.isUndefined())
        o.remove(key);
    else
        o.insert(key, value);
    return o;
}

QJsonObject percentCode(const QString &code, int percent)
{
    return QJsonObject{{QStringLiteral("code"), code},
                       {QStringLiteral("kind"), QStringLiteral("percent")},
                       {QStringLiteral("value"), percent}};
}

QJsonObject amountCode(const QString &code, qint64 cents)
{
    return QJsonObject{{QStringLiteral("code"), code},
                       {QStringLiteral("kind"), QStringLiteral("amount")},
                       {QStringLiteral("value"), cents}};
}

qint64 integer(const QJsonObject &o, const QString &key)
{
    return o.value(key).toInteger(-1);
}

QJsonObject lineOf(const QJsonObject &order, const QString &productId)
{
    const QJsonArray items = order.value(QStringLiteral("items")).toArray();
    for (const QJsonValue &l : items) {
        if (l.toObject().value(QStringLiteral("productId")).toString() == productId)
            return l.toObject();
    }
    return {};
}

// A store: seller A (the owner) with products a1 (1000) and a2 (500), seller B with b1
// (3000), and customers made on demand.
struct Store
{
    TestServer server;
    QString sellerA;
    QString sellerB;
    QString a1;
    QString a2;
    QString b1;
    Client aClient{0};
    Client bClient{0};

    explicit Store(TestServer::Options options = {})
        : server(std::move(options))
    {}
    bool start()
    {
        if (!server.start())
            return false;
        Shop &s = server.shop();
        sellerA = insertUser(s, QStringLiteral("seller"));
        sellerB = insertUser(s, QStringLiteral("seller"));
        a1 = insertProduct(s, sellerA, 1000, 1000);
        a2 = insertProduct(s, sellerA, 500, 1000);
        b1 = insertProduct(s, sellerB, 3000, 1000);
        aClient = clientFor(server, sellerA, QStringLiteral("seller"));
        bClient = clientFor(server, sellerB, QStringLiteral("seller"));
        return !a1.isEmpty() && !a2.isEmpty() && !b1.isEmpty();
    }
    Shop &shop() { return server.shop(); }
    std::pair<QString, Client> customer(qint64 coins = 0)
    {
        const QString id = insertUser(shop(), QStringLiteral("customer"));
        if (coins > 0)
            grantCoins(shop(), id, coins);
        return {id, clientFor(server, id, QStringLiteral("customer"))};
    }
    QString addCode(const Client &seller, const QJsonObject &body)
    {
        const HttpResult r = seller.post(kCodes, body);
        return r.status == 201 ? r.json().value(QStringLiteral("id")).toString() : QString();
    }
    bool fill(const Client &c, const QList<QPair<QString, int>> &lines)
    {
        c.del(QStringLiteral("/api/v1/cart"));
        for (const auto &[product, quantity] : lines) {
            if (c.put(QStringLiteral("/api/v1/cart/items/") + product,
                      QJsonObject{{QStringLiteral("quantity"), quantity}})
                        .status
                != 200)
                return false;
        }
        return true;
    }
    qint64 uses(const QString &codeId)
    {
        return scalar(shop(), QStringLiteral("SELECT uses FROM discount_codes WHERE id = ?"),
                      {codeId});
    }
    HttpResult order(const Client &c, const QString &code, qint64 coins = 0)
    {
        QJsonObject body{{QStringLiteral("coinsToUse"), coins}};
        if (!code.isEmpty())
            body.insert(QStringLiteral("discountCode"), code);
        return c.post(kOrders, body);
    }
    bool markPaid(const QString &orderId)
    {
        return aClient.post(QStringLiteral("/api/v1/seller/orders/") + orderId
                            + QStringLiteral("/mark-paid"))
                       .status
               == 200;
    }
};

} // namespace

class TestPromotions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void cleanup() { Clock::resetForTesting(); }

    void codeValidation_data();
    void codeValidation();
    void codesAreUniqueAndTheSellers();
    void codeTakesOffOnlyItsSellersLines_data();
    void codeTakesOffOnlyItsSellersLines();
    void refusedCodes_data();
    void refusedCodes();
    void coinsAfterTheCodeAndFreeShipping();
    void cartPreviewEqualsOrder();
    void refundsExactWithACode();
    void useGivenBackOnCancelAndExpiry();
    void maxUsesUnderConcurrentOrders();
    void taxRatesValidation_data();
    void taxRatesValidation();
    void taxPerLineHalfEven();
    void invoiceNumbersWithoutGapUnderConcurrentPayments();
    void invoiceNumbersAcrossTwoProcesses();
    void invoicePage();
};

void TestPromotions::codeValidation_data()
{
    QTest::addColumn<QJsonObject>("body");
    QTest::addColumn<QString>("field"); // empty: accepted
    const QJsonObject p = percentCode(QStringLiteral("SPRING-10"), 10);
    QTest::newRow("percent") << p << QString();
    QTest::newRow("amount") << amountCode(QStringLiteral("FIVE"), 500) << QString();
    QTest::newRow("lower-case-accepted") << percentCode(QStringLiteral("abc"), 5) << QString();
    QTest::newRow("full") << QJsonObject{
            {QStringLiteral("code"), QStringLiteral("FULL-1")},
            {QStringLiteral("kind"), QStringLiteral("amount")},
            {QStringLiteral("value"), 250},
            {QStringLiteral("minSubtotalCents"), 1000},
            {QStringLiteral("startsAt"), QStringLiteral("2026-01-01T00:00:00Z")},
            {QStringLiteral("endsAt"), QStringLiteral("2036-01-01T00:00:00Z")},
            {QStringLiteral("maxUses"), 5},
            {QStringLiteral("oncePerCustomer"),
             true}} << QString();
    QTest::newRow("no-code") << with(p, QStringLiteral("code"), {}) << QStringLiteral("code");
    QTest::newRow("short-code") << with(p, QStringLiteral("code"), QStringLiteral("AB"))
                                << QStringLiteral("code");
    QTest::newRow("long-code") << with(p, QStringLiteral("code"), QString(33, QLatin1Char('A')))
                               << QStringLiteral("code");
    QTest::newRow("space-in-code")
            << with(p, QStringLiteral("code"), QStringLiteral("AB C")) << QStringLiteral("code");
    QTest::newRow("underscore") << with(p, QStringLiteral("code"), QStringLiteral("AB_C"))
                                << QStringLiteral("code");
    QTest::newRow("no-kind") << with(p, QStringLiteral("kind"), {}) << QStringLiteral("kind");
    QTest::newRow("unknown-kind") << with(p, QStringLiteral("kind"), QStringLiteral("free"))
                                  << QStringLiteral("kind");
    QTest::newRow("percent-0") << with(p, QStringLiteral("value"), 0) << QStringLiteral("value");
    QTest::newRow("percent-101") << with(p, QStringLiteral("value"), 101)
                                 << QStringLiteral("value");
    QTest::newRow("percent-100") << with(p, QStringLiteral("value"), 100) << QString();
    QTest::newRow("fraction") << with(p, QStringLiteral("value"), 1.5) << QStringLiteral("value");
    QTest::newRow("amount-0") << amountCode(QStringLiteral("ZERO"), 0) << QStringLiteral("value");
    QTest::newRow("negative-minimum") << with(p, QStringLiteral("minSubtotalCents"), -1)
                                      << QStringLiteral("minSubtotalCents");
    QTest::newRow("junk-start") << with(p, QStringLiteral("startsAt"), QStringLiteral("tomorrow"))
                                << QStringLiteral("startsAt");
    QTest::newRow("end-before-start")
            << with(with(p, QStringLiteral("startsAt"), QStringLiteral("2030-01-02T00:00:00Z")),
                    QStringLiteral("endsAt"), QStringLiteral("2030-01-01T00:00:00Z"))
            << QStringLiteral("endsAt");
    QTest::newRow("max-uses-0") << with(p, QStringLiteral("maxUses"), 0)
                                << QStringLiteral("maxUses");
    QTest::newRow("once-not-bool")
            << with(p, QStringLiteral("oncePerCustomer"), QStringLiteral("yes"))
            << QStringLiteral("oncePerCustomer");
}

void TestPromotions::codeValidation()
{
    QFETCH(QJsonObject, body);
    QFETCH(QString, field);
    Store s;
    QVERIFY2(s.start(), qPrintable(s.server.errorString()));
    const HttpResult r = s.aClient.post(kCodes, body);
    if (field.isEmpty()) {
        QCOMPARE(r.status, 201);
        const QJsonObject c = r.json();
        QCOMPARE(c.value(QStringLiteral("code")).toString(),
                 body.value(QStringLiteral("code")).toString().toUpper());
        QCOMPARE(integer(c, QStringLiteral("uses")), 0);
        QCOMPARE(c.value(QStringLiteral("value")), body.value(QStringLiteral("value")));
        QCOMPARE(r.header("location"),
                 (kCodes + QLatin1Char('/') + c.value(QStringLiteral("id")).toString()).toUtf8());
        if (body.contains(QStringLiteral("endsAt")))
            QCOMPARE(c.value(QStringLiteral("endsAt")), body.value(QStringLiteral("endsAt")));
    } else {
        QCOMPARE(r.status, 422);
        QVERIFY(r.isProblem());
        QVERIFY2(errorFields(r).contains(field), r.body.constData());
        QCOMPARE(scalar(s.shop(), QStringLiteral("SELECT COUNT(*) FROM discount_codes")), 0);
    }
}

void TestPromotions::codesAreUniqueAndTheSellers()
{
    Store s;
    QVERIFY(s.start());
    const QString id = s.addCode(s.aClient, percentCode(QStringLiteral("Summer"), 10));
    QVERIFY(!id.isEmpty());
    // Unique in the store, compared case-insensitively, whoever adds it.
    QCOMPARE(s.aClient.post(kCodes, percentCode(QStringLiteral("SUMMER"), 20)).status, 409);
    QCOMPARE(s.bClient.post(kCodes, amountCode(QStringLiteral("summer"), 100)).status, 409);
    const QString other = s.addCode(s.bClient, amountCode(QStringLiteral("B-ONLY"), 100));
    QVERIFY(!other.isEmpty());
    // Each seller sees and changes only its own.
    const QJsonArray mine = s.aClient.get(kCodes).json().value(QStringLiteral("items")).toArray();
    QCOMPARE(mine.size(), 1);
    QCOMPARE(mine.at(0).toObject().value(QStringLiteral("code")).toString(),
             QStringLiteral("SUMMER"));
    QCOMPARE(s.bClient
                     .patch(kCodes + QLatin1Char('/') + id,
                            QJsonObject{{QStringLiteral("value"), 50}})
                     .status,
             404);
    QCOMPARE(s.bClient.del(kCodes + QLatin1Char('/') + id).status, 404);
    // A customer is not a seller.
    auto [customer, c] = s.customer();
    QCOMPARE(c.get(kCodes).status, 403);
    // An edit is checked like a new code; renaming onto another code is 409.
    QCOMPARE(s.aClient
                     .patch(kCodes + QLatin1Char('/') + id,
                            QJsonObject{{QStringLiteral("value"), 101}})
                     .status,
             422);
    QCOMPARE(s.aClient
                     .patch(kCodes + QLatin1Char('/') + id,
                            QJsonObject{{QStringLiteral("code"), QStringLiteral("b-only")}})
                     .status,
             409);
    const HttpResult edited
            = s.aClient.patch(kCodes + QLatin1Char('/') + id,
                              QJsonObject{{QStringLiteral("kind"), QStringLiteral("amount")},
                                          {QStringLiteral("value"), 300},
                                          {QStringLiteral("maxUses"), 2}});
    QCOMPARE(edited.status, 200);
    QCOMPARE(integer(edited.json(), QStringLiteral("value")), 300);
    QCOMPARE(edited.json().value(QStringLiteral("kind")).toString(), QStringLiteral("amount"));
    QCOMPARE(integer(edited.json(), QStringLiteral("maxUses")), 2);
    // The edit prices the next order.
    QVERIFY(s.fill(c, {{s.a1, 1}}));
    const HttpResult placed = s.order(c, QStringLiteral("summer"));
    QCOMPARE(placed.status, 201);
    QCOMPARE(integer(placed.json(), QStringLiteral("discountCents")), 300);
    QCOMPARE(integer(s.aClient.get(kCodes + QLatin1Char('/') + id).json(), QStringLiteral("uses")),
             1);
    // Ended: gone from the list and refused at checkout; the order keeps showing it.
    QCOMPARE(s.aClient.del(kCodes + QLatin1Char('/') + id).status, 204);
    QCOMPARE(s.aClient.get(kCodes).json().value(QStringLiteral("items")).toArray().size(), 0);
    QVERIFY(s.fill(c, {{s.a1, 1}}));
    const HttpResult refused = s.order(c, QStringLiteral("SUMMER"));
    QCOMPARE(refused.status, 422);
    QCOMPARE(errorFields(refused), QStringList{QStringLiteral("discountCode")});
    const QString orderId = placed.json().value(QStringLiteral("id")).toString();
    QCOMPARE(c.get(kOrders + QLatin1Char('/') + orderId)
                     .json()
                     .value(QStringLiteral("discountCode"))
                     .toString(),
             QStringLiteral("SUMMER"));
}

void TestPromotions::codeTakesOffOnlyItsSellersLines_data()
{
    QTest::addColumn<QJsonObject>("code");
    QTest::addColumn<qint64>("codeCents");
    QTest::addColumn<qint64>("a1Share"); // a1 2 × 1000, a2 1 × 500, b1 1 × 3000
    QTest::addColumn<qint64>("a2Share");
    // ⌊2500 × 15 ÷ 100⌋ = 375, spread 2000 : 500 → 300, 75.
    QTest::newRow("percent") << percentCode(QStringLiteral("PCT"), 15) << qint64(375) << qint64(300)
                             << qint64(75);
    // ⌊2500 × 33 ÷ 100⌋ = 825 → 660, 165.
    QTest::newRow("percent-floor")
            << percentCode(QStringLiteral("PCT"), 33) << qint64(825) << qint64(660) << qint64(165);
    // 999 → 799.2, 199.8: floors 799 + 199, the cent left to the larger remainder (a2).
    QTest::newRow("amount-remainder")
            << amountCode(QStringLiteral("AMT"), 999) << qint64(999) << qint64(799) << qint64(200);
    // Capped at the seller's lines (2500), never B's.
    QTest::newRow("amount-capped") << amountCode(QStringLiteral("AMT"), 100000) << qint64(2500)
                                   << qint64(2000) << qint64(500);
    QTest::newRow("percent-100") << percentCode(QStringLiteral("ALL"), 100) << qint64(2500)
                                 << qint64(2000) << qint64(500);
}

void TestPromotions::codeTakesOffOnlyItsSellersLines()
{
    QFETCH(QJsonObject, code);
    QFETCH(qint64, codeCents);
    QFETCH(qint64, a1Share);
    QFETCH(qint64, a2Share);
    Store s;
    QVERIFY(s.start());
    const QString codeId = s.addCode(s.aClient, code);
    QVERIFY(!codeId.isEmpty());
    auto [customer, c] = s.customer();
    QVERIFY(s.fill(c, {{s.a1, 2}, {s.a2, 1}, {s.b1, 1}}));
    const HttpResult r = s.order(c, code.value(QStringLiteral("code")).toString().toLower());
    QCOMPARE(r.status, 201);
    const QJsonObject o = r.json();
    QCOMPARE(integer(o, QStringLiteral("subtotalCents")), 5500);
    QCOMPARE(integer(o, QStringLiteral("discountCents")), codeCents);
    QCOMPARE(integer(o, QStringLiteral("totalCents")), 5500 - codeCents);
    const QJsonArray discounts = o.value(QStringLiteral("discounts")).toArray();
    QCOMPARE(discounts.size(), 1);
    QCOMPARE(discounts.at(0).toObject(),
             (QJsonObject{{QStringLiteral("kind"), QStringLiteral("code")},
                          {QStringLiteral("code"), code.value(QStringLiteral("code"))},
                          {QStringLiteral("amountCents"), codeCents}}));
    QCOMPARE(integer(lineOf(o, s.a1), QStringLiteral("codeShareCents")), a1Share);
    QCOMPARE(integer(lineOf(o, s.a2), QStringLiteral("codeShareCents")), a2Share);
    QCOMPARE(integer(lineOf(o, s.b1), QStringLiteral("codeShareCents")), 0);
    QCOMPARE(integer(lineOf(o, s.b1), QStringLiteral("discountShareCents")), 0);
    // Kept on the lines in the database, adding up to the code's amount.
    const QString id = o.value(QStringLiteral("id")).toString();
    QCOMPARE(scalar(s.shop(),
                    QStringLiteral("SELECT SUM(code_share_cents) FROM order_items WHERE "
                                   "order_id = ?"),
                    {id}),
             codeCents);
    QCOMPARE(s.uses(codeId), 1);
}

void TestPromotions::refusedCodes_data()
{
    QTest::addColumn<QJsonObject>("code");
    QTest::addColumn<QString>("typed");
    QTest::addColumn<QStringList>("cart"); // one of each: "a1" (seller A's), "b1" (seller B's)
    QTest::addColumn<bool>("usedBefore");  // this customer placed an order with it already
    const QString a1 = QStringLiteral("a1");
    const QString b1 = QStringLiteral("b1");
    const QJsonObject p = percentCode(QStringLiteral("CODE-1"), 10);
    QTest::newRow("unknown") << p << QStringLiteral("NOPE-1") << QStringList{a1} << false;
    QTest::newRow("junk-text") << p << QStringLiteral("no such thing!") << QStringList{a1} << false;
    QTest::newRow("not-started") << with(p, QStringLiteral("startsAt"),
                                         QStringLiteral("2099-01-01T00:00:00Z"))
                                 << QStringLiteral("code-1") << QStringList{a1} << false;
    QTest::newRow("ended") << with(
            with(p, QStringLiteral("startsAt"), QStringLiteral("2020-01-01T00:00:00Z")),
            QStringLiteral("endsAt"), QStringLiteral("2021-01-01T00:00:00Z"))
                           << QStringLiteral("CODE-1") << QStringList{a1} << false;
    QTest::newRow("no-line-of-its-seller")
            << p << QStringLiteral("CODE-1") << QStringList{b1} << false;
    // The minimum is met by the seller's own lines only (b1's 3000 does not count).
    QTest::newRow("minimum-not-met") << with(p, QStringLiteral("minSubtotalCents"), 1500)
                                     << QStringLiteral("CODE-1") << QStringList{a1, b1} << false;
    QTest::newRow("used-up") << with(p, QStringLiteral("maxUses"), 1) << QStringLiteral("CODE-1")
                             << QStringList{a1} << true;
    QTest::newRow("once-per-customer") << with(p, QStringLiteral("oncePerCustomer"), true)
                                       << QStringLiteral("CODE-1") << QStringList{a1} << true;
}

void TestPromotions::refusedCodes()
{
    QFETCH(QJsonObject, code);
    QFETCH(QString, typed);
    QFETCH(QStringList, cart);
    QFETCH(bool, usedBefore);
    Store s;
    QVERIFY(s.start());
    const QString codeId = s.addCode(s.aClient, code);
    QVERIFY(!codeId.isEmpty());
    auto [customer, c] = s.customer();
    if (usedBefore) {
        QVERIFY(s.fill(c, {{s.a1, 1}}));
        QCOMPARE(s.order(c, QStringLiteral("CODE-1")).status, 201);
    }
    QList<QPair<QString, int>> lines;
    for (const QString &name : cart)
        lines.append({name == QLatin1String("a1") ? s.a1 : s.b1, 1});
    QVERIFY(s.fill(c, lines));
    const qint64 usesBefore = s.uses(codeId);
    const qint64 stockBefore = stockOf(s.shop(), s.a1);
    // The preview refuses as the order does.
    const HttpResult preview = c.get(QStringLiteral("/api/v1/cart?discountCode=")
                                     + QString::fromLatin1(QUrl::toPercentEncoding(typed)));
    QCOMPARE(preview.status, 422);
    QCOMPARE(errorFields(preview), QStringList{QStringLiteral("discountCode")});
    const HttpResult r = s.order(c, typed);
    QCOMPARE(r.status, 422);
    QVERIFY(r.isProblem());
    QCOMPARE(errorFields(r), QStringList{QStringLiteral("discountCode")});
    // Nothing changed: no order, the cart as it was, stock and uses untouched.
    QCOMPARE(scalar(s.shop(), QStringLiteral("SELECT COUNT(*) FROM orders WHERE customer_id = ?"),
                    {customer}),
             usedBefore ? 1 : 0);
    QCOMPARE(c.get(QStringLiteral("/api/v1/cart"))
                     .json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .size(),
             lines.size());
    QCOMPARE(stockOf(s.shop(), s.a1), stockBefore);
    QCOMPARE(s.uses(codeId), usesBefore);
}

void TestPromotions::coinsAfterTheCodeAndFreeShipping()
{
    Store s;
    QVERIFY(s.start());
    // Free over 1500: the subtotal less the code's amount counts, coins do not.
    const HttpResult option
            = s.aClient.post(QStringLiteral("/api/v1/owner/shipping-options"),
                             QJsonObject{{QStringLiteral("name"), QStringLiteral("Post")},
                                         {QStringLiteral("priceCents"), 490},
                                         {QStringLiteral("freeOverCents"), 1500},
                                         {QStringLiteral("countries"), QJsonValue()}});
    QCOMPARE(option.status, 201);
    const QString optionId = option.json().value(QStringLiteral("id")).toString();
    QVERIFY(!s.addCode(s.aClient, percentCode(QStringLiteral("HALF"), 50)).isEmpty());
    auto [customer, c] = s.customer(100000);
    const QJsonObject address{{QStringLiteral("name"), QStringLiteral("Ann")},
                              {QStringLiteral("line1"), QStringLiteral("Main St 1")},
                              {QStringLiteral("city"), QStringLiteral("Zurich")},
                              {QStringLiteral("postalCode"), QStringLiteral("8001")},
                              {QStringLiteral("country"), QStringLiteral("CH")}};
    // Without the code: 2000 reaches the threshold, coins capped at 50% of 2000.
    QVERIFY(s.fill(c, {{s.a1, 2}}));
    HttpResult r = c.post(kOrders, QJsonObject{{QStringLiteral("coinsToUse"), 100000},
                                               {QStringLiteral("shippingOptionId"), optionId},
                                               {QStringLiteral("shippingAddress"), address}});
    QCOMPARE(r.status, 201);
    QCOMPARE(integer(r.json(), QStringLiteral("coinsUsed")), 1000);
    QCOMPARE(integer(r.json(), QStringLiteral("shippingCents")), 0);
    // With it: 1000 off first, coins capped at 50% of what remains (500), and 2000 - 1000 is
    // below the threshold, so shipping is charged.
    QVERIFY(s.fill(c, {{s.a1, 2}}));
    r = c.post(kOrders, QJsonObject{{QStringLiteral("coinsToUse"), 100000},
                                    {QStringLiteral("discountCode"), QStringLiteral("HALF")},
                                    {QStringLiteral("shippingOptionId"), optionId},
                                    {QStringLiteral("shippingAddress"), address}});
    QCOMPARE(r.status, 201);
    const QJsonObject o = r.json();
    QCOMPARE(integer(o, QStringLiteral("coinsUsed")), 500);
    QCOMPARE(integer(o, QStringLiteral("discountCents")), 1500);
    QCOMPARE(integer(o, QStringLiteral("shippingCents")), 490);
    QCOMPARE(integer(o, QStringLiteral("totalCents")), 2000 - 1500 + 490);
    const QJsonArray discounts = o.value(QStringLiteral("discounts")).toArray();
    QCOMPARE(discounts.size(), 2);
    QCOMPARE(discounts.at(0).toObject().value(QStringLiteral("kind")).toString(),
             QStringLiteral("code"));
    QCOMPARE(integer(discounts.at(0).toObject(), QStringLiteral("amountCents")), 1000);
    QCOMPARE(discounts.at(1).toObject().value(QStringLiteral("kind")).toString(),
             QStringLiteral("coins"));
    QCOMPARE(integer(discounts.at(1).toObject(), QStringLiteral("amountCents")), 500);
    QCOMPARE(coinsOf(s.shop(), customer), 100000 - 1000 - 500);
}

void TestPromotions::cartPreviewEqualsOrder()
{
    TestServer::Options options;
    options.settings.maxCoinDiscountPercent = 30;
    Store s(options);
    QVERIFY(s.start());
    QCOMPARE(s.aClient
                     .put(kTax,
                          QJsonObject{{QStringLiteral("defaultRatePercent"), 20},
                                      {QStringLiteral("rates"),
                                       QJsonArray{QJsonObject{
                                               {QStringLiteral("country"), QStringLiteral("CH")},
                                               {QStringLiteral("ratePercent"), 7.7}}}}})
                     .status,
             200);
    const HttpResult option
            = s.aClient.post(QStringLiteral("/api/v1/owner/shipping-options"),
                             QJsonObject{{QStringLiteral("name"), QStringLiteral("Post")},
                                         {QStringLiteral("priceCents"), 795},
                                         {QStringLiteral("freeOverCents"), 100000},
                                         {QStringLiteral("countries"), QJsonValue()}});
    const QString optionId = option.json().value(QStringLiteral("id")).toString();
    QVERIFY(!optionId.isEmpty());
    QVERIFY(!s.addCode(s.aClient, percentCode(QStringLiteral("TEN"), 10)).isEmpty());
    const QStringList keys{QStringLiteral("subtotalCents"),    QStringLiteral("discounts"),
                           QStringLiteral("discountCents"),    QStringLiteral("coinsUsed"),
                           QStringLiteral("shippingCents"),    QStringLiteral("taxCents"),
                           QStringLiteral("shippingTaxCents"), QStringLiteral("totalCents"),
                           QStringLiteral("taxRatePercent")};
    for (const QString &country : {QStringLiteral("CH"), QStringLiteral("DE")}) {
        auto [customer, c] = s.customer(777);
        const QJsonObject address{{QStringLiteral("name"), QStringLiteral("Ann")},
                                  {QStringLiteral("line1"), QStringLiteral("Main St 1")},
                                  {QStringLiteral("city"), QStringLiteral("Town")},
                                  {QStringLiteral("postalCode"), QStringLiteral("8001")},
                                  {QStringLiteral("country"), country}};
        const HttpResult added = c.post(QStringLiteral("/api/v1/me/addresses"), address);
        QCOMPARE(added.status, 201);
        const QString addressId = added.json().value(QStringLiteral("id")).toString();
        QVERIFY(s.fill(c, {{s.a1, 3}, {s.a2, 1}, {s.b1, 1}}));
        const HttpResult preview = c.get(
                QStringLiteral("/api/v1/cart?discountCode=ten&coinsToUse=777&shippingOptionId=")
                + optionId + QStringLiteral("&shippingAddressId=") + addressId);
        QCOMPARE(preview.status, 200);
        const HttpResult placed = c.post(
                kOrders, QJsonObject{{QStringLiteral("coinsToUse"), 777},
                                     {QStringLiteral("discountCode"), QStringLiteral("ten")},
                                     {QStringLiteral("shippingOptionId"), optionId},
                                     {QStringLiteral("shippingAddressId"), addressId}});
        QCOMPARE(placed.status, 201);
        for (const QString &key : keys)
            QVERIFY2(preview.json().value(key) == placed.json().value(key),
                     qPrintable(key + QLatin1Char(' ') + country));
        QCOMPARE(integer(placed.json(), QStringLiteral("discountCents")), 350 + 777);
        QVERIFY(integer(placed.json(), QStringLiteral("taxCents")) > 0);
        QCOMPARE(placed.json().value(QStringLiteral("taxRatePercent")).toDouble(),
                 country == QLatin1String("CH") ? 7.7 : 20.0);
    }
}

void TestPromotions::refundsExactWithACode()
{
    Store s;
    QVERIFY(s.start());
    QVERIFY(!s.addCode(s.aClient, amountCode(QStringLiteral("OFF-333"), 333)).isEmpty());
    auto [customer, c] = s.customer(5000);
    // a1 3 × 1000, a2 7 × 500, b1 1 × 3000: 9500; code 333 on A's 6500; coins on the rest.
    QVERIFY(s.fill(c, {{s.a1, 3}, {s.a2, 7}, {s.b1, 1}}));
    const HttpResult placed = s.order(c, QStringLiteral("OFF-333"), 5000);
    QCOMPARE(placed.status, 201);
    const QJsonObject o = placed.json();
    const QString orderId = o.value(QStringLiteral("id")).toString();
    const qint64 total = integer(o, QStringLiteral("totalCents"));
    const qint64 coinsUsed = integer(o, QStringLiteral("coinsUsed"));
    QCOMPARE(coinsUsed, 4583); // ⌊(9500 - 333) × 50%⌋
    QCOMPARE(total, 9500 - 333 - 4583);
    QVERIFY(s.markPaid(orderId));
    const qint64 coinsAfterOrder = coinsOf(s.shop(), customer);
    // Refund every line in uneven parts; each refund is ⌊paid × q ÷ n⌋, the last takes the rest.
    qint64 refunded = 0;
    qint64 coinsBack = 0;
    const QList<std::tuple<QString, Client *, QList<int>>> plan{
            {s.a1, &s.aClient, {1, 2}}, {s.a2, &s.aClient, {3, 1, 3}}, {s.b1, &s.bClient, {1}}};
    for (const auto &[product, seller, parts] : plan) {
        const QJsonObject line = lineOf(o, product);
        const qint64 paid = integer(line, QStringLiteral("lineTotalCents"))
                            - integer(line, QStringLiteral("discountShareCents"));
        const int n = int(integer(line, QStringLiteral("quantity")));
        qint64 linePaidBack = 0;
        int done = 0;
        for (int q : parts) {
            const HttpResult r = seller->post(
                    QStringLiteral("/api/v1/seller/orders/") + orderId + QStringLiteral("/refunds"),
                    QJsonObject{{QStringLiteral("items"),
                                 QJsonArray{QJsonObject{{QStringLiteral("orderItemId"),
                                                         line.value(QStringLiteral("id"))},
                                                        {QStringLiteral("quantity"), q}}}},
                                {QStringLiteral("reason"), QStringLiteral("damaged")}});
            QCOMPARE(r.status, 201);
            done += q;
            const qint64 lineCents
                    = integer(r.json().value(QStringLiteral("items")).toArray().at(0).toObject(),
                              QStringLiteral("amountCents"));
            if (done < n)
                QCOMPARE(lineCents, paid * q / n);
            else
                QCOMPARE(lineCents, paid - linePaidBack);
            linePaidBack += lineCents;
            refunded += integer(r.json(), QStringLiteral("amountCents"));
            coinsBack += integer(r.json(), QStringLiteral("coinsReturned"));
        }
        QCOMPARE(linePaidBack, paid);
    }
    // Exactly what was paid, never more, and every coin back.
    QCOMPARE(refunded, total);
    QCOMPARE(coinsBack, coinsUsed);
    QCOMPARE(coinsOf(s.shop(), customer), coinsAfterOrder + coinsUsed);
    QCOMPARE(scalar(s.shop(),
                    QStringLiteral("SELECT SUM(amount_cents) FROM refunds WHERE order_id = ?"),
                    {orderId}),
             total);
}

void TestPromotions::useGivenBackOnCancelAndExpiry()
{
    Store s;
    QVERIFY(s.start());
    const QString codeId = s.addCode(s.aClient, with(with(percentCode(QStringLiteral("ONE"), 10),
                                                          QStringLiteral("maxUses"), 1),
                                                     QStringLiteral("oncePerCustomer"), true));
    QVERIFY(!codeId.isEmpty());
    auto [ann, annClient] = s.customer();
    auto [bob, bobClient] = s.customer();
    // Ann holds the only use; Bob is refused.
    QVERIFY(s.fill(annClient, {{s.a1, 1}}));
    HttpResult first = s.order(annClient, QStringLiteral("ONE"));
    QCOMPARE(first.status, 201);
    QCOMPARE(s.uses(codeId), 1);
    QVERIFY(s.fill(bobClient, {{s.a1, 1}}));
    QCOMPARE(s.order(bobClient, QStringLiteral("ONE")).status, 422);
    // The customer's cancel gives it back (and Ann may use it again: that order holds none).
    QCOMPARE(annClient
                     .post(kOrders + QLatin1Char('/')
                           + first.json().value(QStringLiteral("id")).toString()
                           + QStringLiteral("/cancel"))
                     .status,
             200);
    QCOMPARE(s.uses(codeId), 0);
    QVERIFY(s.fill(annClient, {{s.a1, 1}}));
    first = s.order(annClient, QStringLiteral("ONE"));
    QCOMPARE(first.status, 201);
    QCOMPARE(s.uses(codeId), 1);
    // A seller's cancel of the unpaid order gives it back too.
    QCOMPARE(s.aClient
                     .post(QStringLiteral("/api/v1/seller/orders/")
                                   + first.json().value(QStringLiteral("id")).toString()
                                   + QStringLiteral("/cancel"),
                           QJsonObject{{QStringLiteral("reason"), QStringLiteral("sold out")}})
                     .status,
             200);
    QCOMPARE(s.uses(codeId), 0);
    // Bob's order expires unpaid: the use comes back.
    QVERIFY(s.fill(bobClient, {{s.a1, 1}}));
    QCOMPARE(s.order(bobClient, QStringLiteral("ONE")).status, 201);
    QCOMPARE(s.uses(codeId), 1);
    Clock::advanceForTesting(61LL * 60 * 1000);
    auto expired = s.shop().orders().expireDue();
    QVERIFY(expired);
    QCOMPARE(expired.value(), 1);
    QCOMPARE(s.uses(codeId), 0);
    // A paid order keeps its use, refunded or not: once per customer still holds for Bob.
    bobClient = clientFor(s.server, bob, QStringLiteral("customer"));
    annClient = clientFor(s.server, ann, QStringLiteral("customer"));
    s.aClient = clientFor(s.server, s.sellerA, QStringLiteral("seller"));
    QVERIFY(s.fill(bobClient, {{s.a1, 1}}));
    const HttpResult paid = s.order(bobClient, QStringLiteral("ONE"));
    QCOMPARE(paid.status, 201);
    QVERIFY(s.markPaid(paid.json().value(QStringLiteral("id")).toString()));
    QCOMPARE(s.uses(codeId), 1);
    const QJsonObject line = paid.json().value(QStringLiteral("items")).toArray().at(0).toObject();
    QCOMPARE(s.aClient
                     .post(QStringLiteral("/api/v1/seller/orders/")
                                   + paid.json().value(QStringLiteral("id")).toString()
                                   + QStringLiteral("/refunds"),
                           QJsonObject{{QStringLiteral("items"),
                                        QJsonArray{QJsonObject{{QStringLiteral("orderItemId"),
                                                                line.value(QStringLiteral("id"))},
                                                               {QStringLiteral("quantity"), 1}}}},
                                       {QStringLiteral("reason"), QStringLiteral("damaged")}})
                     .status,
             201);
    QCOMPARE(s.uses(codeId), 1);
    QCOMPARE(s.aClient
                     .patch(kCodes + QLatin1Char('/') + codeId,
                            QJsonObject{{QStringLiteral("maxUses"), 5}})
                     .status,
             200);
    QVERIFY(s.fill(bobClient, {{s.a1, 1}}));
    QCOMPARE(s.order(bobClient, QStringLiteral("ONE")).status, 422);
    QVERIFY(s.fill(annClient, {{s.a1, 1}}));
    QCOMPARE(s.order(annClient, QStringLiteral("ONE")).status, 201);
}

void TestPromotions::maxUsesUnderConcurrentOrders()
{
    TestServer::Options options;
    options.workers = 4;
    Store s(options);
    QVERIFY(s.start());
    constexpr int kMaxUses = 12;
    constexpr int kCustomers = 60;
    constexpr int kThreads = 8;
    const QString codeId = s.addCode(s.aClient, with(amountCode(QStringLiteral("RUSH"), 100),
                                                     QStringLiteral("maxUses"), kMaxUses));
    QVERIFY(!codeId.isEmpty());
    std::vector<Client> customers;
    for (int i = 0; i < kCustomers; ++i) {
        auto [id, c] = s.customer();
        QVERIFY(s.fill(c, {{s.a1, 1}}));
        customers.push_back(c);
    }
    std::atomic<int> next{0};
    std::atomic<int> accepted{0};
    std::atomic<int> refused{0};
    std::atomic<int> unexpected{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = next++; i < kCustomers; i = next++) {
                const HttpResult r = s.order(customers[size_t(i)], QStringLiteral("RUSH"));
                if (r.status == 201)
                    ++accepted;
                else if (r.status == 422
                         && errorFields(r) == QStringList{QStringLiteral("discountCode")})
                    ++refused;
                else
                    ++unexpected;
            }
        });
    }
    for (auto &t : threads)
        t.join();
    QCOMPARE(unexpected.load(), 0);
    QCOMPARE(accepted.load(), kMaxUses);
    QCOMPARE(refused.load(), kCustomers - kMaxUses);
    QCOMPARE(s.uses(codeId), kMaxUses);
    QCOMPARE(scalar(s.shop(),
                    QStringLiteral("SELECT COUNT(*) FROM orders WHERE discount_code_id = ?"),
                    {codeId}),
             kMaxUses);
}

void TestPromotions::taxRatesValidation_data()
{
    QTest::addColumn<QJsonObject>("body");
    QTest::addColumn<QString>("field"); // empty: accepted
    auto rates = [](const QJsonValue &country, const QJsonValue &rate) {
        return QJsonObject{{QStringLiteral("defaultRatePercent"), 19},
                           {QStringLiteral("rates"),
                            QJsonArray{QJsonObject{{QStringLiteral("country"), country},
                                                   {QStringLiteral("ratePercent"), rate}}}}};
    };
    QTest::newRow("three-decimals") << rates(QStringLiteral("CH"), 7.725) << QString();
    QTest::newRow("zero") << rates(QStringLiteral("HK"), 0) << QString();
    QTest::newRow("hundred") << rates(QStringLiteral("DE"), 100) << QString();
    QTest::newRow("four-decimals")
            << rates(QStringLiteral("CH"), 7.7251) << QStringLiteral("rates[0].ratePercent");
    QTest::newRow("over-100") << rates(QStringLiteral("CH"), 100.001)
                              << QStringLiteral("rates[0].ratePercent");
    QTest::newRow("negative") << rates(QStringLiteral("CH"), -1)
                              << QStringLiteral("rates[0].ratePercent");
    QTest::newRow("text-rate") << rates(QStringLiteral("CH"), QStringLiteral("7.7"))
                               << QStringLiteral("rates[0].ratePercent");
    QTest::newRow("unknown-country")
            << rates(QStringLiteral("XX"), 5) << QStringLiteral("rates[0].country");
    QTest::newRow("bad-default") << QJsonObject{{QStringLiteral("defaultRatePercent"), 0.0001}}
                                 << QStringLiteral("defaultRatePercent");
}

void TestPromotions::taxRatesValidation()
{
    QFETCH(QJsonObject, body);
    QFETCH(QString, field);
    Store s;
    QVERIFY(s.start());
    // Only the owner (seller A, the first seller) reads and sets them.
    QCOMPARE(s.bClient.put(kTax, body).status, 403);
    QCOMPARE(s.bClient.get(kTax).status, 403);
    const HttpResult r = s.aClient.put(kTax, body);
    if (field.isEmpty()) {
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json(), body);
        QCOMPARE(s.aClient.get(kTax).json(), body);
    } else {
        QCOMPARE(r.status, 422);
        QVERIFY2(errorFields(r).contains(field), r.body.constData());
        QCOMPARE(s.aClient.get(kTax).json(),
                 (QJsonObject{{QStringLiteral("defaultRatePercent"), QJsonValue()},
                              {QStringLiteral("rates"), QJsonArray()}}));
    }
}

void TestPromotions::taxPerLineHalfEven()
{
    Store s;
    QVERIFY(s.start());
    Shop &shop = s.shop();
    // Lines whose tax at 20% ends in exactly half a cent: 15 → 2.5 → 2, 21 → 3.5 → 4, 9 → 1.5
    // → 2; at 7.7%: 1077 → 77, 1000 → 71.49 → 71.
    const QString p15 = insertProduct(shop, s.sellerA, 15, 100);
    const QString p21 = insertProduct(shop, s.sellerA, 21, 100);
    const QString p1077 = insertProduct(shop, s.sellerA, 1077, 100);
    QCOMPARE(s.aClient
                     .put(kTax,
                          QJsonObject{{QStringLiteral("defaultRatePercent"), 20},
                                      {QStringLiteral("rates"),
                                       QJsonArray{QJsonObject{
                                               {QStringLiteral("country"), QStringLiteral("CH")},
                                               {QStringLiteral("ratePercent"), 7.7}}}}})
                     .status,
             200);
    const HttpResult option
            = s.aClient.post(QStringLiteral("/api/v1/owner/shipping-options"),
                             QJsonObject{{QStringLiteral("name"), QStringLiteral("Post")},
                                         {QStringLiteral("priceCents"), 9},
                                         {QStringLiteral("countries"), QJsonValue()}});
    const QString optionId = option.json().value(QStringLiteral("id")).toString();
    QVERIFY(!optionId.isEmpty());
    auto address = [](const QString &country) {
        return QJsonObject{{QStringLiteral("name"), QStringLiteral("Ann")},
                           {QStringLiteral("line1"), QStringLiteral("Main St 1")},
                           {QStringLiteral("city"), QStringLiteral("Town")},
                           {QStringLiteral("postalCode"), QStringLiteral("1000")},
                           {QStringLiteral("country"), country}};
    };
    auto [customer, c] = s.customer();
    // The default rate (20%) for a country without its own.
    QVERIFY(s.fill(c, {{p15, 1}, {p21, 1}}));
    HttpResult r = c.post(kOrders, QJsonObject{{QStringLiteral("shippingOptionId"), optionId},
                                               {QStringLiteral("shippingAddress"),
                                                address(QStringLiteral("FR"))}});
    QCOMPARE(r.status, 201);
    QCOMPARE(integer(lineOf(r.json(), p15), QStringLiteral("taxCents")), 2);
    QCOMPARE(integer(lineOf(r.json(), p21), QStringLiteral("taxCents")), 4);
    QCOMPARE(integer(r.json(), QStringLiteral("shippingTaxCents")), 2);
    QCOMPARE(integer(r.json(), QStringLiteral("taxCents")), 8);
    QCOMPARE(r.json().value(QStringLiteral("taxRatePercent")).toDouble(), 20.0);
    // Switzerland's own rate, frozen on the order even when the rates change later.
    QVERIFY(s.fill(c, {{p1077, 1}, {s.a1, 1}}));
    r = c.post(kOrders,
               QJsonObject{{QStringLiteral("shippingOptionId"), optionId},
                           {QStringLiteral("shippingAddress"), address(QStringLiteral("CH"))}});
    QCOMPARE(r.status, 201);
    QCOMPARE(integer(lineOf(r.json(), p1077), QStringLiteral("taxCents")), 77);
    QCOMPARE(integer(lineOf(r.json(), s.a1), QStringLiteral("taxCents")), 71);
    QCOMPARE(integer(r.json(), QStringLiteral("shippingTaxCents")), 1); // 0.64
    QCOMPARE(integer(r.json(), QStringLiteral("taxCents")), 149);
    const QString orderId = r.json().value(QStringLiteral("id")).toString();
    QCOMPARE(s.aClient.put(kTax, QJsonObject{{QStringLiteral("defaultRatePercent"), 0}}).status,
             200);
    const QJsonObject again = c.get(kOrders + QLatin1Char('/') + orderId).json();
    QCOMPARE(integer(again, QStringLiteral("taxCents")), 149);
    QCOMPARE(again.value(QStringLiteral("taxRatePercent")).toDouble(), 7.7);
    // Tax is contained in what was paid: the code's share comes off first.
    QVERIFY(!s.addCode(s.aClient, amountCode(QStringLiteral("MINUS-7"), 7)).isEmpty());
    QCOMPARE(s.aClient.put(kTax, QJsonObject{{QStringLiteral("defaultRatePercent"), 20}}).status,
             200);
    QVERIFY(s.fill(c, {{p15, 1}, {p21, 1}}));
    r = c.post(kOrders,
               QJsonObject{{QStringLiteral("discountCode"), QStringLiteral("MINUS-7")},
                           {QStringLiteral("shippingOptionId"), optionId},
                           {QStringLiteral("shippingAddress"), address(QStringLiteral("FR"))}});
    QCOMPARE(r.status, 201);
    // 7 over 15 : 21 → 2.92, 4.08: floors 2 + 4 and the cent to the larger remainder (15's).
    // Paid 12 → 2; paid 17 → 2.83 → 3; shipping 9 → 2.
    QCOMPARE(integer(lineOf(r.json(), p15), QStringLiteral("codeShareCents")), 3);
    QCOMPARE(integer(lineOf(r.json(), p21), QStringLiteral("codeShareCents")), 4);
    QCOMPARE(integer(lineOf(r.json(), p15), QStringLiteral("taxCents")), 2);
    QCOMPARE(integer(lineOf(r.json(), p21), QStringLiteral("taxCents")), 3);
    QCOMPARE(integer(r.json(), QStringLiteral("taxCents")), 2 + 3 + 2);
}

void TestPromotions::invoiceNumbersWithoutGapUnderConcurrentPayments()
{
    TestServer::Options options;
    options.workers = 4;
    Store s(options);
    QVERIFY(s.start());
    constexpr int kPaid = 30;
    constexpr int kThreads = 8;
    QStringList ids;
    for (int i = 0; i < kPaid; ++i) {
        auto [customer, c] = s.customer();
        QVERIFY(s.fill(c, {{s.a1, 1}}));
        const HttpResult r = s.order(c, {});
        QCOMPARE(r.status, 201);
        QVERIFY(r.json().value(QStringLiteral("invoiceNumber")).isNull());
        ids.append(r.json().value(QStringLiteral("id")).toString());
        if (i == 0) {
            // No invoice before payment.
            QCOMPARE(c.get(kOrders + QLatin1Char('/') + ids.first() + QStringLiteral("/invoice"))
                             .status,
                     409);
        }
    }
    std::atomic<int> next{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = next++; i < kPaid; i = next++)
                failed += s.markPaid(ids.at(i)) ? 0 : 1;
        });
    }
    for (auto &t : threads)
        t.join();
    QCOMPARE(failed.load(), 0);
    const QString year = QString::number(
            Clock::nowUtc().toTimeZone(s.shop().settings().timeZone).date().year());
    QSet<QString> numbers;
    for (const QString &id : std::as_const(ids))
        numbers.insert(scalarText(
                s.shop(), QStringLiteral("SELECT invoice_number FROM orders WHERE id = ?"), {id}));
    QSet<QString> expected;
    for (int n = 1; n <= kPaid; ++n)
        expected.insert(QStringLiteral("INV-%1-%2").arg(year).arg(n));
    QCOMPARE(numbers, expected);
}

void TestPromotions::invoiceNumbersAcrossTwoProcesses()
{
    if (!usingPostgres())
        QSKIP("two processes on one database: the PostgreSQL run");
    SharedStore shared;
    QVERIFY(shared.open());
    Shop &shop = *shared.shop;
    const QString owner = insertUser(shop, QStringLiteral("seller"));
    const QString product = insertProduct(shop, owner, 100, 1000);
    constexpr int kPaid = 40;
    QStringList ids;
    for (int i = 0; i < kPaid; ++i) {
        const QString customer = insertUser(shop, QStringLiteral("customer"));
        QVERIFY(shop.cart().setQuantity(customer, product, 1));
        auto order = shop.orders().placeOrder(customer, 0);
        QVERIFY(order);
        ids.append(order->id);
    }
    ServerProcess a(shared.childEnv(2));
    ServerProcess b(shared.childEnv(2));
    QVERIFY2(a.start(), qPrintable(a.log()));
    QVERIFY2(b.start(), qPrintable(b.log()));
    const QString token = shop.tokens().issueAccess(owner, QStringLiteral("seller")).token;
    std::atomic<int> next{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            Client c(t % 2 ? a.port() : b.port());
            c.setToken(token);
            for (int i = next++; i < kPaid; i = next++) {
                failed += c.post(QStringLiteral("/api/v1/seller/orders/") + ids.at(i)
                                 + QStringLiteral("/mark-paid"))
                                                  .status
                                          == 200
                                  ? 0
                                  : 1;
            }
        });
    }
    for (auto &t : threads)
        t.join();
    QCOMPARE(failed.load(), 0);
    const QString year = QString::number(
            Clock::nowUtc().toTimeZone(QTimeZone::systemTimeZone()).date().year());
    QSet<QString> numbers;
    for (const QString &id : std::as_const(ids))
        numbers.insert(scalarText(
                shop, QStringLiteral("SELECT invoice_number FROM orders WHERE id = ?"), {id}));
    QSet<QString> expected;
    for (int n = 1; n <= kPaid; ++n)
        expected.insert(QStringLiteral("INV-%1-%2").arg(year).arg(n));
    QCOMPARE(numbers, expected);
    MERCATO_VERIFY_CLEAN_EXIT(a);
    MERCATO_VERIFY_CLEAN_EXIT(b);
    shop.database().releaseThreadConnection();
}

void TestPromotions::invoicePage()
{
    Store s;
    QVERIFY(s.start());
    QCOMPARE(
            s.aClient
                    .patch(QStringLiteral("/api/v1/owner/store"),
                           QJsonObject{{QStringLiteral("name"), QStringLiteral("Brass & Co")},
                                       {QStringLiteral("taxId"), QStringLiteral("CHE-123.456.789")},
                                       {QStringLiteral("invoicePrefix"), QStringLiteral("R-")}})
                    .status,
            200);
    QCOMPARE(s.aClient.put(kTax, QJsonObject{{QStringLiteral("defaultRatePercent"), 7.7}}).status,
             200);
    QVERIFY(!s.addCode(s.aClient, amountCode(QStringLiteral("WELCOME"), 100)).isEmpty());
    auto [customer, c] = s.customer();
    QVERIFY(s.fill(c, {{s.a1, 2}}));
    const HttpResult r = s.order(c, QStringLiteral("WELCOME"));
    QCOMPARE(r.status, 201);
    const QString id = r.json().value(QStringLiteral("id")).toString();
    QVERIFY(s.markPaid(id));
    const QString number = c.get(kOrders + QLatin1Char('/') + id)
                                   .json()
                                   .value(QStringLiteral("invoiceNumber"))
                                   .toString();
    QVERIFY2(number.startsWith(QStringLiteral("R-")) && number.endsWith(QStringLiteral("-1")),
             qPrintable(number));
    const HttpResult page = c.get(kOrders + QLatin1Char('/') + id + QStringLiteral("/invoice"));
    QCOMPARE(page.status, 200);
    QVERIFY(page.header("content-type").startsWith("text/html"));
    const QString html = QString::fromUtf8(page.body);
    QVERIFY(html.contains(number));
    QVERIFY(html.contains(QStringLiteral("Brass &amp; Co")));
    QVERIFY(html.contains(QStringLiteral("CHE-123.456.789")));
    QVERIFY(html.contains(QStringLiteral("WELCOME")));
    QVERIFY(html.contains(QStringLiteral("7.7%")));
    QVERIFY(html.contains(QStringLiteral("19.00")));
    // Another customer's order is unknown.
    auto [other, o] = s.customer();
    QCOMPARE(o.get(kOrders + QLatin1Char('/') + id + QStringLiteral("/invoice")).status, 404);
}

QTEST_GUILESS_MAIN(TestPromotions)
#include "tst_promotions.moc"
