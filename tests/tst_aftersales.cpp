// After-sales over the API: reviews (purchase rule, one per product, rating sums), refund
// requests (quantity limits, amounts, coins, restock, decisions, provider retries, photos)
// and complaints (lifecycle, notifications to the right users only).
// Users, products and orders are written with SQL, so that each case starts from exactly the
// state it needs (a line with a discount share, an order already shipped, a provider's refund).

#include "support/smtpsink.h"
#include "support/testsupport.h"

#include "model/clock.h"
#include "model/coinledger.h"
#include "model/events.h"
#include "model/ids.h"
#include "model/refunds.h"
#include "model/reviews.h"
#include "model/smtpmailer.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QScopeGuard>
#include <QSet>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include <atomic>
#include <mutex>
#include <thread>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

struct LineSpec
{
    QString productId;
    QString sellerId;
    int quantity = 1;
    qint64 unitPriceCents = 1000;
    qint64 discountShareCents = 0;
};

struct PlacedOrder
{
    QString id;
    QStringList itemIds;
};

QByteArray pngBytes()
{
    return SampleImages::png();
}

QByteArray jpegBytes()
{
    return SampleImages::jpeg();
}

// A stand-in for the Stripe adapter: answers from a script and records each call.
class ScriptedExecutor : public RefundExecutor
{
public:
    RefundAttempt refund(const RefundCall &call) override
    {
        std::lock_guard lock(mutex);
        calls.append(call);
        if (script.isEmpty())
            return {RefundAttempt::Kind::Succeeded, QStringLiteral("re_") + call.refundId, {}};
        return script.takeFirst();
    }
    std::mutex mutex;
    QList<RefundAttempt> script;
    QList<RefundCall> calls;
};

using Test::SmtpSink;

} // namespace

class TestAftersales : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();

    void reviewNeedsPaidPurchase_data();
    void reviewNeedsPaidPurchase();
    void reviewOnePerProductAndRatingFollows();
    void reviewOnlyAuthorEdits();
    void reviewValidationAndText();
    void reviewRatingFollowsInTheCatalog();
    void reviewHiddenBySeller();

    void refundQuantityLimits_data();
    void refundQuantityLimits();
    void refundRequestRules();
    void refundAmounts_data();
    void refundAmounts();
    void refundRestocks();
    void refundRestockAnnouncedAsAHandAdjustment_data();
    void refundRestockAnnouncedAsAHandAdjustment();
    void refundRejectAndDecideOnce();
    void refundOnlyOwnersSee();
    void refundNotifiesRightUsers();
    void refundThroughProviderRetries();
    void refundProviderPermanentFailure();
    void evidenceImages();
    void refundDecisionMailReachesSmtp();
    void evidenceImagesWhileAnotherConnectionWrites();

    void complaintLifecycle();
    void complaintNotifiesSellersOfOrder();
    void complaintRules();
    void refundAndComplaintListsPage();
    void complaintLinksRefundRequest();
    void complaintCustomerWritesAgain();

private:
    QString addUser(const QString &role, const QString &name = {});
    QString addProduct(const QString &sellerId, int stock = 10);
    PlacedOrder addOrder(const QString &customerId, const QString &status,
                         const QList<LineSpec> &lines, qint64 coinsUsed = 0,
                         qint64 discountCents = 0,
                         const QString &provider = QStringLiteral("manual"));
    Client as(const QString &userId);
    qint64 scalar(const QString &sql, const QVariantList &binds);
    int notificationCount(const QString &userId, const QString &kind);

    std::unique_ptr<TestServer> m_server;
    std::shared_ptr<ScriptedExecutor> m_stripe;
    QHash<QString, QString> m_roles;
};

void TestAftersales::initTestCase()
{
    m_server = std::make_unique<TestServer>();
    QVERIFY2(m_server->start(), qPrintable(m_server->errorString()));
    m_stripe = std::make_shared<ScriptedExecutor>();
    m_server->shop().refunds().setExecutor(QStringLiteral("stripe"), m_stripe);
}

void TestAftersales::cleanup()
{
    Clock::resetForTesting();
    std::lock_guard lock(m_stripe->mutex);
    m_stripe->script.clear();
    m_stripe->calls.clear();
}

QString TestAftersales::addUser(const QString &role, const QString &name)
{
    const QString id = Ids::newId();
    const qint64 now = Clock::nowMs();
    QSqlQuery q(m_server->shop().database().connection());
    q.prepare(QStringLiteral(
            "INSERT INTO users (id, email, email_norm, password_hash, display_name, role, "
            "created_at, updated_at) VALUES (?, ?, ?, 'x', ?, ?, ?, ?)"));
    const QString email = id + QStringLiteral("@example.test");
    for (const QVariant &v :
         QVariantList{id, email, email,
                      name.isEmpty() ? QString(role + QLatin1Char(' ') + id.left(6)) : name, role,
                      now, now})
        q.addBindValue(v);
    if (!q.exec())
        qFatal("insert user failed");
    m_roles.insert(id, role);
    return id;
}

QString TestAftersales::addProduct(const QString &sellerId, int stock)
{
    const QString id = Ids::newId();
    const qint64 now = Clock::nowMs();
    QSqlQuery q(m_server->shop().database().connection());
    q.prepare(QStringLiteral(
            "INSERT INTO products (id, seller_id, name, description, price_cents, stock, "
            "created_at, updated_at) VALUES (?, ?, ?, '', 1000, ?, ?, ?)"));
    for (const QVariant &v : QVariantList{
                 id, sellerId, QString(QStringLiteral("Thing ") + id.left(6)), stock, now, now})
        q.addBindValue(v);
    if (!q.exec())
        qFatal("insert product failed");
    return id;
}

PlacedOrder TestAftersales::addOrder(const QString &customerId, const QString &status,
                                     const QList<LineSpec> &lines, qint64 coinsUsed,
                                     qint64 discountCents, const QString &provider)
{
    PlacedOrder order{Ids::newId(), {}};
    qint64 subtotal = 0;
    for (const LineSpec &l : lines)
        subtotal += l.unitPriceCents * l.quantity;
    const qint64 now = Clock::nowMs();
    const QSqlDatabase db = m_server->shop().database().connection();
    QSqlQuery q(db);
    q.prepare(QStringLiteral(
            "INSERT INTO orders (id, customer_id, status, subtotal_cents, discount_cents, "
            "coins_used, total_cents, currency, payment_provider, payment_state, payment_ref, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'USD', ?, ?, ?, ?, ?)"));
    for (const QVariant &v :
         QVariantList{order.id, customerId, status, subtotal, discountCents, coinsUsed,
                      subtotal - discountCents, provider,
                      status == QLatin1String("pending_payment") ? QStringLiteral("none")
                                                                 : QStringLiteral("succeeded"),
                      QString(QStringLiteral("pi_") + order.id), now, now})
        q.addBindValue(v);
    if (!q.exec())
        qFatal("insert order failed");
    for (const LineSpec &l : lines) {
        const QString itemId = Ids::newId();
        QSqlQuery i(db);
        i.prepare(QStringLiteral(
                "INSERT INTO order_items (id, order_id, product_id, seller_id, name, "
                "unit_price_cents, quantity, line_total_cents, discount_share_cents) "
                "VALUES (?, ?, ?, ?, 'Thing', ?, ?, ?, ?)"));
        for (const QVariant &v :
             QVariantList{itemId, order.id, l.productId, l.sellerId, l.unitPriceCents, l.quantity,
                          l.unitPriceCents * l.quantity, l.discountShareCents})
            i.addBindValue(v);
        if (!i.exec())
            qFatal("insert order item failed");
        order.itemIds.append(itemId);
    }
    return order;
}

Client TestAftersales::as(const QString &userId)
{
    Client c = m_server->client();
    c.setToken(m_server->shop().tokens().issueAccess(userId, m_roles.value(userId)).token);
    return c;
}

qint64 TestAftersales::scalar(const QString &sql, const QVariantList &binds)
{
    auto q = execSql(m_server->shop().database().connection(), sql, binds);
    if (!q || !q->next())
        return -1;
    return q->value(0).toLongLong();
}

int TestAftersales::notificationCount(const QString &userId, const QString &kind)
{
    return int(scalar(
            QStringLiteral("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = ?"),
            {userId, kind}));
}

// ---- reviews ------------------------------------------------------------------------------

void TestAftersales::reviewNeedsPaidPurchase_data()
{
    QTest::addColumn<QString>("orderStatus"); // empty: no order at all
    QTest::addColumn<int>("expected");
    QTest::newRow("no-purchase") << QString() << 403;
    QTest::newRow("pending-payment") << QStringLiteral("pending_payment") << 403;
    QTest::newRow("cancelled") << QStringLiteral("cancelled") << 403;
    QTest::newRow("paid") << QStringLiteral("paid") << 201;
    QTest::newRow("shipped") << QStringLiteral("shipped") << 201;
    QTest::newRow("delivered") << QStringLiteral("delivered") << 201;
}

void TestAftersales::reviewNeedsPaidPurchase()
{
    QFETCH(QString, orderStatus);
    QFETCH(int, expected);
    const QString seller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const QString product = addProduct(seller);
    if (!orderStatus.isEmpty())
        addOrder(customer, orderStatus, {{product, seller, 1}});
    const auto r = as(customer).post(
            QStringLiteral("/api/v1/products/%1/reviews").arg(product),
            {{QStringLiteral("rating"), 4}, {QStringLiteral("comment"), QStringLiteral("ok")}});
    QCOMPARE(r.status, expected);
    if (expected == 201) {
        QCOMPARE(r.header("location"),
                 QByteArray("/api/v1/reviews/")
                         + r.json().value(QStringLiteral("id")).toString().toUtf8());
        QCOMPARE(r.json().value(QStringLiteral("verifiedPurchase")).toBool(), true);
    } else {
        QVERIFY(r.isProblem());
        QCOMPARE(
                scalar(QStringLiteral("SELECT rating_count FROM products WHERE id = ?"), {product}),
                0);
    }
    // A seller never reviews: the role check answers first.
    QCOMPARE(as(seller)
                     .post(QStringLiteral("/api/v1/products/%1/reviews").arg(product),
                           {{QStringLiteral("rating"), 5}})
                     .status,
             403);
}

void TestAftersales::reviewOnePerProductAndRatingFollows()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const QString alice = addUser(QStringLiteral("customer"), QStringLiteral("Alice"));
    const QString bob = addUser(QStringLiteral("customer"), QStringLiteral("Bob"));
    const QString product = addProduct(seller);
    addOrder(alice, QStringLiteral("paid"), {{product, seller, 1}});
    addOrder(bob, QStringLiteral("delivered"), {{product, seller, 2}});
    const QString path = QStringLiteral("/api/v1/products/%1/reviews").arg(product);
    auto sums = [&] {
        return qMakePair(
                scalar(QStringLiteral("SELECT rating_sum FROM products WHERE id = ?"), {product}),
                scalar(QStringLiteral("SELECT rating_count FROM products WHERE id = ?"),
                       {product}));
    };

    const auto first = as(alice).post(path, {{QStringLiteral("rating"), 5},
                                             {QStringLiteral("comment"), QStringLiteral("great")}});
    QCOMPARE(first.status, 201);
    QCOMPARE(sums(), qMakePair(5LL, 1LL));
    QCOMPARE(as(alice).post(path, {{QStringLiteral("rating"), 1}}).status, 409);
    QCOMPARE(sums(), qMakePair(5LL, 1LL));

    const auto second = as(bob).post(path, {{QStringLiteral("rating"), 2}});
    QCOMPARE(second.status, 201);
    QCOMPARE(sums(), qMakePair(7LL, 2LL));

    const QString aliceReview = first.json().value(QStringLiteral("id")).toString();
    auto patched = as(alice).patch(QStringLiteral("/api/v1/reviews/") + aliceReview,
                                   {{QStringLiteral("rating"), 3}});
    QCOMPARE(patched.status, 200);
    QCOMPARE(patched.json().value(QStringLiteral("rating")).toInt(), 3);
    QCOMPARE(patched.json().value(QStringLiteral("comment")).toString(), QStringLiteral("great"));
    QCOMPARE(sums(), qMakePair(5LL, 2LL));

    // Public list, newest first, paged.
    Client anonymous = m_server->client();
    auto page1 = anonymous.get(path + QStringLiteral("?limit=1"));
    QCOMPARE(page1.status, 200);
    const QJsonArray items1 = page1.json().value(QStringLiteral("items")).toArray();
    QCOMPARE(items1.size(), 1);
    const QString cursor = page1.json().value(QStringLiteral("nextCursor")).toString();
    QVERIFY(!cursor.isEmpty());
    auto page2 = anonymous.get(path + QStringLiteral("?limit=1&cursor=")
                               + QString::fromLatin1(QUrl::toPercentEncoding(cursor)));
    QCOMPARE(page2.status, 200);
    const QJsonArray items2 = page2.json().value(QStringLiteral("items")).toArray();
    QCOMPARE(items2.size(), 1);
    QVERIFY(page2.json().value(QStringLiteral("nextCursor")).isNull());
    QStringList names{items1.at(0)[QStringLiteral("authorName")].toString(),
                      items2.at(0)[QStringLiteral("authorName")].toString()};
    names.sort();
    QCOMPARE(names, (QStringList{QStringLiteral("Alice"), QStringLiteral("Bob")}));
    QVERIFY(!page1.body.contains("@example.test"));
    QCOMPARE(anonymous.get(path + QStringLiteral("?cursor=junk")).status, 400);

    QCOMPARE(as(alice).del(QStringLiteral("/api/v1/reviews/") + aliceReview).status, 204);
    QCOMPARE(sums(), qMakePair(2LL, 1LL));
    QCOMPARE(anonymous.get(QStringLiteral("/api/v1/reviews/") + aliceReview).status, 404);
    // Deleted, so a new one may be written.
    QCOMPARE(as(alice).post(path, {{QStringLiteral("rating"), 4}}).status, 201);
    QCOMPARE(sums(), qMakePair(6LL, 2LL));
    QCOMPARE(anonymous.get(QStringLiteral("/api/v1/products/%1/reviews").arg(Ids::newId())).status,
             404);
}

void TestAftersales::reviewOnlyAuthorEdits()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const QString author = addUser(QStringLiteral("customer"));
    const QString other = addUser(QStringLiteral("customer"));
    const QString product = addProduct(seller);
    addOrder(author, QStringLiteral("paid"), {{product, seller, 1}});
    const auto created = as(author).post(QStringLiteral("/api/v1/products/%1/reviews").arg(product),
                                         {{QStringLiteral("rating"), 4}});
    QCOMPARE(created.status, 201);
    const QString path = QStringLiteral("/api/v1/reviews/")
                         + created.json().value(QStringLiteral("id")).toString();
    QCOMPARE(as(other).patch(path, {{QStringLiteral("rating"), 1}}).status, 403);
    QCOMPARE(as(other).del(path).status, 403);
    QCOMPARE(as(seller).del(path).status, 403);
    QCOMPARE(m_server->client().del(path).status, 401);
    QCOMPARE(scalar(QStringLiteral("SELECT rating_sum FROM products WHERE id = ?"), {product}), 4);
    const auto got = m_server->client().get(path);
    QCOMPARE(got.status, 200);
    QCOMPARE(got.json().value(QStringLiteral("rating")).toInt(), 4);
}

void TestAftersales::reviewValidationAndText()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const QString product = addProduct(seller);
    addOrder(customer, QStringLiteral("shipped"), {{product, seller, 1}});
    const QString path = QStringLiteral("/api/v1/products/%1/reviews").arg(product);
    Client c = as(customer);
    QCOMPARE(c.post(path, {{QStringLiteral("rating"), 0}}).status, 422);
    QCOMPARE(c.post(path, {{QStringLiteral("rating"), 6}}).status, 422);
    QCOMPARE(c.post(path, {{QStringLiteral("rating"), 4.5}}).status, 422);
    QCOMPARE(c.post(path, {}).status, 422);
    QCOMPARE(c.post(path, {{QStringLiteral("rating"), 3},
                           {QStringLiteral("comment"), QString(5001, QLatin1Char('x'))}})
                     .status,
             422);
    QCOMPARE(c.send("POST", path, "{", "application/json").status, 400);
    const QString text = QStringLiteral("<script>alert(\"x\")</script> \U0001F600 ünïcode");
    const auto r = c.post(path, {{QStringLiteral("rating"), 3}, {QStringLiteral("comment"), text}});
    QCOMPARE(r.status, 201);
    const auto got = m_server->client().get(QString::fromUtf8(r.header("location")));
    QCOMPARE(got.json().value(QStringLiteral("comment")).toString(), text);
    QVERIFY(got.header("content-type").startsWith("application/json"));
    // Stored as text, byte for byte, and listed the same way.
    const QString id = r.json().value(QStringLiteral("id")).toString();
    auto stored = execSql(m_server->shop().database().connection(),
                          QStringLiteral("SELECT comment FROM reviews WHERE id = ?"), {id});
    QVERIFY(stored && stored->next());
    QCOMPARE(stored->value(0).toString(), text);
    QCOMPARE(stored->value(0).toString().toUtf8(), text.toUtf8());
    const QJsonArray items
            = m_server->client().get(path).json().value(QStringLiteral("items")).toArray();
    QCOMPARE(items.size(), 1);
    QCOMPARE(items.at(0).toObject().value(QStringLiteral("comment")).toString(), text);
    // An edit with more markup and astral characters (4 bytes in UTF-8) comes back intact.
    const QString edited = QStringLiteral(
            "<img src=x onerror=alert(1)> &amp; \"quotes\" \\ \U0001F9E1\U0001D11E\U00020BB7 end");
    QCOMPARE(edited.toUtf8().count("\xF0"), 3);
    const auto patched = c.patch(QStringLiteral("/api/v1/reviews/") + id,
                                 {{QStringLiteral("comment"), edited}});
    QCOMPARE(patched.status, 200);
    QCOMPARE(patched.json().value(QStringLiteral("comment")).toString(), edited);
    QCOMPARE(m_server->client()
                     .get(QStringLiteral("/api/v1/reviews/") + id)
                     .json()
                     .value(QStringLiteral("comment"))
                     .toString(),
             edited);
    // At the limit of 5,000 characters (astral ones count once) it is accepted.
    QString longest = QString(4998, QLatin1Char('a')) + QStringLiteral("\U0001F600\U0001F600");
    const auto atLimit = c.patch(QStringLiteral("/api/v1/reviews/") + id,
                                 {{QStringLiteral("comment"), longest}});
    QCOMPARE(atLimit.status, 200);
    QCOMPARE(atLimit.json().value(QStringLiteral("comment")).toString(), longest);
    const auto over = c.patch(QStringLiteral("/api/v1/reviews/") + id,
                              {{QStringLiteral("comment"), QString(longest + QLatin1Char('a'))}});
    QCOMPARE(over.status, 422);
    QCOMPARE(m_server->client()
                     .get(QStringLiteral("/api/v1/reviews/") + id)
                     .json()
                     .value(QStringLiteral("comment"))
                     .toString(),
             longest);
}

void TestAftersales::reviewRatingFollowsInTheCatalog()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const QString alice = addUser(QStringLiteral("customer"));
    const QString bob = addUser(QStringLiteral("customer"));
    const QString good = addProduct(seller);
    const QString poor = addProduct(seller);
    addOrder(alice, QStringLiteral("paid"), {{good, seller, 1}, {poor, seller, 1}});
    addOrder(bob, QStringLiteral("delivered"), {{good, seller, 1}});
    Client anonymous = m_server->client();
    // {average, count} as GET /products/{id} shows them (average null while unrated).
    auto rating = [&](const QString &product) {
        const HttpResult r = anonymous.get(QStringLiteral("/api/v1/products/") + product);
        const QJsonObject o = r.json().value(QStringLiteral("rating")).toObject();
        return qMakePair(o.value(QStringLiteral("average")).isNull()
                                 ? -1.0
                                 : o.value(QStringLiteral("average")).toDouble(),
                         o.value(QStringLiteral("count")).toInt());
    };
    const QString reviews = QStringLiteral("/api/v1/products/%1/reviews");
    QCOMPARE(rating(good), qMakePair(-1.0, 0));

    const auto a = as(alice).post(reviews.arg(good), {{QStringLiteral("rating"), 5}});
    QCOMPARE(a.status, 201);
    QCOMPARE(rating(good), qMakePair(5.0, 1));
    QCOMPARE(as(alice).post(reviews.arg(good), {{QStringLiteral("rating"), 1}}).status, 409);
    QCOMPARE(rating(good), qMakePair(5.0, 1));
    QCOMPARE(as(bob).post(reviews.arg(good), {{QStringLiteral("rating"), 4}}).status, 201);
    QCOMPARE(rating(good), qMakePair(4.5, 2));
    QCOMPARE(as(alice).post(reviews.arg(poor), {{QStringLiteral("rating"), 2}}).status, 201);
    QCOMPARE(rating(poor), qMakePair(2.0, 1));
    const QString aliceGood
            = QStringLiteral("/api/v1/reviews/") + a.json().value(QStringLiteral("id")).toString();
    QCOMPARE(as(alice).patch(aliceGood, {{QStringLiteral("rating"), 2}}).status, 200);
    QCOMPARE(rating(good), qMakePair(3.0, 2));
    QCOMPARE(
            as(alice).patch(aliceGood, {{QStringLiteral("comment"), QStringLiteral("meh")}}).status,
            200);
    QCOMPARE(rating(good), qMakePair(3.0, 2));

    // The catalog sorts by the average, best first: good (3.0) before poor (2.0).
    auto order = [&] {
        const QJsonArray items = anonymous
                                         .get(QStringLiteral("/api/v1/products?sort=rating&"
                                                             "limit=100&sellerId=")
                                              + seller)
                                         .json()
                                         .value(QStringLiteral("items"))
                                         .toArray();
        QStringList ids;
        for (const QJsonValue &v : items)
            ids.append(v.toObject().value(QStringLiteral("id")).toString());
        return ids;
    };
    QCOMPARE(order(), (QStringList{good, poor}));
    QCOMPARE(as(alice)
                     .patch(QStringLiteral("/api/v1/reviews/")
                                    + as(alice)
                                              .get(reviews.arg(poor))
                                              .json()
                                              .value(QStringLiteral("items"))
                                              .toArray()
                                              .at(0)
                                              .toObject()
                                              .value(QStringLiteral("id"))
                                              .toString(),
                            {{QStringLiteral("rating"), 5}})
                     .status,
             200);
    QCOMPARE(rating(poor), qMakePair(5.0, 1));
    QCOMPARE(order(), (QStringList{poor, good}));

    QCOMPARE(as(alice).del(aliceGood).status, 204);
    QCOMPARE(rating(good), qMakePair(4.0, 1));
    QCOMPARE(as(alice).del(aliceGood).status, 404);
    QCOMPARE(rating(good), qMakePair(4.0, 1));
}

void TestAftersales::reviewHiddenBySeller()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const QString otherSeller = addUser(QStringLiteral("seller"));
    const QString alice = addUser(QStringLiteral("customer"));
    const QString bob = addUser(QStringLiteral("customer"));
    const QString product = addProduct(seller);
    addOrder(alice, QStringLiteral("paid"), {{product, seller, 1}});
    addOrder(bob, QStringLiteral("paid"), {{product, seller, 1}});
    const QString path = QStringLiteral("/api/v1/products/%1/reviews").arg(product);
    const auto abusive = as(alice).post(path, {{QStringLiteral("rating"), 1},
                                               {QStringLiteral("comment"), QStringLiteral("!!")}});
    QCOMPARE(abusive.status, 201);
    const QString abusiveId = abusive.json().value(QStringLiteral("id")).toString();
    QCOMPARE(as(bob).post(path, {{QStringLiteral("rating"), 5}}).status, 201);
    auto sums = [&] {
        return qMakePair(
                scalar(QStringLiteral("SELECT rating_sum FROM products WHERE id = ?"), {product}),
                scalar(QStringLiteral("SELECT rating_count FROM products WHERE id = ?"),
                       {product}));
    };
    auto listed = [&] {
        QStringList ids;
        const QJsonArray items
                = m_server->client().get(path).json().value(QStringLiteral("items")).toArray();
        for (const QJsonValue &v : items)
            ids.append(v.toObject().value(QStringLiteral("id")).toString());
        return ids;
    };
    QCOMPARE(sums(), qMakePair(6LL, 2LL));
    QCOMPARE(listed().size(), 2);

    Reviews &reviews = m_server->shop().reviews();
    // Only the product's seller may hide it.
    const auto refused = reviews.setHidden(otherSeller, abusiveId, true);
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, ErrorCode::NotFound);
    QCOMPARE(reviews.setHidden(seller, Ids::newId(), true).error().code, ErrorCode::NotFound);
    QCOMPARE(sums(), qMakePair(6LL, 2LL));

    const auto hidden = reviews.setHidden(seller, abusiveId, true);
    QVERIFY2(hidden.ok(), qPrintable(hidden.ok() ? QString() : hidden.error().detail));
    QVERIFY(hidden->hidden());
    // Kept, not shown: not listed, not served, not counted.
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(*) FROM reviews WHERE id = ?"), {abusiveId}), 1);
    QVERIFY(!listed().contains(abusiveId));
    QCOMPARE(listed().size(), 1);
    QCOMPARE(m_server->client().get(QStringLiteral("/api/v1/reviews/") + abusiveId).status, 404);
    QCOMPARE(sums(), qMakePair(5LL, 1LL));
    QVERIFY(!m_server->client().get(path).body.contains("!!"));
    // Hiding twice changes nothing more.
    QVERIFY(reviews.setHidden(seller, abusiveId, true).ok());
    QCOMPARE(sums(), qMakePair(5LL, 1LL));
    // The seller's own view still has it, marked hidden.
    const auto mine = reviews.sellerList(seller, product, 100, {});
    QVERIFY(mine.ok());
    QCOMPARE(mine->items.size(), 2);
    int hiddenCount = 0;
    for (const Review &r : mine->items)
        hiddenCount += r.hidden() ? 1 : 0;
    QCOMPARE(hiddenCount, 1);
    QCOMPARE(reviews.sellerList(otherSeller, product, 100, {}).error().code, ErrorCode::NotFound);

    // The author cannot write a second one, and editing keeps it hidden and out of the rating.
    QCOMPARE(as(alice).post(path, {{QStringLiteral("rating"), 2}}).status, 409);
    const auto edited = as(alice).patch(QStringLiteral("/api/v1/reviews/") + abusiveId,
                                        {{QStringLiteral("rating"), 3}});
    QCOMPARE(edited.status, 200);
    QCOMPARE(sums(), qMakePair(5LL, 1LL));
    QVERIFY(!listed().contains(abusiveId));

    // Shown again: listed and counted with its current rating.
    QVERIFY(reviews.setHidden(seller, abusiveId, false).ok());
    QVERIFY(listed().contains(abusiveId));
    QCOMPARE(sums(), qMakePair(8LL, 2LL));
    QCOMPARE(m_server->client().get(QStringLiteral("/api/v1/reviews/") + abusiveId).status, 200);

    // Deleting a hidden review leaves the rating alone (it was not counted).
    QVERIFY(reviews.setHidden(seller, abusiveId, true).ok());
    QCOMPARE(sums(), qMakePair(5LL, 1LL));
    QCOMPARE(as(alice).del(QStringLiteral("/api/v1/reviews/") + abusiveId).status, 204);
    QCOMPARE(sums(), qMakePair(5LL, 1LL));
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(*) FROM reviews WHERE id = ?"), {abusiveId}), 0);
}

// ---- refunds ------------------------------------------------------------------------------

void TestAftersales::refundQuantityLimits_data()
{
    QTest::addColumn<int>("lineQuantity");
    QTest::addColumn<int>("approvedBefore"); // units refunded by an approved earlier request
    QTest::addColumn<int>("openBefore");     // units held by an undecided earlier request
    QTest::addColumn<int>("rejectedBefore"); // units of a rejected request (do not count)
    QTest::addColumn<int>("asked");
    QTest::addColumn<int>("expected");
    QTest::newRow("whole-line") << 3 << 0 << 0 << 0 << 3 << 201;
    QTest::newRow("one") << 3 << 0 << 0 << 0 << 1 << 201;
    QTest::newRow("more-than-line") << 3 << 0 << 0 << 0 << 4 << 409;
    QTest::newRow("open-request-holds") << 3 << 0 << 2 << 0 << 2 << 409;
    QTest::newRow("rest-after-open") << 3 << 0 << 2 << 0 << 1 << 201;
    QTest::newRow("refunded-counts") << 3 << 1 << 0 << 0 << 3 << 409;
    QTest::newRow("rest-after-refunded") << 3 << 1 << 0 << 0 << 2 << 201;
    QTest::newRow("both-count") << 4 << 1 << 2 << 0 << 2 << 409;
    QTest::newRow("nothing-left") << 2 << 1 << 1 << 0 << 1 << 409;
    QTest::newRow("rejected-frees") << 2 << 0 << 0 << 2 << 2 << 201;
    QTest::newRow("zero") << 3 << 0 << 0 << 0 << 0 << 422;
    QTest::newRow("negative") << 3 << 0 << 0 << 0 << -1 << 422;
}

void TestAftersales::refundQuantityLimits()
{
    QFETCH(int, lineQuantity);
    QFETCH(int, approvedBefore);
    QFETCH(int, openBefore);
    QFETCH(int, rejectedBefore);
    QFETCH(int, asked);
    QFETCH(int, expected);
    const QString seller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const QString product = addProduct(seller);
    const PlacedOrder order
            = addOrder(customer, QStringLiteral("delivered"), {{product, seller, lineQuantity}});
    const QString path = QStringLiteral("/api/v1/orders/%1/refund-requests").arg(order.id);
    Client c = as(customer);
    auto ask = [&](int quantity) {
        return c.post(path, {{QStringLiteral("orderItemId"), order.itemIds.first()},
                             {QStringLiteral("quantity"), quantity},
                             {QStringLiteral("reason"), QStringLiteral("broken")}});
    };
    auto decide = [&](int quantity, const QString &how) {
        const auto r = ask(quantity);
        QCOMPARE(r.status, 201);
        QCOMPARE(as(seller)
                         .post(QStringLiteral("/api/v1/seller/refund-requests/%1/%2")
                                       .arg(r.json().value(QStringLiteral("id")).toString(), how))
                         .status,
                 200);
    };
    if (approvedBefore > 0)
        decide(approvedBefore, QStringLiteral("approve"));
    if (rejectedBefore > 0)
        decide(rejectedBefore, QStringLiteral("reject"));
    if (openBefore > 0)
        QCOMPARE(ask(openBefore).status, 201);
    const auto r = ask(asked);
    QCOMPARE(r.status, expected);
    if (expected == 201) {
        QCOMPARE(r.json().value(QStringLiteral("status")).toString(), QStringLiteral("requested"));
        QCOMPARE(r.json().value(QStringLiteral("quantity")).toInt(), asked);
        QVERIFY(r.json().value(QStringLiteral("amountCents")).isNull());
    } else {
        QVERIFY(r.isProblem());
    }
}

void TestAftersales::refundRequestRules()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const QString stranger = addUser(QStringLiteral("customer"));
    const QString product = addProduct(seller);
    const PlacedOrder paid = addOrder(customer, QStringLiteral("paid"), {{product, seller, 2}});
    const PlacedOrder pending
            = addOrder(customer, QStringLiteral("pending_payment"), {{product, seller, 2}});
    const PlacedOrder cancelled
            = addOrder(customer, QStringLiteral("cancelled"), {{product, seller, 2}});
    const PlacedOrder other = addOrder(stranger, QStringLiteral("paid"), {{product, seller, 2}});
    auto ask = [&](const QString &userId, const PlacedOrder &o, const QString &item) {
        return as(userId).post(QStringLiteral("/api/v1/orders/%1/refund-requests").arg(o.id),
                               {{QStringLiteral("orderItemId"), item},
                                {QStringLiteral("quantity"), 1},
                                {QStringLiteral("reason"), QStringLiteral("broken")}});
    };
    QCOMPARE(ask(customer, pending, pending.itemIds.first()).status, 409);
    QCOMPARE(ask(customer, cancelled, cancelled.itemIds.first()).status, 409);
    QCOMPARE(ask(customer, other, other.itemIds.first()).status, 404);
    QCOMPARE(ask(seller, paid, paid.itemIds.first()).status, 403);
    const auto wrongLine = ask(customer, paid, other.itemIds.first());
    QCOMPARE(wrongLine.status, 422);
    QVERIFY(wrongLine.body.contains("orderItemId"));
    const auto noReason
            = as(customer).post(QStringLiteral("/api/v1/orders/%1/refund-requests").arg(paid.id),
                                {{QStringLiteral("orderItemId"), paid.itemIds.first()},
                                 {QStringLiteral("quantity"), 1},
                                 {QStringLiteral("reason"), QStringLiteral("  ")}});
    QCOMPARE(noReason.status, 422);
    const auto created = ask(customer, paid, paid.itemIds.first());
    QCOMPARE(created.status, 201);
    const QString location = QString::fromUtf8(created.header("location"));
    QCOMPARE(location, QStringLiteral("/api/v1/refund-requests/")
                               + created.json().value(QStringLiteral("id")).toString());
    const auto got = as(customer).get(location);
    QCOMPARE(got.status, 200);
    QCOMPARE(got.json(), created.json());
}

void TestAftersales::refundAmounts_data()
{
    QTest::addColumn<int>("lineQuantity");
    QTest::addColumn<qint64>("unitPrice");
    QTest::addColumn<qint64>("discountShare");  // of this line
    QTest::addColumn<qint64>("orderCoins");     // coins the order used
    QTest::addColumn<qint64>("orderDiscount");  // the order's discount in cents
    QTest::addColumn<QList<int>>("quantities"); // approved one after another
    QTest::addColumn<QList<qint64>>("amounts");
    QTest::addColumn<QList<qint64>>("coins");
    QTest::newRow("full-line") << 2 << 1000LL << 0LL << 0LL << 0LL << QList<int>{2}
                               << QList<qint64>{2000} << QList<qint64>{0};
    QTest::newRow("partial") << 4 << 1000LL << 0LL << 0LL << 0LL << QList<int>{1}
                             << QList<qint64>{1000} << QList<qint64>{0};
    QTest::newRow("thirds-rounding") << 3 << 333LL << 0LL << 0LL << 0LL << QList<int>{1, 1, 1}
                                     << QList<qint64>{333, 333, 333} << QList<qint64>{0, 0, 0};
    QTest::newRow("with-coins") << 2 << 500LL << 300LL << 300LL << 300LL << QList<int>{1, 1}
                                << QList<qint64>{350, 350} << QList<qint64>{150, 150};
    QTest::newRow("coins-rounding-last-takes-rest")
            << 3 << 1000LL << 101LL << 101LL << 101LL << QList<int>{1, 1, 1}
            << QList<qint64>{966, 966, 967} << QList<qint64>{33, 33, 35};
    QTest::newRow("share-of-two-lines") << 2 << 1000LL << 60LL << 100LL << 100LL << QList<int>{2}
                                        << QList<qint64>{1940} << QList<qint64>{60};
    QTest::newRow("coin-worth-two-cents")
            << 2 << 500LL << 100LL << 50LL << 100LL << QList<int>{1, 1} << QList<qint64>{450, 450}
            << QList<qint64>{25, 25};
    QTest::newRow("two-then-three") << 5 << 199LL << 7LL << 7LL << 7LL << QList<int>{2, 3}
                                    << QList<qint64>{395, 593} << QList<qint64>{2, 5};
    QTest::newRow("odd-share") << 7 << 143LL << 13LL << 13LL << 13LL << QList<int>{3, 1, 3}
                               << QList<qint64>{423, 141, 424} << QList<qint64>{5, 1, 7};
}

void TestAftersales::refundAmounts()
{
    QFETCH(int, lineQuantity);
    QFETCH(qint64, unitPrice);
    QFETCH(qint64, discountShare);
    QFETCH(qint64, orderCoins);
    QFETCH(qint64, orderDiscount);
    QFETCH(QList<int>, quantities);
    QFETCH(QList<qint64>, amounts);
    QFETCH(QList<qint64>, coins);
    const QString seller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const QString product = addProduct(seller);
    const PlacedOrder order = addOrder(customer, QStringLiteral("paid"),
                                       {{product, seller, lineQuantity, unitPrice, discountShare}},
                                       orderCoins, orderDiscount);
    const QString item = order.itemIds.first();
    qint64 refundedTotal = 0;
    qint64 coinsTotal = 0;
    int refundedQuantity = 0;
    for (int i = 0; i < quantities.size(); ++i) {
        const auto asked = as(customer).post(
                QStringLiteral("/api/v1/orders/%1/refund-requests").arg(order.id),
                {{QStringLiteral("orderItemId"), item},
                 {QStringLiteral("quantity"), quantities.at(i)},
                 {QStringLiteral("reason"), QStringLiteral("step %1").arg(i)}});
        QCOMPARE(asked.status, 201);
        // What the console shows before the seller confirms is what approving pays.
        const auto preview = m_server->shop().refunds().preview(
                seller, asked.json().value(QStringLiteral("id")).toString());
        QVERIFY(preview);
        QCOMPARE(preview->cents, amounts.at(i));
        QCOMPARE(preview->coins, coins.at(i));
        const auto approved
                = as(seller).post(QStringLiteral("/api/v1/seller/refund-requests/%1/approve")
                                          .arg(asked.json().value(QStringLiteral("id")).toString()),
                                  {{QStringLiteral("note"), QStringLiteral("sorry")}});
        QCOMPARE(approved.status, 200);
        const QJsonObject r = approved.json();
        QCOMPARE(r.value(QStringLiteral("status")).toString(), QStringLiteral("refunded"));
        QCOMPARE(r.value(QStringLiteral("amountCents")).toInteger(), amounts.at(i));
        QCOMPARE(r.value(QStringLiteral("coinsReturned")).toInteger(), coins.at(i));
        QCOMPARE(r.value(QStringLiteral("note")).toString(), QStringLiteral("sorry"));
        refundedTotal += amounts.at(i);
        coinsTotal += coins.at(i);
        refundedQuantity += quantities.at(i);
        QCOMPARE(scalar(QStringLiteral("SELECT refunded_cents FROM order_items WHERE id = ?"),
                        {item}),
                 refundedTotal);
        QCOMPARE(scalar(QStringLiteral("SELECT refunded_quantity FROM order_items WHERE id = ?"),
                        {item}),
                 qint64(refundedQuantity));
        QCOMPARE(CoinLedger::balance(m_server->shop().database().connection(), customer).value(),
                 coinsTotal);
    }
    const qint64 paid = unitPrice * lineQuantity - discountShare;
    QVERIFY(refundedTotal <= paid);
    if (refundedQuantity == lineQuantity)
        QCOMPARE(refundedTotal, paid);
    // Every approval recorded a manual provider refund that succeeded, for the same money.
    QCOMPARE(scalar(QStringLiteral("SELECT COALESCE(SUM(amount_cents), 0) FROM payment_refunds "
                                   "WHERE order_id = ? "
                                   "AND state = 'succeeded' AND provider = 'manual'"),
                    {order.id}),
             refundedTotal);
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(*) FROM coin_ledger WHERE user_id = ? AND reason "
                                   "= 'refund' "
                                   "AND order_id = ?"),
                    {customer, order.id}),
             qint64(std::count_if(coins.cbegin(), coins.cend(), [](qint64 c) { return c > 0; })));
}

void TestAftersales::refundRestocks()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const QString product = addProduct(seller, 4);
    const PlacedOrder order = addOrder(customer, QStringLiteral("paid"), {{product, seller, 3}});
    auto askAndApprove = [&](int quantity, bool restock) {
        const auto asked = as(customer).post(
                QStringLiteral("/api/v1/orders/%1/refund-requests").arg(order.id),
                {{QStringLiteral("orderItemId"), order.itemIds.first()},
                 {QStringLiteral("quantity"), quantity},
                 {QStringLiteral("reason"), QStringLiteral("x")}});
        QCOMPARE(asked.status, 201);
        const auto r
                = as(seller).post(QStringLiteral("/api/v1/seller/refund-requests/%1/approve")
                                          .arg(asked.json().value(QStringLiteral("id")).toString()),
                                  {{QStringLiteral("restock"), restock}});
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QStringLiteral("restock")).toBool(), restock);
    };
    askAndApprove(1, false);
    QCOMPARE(scalar(QStringLiteral("SELECT stock FROM products WHERE id = ?"), {product}), 4);
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(*) FROM stock_ledger WHERE product_id = ?"),
                    {product}),
             0);
    askAndApprove(2, true);
    QCOMPARE(scalar(QStringLiteral("SELECT stock FROM products WHERE id = ?"), {product}), 6);
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(*) FROM stock_ledger WHERE product_id = ? AND "
                                   "reason = 'refund' "
                                   "AND delta = 2 AND order_id = ?"),
                    {product, order.id}),
             1);
    // All three units are refunded now.
    const auto asked
            = as(customer).post(QStringLiteral("/api/v1/orders/%1/refund-requests").arg(order.id),
                                {{QStringLiteral("orderItemId"), order.itemIds.first()},
                                 {QStringLiteral("quantity"), 1},
                                 {QStringLiteral("reason"), QStringLiteral("x")}});
    QCOMPARE(asked.status, 409);
}

// A refund's restock is a stock change like any other: the same product row, ledger row,
// low-stock alert or re-arm, and the same announcements (what the console's Inventory page
// follows live) as a seller's hand adjustment of the same delta from the same state.
void TestAftersales::refundRestockAnnouncedAsAHandAdjustment_data()
{
    QTest::addColumn<int>("stock");
    QTest::addColumn<int>("armed");
    QTest::addColumn<int>("restock");
    QTest::addColumn<int>("expectedArmed");
    QTest::addColumn<int>("expectedAlerts");
    // Low and alerted already: back above the threshold re-arms the alert.
    QTest::newRow("re-arms above the threshold") << 2 << 0 << 4 << 1 << 0;
    // Low but armed (its threshold was lowered to below its stock, then the stock fell by
    // hand to exactly the old value): a change that leaves it low is the crossing.
    QTest::newRow("alerts while still low") << 2 << 1 << 1 << 0 << 1;
    // Above and armed: stays armed, no alert.
    QTest::newRow("stays armed above") << 8 << 1 << 2 << 1 << 0;
}

void TestAftersales::refundRestockAnnouncedAsAHandAdjustment()
{
    QFETCH(int, stock);
    QFETCH(int, armed);
    QFETCH(int, restock);
    QFETCH(int, expectedArmed);
    QFETCH(int, expectedAlerts);
    const QString seller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const QString refunded = addProduct(seller, stock);
    const QString adjusted = addProduct(seller, stock);
    for (const QString &id : {refunded, adjusted})
        QVERIFY(execSql(m_server->shop().database().connection(),
                        QStringLiteral("UPDATE products SET low_stock_threshold = 5, "
                                       "low_stock_armed = ? WHERE id = ?"),
                        {armed, id})
                        .ok());
    const PlacedOrder order
            = addOrder(customer, QStringLiteral("paid"), {{refunded, seller, restock}});

    struct Seen
    {
        std::mutex mutex;
        QHash<QString, int> changed, low;
    } seen;
    ModelEvents &events = m_server->shop().events();
    auto c1 = connect(
            &events, &ModelEvents::productChanged, &events,
            [&seen](const QString &id) {
                std::lock_guard lock(seen.mutex);
                ++seen.changed[id];
            },
            Qt::DirectConnection);
    auto c2 = connect(
            &events, &ModelEvents::stockLow, &events,
            [&seen](const QString &id, const QString &, int) {
                std::lock_guard lock(seen.mutex);
                ++seen.low[id];
            },
            Qt::DirectConnection);
    auto disconnect = qScopeGuard([&] {
        QObject::disconnect(c1);
        QObject::disconnect(c2);
    });

    const auto asked
            = as(customer).post(QStringLiteral("/api/v1/orders/%1/refund-requests").arg(order.id),
                                {{QStringLiteral("orderItemId"), order.itemIds.first()},
                                 {QStringLiteral("quantity"), restock},
                                 {QStringLiteral("reason"), QStringLiteral("x")}});
    QCOMPARE(asked.status, 201);
    const auto approved
            = as(seller).post(QStringLiteral("/api/v1/seller/refund-requests/%1/approve")
                                      .arg(asked.json().value(QStringLiteral("id")).toString()),
                              {{QStringLiteral("restock"), true}});
    QCOMPARE(approved.status, 200);
    const auto handAdjusted = as(seller).post(
            QStringLiteral("/api/v1/products/%1/stock-adjustments").arg(adjusted),
            {{QStringLiteral("delta"), restock}, {QStringLiteral("reason"), QStringLiteral("x")}});
    QCOMPARE(handAdjusted.status, 200);

    for (const QString &id : {refunded, adjusted}) {
        const QByteArray which = id == refunded ? "refund restock" : "hand adjustment";
        QVERIFY2(scalar(QStringLiteral("SELECT stock FROM products WHERE id = ?"), {id})
                         == stock + restock,
                 which.constData());
        QVERIFY2(scalar(QStringLiteral("SELECT low_stock_armed FROM products WHERE id = ?"), {id})
                         == expectedArmed,
                 which.constData());
        QVERIFY2(scalar(QStringLiteral("SELECT COUNT(*) FROM stock_ledger WHERE product_id = ? "
                                       "AND delta = ?"),
                        {id, restock})
                         == 1,
                 which.constData());
        QVERIFY2(scalar(QStringLiteral("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND "
                                       "kind = 'stock.low' AND data LIKE ?"),
                        {seller, QString(QLatin1Char('%') + id + QLatin1Char('%'))})
                         == expectedAlerts,
                 which.constData());
    }
    std::lock_guard lock(seen.mutex);
    QCOMPARE(seen.changed.value(refunded), seen.changed.value(adjusted));
    QCOMPARE(seen.low.value(refunded), seen.low.value(adjusted));
    QCOMPARE(seen.low.value(refunded), expectedAlerts);
    QVERIFY(seen.changed.value(refunded) >= 1);
}

void TestAftersales::refundRejectAndDecideOnce()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const QString product = addProduct(seller);
    const PlacedOrder order = addOrder(customer, QStringLiteral("shipped"), {{product, seller, 2}});
    auto ask = [&] {
        const auto r = as(customer).post(
                QStringLiteral("/api/v1/orders/%1/refund-requests").arg(order.id),
                {{QStringLiteral("orderItemId"), order.itemIds.first()},
                 {QStringLiteral("quantity"), 1},
                 {QStringLiteral("reason"), QStringLiteral("x")}});
        return r.json().value(QStringLiteral("id")).toString();
    };
    const QString first = ask();
    const QString second = ask();
    Client s = as(seller);
    const auto rejected
            = s.post(QStringLiteral("/api/v1/seller/refund-requests/%1/reject").arg(first),
                     {{QStringLiteral("note"), QStringLiteral("used item")}});
    QCOMPARE(rejected.status, 200);
    QCOMPARE(rejected.json().value(QStringLiteral("status")).toString(),
             QStringLiteral("rejected"));
    QCOMPARE(rejected.json().value(QStringLiteral("note")).toString(), QStringLiteral("used item"));
    QVERIFY(rejected.json().value(QStringLiteral("amountCents")).isNull());
    QCOMPARE(scalar(QStringLiteral("SELECT refunded_quantity FROM order_items WHERE id = ?"),
                    {order.itemIds.first()}),
             0);
    QCOMPARE(s.post(QStringLiteral("/api/v1/seller/refund-requests/%1/reject").arg(first)).status,
             409);
    QCOMPARE(s.post(QStringLiteral("/api/v1/seller/refund-requests/%1/approve").arg(first)).status,
             409);
    QCOMPARE(s.post(QStringLiteral("/api/v1/seller/refund-requests/%1/approve").arg(second)).status,
             200);
    QCOMPARE(s.post(QStringLiteral("/api/v1/seller/refund-requests/%1/approve").arg(second)).status,
             409);
    QCOMPARE(s.post(QStringLiteral("/api/v1/seller/refund-requests/%1/reject").arg(second)).status,
             409);
    QCOMPARE(scalar(QStringLiteral(
                            "SELECT COUNT(*) FROM payment_refunds WHERE refund_request_id = ?"),
                    {second}),
             1);
    QCOMPARE(s.post(QStringLiteral("/api/v1/seller/refund-requests/%1/approve").arg(Ids::newId()))
                     .status,
             404);
    // The rejected unit is free again; after it, nothing is left.
    const QString third = ask();
    QVERIFY(!third.isEmpty());
    QVERIFY(ask().isEmpty());
    // A bad decision body is 422 and decides nothing.
    QCOMPARE(s.post(QStringLiteral("/api/v1/seller/refund-requests/%1/approve").arg(third),
                    {{QStringLiteral("restock"), QStringLiteral("yes")}})
                     .status,
             422);
    QCOMPARE(s.get(QStringLiteral("/api/v1/seller/refund-requests/") + third)
                     .json()
                     .value(QStringLiteral("status"))
                     .toString(),
             QStringLiteral("requested"));
    QCOMPARE(notificationCount(customer, QStringLiteral("refund.rejected")), 1);
    QCOMPARE(notificationCount(customer, QStringLiteral("refund.approved")), 1);
    // Both decisions also went out as mail to the customer (the outbox by default).
    QVERIFY(m_server->shop().mail().waitUntilIdle(10'000));
    int declined = 0, approvedMails = 0;
    const QDir outbox(m_server->dataDir() + QStringLiteral("/outbox"));
    const QStringList files = outbox.entryList(QDir::Files);
    for (const QString &name : files) {
        QFile f(outbox.filePath(name));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray mail = f.readAll();
        if (!mail.contains(QByteArray(customer.toUtf8() + "@example.test")))
            continue;
        declined += mail.contains("Subject: Your refund request was declined")
                    && mail.contains("used item");
        approvedMails += mail.contains("Subject: Your refund was approved");
    }
    QCOMPARE(declined, 1);
    QCOMPARE(approvedMails, 1);

    // Seller list filters by status; junk status is 400.
    const auto requested = s.get(QStringLiteral("/api/v1/seller/refund-requests?status=rejected"));
    QCOMPARE(requested.status, 200);
    const QJsonArray items = requested.json().value(QStringLiteral("items")).toArray();
    QCOMPARE(items.size(), 1);
    QCOMPARE(items.at(0)[QStringLiteral("id")].toString(), first);
    QCOMPARE(s.get(QStringLiteral("/api/v1/seller/refund-requests?status=bogus")).status, 400);
    QCOMPARE(s.get(QStringLiteral("/api/v1/seller/refund-requests"))
                     .json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .size(),
             3);
    QCOMPARE(s.get(QStringLiteral("/api/v1/seller/refund-requests?status=requested"))
                     .json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .size(),
             1);
}

void TestAftersales::refundOnlyOwnersSee()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const QString otherSeller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const QString otherCustomer = addUser(QStringLiteral("customer"));
    const QString product = addProduct(seller);
    const PlacedOrder order = addOrder(customer, QStringLiteral("paid"), {{product, seller, 1}});
    const auto asked
            = as(customer).post(QStringLiteral("/api/v1/orders/%1/refund-requests").arg(order.id),
                                {{QStringLiteral("orderItemId"), order.itemIds.first()},
                                 {QStringLiteral("quantity"), 1},
                                 {QStringLiteral("reason"), QStringLiteral("x")}});
    QCOMPARE(asked.status, 201);
    const QString id = asked.json().value(QStringLiteral("id")).toString();
    QCOMPARE(as(otherCustomer).get(QStringLiteral("/api/v1/refund-requests/") + id).status, 404);
    QCOMPARE(as(otherCustomer)
                     .get(QStringLiteral("/api/v1/refund-requests"))
                     .json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .size(),
             0);
    QCOMPARE(as(customer)
                     .get(QStringLiteral("/api/v1/refund-requests"))
                     .json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .size(),
             1);
    QCOMPARE(as(otherSeller)
                     .post(QStringLiteral("/api/v1/seller/refund-requests/%1/approve").arg(id))
                     .status,
             404);
    QCOMPARE(as(otherSeller)
                     .post(QStringLiteral("/api/v1/seller/refund-requests/%1/reject").arg(id))
                     .status,
             404);
    QCOMPARE(as(otherSeller).get(QStringLiteral("/api/v1/seller/refund-requests/") + id).status,
             404);
    QCOMPARE(as(otherSeller)
                     .get(QStringLiteral("/api/v1/seller/refund-requests"))
                     .json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .size(),
             0);
    QCOMPARE(as(customer)
                     .post(QStringLiteral("/api/v1/seller/refund-requests/%1/approve").arg(id))
                     .status,
             403);
    QCOMPARE(m_server->client().get(QStringLiteral("/api/v1/refund-requests")).status, 401);
    QCOMPARE(as(customer)
                     .get(QStringLiteral("/api/v1/refund-requests/") + id)
                     .json()
                     .value(QStringLiteral("status"))
                     .toString(),
             QStringLiteral("requested"));
}

void TestAftersales::refundNotifiesRightUsers()
{
    const QString sellerA = addUser(QStringLiteral("seller"));
    const QString sellerB = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const PlacedOrder order
            = addOrder(customer, QStringLiteral("paid"),
                       {{addProduct(sellerA), sellerA, 1}, {addProduct(sellerB), sellerB, 1}});
    int announced = 0;
    QString announcedTo;
    const auto connection = QObject::connect(
            &m_server->shop().events(), &ModelEvents::notificationCreated, this,
            [&](const QString &userId, const QString &kind, const QString &) {
                if (kind == QLatin1String("refund.requested")) {
                    ++announced;
                    announcedTo = userId;
                }
            },
            Qt::DirectConnection);
    const auto asked
            = as(customer).post(QStringLiteral("/api/v1/orders/%1/refund-requests").arg(order.id),
                                {{QStringLiteral("orderItemId"), order.itemIds.at(1)},
                                 {QStringLiteral("quantity"), 1},
                                 {QStringLiteral("reason"), QStringLiteral("x")}});
    QObject::disconnect(connection);
    QCOMPARE(asked.status, 201);
    QCOMPARE(announced, 1);
    QCOMPARE(announcedTo, sellerB);
    QCOMPARE(notificationCount(sellerB, QStringLiteral("refund.requested")), 1);
    QCOMPARE(notificationCount(sellerA, QStringLiteral("refund.requested")), 0);
    QCOMPARE(notificationCount(customer, QStringLiteral("refund.requested")), 0);
    QCOMPARE(as(sellerB)
                     .post(QStringLiteral("/api/v1/seller/refund-requests/%1/approve")
                                   .arg(asked.json().value(QStringLiteral("id")).toString()))
                     .status,
             200);
    QCOMPARE(notificationCount(customer, QStringLiteral("refund.approved")), 1);
    QCOMPARE(notificationCount(sellerA, QStringLiteral("refund.approved")), 0);
    QCOMPARE(notificationCount(sellerB, QStringLiteral("refund.approved")), 0);
}

void TestAftersales::refundThroughProviderRetries()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const QString product = addProduct(seller);
    const PlacedOrder order
            = addOrder(customer, QStringLiteral("paid"), {{product, seller, 2, 1250, 0}}, 0, 0,
                       QStringLiteral("stripe"));
    {
        std::lock_guard lock(m_stripe->mutex);
        m_stripe->script
                = {{RefundAttempt::Kind::Retry, {}, QStringLiteral("HTTP 500 from provider")},
                   {RefundAttempt::Kind::Retry, {}, QStringLiteral("timeout")}};
    }
    const auto asked
            = as(customer).post(QStringLiteral("/api/v1/orders/%1/refund-requests").arg(order.id),
                                {{QStringLiteral("orderItemId"), order.itemIds.first()},
                                 {QStringLiteral("quantity"), 1},
                                 {QStringLiteral("reason"), QStringLiteral("x")}});
    const QString id = asked.json().value(QStringLiteral("id")).toString();
    const auto approved
            = as(seller).post(QStringLiteral("/api/v1/seller/refund-requests/%1/approve").arg(id));
    QCOMPARE(approved.status, 200);
    QCOMPARE(approved.json().value(QStringLiteral("status")).toString(),
             QStringLiteral("refund_failed"));
    QCOMPARE(approved.json().value(QStringLiteral("refundError")).toString(),
             QStringLiteral("HTTP 500 from provider"));
    QCOMPARE(approved.json().value(QStringLiteral("amountCents")).toInteger(), 1250);
    // The line is already accounted for: the money is owed, not in doubt.
    QCOMPARE(scalar(QStringLiteral("SELECT refunded_cents FROM order_items WHERE id = ?"),
                    {order.itemIds.first()}),
             1250);

    // Not due yet: nothing is sent.
    QCOMPARE(m_server->shop().refunds().retryDue(), 0);
    Clock::advanceForTesting(31'000);
    QCOMPARE(m_server->shop().refunds().retryDue(), 1);
    QCOMPARE(as(customer)
                     .get(QStringLiteral("/api/v1/refund-requests/") + id)
                     .json()
                     .value(QStringLiteral("status"))
                     .toString(),
             QStringLiteral("refund_failed"));
    QCOMPARE(m_server->shop().refunds().retryDue(), 0); // backoff grew
    Clock::advanceForTesting(61'000);
    QCOMPARE(m_server->shop().refunds().retryDue(), 1);
    const auto done = as(customer).get(QStringLiteral("/api/v1/refund-requests/") + id);
    QCOMPARE(done.json().value(QStringLiteral("status")).toString(), QStringLiteral("refunded"));
    QVERIFY(done.json().value(QStringLiteral("refundError")).isNull());
    Clock::advanceForTesting(3'600'000);
    QCOMPARE(m_server->shop().refunds().retryDue(), 0);

    std::lock_guard lock(m_stripe->mutex);
    QCOMPARE(m_stripe->calls.size(), 3);
    for (const RefundCall &call : std::as_const(m_stripe->calls)) {
        QCOMPARE(call.amountCents, 1250);
        QCOMPARE(call.paymentRef, QStringLiteral("pi_") + order.id);
        QCOMPARE(call.refundId,
                 m_stripe->calls.first().refundId); // one idempotency key for all tries
        QCOMPARE(call.currency, QStringLiteral("USD"));
    }
    QCOMPARE(scalar(QStringLiteral("SELECT attempts FROM payment_refunds WHERE refund_request_id = "
                                   "? AND state = 'succeeded'"),
                    {id}),
             3);
}

void TestAftersales::refundProviderPermanentFailure()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const QString product = addProduct(seller);
    const PlacedOrder order = addOrder(customer, QStringLiteral("paid"), {{product, seller, 1}}, 0,
                                       0, QStringLiteral("stripe"));
    {
        std::lock_guard lock(m_stripe->mutex);
        m_stripe->script
                = {{RefundAttempt::Kind::Failed, {}, QStringLiteral("charge already refunded")}};
    }
    const auto asked
            = as(customer).post(QStringLiteral("/api/v1/orders/%1/refund-requests").arg(order.id),
                                {{QStringLiteral("orderItemId"), order.itemIds.first()},
                                 {QStringLiteral("quantity"), 1},
                                 {QStringLiteral("reason"), QStringLiteral("x")}});
    const QString id = asked.json().value(QStringLiteral("id")).toString();
    const auto approved
            = as(seller).post(QStringLiteral("/api/v1/seller/refund-requests/%1/approve").arg(id));
    QCOMPARE(approved.json().value(QStringLiteral("status")).toString(),
             QStringLiteral("refund_failed"));
    Clock::advanceForTesting(24LL * 3'600'000);
    QCOMPARE(m_server->shop().refunds().retryDue(), 0);
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(*) FROM payment_refunds WHERE refund_request_id = "
                                   "? AND state = 'failed'"),
                    {id}),
             1);
    // And a decided request stays decided.
    QCOMPARE(as(seller)
                     .post(QStringLiteral("/api/v1/seller/refund-requests/%1/approve").arg(id))
                     .status,
             409);
}

void TestAftersales::evidenceImages()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const QString other = addUser(QStringLiteral("customer"));
    const QString product = addProduct(seller);
    const PlacedOrder order = addOrder(customer, QStringLiteral("paid"), {{product, seller, 1}});
    const auto asked
            = as(customer).post(QStringLiteral("/api/v1/orders/%1/refund-requests").arg(order.id),
                                {{QStringLiteral("orderItemId"), order.itemIds.first()},
                                 {QStringLiteral("quantity"), 1},
                                 {QStringLiteral("reason"), QStringLiteral("x")}});
    const auto complaint
            = as(customer).post(QStringLiteral("/api/v1/complaints"),
                                {{QStringLiteral("orderId"), order.id},
                                 {QStringLiteral("subject"), QStringLiteral("Bent")},
                                 {QStringLiteral("message"), QStringLiteral("It is bent.")}});
    QCOMPARE(complaint.status, 201);
    const QStringList targets{
            QStringLiteral("/api/v1/refund-requests/%1")
                    .arg(asked.json().value(QStringLiteral("id")).toString()),
            QStringLiteral("/api/v1/complaints/%1")
                    .arg(complaint.json().value(QStringLiteral("id")).toString())};
    const QByteArray boundary = "----mercato-test";
    const QByteArray multipart
            = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n"
              + "--" + boundary
              + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n"
              + "Content-Type: image/jpeg\r\n\r\n" + jpegBytes() + "\r\n--" + boundary + "--\r\n";
    for (const QString &target : targets) {
        const QString images = target + QStringLiteral("/images");
        Client c = as(customer);
        QCOMPARE(c.send("POST", images, "hello", "text/plain").status, 415);
        QCOMPARE(c.send("POST", images, "not an image at all", "image/png").status, 415);
        QCOMPARE(c.send("POST", images, pngBytes().left(20), "image/png").status, 422);
        QCOMPARE(c.send("POST", images, pngBytes(), "image/jpeg").status / 100, 4);
        QCOMPARE(c.send("POST", images,
                        "--x\r\nContent-Disposition: form-data; "
                        "name=\"other\"\r\n\r\nv\r\n--x--\r\n",
                        "multipart/form-data; boundary=x")
                         .status,
                 422);
        QCOMPARE(as(other).send("POST", images, pngBytes(), "image/png").status, 404);
        QCOMPARE(as(seller).send("POST", images, pngBytes(), "image/png").status, 403);
        QStringList ids;
        for (int i = 0; i < 5; ++i) {
            const auto r = i % 2 ? c.send("POST", images, multipart,
                                          "multipart/form-data; boundary=" + boundary)
                                 : c.send("POST", images, pngBytes(), "image/png");
            QCOMPARE(r.status, 201);
            QVERIFY(!r.json().value(QStringLiteral("url")).toString().isEmpty());
            ids.append(r.json().value(QStringLiteral("id")).toString());
        }
        QCOMPARE(c.send("POST", images, pngBytes(), "image/png").status, 409);
        const auto got = c.get(target);
        QCOMPARE(got.status, 200);
        const QJsonArray listed = got.json().value(QStringLiteral("images")).toArray();
        QCOMPARE(listed.size(), 5);
        QCOMPARE(listed.at(0)[QStringLiteral("id")].toString(), ids.first());
        // Private: another customer cannot see the thread, so cannot learn the photos' URLs,
        // and the URLs are not guessable (random names); the owner can open them.
        const auto foreign = as(other).get(target);
        QCOMPARE(foreign.status, 404);
        QVERIFY(!foreign.body.contains("/media/"));
        QSet<QString> names;
        for (const QJsonValue &v : listed) {
            const QString path = QUrl(v[QStringLiteral("url")].toString()).path();
            QVERIFY2(path.startsWith(QLatin1String("/media/")), qPrintable(path));
            const QString name = path.mid(7);
            QVERIFY2(name.section(QLatin1Char('.'), 0, 0).size() >= 32, qPrintable(name));
            names.insert(name);
            const auto image = c.get(path);
            QCOMPARE(image.status, 200);
            QVERIFY(image.header("content-type").startsWith("image/"));
            QString guessed = name;
            guessed[0] = guessed.at(0) == QLatin1Char('A') ? QLatin1Char('B') : QLatin1Char('A');
            QCOMPARE(as(other).get(QStringLiteral("/media/") + guessed).status, 404);
        }
        QCOMPARE(names.size(), 5);
    }
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(*) FROM evidence_images"), {}) >= 10, true);
    // The seller sees the photos too.
    const auto sellerView = as(seller).get(QStringLiteral("/api/v1/seller/refund-requests/")
                                           + asked.json().value(QStringLiteral("id")).toString());
    QCOMPARE(sellerView.json().value(QStringLiteral("images")).toArray().size(), 5);
}

// With SMTP configured, decisions reach the customer's mailbox through a real SMTP server on
// loopback (aiosmtpd): the approval, and the rejection with the seller's note; none to the seller.
void TestAftersales::refundDecisionMailReachesSmtp()
{
    SmtpSink sink;
    QVERIFY(sink.start());
    auto server = std::make_unique<TestServer>();
    QVERIFY2(server->start(), qPrintable(server->errorString()));
    SmtpMailer::Settings smtp;
    smtp.host = QStringLiteral("127.0.0.1");
    smtp.port = sink.port();
    smtp.from = QStringLiteral("Shop <shop@example.test>");
    smtp.timeoutMs = 5000;
    server->shop().setMailer(std::make_unique<SmtpMailer>(smtp));
    std::swap(m_server, server); // the helpers below work on m_server
    const auto restore = qScopeGuard([&] { std::swap(m_server, server); });

    const QString seller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const PlacedOrder order
            = addOrder(customer, QStringLiteral("delivered"), {{addProduct(seller), seller, 2}});
    QStringList ids;
    for (int i = 0; i < 2; ++i) {
        const auto asked = as(customer).post(
                QStringLiteral("/api/v1/orders/%1/refund-requests").arg(order.id),
                {{QStringLiteral("orderItemId"), order.itemIds.first()},
                 {QStringLiteral("quantity"), 1},
                 {QStringLiteral("reason"), QStringLiteral("scratched")}});
        QCOMPARE(asked.status, 201);
        ids.append(asked.json().value(QStringLiteral("id")).toString());
    }
    Client s = as(seller);
    QCOMPARE(s.post(QStringLiteral("/api/v1/seller/refund-requests/%1/approve").arg(ids.at(0)))
                     .status,
             200);
    QCOMPARE(s.post(QStringLiteral("/api/v1/seller/refund-requests/%1/reject").arg(ids.at(1)),
                    {{QStringLiteral("note"), QStringLiteral("worn for a month")}})
                     .status,
             200);
    QVERIFY(m_server->shop().mail().waitUntilIdle(15'000));
    const QByteArray customerMail = customer.toUtf8() + "@example.test";
    const QByteArray sellerMail = seller.toUtf8() + "@example.test";
    int approved = 0, declined = 0;
    for (const QByteArray &mail : sink.contents()) {
        QVERIFY(!mail.contains(sellerMail));
        if (!mail.contains(customerMail))
            continue;
        approved += mail.contains("Subject: Your refund was approved");
        declined += mail.contains("Subject: Your refund request was declined")
                    && mail.contains("worn for a month");
    }
    QCOMPARE(approved, 1);
    QCOMPARE(declined, 1);
}

// Photo uploads while another connection keeps committing writes (the outbox sender does, and
// so do the other workers). On SQLite a read left open on the request's connection before the
// upload's write transaction pinned a stale snapshot, and BEGIN IMMEDIATE then failed at once
// with "database is locked" (503) instead of waiting its turn.
void TestAftersales::evidenceImagesWhileAnotherConnectionWrites()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const PlacedOrder order
            = addOrder(customer, QStringLiteral("paid"), {{addProduct(seller), seller, 1}});
    const auto asked
            = as(customer).post(QStringLiteral("/api/v1/orders/%1/refund-requests").arg(order.id),
                                {{QStringLiteral("orderItemId"), order.itemIds.first()},
                                 {QStringLiteral("quantity"), 1},
                                 {QStringLiteral("reason"), QStringLiteral("x")}});
    QCOMPARE(asked.status, 201);
    const auto complaint
            = as(customer).post(QStringLiteral("/api/v1/complaints"),
                                {{QStringLiteral("orderId"), order.id},
                                 {QStringLiteral("subject"), QStringLiteral("Bent")},
                                 {QStringLiteral("message"), QStringLiteral("It is bent.")}});
    QCOMPARE(complaint.status, 201);
    std::atomic<bool> stop{false};
    std::atomic<int> writes{0};
    Database &database = m_server->shop().database();
    std::thread writer([&] {
        while (!stop) {
            if (execSql(database.connection(),
                        QStringLiteral("UPDATE users SET updated_at = updated_at + 1 WHERE id = ?"),
                        {seller}))
                ++writes;
        }
        database.releaseThreadConnection();
    });
    QList<int> statuses;
    const QStringList targets{QString(QStringLiteral("/api/v1/refund-requests/")
                                      + asked.json().value(QStringLiteral("id")).toString()),
                              QString(QStringLiteral("/api/v1/complaints/")
                                      + complaint.json().value(QStringLiteral("id")).toString())};
    for (const QString &target : targets) {
        for (int i = 0; i < 5; ++i)
            statuses.append(as(customer)
                                    .send("POST", target + QStringLiteral("/images"), pngBytes(),
                                          "image/png")
                                    .status);
    }
    stop = true;
    writer.join();
    QVERIFY(writes.load() > 0);
    QCOMPARE(statuses, QList<int>(10, 201));
}

// ---- complaints ---------------------------------------------------------------------------

void TestAftersales::complaintLifecycle()
{
    const QString seller = addUser(QStringLiteral("seller"), QStringLiteral("Shop A"));
    const QString otherSeller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"), QStringLiteral("Carol"));
    const QString other = addUser(QStringLiteral("customer"));
    const PlacedOrder order
            = addOrder(customer, QStringLiteral("delivered"), {{addProduct(seller), seller, 1}});
    const auto opened = as(customer).post(
            QStringLiteral("/api/v1/complaints"),
            {{QStringLiteral("orderId"), order.id},
             {QStringLiteral("orderItemId"), order.itemIds.first()},
             {QStringLiteral("subject"), QStringLiteral("Late")},
             {QStringLiteral("message"), QStringLiteral("It came a week late.")}});
    QCOMPARE(opened.status, 201);
    QCOMPARE(opened.json().value(QStringLiteral("status")).toString(), QStringLiteral("open"));
    const QString id = opened.json().value(QStringLiteral("id")).toString();
    QCOMPARE(QString::fromUtf8(opened.header("location")),
             QStringLiteral("/api/v1/complaints/") + id);
    QCOMPARE(notificationCount(seller, QStringLiteral("complaint.opened")), 1);
    QCOMPARE(notificationCount(otherSeller, QStringLiteral("complaint.opened")), 0);
    QCOMPARE(as(other).get(QStringLiteral("/api/v1/complaints/") + id).status, 404);
    QCOMPARE(as(otherSeller).get(QStringLiteral("/api/v1/seller/complaints/") + id).status, 404);
    QCOMPARE(as(otherSeller)
                     .post(QStringLiteral("/api/v1/seller/complaints/%1/reply").arg(id),
                           {{QStringLiteral("message"), QStringLiteral("hi")}})
                     .status,
             404);

    Client s = as(seller);
    QCOMPARE(s.get(QStringLiteral("/api/v1/seller/complaints?status=open"))
                     .json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .size(),
             1);
    QCOMPARE(s.get(QStringLiteral("/api/v1/seller/complaints?status=resolved"))
                     .json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .size(),
             0);
    QCOMPARE(s.get(QStringLiteral("/api/v1/seller/complaints?status=nope")).status, 400);
    QCOMPARE(s.post(QStringLiteral("/api/v1/seller/complaints/%1/reply").arg(id), {}).status, 422);
    const auto replied
            = s.post(QStringLiteral("/api/v1/seller/complaints/%1/reply").arg(id),
                     {{QStringLiteral("message"), QStringLiteral("Sorry, the courier was slow.")}});
    QCOMPARE(replied.status, 200);
    QCOMPARE(replied.json().value(QStringLiteral("status")).toString(), QStringLiteral("answered"));
    QCOMPARE(notificationCount(customer, QStringLiteral("complaint.replied")), 1);
    QCOMPARE(notificationCount(seller, QStringLiteral("complaint.replied")), 0);

    const auto resolved = s.post(QStringLiteral("/api/v1/seller/complaints/%1/resolve").arg(id));
    QCOMPARE(resolved.status, 200);
    QCOMPARE(resolved.json().value(QStringLiteral("status")).toString(),
             QStringLiteral("resolved"));
    QCOMPARE(notificationCount(customer, QStringLiteral("complaint.resolved")), 1);
    QCOMPARE(s.post(QStringLiteral("/api/v1/seller/complaints/%1/resolve").arg(id)).status, 409);
    QCOMPARE(s.post(QStringLiteral("/api/v1/seller/complaints/%1/reply").arg(id),
                    {{QStringLiteral("message"), QStringLiteral("more")}})
                     .status,
             409);

    const auto mine = as(customer).get(QStringLiteral("/api/v1/complaints/") + id);
    QCOMPARE(mine.status, 200);
    const QJsonArray messages = mine.json().value(QStringLiteral("messages")).toArray();
    QCOMPARE(messages.size(), 2);
    QCOMPARE(messages.at(0)[QStringLiteral("authorRole")].toString(), QStringLiteral("customer"));
    QCOMPARE(messages.at(1)[QStringLiteral("authorRole")].toString(), QStringLiteral("seller"));
    QCOMPARE(messages.at(1)[QStringLiteral("authorName")].toString(), QStringLiteral("Shop A"));
    QCOMPARE(as(customer)
                     .get(QStringLiteral("/api/v1/complaints"))
                     .json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .size(),
             1);
    QCOMPARE(as(other)
                     .get(QStringLiteral("/api/v1/complaints"))
                     .json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .size(),
             0);
}

void TestAftersales::complaintNotifiesSellersOfOrder()
{
    const QString sellerA = addUser(QStringLiteral("seller"));
    const QString sellerB = addUser(QStringLiteral("seller"));
    const QString sellerC = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const PlacedOrder order
            = addOrder(customer, QStringLiteral("paid"),
                       {{addProduct(sellerA), sellerA, 1}, {addProduct(sellerB), sellerB, 1}});
    addOrder(customer, QStringLiteral("paid"), {{addProduct(sellerC), sellerC, 1}});
    const auto opened
            = as(customer).post(QStringLiteral("/api/v1/complaints"),
                                {{QStringLiteral("orderId"), order.id},
                                 {QStringLiteral("subject"), QStringLiteral("Box")},
                                 {QStringLiteral("message"), QStringLiteral("The box was wet.")}});
    QCOMPARE(opened.status, 201);
    QVERIFY(opened.json().value(QStringLiteral("orderItemId")).isNull());
    const QString id = opened.json().value(QStringLiteral("id")).toString();
    QCOMPARE(notificationCount(sellerA, QStringLiteral("complaint.opened")), 1);
    QCOMPARE(notificationCount(sellerB, QStringLiteral("complaint.opened")), 1);
    QCOMPARE(notificationCount(sellerC, QStringLiteral("complaint.opened")), 0);
    QCOMPARE(notificationCount(customer, QStringLiteral("complaint.opened")), 0);
    QCOMPARE(as(sellerB).get(QStringLiteral("/api/v1/seller/complaints/") + id).status, 200);
    QCOMPARE(as(sellerC).get(QStringLiteral("/api/v1/seller/complaints/") + id).status, 404);
    QCOMPARE(as(sellerB)
                     .post(QStringLiteral("/api/v1/seller/complaints/%1/reply").arg(id),
                           {{QStringLiteral("message"), QStringLiteral("Replacing it.")}})
                     .status,
             200);
    QCOMPARE(notificationCount(customer, QStringLiteral("complaint.replied")), 1);
    QCOMPARE(notificationCount(sellerA, QStringLiteral("complaint.replied")), 0);
}

void TestAftersales::complaintRules()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const QString other = addUser(QStringLiteral("customer"));
    const PlacedOrder order
            = addOrder(customer, QStringLiteral("paid"), {{addProduct(seller), seller, 1}});
    const PlacedOrder foreign
            = addOrder(other, QStringLiteral("paid"), {{addProduct(seller), seller, 1}});
    Client c = as(customer);
    auto open = [&](const QJsonObject &body) {
        return c.post(QStringLiteral("/api/v1/complaints"), body);
    };
    QCOMPARE(open({{QStringLiteral("orderId"), foreign.id},
                   {QStringLiteral("subject"), QStringLiteral("s")},
                   {QStringLiteral("message"), QStringLiteral("m")}})
                     .status,
             404);
    QCOMPARE(open({{QStringLiteral("orderId"), order.id},
                   {QStringLiteral("orderItemId"), foreign.itemIds.first()},
                   {QStringLiteral("subject"), QStringLiteral("s")},
                   {QStringLiteral("message"), QStringLiteral("m")}})
                     .status,
             422);
    QCOMPARE(open({{QStringLiteral("orderId"), order.id},
                   {QStringLiteral("subject"), QString(201, QLatin1Char('s'))},
                   {QStringLiteral("message"), QStringLiteral("m")}})
                     .status,
             422);
    QCOMPARE(open({{QStringLiteral("orderId"), order.id},
                   {QStringLiteral("subject"), QStringLiteral("s")}})
                     .status,
             422);
    QCOMPARE(as(seller)
                     .post(QStringLiteral("/api/v1/complaints"),
                           {{QStringLiteral("orderId"), order.id},
                            {QStringLiteral("subject"), QStringLiteral("s")},
                            {QStringLiteral("message"), QStringLiteral("m")}})
                     .status,
             403);
    QCOMPARE(notificationCount(seller, QStringLiteral("complaint.opened")), 0);
    QCOMPARE(c.get(QStringLiteral("/api/v1/complaints?limit=0")).status, 400);
}

// Keyset paging of refund requests and complaints (customer and seller lists): every item once,
// newest first, and one list's cursor refused by another.
void TestAftersales::refundAndComplaintListsPage()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const PlacedOrder order
            = addOrder(customer, QStringLiteral("delivered"), {{addProduct(seller), seller, 5}});
    Client c = as(customer);
    QStringList refunds, complaints;
    for (int i = 0; i < 5; ++i) {
        if (i == 3)
            Clock::advanceForTesting(1000); // some share a millisecond, some do not
        refunds.append(c.post(QStringLiteral("/api/v1/orders/%1/refund-requests").arg(order.id),
                              {{QStringLiteral("orderItemId"), order.itemIds.first()},
                               {QStringLiteral("quantity"), 1},
                               {QStringLiteral("reason"), QStringLiteral("r%1").arg(i)}})
                               .json()
                               .value(QStringLiteral("id"))
                               .toString());
        complaints.append(c.post(QStringLiteral("/api/v1/complaints"),
                                 {{QStringLiteral("orderId"), order.id},
                                  {QStringLiteral("subject"), QStringLiteral("s%1").arg(i)},
                                  {QStringLiteral("message"), QStringLiteral("m")}})
                                  .json()
                                  .value(QStringLiteral("id"))
                                  .toString());
    }
    QVERIFY(!refunds.contains(QString()) && !complaints.contains(QString()));
    // Walks a list two at a time; returns the ids in order and the first page's cursor.
    auto walk = [](const Client &client, const QString &path, QString *firstCursor) {
        QStringList ids;
        QString cursor;
        for (int pages = 0; pages < 10; ++pages) {
            const auto r = client.get(
                    path + QStringLiteral("?limit=2")
                    + (cursor.isEmpty() ? QString() : QStringLiteral("&cursor=") + cursor));
            if (r.status != 200)
                return QStringList{QStringLiteral("status %1").arg(r.status)};
            const QJsonArray items = r.json().value(QStringLiteral("items")).toArray();
            for (const QJsonValue &v : items)
                ids.append(v[QStringLiteral("id")].toString());
            cursor = r.json().value(QStringLiteral("nextCursor")).toString();
            if (pages == 0 && firstCursor)
                *firstCursor = cursor;
            if (cursor.isEmpty())
                break;
        }
        return ids;
    };
    QString refundCursor, complaintCursor;
    const QStringList refundPages
            = walk(c, QStringLiteral("/api/v1/refund-requests"), &refundCursor);
    const QStringList complaintPages
            = walk(c, QStringLiteral("/api/v1/complaints"), &complaintCursor);
    QCOMPARE(refundPages.size(), 5);
    QCOMPARE(QSet<QString>(refundPages.cbegin(), refundPages.cend()),
             QSet<QString>(refunds.cbegin(), refunds.cend()));
    QCOMPARE(complaintPages.size(), 5);
    QCOMPARE(QSet<QString>(complaintPages.cbegin(), complaintPages.cend()),
             QSet<QString>(complaints.cbegin(), complaints.cend()));
    // Newest first: the two made after the clock moved lead.
    QCOMPARE(QSet<QString>(refundPages.cbegin(), refundPages.cbegin() + 2),
             QSet<QString>(refunds.cbegin() + 3, refunds.cend()));
    QCOMPARE(QSet<QString>(complaintPages.cbegin(), complaintPages.cbegin() + 2),
             QSet<QString>(complaints.cbegin() + 3, complaints.cend()));
    Client s = as(seller);
    QCOMPARE(walk(s, QStringLiteral("/api/v1/seller/refund-requests"), nullptr).size(), 5);
    QCOMPARE(walk(s, QStringLiteral("/api/v1/seller/complaints"), nullptr).size(), 5);
    // A cursor belongs to its list.
    const auto crossed = c.get(QStringLiteral("/api/v1/complaints?limit=2&cursor=") + refundCursor);
    QCOMPARE(crossed.status, 400);
    QVERIFY(crossed.body.contains("cursor"));
    QCOMPARE(c.get(QStringLiteral("/api/v1/refund-requests?limit=2&cursor=") + complaintCursor)
                     .status,
             400);
    QCOMPARE(s.get(QStringLiteral("/api/v1/seller/refund-requests?limit=2&cursor=") + refundCursor)
                     .status,
             400);
}

// A complaint that asks for money back links to the refund request made for it.
void TestAftersales::complaintLinksRefundRequest()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const QString other = addUser(QStringLiteral("customer"));
    const PlacedOrder order
            = addOrder(customer, QStringLiteral("delivered"), {{addProduct(seller), seller, 2}});
    const PlacedOrder second
            = addOrder(customer, QStringLiteral("delivered"), {{addProduct(seller), seller, 1}});
    const PlacedOrder foreign
            = addOrder(other, QStringLiteral("delivered"), {{addProduct(seller), seller, 1}});
    auto complain = [&](const QString &userId, const PlacedOrder &o) {
        return as(userId)
                .post(QStringLiteral("/api/v1/complaints"),
                      {{QStringLiteral("orderId"), o.id},
                       {QStringLiteral("orderItemId"), o.itemIds.first()},
                       {QStringLiteral("subject"), QStringLiteral("Broken")},
                       {QStringLiteral("message"), QStringLiteral("I want my money back.")}})
                .json()
                .value(QStringLiteral("id"))
                .toString();
    };
    const QString complaint = complain(customer, order);
    const QString otherOrders = complain(customer, second);
    const QString othersComplaint = complain(other, foreign);
    auto ask = [&](const QString &complaintId) {
        return as(customer).post(QStringLiteral("/api/v1/orders/%1/refund-requests").arg(order.id),
                                 {{QStringLiteral("orderItemId"), order.itemIds.first()},
                                  {QStringLiteral("quantity"), 1},
                                  {QStringLiteral("reason"), QStringLiteral("see my complaint")},
                                  {QStringLiteral("complaintId"), complaintId}});
    };
    for (const QString &bad : {othersComplaint, otherOrders, Ids::newId()}) {
        const auto refused = ask(bad);
        QCOMPARE(refused.status, 422);
        QVERIFY(refused.body.contains("complaintId"));
    }
    const auto linked = ask(complaint);
    QCOMPARE(linked.status, 201);
    const QString id = linked.json().value(QStringLiteral("id")).toString();
    QCOMPARE(linked.json().value(QStringLiteral("complaintId")).toString(), complaint);
    const QJsonArray fromCustomer = as(customer)
                                            .get(QStringLiteral("/api/v1/complaints/") + complaint)
                                            .json()
                                            .value(QStringLiteral("refundRequestIds"))
                                            .toArray();
    QCOMPARE(fromCustomer, QJsonArray{id});
    QCOMPARE(as(seller)
                     .get(QStringLiteral("/api/v1/seller/complaints/") + complaint)
                     .json()
                     .value(QStringLiteral("refundRequestIds"))
                     .toArray(),
             QJsonArray{id});
    QCOMPARE(as(seller)
                     .get(QStringLiteral("/api/v1/seller/refund-requests/") + id)
                     .json()
                     .value(QStringLiteral("complaintId"))
                     .toString(),
             complaint);
    // Without a complaint the link is null, and the complaint lists nothing new.
    const auto plain
            = as(customer).post(QStringLiteral("/api/v1/orders/%1/refund-requests").arg(order.id),
                                {{QStringLiteral("orderItemId"), order.itemIds.first()},
                                 {QStringLiteral("quantity"), 1},
                                 {QStringLiteral("reason"), QStringLiteral("also this one")}});
    QCOMPARE(plain.status, 201);
    QVERIFY(plain.json().value(QStringLiteral("complaintId")).isNull());
    QCOMPARE(as(customer)
                     .get(QStringLiteral("/api/v1/complaints/") + complaint)
                     .json()
                     .value(QStringLiteral("refundRequestIds"))
                     .toArray()
                     .size(),
             1);
}

// Either side adds messages: the customer writes again after the seller's answer (open again,
// the line's seller notified and no one else), until the complaint is resolved.
void TestAftersales::complaintCustomerWritesAgain()
{
    const QString seller = addUser(QStringLiteral("seller"));
    const QString otherSeller = addUser(QStringLiteral("seller"));
    const QString customer = addUser(QStringLiteral("customer"));
    const QString other = addUser(QStringLiteral("customer"));
    const PlacedOrder order = addOrder(
            customer, QStringLiteral("delivered"),
            {{addProduct(seller), seller, 1}, {addProduct(otherSeller), otherSeller, 1}});
    const QString id = as(customer)
                               .post(QStringLiteral("/api/v1/complaints"),
                                     {{QStringLiteral("orderId"), order.id},
                                      {QStringLiteral("orderItemId"), order.itemIds.first()},
                                      {QStringLiteral("subject"), QStringLiteral("Dented")},
                                      {QStringLiteral("message"), QStringLiteral("Dented box.")}})
                               .json()
                               .value(QStringLiteral("id"))
                               .toString();
    QVERIFY(!id.isEmpty());
    const QString path = QStringLiteral("/api/v1/complaints/%1/reply").arg(id);
    const QJsonObject body{{QStringLiteral("message"), QStringLiteral("Still waiting.")}};
    QCOMPARE(as(seller)
                     .post(QStringLiteral("/api/v1/seller/complaints/%1/reply").arg(id),
                           {{QStringLiteral("message"), QStringLiteral("Sending another.")}})
                     .json()
                     .value(QStringLiteral("status"))
                     .toString(),
             QStringLiteral("answered"));
    QCOMPARE(as(other).post(path, body).status, 404);
    QCOMPARE(as(seller).post(path, body).status, 403);
    QCOMPARE(as(customer).post(path, {}).status, 422);
    QCOMPARE(notificationCount(seller, QStringLiteral("complaint.message")), 0);
    const auto again = as(customer).post(path, body);
    QCOMPARE(again.status, 200);
    QCOMPARE(again.json().value(QStringLiteral("status")).toString(), QStringLiteral("open"));
    const QJsonArray messages = again.json().value(QStringLiteral("messages")).toArray();
    QCOMPARE(messages.size(), 3);
    QCOMPARE(messages.at(2)[QStringLiteral("authorRole")].toString(), QStringLiteral("customer"));
    QCOMPARE(messages.at(2)[QStringLiteral("message")].toString(),
             QStringLiteral("Still waiting."));
    QCOMPARE(notificationCount(seller, QStringLiteral("complaint.message")), 1);
    QCOMPARE(notificationCount(otherSeller, QStringLiteral("complaint.message")), 0);
    QCOMPARE(notificationCount(customer, QStringLiteral("complaint.message")), 0);
    // The seller's open list has it again; after resolving, the customer cannot write.
    QCOMPARE(as(seller)
                     .get(QStringLiteral("/api/v1/seller/complaints?status=open"))
                     .json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .size(),
             1);
    QCOMPARE(as(seller).post(QStringLiteral("/api/v1/seller/complaints/%1/resolve").arg(id)).status,
             200);
    QCOMPARE(as(customer).post(path, body).status, 409);
    QCOMPARE(notificationCount(seller, QStringLiteral("complaint.message")), 1);
}

QTEST_GUILESS_MAIN(TestAftersales)
#include "tst_aftersales.moc"
