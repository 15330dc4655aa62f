// Payments: Stripe PaymentIntents against a local fake Stripe (tests/peers/fake_stripe.py),
// retries and timeouts, webhook signatures (ours and Stripe's own Node library), replays,
// amount mismatches, late money refunded. Runs on SQLite and on PostgreSQL.

#include "orderfixture.h"

#include "model/orders.h"
#include "model/stripe.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QProcess>
#include <QTest>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

const QString kPeers = QStringLiteral(MERCATO_TEST_PEERS_DIR);
const QByteArray kWebhookSecret = "whsec_test_mercato";

// The fake Stripe server as a child process.
class FakeStripe
{
public:
    bool start()
    {
        m_process.setProgram(QStringLiteral("python3"));
        m_process.setArguments({kPeers + QStringLiteral("/fake_stripe.py")});
        m_process.start();
        if (!m_process.waitForStarted(5000))
            return false;
        QByteArray out;
        for (int i = 0; i < 100 && !out.contains('\n'); ++i) {
            m_process.waitForReadyRead(100);
            out += m_process.readAllStandardOutput();
        }
        if (!out.startsWith("PORT "))
            return false;
        m_port = quint16(out.mid(5).trimmed().toUInt());
        return m_port != 0;
    }
    ~FakeStripe()
    {
        m_process.kill();
        m_process.waitForFinished(3000);
    }
    quint16 port() const { return m_port; }
    QString baseUrl() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_port); }
    QJsonArray requests(const QByteArray &method, const QString &path) const
    {
        const QJsonArray all = httpRequest(m_port, "GET", "/_test/requests").jsonArray();
        QJsonArray out;
        for (const QJsonValue &v : all) {
            const QJsonObject r = v.toObject();
            if (r.value(QStringLiteral("method")).toString() == QLatin1String(method)
                && r.value(QStringLiteral("path")).toString().startsWith(path))
                out.append(r);
        }
        return out;
    }
    void failNext(const QJsonObject &how) const
    {
        httpRequest(m_port, "POST", "/_test/fail", compact(how),
                    {{"Content-Type", "application/json"}});
    }
    QJsonObject succeed(const QString &pi, std::optional<qint64> amount = {}) const
    {
        QJsonObject body;
        if (amount)
            body.insert(QStringLiteral("amount"), *amount);
        return httpRequest(m_port, "POST", "/_test/succeed/" + pi.toUtf8(), compact(body),
                           {{"Content-Type", "application/json"}})
                .json();
    }

private:
    QProcess m_process;
    quint16 m_port = 0;
};

QJsonObject stripeEvent(const QString &type, const QJsonObject &object, const QString &id = {})
{
    return QJsonObject{
            {QStringLiteral("id"), id.isEmpty() ? QStringLiteral("evt_") + Ids::newId() : id},
            {QStringLiteral("object"), QStringLiteral("event")},
            {QStringLiteral("type"), type},
            {QStringLiteral("created"), Clock::nowMs() / 1000},
            {QStringLiteral("livemode"), false},
            {QStringLiteral("data"), QJsonObject{{QStringLiteral("object"), object}}}};
}

HttpResult sendWebhook(const Client &client, const QByteArray &payload, const QByteArray &signature)
{
    QList<QPair<QByteArray, QByteArray>> headers;
    if (!signature.isNull())
        headers.append({"Stripe-Signature", signature});
    Client anonymous(client.port());
    return anonymous.send("POST", QStringLiteral("/api/v1/webhooks/stripe"), payload,
                          "application/json; charset=utf-8", headers);
}

HttpResult signedWebhook(const Client &client, const QJsonObject &ev)
{
    const QByteArray payload = compact(ev);
    return sendWebhook(client, payload,
                       StripeSignature::sign(kWebhookSecret, payload, Clock::nowMs() / 1000));
}

// One Stripe-Signature to make with Stripe's own Node library (tests/peers/sign_webhook.js).
struct NodeSignature
{
    QByteArray payload;
    QByteArray secret = kWebhookSecret;
    qint64 timestamp = 0; // Unix seconds; 0: the library's now
    QString scheme;       // empty: v1
};

// The headers Stripe's library makes for `requests`, in order; empty (and `*error` set) when
// node could not make them.
QList<QByteArray> signWithStripeNode(const QList<NodeSignature> &requests, QString *error)
{
    QJsonArray batch;
    for (const NodeSignature &r : requests) {
        QJsonObject o{{QStringLiteral("payload"), QString::fromUtf8(r.payload)},
                      {QStringLiteral("secret"), QString::fromUtf8(r.secret)}};
        if (r.timestamp > 0)
            o.insert(QStringLiteral("timestamp"), r.timestamp);
        if (!r.scheme.isEmpty())
            o.insert(QStringLiteral("scheme"), r.scheme);
        batch.append(o);
    }
    QProcess node;
    node.setWorkingDirectory(kPeers);
    node.start(QStringLiteral("node"),
               {kPeers + QStringLiteral("/sign_webhook.js"), QStringLiteral("--batch")});
    if (!node.waitForStarted(10000)) {
        *error = QStringLiteral("node did not start: ") + node.errorString();
        return {};
    }
    node.write(QJsonDocument(batch).toJson(QJsonDocument::Compact));
    node.closeWriteChannel();
    if (!node.waitForFinished(60000) || node.exitCode() != 0) {
        *error = QStringLiteral("sign_webhook.js failed: ")
                 + QString::fromUtf8(node.readAllStandardError());
        return {};
    }
    const QJsonArray headers = QJsonDocument::fromJson(node.readAllStandardOutput()).array();
    QList<QByteArray> out;
    for (const QJsonValue &v : headers)
        out.append(v.toString().toUtf8());
    if (out.size() != requests.size()) {
        *error = QStringLiteral("sign_webhook.js answered %1 headers for %2 requests")
                         .arg(out.size())
                         .arg(requests.size());
        return {};
    }
    return out;
}

struct Shopfront
{
    FakeStripe fake;
    std::unique_ptr<TestServer> server;
    QString seller;
    QString customer;
    QString product;

    bool start(int timeoutMs = 700)
    {
        if (!fake.start())
            return false;
        TestServer::Options options;
        options.payments.stripeSecretKey = QStringLiteral("sk_test_mercato");
        options.payments.stripePublishableKey = QStringLiteral("pk_test_mercato");
        options.payments.stripeWebhookSecret = QString::fromLatin1(kWebhookSecret);
        options.payments.stripeApiBase = fake.baseUrl();
        options.payments.stripeTimeoutMs = timeoutMs;
        options.payments.stripeBackoffMs = 20;
        server = std::make_unique<TestServer>(options);
        if (!server->start())
            return false;
        Shop &shop = server->shop();
        seller = insertUser(shop, QStringLiteral("seller"));
        customer = insertUser(shop, QStringLiteral("customer"));
        product = insertProduct(shop, seller, 1250, 100);
        return !product.isEmpty();
    }
    Client customerClient() { return clientFor(*server, customer, QStringLiteral("customer")); }
    QString order(int quantity = 2)
    {
        Client c = customerClient();
        c.put(QStringLiteral("/api/v1/cart/items/") + product,
              QJsonObject{{QStringLiteral("quantity"), quantity}});
        return c.post(QStringLiteral("/api/v1/orders"),
                      QJsonObject{{QStringLiteral("coinsToUse"), 0}})
                .json()
                .value(QStringLiteral("id"))
                .toString();
    }
    QString checkout(const QString &orderId)
    {
        return customerClient()
                .post(QStringLiteral("/api/v1/orders/") + orderId + QStringLiteral("/checkout"))
                .json()
                .value(QStringLiteral("paymentIntentId"))
                .toString();
    }
    QJsonObject orderJson(const QString &orderId)
    {
        return customerClient().get(QStringLiteral("/api/v1/orders/") + orderId).json();
    }
};

} // namespace

class TestPayments : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void cleanup() { Clock::resetForTesting(); }

    void signatureReferenceVector();
    void webhookAbsentWithoutStripe();
    void stripeCheckout();
    void stripeAmountIsTheDiscountedTotal();
    void stripeRetriesAndTimeouts();
    void webhookRefusesBadSignatures_data();
    void webhookRefusesBadSignatures();
    void webhookPaysOnceAndReplays();
    void webhookAmountMismatch();
    void webhookFailedRefundedAndUnknown();
    void lateMoneyIsRefunded();
    void signatureFromStripesNodeLibrary();
    void webhookCasesSignedByStripesLibrary_data();
    void webhookCasesSignedByStripesLibrary();
    void refundRequestsThroughStripe();
};

void TestPayments::signatureReferenceVector()
{
    // HMAC computed with: printf '%s' '1700000000.{"id":"evt_1","type":"payment_intent.succeeded"}'
    //                     | openssl dgst -sha256 -hmac whsec_test
    const QByteArray payload = R"({"id":"evt_1","type":"payment_intent.succeeded"})";
    const QByteArray v1 = "001ce3ef73e456cedaab328328720d3ad59defb8bbd0f1518f46c04ad4ac0bb7";
    QCOMPARE(StripeSignature::sign("whsec_test", payload, 1700000000), "t=1700000000,v1=" + v1);
    QVERIFY(StripeSignature::verify("whsec_test", payload, "t=1700000000,v1=" + v1, 1700000000));
    // Any v1 may match (secret rotation); other schemes are ignored.
    QVERIFY(StripeSignature::verify("whsec_test", payload,
                                    "t=1700000000,v0=abc,v1=deadbeef,v1=" + v1, 1700000100));
    QVERIFY(!StripeSignature::verify("whsec_test", payload, "t=1700000000,v0=" + v1, 1700000000));
    QVERIFY(!StripeSignature::verify("whsec_test", payload, "t=1700000000,v1=" + v1, 1700000301));
    QVERIFY(!StripeSignature::verify("whsec_other", payload, "t=1700000000,v1=" + v1, 1700000000));
    QVERIFY(!StripeSignature::verify("whsec_test", payload + " ", "t=1700000000,v1=" + v1,
                                     1700000000));
    QVERIFY(!StripeSignature::verify("whsec_test", payload, "v1=" + v1, 1700000000));
}

void TestPayments::webhookAbsentWithoutStripe()
{
    TestServer server;
    QVERIFY(server.start());
    const QByteArray payload = compact(stripeEvent(QStringLiteral("payment_intent.succeeded"), {}));
    auto r = sendWebhook(server.client(), payload,
                         StripeSignature::sign(kWebhookSecret, payload, Clock::nowMs() / 1000));
    QCOMPARE(r.status, 404);
}

void TestPayments::stripeCheckout()
{
    Shopfront s;
    QVERIFY(s.start());
    const QString id = s.order(2);
    QVERIFY(!id.isEmpty());
    QCOMPARE(s.orderJson(id)
                     .value(QStringLiteral("payment"))
                     .toObject()
                     .value(QStringLiteral("provider"))
                     .toString(),
             QStringLiteral("stripe"));
    auto r = s.customerClient().post(QStringLiteral("/api/v1/orders/") + id
                                     + QStringLiteral("/checkout"));
    QCOMPARE(r.status, 200);
    const QJsonObject co = r.json();
    QCOMPARE(co.value(QStringLiteral("provider")).toString(), QStringLiteral("stripe"));
    const QString pi = co.value(QStringLiteral("paymentIntentId")).toString();
    QVERIFY(pi.startsWith(QStringLiteral("pi_")));
    QVERIFY(co.value(QStringLiteral("clientSecret"))
                    .toString()
                    .startsWith(pi + QStringLiteral("_secret_")));
    QCOMPARE(co.value(QStringLiteral("publishableKey")).toString(),
             QStringLiteral("pk_test_mercato"));

    const QJsonArray posts = s.fake.requests("POST", QStringLiteral("/v1/payment_intents"));
    QCOMPARE(posts.size(), 1);
    const QJsonObject req = posts.at(0).toObject();
    const QJsonObject form = req.value(QStringLiteral("form")).toObject();
    const QJsonObject headers = req.value(QStringLiteral("headers")).toObject();
    QCOMPARE(form.value(QStringLiteral("amount")).toString(), QStringLiteral("2500"));
    QCOMPARE(form.value(QStringLiteral("currency")).toString(), QStringLiteral("usd"));
    QCOMPARE(form.value(QStringLiteral("metadata"))
                     .toObject()
                     .value(QStringLiteral("order_id"))
                     .toString(),
             id);
    QCOMPARE(form.value(QStringLiteral("automatic_payment_methods"))
                     .toObject()
                     .value(QStringLiteral("enabled"))
                     .toString(),
             QStringLiteral("true"));
    QCOMPARE(headers.value(QStringLiteral("authorization")).toString(),
             QStringLiteral("Bearer sk_test_mercato"));
    QVERIFY(headers.value(QStringLiteral("content-type"))
                    .toString()
                    .startsWith(QStringLiteral("application/x-www-form-urlencoded")));
    QVERIFY(!headers.value(QStringLiteral("idempotency-key")).toString().isEmpty());

    const QJsonObject payment = s.orderJson(id).value(QStringLiteral("payment")).toObject();
    QCOMPARE(payment.value(QStringLiteral("provider")).toString(), QStringLiteral("stripe"));
    QCOMPARE(payment.value(QStringLiteral("state")).toString(),
             QStringLiteral("requires_payment_method"));

    // A second checkout resumes the same intent instead of making another.
    auto again = s.customerClient().post(QStringLiteral("/api/v1/orders/") + id
                                         + QStringLiteral("/checkout"));
    QCOMPARE(again.status, 200);
    QCOMPARE(again.json().value(QStringLiteral("paymentIntentId")).toString(), pi);
    QCOMPARE(s.fake.requests("POST", QStringLiteral("/v1/payment_intents")).size(), 1);

    // The seller cannot mark a Stripe order paid by hand.
    auto mark = clientFor(*s.server, s.seller, QStringLiteral("seller"))
                        .post(QStringLiteral("/api/v1/seller/orders/") + id
                              + QStringLiteral("/mark-paid"));
    QCOMPARE(mark.status, 409);
    QCOMPARE(s.orderJson(id).value(QStringLiteral("status")).toString(),
             QStringLiteral("pending_payment"));
}

void TestPayments::stripeAmountIsTheDiscountedTotal()
{
    Shopfront s;
    QVERIFY(s.start());
    Shop &shop = s.server->shop();
    QVERIFY(grantCoins(shop, s.customer, 300));
    Client c = s.customerClient();
    c.put(QStringLiteral("/api/v1/cart/items/") + s.product,
          QJsonObject{{QStringLiteral("quantity"), 2}});
    const HttpResult placed = c.post(QStringLiteral("/api/v1/orders"),
                                     QJsonObject{{QStringLiteral("coinsToUse"), 300}});
    QCOMPARE(placed.status, 201);
    QCOMPARE(placed.json().value(QStringLiteral("totalCents")).toInteger(), 2200);
    const QString id = placed.json().value(QStringLiteral("id")).toString();
    const QString pi = s.checkout(id);
    QVERIFY(!pi.isEmpty());
    const QJsonArray posts = s.fake.requests("POST", QStringLiteral("/v1/payment_intents"));
    QCOMPARE(posts.size(), 1);
    QCOMPARE(posts.at(0)
                     .toObject()
                     .value(QStringLiteral("form"))
                     .toObject()
                     .value(QStringLiteral("amount"))
                     .toString(),
             QStringLiteral("2200"));
    // Paying the discounted amount pays the order; the coins stay spent.
    const QJsonObject paid = s.fake.succeed(pi);
    QCOMPARE(paid.value(QStringLiteral("amount")).toInteger(), 2200);
    QCOMPARE(signedWebhook(c, stripeEvent(QStringLiteral("payment_intent.succeeded"), paid)).status,
             200);
    QCOMPARE(s.orderJson(id).value(QStringLiteral("status")).toString(), QStringLiteral("paid"));
    QCOMPARE(coinsOf(shop, s.customer), 0);
}

void TestPayments::stripeRetriesAndTimeouts()
{
    Shopfront s;
    QVERIFY(s.start(700));
    // A 500, then success: retried with the same Idempotency-Key.
    const QString a = s.order();
    s.fake.failNext({{QStringLiteral("status"), 500}, {QStringLiteral("count"), 1}});
    QVERIFY(!s.checkout(a).isEmpty());
    QJsonArray posts = s.fake.requests("POST", QStringLiteral("/v1/payment_intents"));
    QCOMPARE(posts.size(), 2);
    QCOMPARE(posts.at(0).toObject().value(QStringLiteral("status")).toInt(), 500);
    QCOMPARE(posts.at(1).toObject().value(QStringLiteral("status")).toInt(), 200);
    const auto keyOf = [](const QJsonValue &v) {
        return v.toObject()
                .value(QStringLiteral("headers"))
                .toObject()
                .value(QStringLiteral("idempotency-key"))
                .toString();
    };
    QCOMPARE(keyOf(posts.at(0)), keyOf(posts.at(1)));

    // No answer within the timeout, then success.
    const QString b = s.order();
    s.fake.failNext({{QStringLiteral("delayMs"), 2000}, {QStringLiteral("count"), 1}});
    QVERIFY(!s.checkout(b).isEmpty());
    posts = s.fake.requests("POST", QStringLiteral("/v1/payment_intents"));
    QVERIFY(posts.size() >= 3);

    // Stripe down for good: a problem answer, the order unchanged and still payable later.
    const QString c = s.order();
    s.fake.failNext({{QStringLiteral("status"), 503}, {QStringLiteral("count"), 3}});
    auto r = s.customerClient().post(QStringLiteral("/api/v1/orders/") + c
                                     + QStringLiteral("/checkout"));
    QCOMPARE(r.status, 503);
    QVERIFY(r.isProblem());
    QVERIFY(!r.body.contains("sk_test"));
    QCOMPARE(s.orderJson(c)
                     .value(QStringLiteral("payment"))
                     .toObject()
                     .value(QStringLiteral("state"))
                     .toString(),
             QStringLiteral("not_started"));
    QVERIFY(!s.checkout(c).isEmpty());
}

void TestPayments::webhookRefusesBadSignatures_data()
{
    QTest::addColumn<QString>("kind");
    QTest::newRow("missing") << QStringLiteral("missing");
    QTest::newRow("wrong-secret") << QStringLiteral("wrong-secret");
    QTest::newRow("stale") << QStringLiteral("stale");
    QTest::newRow("future") << QStringLiteral("future");
    QTest::newRow("tampered-body") << QStringLiteral("tampered");
    QTest::newRow("malformed") << QStringLiteral("malformed");
    QTest::newRow("only-v0") << QStringLiteral("v0");
}

void TestPayments::webhookRefusesBadSignatures()
{
    QFETCH(QString, kind);
    Shopfront s;
    QVERIFY(s.start());
    const QString id = s.order();
    const QString pi = s.checkout(id);
    QVERIFY(!pi.isEmpty());
    const QJsonObject paid = s.fake.succeed(pi);
    const QByteArray payload
            = compact(stripeEvent(QStringLiteral("payment_intent.succeeded"), paid));
    const qint64 now = Clock::nowMs() / 1000;
    QByteArray body = payload;
    QByteArray header;
    if (kind == QLatin1String("missing"))
        header = QByteArray();
    else if (kind == QLatin1String("wrong-secret"))
        header = StripeSignature::sign("whsec_wrong", payload, now);
    else if (kind == QLatin1String("stale"))
        header = StripeSignature::sign(kWebhookSecret, payload, now - 301);
    else if (kind == QLatin1String("future"))
        header = StripeSignature::sign(kWebhookSecret, payload, now + 400);
    else if (kind == QLatin1String("tampered")) {
        header = StripeSignature::sign(kWebhookSecret, payload, now);
        body.replace("\"amount\":2500", "\"amount\":2501");
        QVERIFY(body != payload);
    } else if (kind == QLatin1String("malformed"))
        header = "garbage";
    else
        header = StripeSignature::sign(kWebhookSecret, payload, now).replace(",v1=", ",v0=");
    auto r = sendWebhook(s.customerClient(), body, header);
    QCOMPARE(r.status, 400);
    QVERIFY(r.isProblem());
    QCOMPARE(s.orderJson(id).value(QStringLiteral("status")).toString(),
             QStringLiteral("pending_payment"));
    QCOMPARE(notificationCount(s.server->shop(), s.seller, QStringLiteral("order.paid")), 0);
    QCOMPARE(scalar(s.server->shop(), QStringLiteral("SELECT COUNT(*) FROM webhook_events")), 0);
    // The same event, signed properly, is then accepted: nothing was spent by the refusal.
    QCOMPARE(sendWebhook(s.customerClient(), payload,
                         StripeSignature::sign(kWebhookSecret, payload, now))
                     .status,
             200);
    QCOMPARE(s.orderJson(id).value(QStringLiteral("status")).toString(), QStringLiteral("paid"));
}

void TestPayments::webhookPaysOnceAndReplays()
{
    Shopfront s;
    QVERIFY(s.start());
    Shop &shop = s.server->shop();
    const QString other = insertUser(shop, QStringLiteral("seller"));
    insertProduct(shop, other, 100, 10);
    const QString id = s.order();
    const QString pi = s.checkout(id);
    const QJsonObject ev
            = stripeEvent(QStringLiteral("payment_intent.succeeded"), s.fake.succeed(pi));
    auto r = signedWebhook(s.customerClient(), ev);
    QCOMPARE(r.status, 200);
    const QJsonObject order = s.orderJson(id);
    QCOMPARE(order.value(QStringLiteral("status")).toString(), QStringLiteral("paid"));
    QCOMPARE(order.value(QStringLiteral("payment"))
                     .toObject()
                     .value(QStringLiteral("state"))
                     .toString(),
             QStringLiteral("succeeded"));
    QCOMPARE(notificationCount(shop, s.seller, QStringLiteral("order.paid")), 1);
    QCOMPARE(notificationCount(shop, other, QStringLiteral("order.paid")), 0);
    QCOMPARE(notificationCount(shop, s.customer, QStringLiteral("order.paid")), 0);

    // The same event again (Stripe retries): 200, nothing again.
    r = signedWebhook(s.customerClient(), ev);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("replayed")).toBool(), true);
    QCOMPARE(notificationCount(shop, s.seller, QStringLiteral("order.paid")), 1);
    QCOMPARE(scalar(shop,
                    QStringLiteral("SELECT COUNT(*) FROM order_status_history WHERE order_id = ?"),
                    {id}),
             2);
    // A second event for the same intent (another id) changes nothing either.
    QCOMPARE(signedWebhook(
                     s.customerClient(),
                     stripeEvent(QStringLiteral("payment_intent.succeeded"), s.fake.succeed(pi)))
                     .status,
             200);
    QCOMPARE(notificationCount(shop, s.seller, QStringLiteral("order.paid")), 1);
    QCOMPARE(s.fake.requests("POST", QStringLiteral("/v1/refunds")).size(), 0);
    // The stock stays sold.
    QCOMPARE(stockOf(shop, s.product), 98);
}

void TestPayments::webhookAmountMismatch()
{
    Shopfront s;
    QVERIFY(s.start());
    Shop &shop = s.server->shop();
    const QString id = s.order();
    const QString pi = s.checkout(id);
    // The intent was paid for another amount.
    auto r = signedWebhook(
            s.customerClient(),
            stripeEvent(QStringLiteral("payment_intent.succeeded"), s.fake.succeed(pi, 100)));
    QCOMPARE(r.status, 200);
    QJsonObject order = s.orderJson(id);
    QCOMPARE(order.value(QStringLiteral("status")).toString(), QStringLiteral("pending_payment"));
    QCOMPARE(order.value(QStringLiteral("payment"))
                     .toObject()
                     .value(QStringLiteral("state"))
                     .toString(),
             QStringLiteral("mismatch"));
    QCOMPARE(notificationCount(shop, s.seller, QStringLiteral("payment.mismatch")), 1);
    QCOMPARE(notificationCount(shop, s.seller, QStringLiteral("order.paid")), 0);

    // Another currency.
    const QString id2 = s.order();
    const QString pi2 = s.checkout(id2);
    QJsonObject eur = s.fake.succeed(pi2);
    eur.insert(QStringLiteral("currency"), QStringLiteral("eur"));
    QCOMPARE(signedWebhook(s.customerClient(),
                           stripeEvent(QStringLiteral("payment_intent.succeeded"), eur))
                     .status,
             200);
    QCOMPARE(s.orderJson(id2).value(QStringLiteral("status")).toString(),
             QStringLiteral("pending_payment"));
    QCOMPARE(notificationCount(shop, s.seller, QStringLiteral("payment.mismatch")), 2);
}

void TestPayments::webhookFailedRefundedAndUnknown()
{
    Shopfront s;
    QVERIFY(s.start());
    const QString id = s.order();
    const QString pi = s.checkout(id);
    QJsonObject intent = s.fake.succeed(pi);
    intent.insert(QStringLiteral("status"), QStringLiteral("requires_payment_method"));
    QCOMPARE(signedWebhook(s.customerClient(),
                           stripeEvent(QStringLiteral("payment_intent.payment_failed"), intent))
                     .status,
             200);
    QJsonObject order = s.orderJson(id);
    QCOMPARE(order.value(QStringLiteral("status")).toString(), QStringLiteral("pending_payment"));
    QCOMPARE(order.value(QStringLiteral("payment"))
                     .toObject()
                     .value(QStringLiteral("state"))
                     .toString(),
             QStringLiteral("failed"));

    // Unknown types are acknowledged and ignored.
    auto r = signedWebhook(s.customerClient(),
                           stripeEvent(QStringLiteral("customer.created"),
                                       {{QStringLiteral("id"), QStringLiteral("cus_1")}}));
    QCOMPARE(r.status, 200);

    // Paid, then refunded at Stripe: recorded.
    QCOMPARE(signedWebhook(
                     s.customerClient(),
                     stripeEvent(QStringLiteral("payment_intent.succeeded"), s.fake.succeed(pi)))
                     .status,
             200);
    const QJsonObject charge{{QStringLiteral("id"), QStringLiteral("ch_1")},
                             {QStringLiteral("object"), QStringLiteral("charge")},
                             {QStringLiteral("payment_intent"), pi},
                             {QStringLiteral("amount"), 2500},
                             {QStringLiteral("amount_refunded"), 2500}};
    QCOMPARE(signedWebhook(s.customerClient(),
                           stripeEvent(QStringLiteral("charge.refunded"), charge))
                     .status,
             200);
    order = s.orderJson(id);
    QCOMPARE(order.value(QStringLiteral("status")).toString(), QStringLiteral("paid"));
    QCOMPARE(order.value(QStringLiteral("payment"))
                     .toObject()
                     .value(QStringLiteral("state"))
                     .toString(),
             QStringLiteral("refunded"));
    // Not JSON, but signed: 400.
    const QByteArray junk = "not json";
    QCOMPARE(sendWebhook(s.customerClient(), junk,
                         StripeSignature::sign(kWebhookSecret, junk, Clock::nowMs() / 1000))
                     .status,
             400);
}

void TestPayments::lateMoneyIsRefunded()
{
    Shopfront s;
    QVERIFY(s.start());
    Shop &shop = s.server->shop();
    const QString id = s.order(2);
    const QString pi = s.checkout(id);
    QCOMPARE(s.customerClient()
                     .post(QStringLiteral("/api/v1/orders/") + id + QStringLiteral("/cancel"))
                     .status,
             200);
    QCOMPARE(stockOf(shop, s.product), 100);
    // The customer's payment completes after all: it must be refunded, never kept or lost.
    const QJsonObject ev
            = stripeEvent(QStringLiteral("payment_intent.succeeded"), s.fake.succeed(pi));
    QCOMPARE(signedWebhook(s.customerClient(), ev).status, 200);
    const QJsonArray refunds = s.fake.requests("POST", QStringLiteral("/v1/refunds"));
    QCOMPARE(refunds.size(), 1);
    const QJsonObject form = refunds.at(0).toObject().value(QStringLiteral("form")).toObject();
    QCOMPARE(form.value(QStringLiteral("payment_intent")).toString(), pi);
    QCOMPARE(form.value(QStringLiteral("amount")).toString(), QStringLiteral("2500"));
    QCOMPARE(refunds.at(0).toObject().value(QStringLiteral("status")).toInt(), 200);
    QVERIFY(!refunds.at(0)
                     .toObject()
                     .value(QStringLiteral("headers"))
                     .toObject()
                     .value(QStringLiteral("idempotency-key"))
                     .toString()
                     .isEmpty());
    const QJsonObject order = s.orderJson(id);
    QCOMPARE(order.value(QStringLiteral("status")).toString(), QStringLiteral("cancelled"));
    QCOMPARE(order.value(QStringLiteral("payment"))
                     .toObject()
                     .value(QStringLiteral("state"))
                     .toString(),
             QStringLiteral("refunded"));
    QCOMPARE(notificationCount(shop, s.customer, QStringLiteral("payment.refunded")), 1);
    QCOMPARE(notificationCount(shop, s.seller, QStringLiteral("payment.refunded")), 1);
    QCOMPARE(stockOf(shop, s.product), 100);
    // A replay refunds nothing more.
    QCOMPARE(signedWebhook(s.customerClient(), ev).status, 200);
    QCOMPARE(s.fake.requests("POST", QStringLiteral("/v1/refunds")).size(), 1);

    // Money for an expired order, while Stripe is down: retried by the sweep, refunded once.
    const QString id2 = s.order(1);
    const QString pi2 = s.checkout(id2);
    Clock::advanceForTesting(61LL * 60 * 1000);
    QCOMPARE(shop.orders().expireDue().value(), 1);
    s.fake.failNext({{QStringLiteral("status"), 500}, {QStringLiteral("count"), 3}});
    QCOMPARE(signedWebhook(
                     s.customerClient(),
                     stripeEvent(QStringLiteral("payment_intent.succeeded"), s.fake.succeed(pi2)))
                     .status,
             200);
    QCOMPARE(s.orderJson(id2)
                     .value(QStringLiteral("payment"))
                     .toObject()
                     .value(QStringLiteral("state"))
                     .toString(),
             QStringLiteral("refund_pending"));
    Clock::advanceForTesting(10LL * 60 * 1000);
    auto retried = shop.orders().retryRefunds();
    QVERIFY(retried);
    QCOMPARE(retried.value(), 1);
    QCOMPARE(s.orderJson(id2)
                     .value(QStringLiteral("payment"))
                     .toObject()
                     .value(QStringLiteral("state"))
                     .toString(),
             QStringLiteral("refunded"));
    int succeeded = 0;
    const QJsonArray all = s.fake.requests("POST", QStringLiteral("/v1/refunds"));
    for (const QJsonValue &v : all)
        succeeded += v.toObject().value(QStringLiteral("status")).toInt() == 200 ? 1 : 0;
    QCOMPARE(succeeded, 2);
    QCOMPARE(shop.orders().retryRefunds().value(), 0);
}

void TestPayments::signatureFromStripesNodeLibrary()
{
    MERCATO_REQUIRE_NODE_PEER(QStringLiteral("stripe"));
    Shopfront s;
    QVERIFY(s.start());
    const QString id = s.order();
    const QString pi = s.checkout(id);
    const QByteArray payload = QJsonDocument(stripeEvent(QStringLiteral("payment_intent.succeeded"),
                                                         s.fake.succeed(pi)))
                                       .toJson(QJsonDocument::Indented);
    QProcess node;
    node.setWorkingDirectory(kPeers);
    node.start(QStringLiteral("node"),
               {kPeers + QStringLiteral("/sign_webhook.js"), QString::fromLatin1(kWebhookSecret)});
    QVERIFY(node.waitForStarted(10000));
    node.write(payload);
    node.closeWriteChannel();
    QVERIFY(node.waitForFinished(30000));
    QCOMPARE(node.exitCode(), 0);
    const QByteArray header = node.readAllStandardOutput().trimmed();
    QVERIFY2(header.startsWith("t=") && header.contains(",v1="), header.constData());
    // A changed payload under Stripe's header is refused; the real one is accepted.
    QByteArray changed = payload;
    changed.replace("\"livemode\": false", "\"livemode\": true");
    QVERIFY(changed != payload);
    QCOMPARE(sendWebhook(s.customerClient(), changed, header).status, 400);
    QCOMPARE(sendWebhook(s.customerClient(), payload, header).status, 200);
    QCOMPARE(s.orderJson(id).value(QStringLiteral("status")).toString(), QStringLiteral("paid"));
}

// Every webhook case with the Stripe-Signature made by Stripe's own Node library
// (webhooks.generateTestHeaderString): what the endpoint answers, what the order becomes,
// which events are recorded and who is told.
void TestPayments::webhookCasesSignedByStripesLibrary_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("httpStatus");
    QTest::addColumn<QString>("orderStatus");
    QTest::addColumn<QString>("paymentState");
    QTest::addColumn<int>("eventsRecorded");
    QTest::addColumn<QString>("action"); // the endpoint's `action`, empty for refusals
    const auto row = [](const char *name, const char *kind, int http, const char *status,
                        const char *state, int events, const char *action) {
        QTest::newRow(name) << QString::fromLatin1(kind) << http << QString::fromLatin1(status)
                            << QString::fromLatin1(state) << events << QString::fromLatin1(action);
    };
    const char *pending = "pending_payment";
    const char *started = "requires_payment_method";
    row("succeeded", "succeeded", 200, "paid", "succeeded", 1, "paid");
    row("bad-signature-wrong-secret", "wrong-secret", 400, pending, started, 0, "");
    row("bad-signature-tampered-body", "tampered", 400, pending, started, 0, "");
    row("bad-signature-v0-scheme-only", "v0", 400, pending, started, 0, "");
    row("stale-timestamp", "stale", 400, pending, started, 0, "");
    row("future-timestamp", "future", 400, pending, started, 0, "");
    row("replayed-event", "replayed", 200, "paid", "succeeded", 1, "paid");
    row("amount-mismatch", "amount", 200, pending, "mismatch", 1, "mismatch");
    row("currency-mismatch", "currency", 200, pending, "mismatch", 1, "mismatch");
    row("unknown-event-type", "unknown", 200, pending, started, 1, "ignored");
    row("payment-failed", "failed", 200, pending, "failed", 1, "failed");
}

void TestPayments::webhookCasesSignedByStripesLibrary()
{
    QFETCH(QString, kind);
    QFETCH(int, httpStatus);
    QFETCH(QString, orderStatus);
    QFETCH(QString, paymentState);
    QFETCH(int, eventsRecorded);
    QFETCH(QString, action);
    MERCATO_REQUIRE_NODE_PEER(QStringLiteral("stripe"));
    Shopfront s;
    QVERIFY(s.start());
    Shop &shop = s.server->shop();
    const QString id = s.order();
    const QString pi = s.checkout(id);
    QVERIFY(!pi.isEmpty());
    QCOMPARE(s.orderJson(id)
                     .value(QStringLiteral("payment"))
                     .toObject()
                     .value(QStringLiteral("state"))
                     .toString(),
             QStringLiteral("requires_payment_method"));

    // The event as Stripe would send it (pretty-printed, as Stripe does).
    QString type = QStringLiteral("payment_intent.succeeded");
    QJsonObject intent = s.fake.succeed(pi, kind == QLatin1String("amount") ? 2499 : 2500);
    if (kind == QLatin1String("currency"))
        intent.insert(QStringLiteral("currency"), QStringLiteral("eur"));
    if (kind == QLatin1String("failed")) {
        type = QStringLiteral("payment_intent.payment_failed");
        intent.insert(QStringLiteral("status"), QStringLiteral("requires_payment_method"));
        intent.insert(QStringLiteral("amount_received"), 0);
        intent.insert(QStringLiteral("last_payment_error"),
                      QJsonObject{{QStringLiteral("code"), QStringLiteral("card_declined")},
                                  {QStringLiteral("message"),
                                   QStringLiteral("Your card was declined.")}});
    }
    if (kind == QLatin1String("unknown")) {
        // A real Stripe type Mercato does not act on, naming the order in its metadata.
        type = QStringLiteral("payment_intent.amount_capturable_updated");
        intent.insert(QStringLiteral("status"), QStringLiteral("requires_capture"));
    }
    const QByteArray payload
            = QJsonDocument(stripeEvent(type, intent)).toJson(QJsonDocument::Indented);
    QByteArray body = payload;
    const qint64 now = Clock::nowMs() / 1000;
    NodeSignature sent;
    sent.payload = payload;
    if (kind == QLatin1String("wrong-secret"))
        sent.secret = "whsec_not_the_shops";
    else if (kind == QLatin1String("stale"))
        sent.timestamp = now - 301;
    else if (kind == QLatin1String("future"))
        sent.timestamp = now + 400;
    else if (kind == QLatin1String("v0"))
        sent.scheme = QStringLiteral("v0");
    // The same payload properly signed, for after a refusal.
    NodeSignature proper;
    proper.payload = payload;
    QString error;
    const QList<QByteArray> headers = signWithStripeNode({sent, proper}, &error);
    QVERIFY2(!headers.isEmpty(), qPrintable(error));
    QVERIFY2(headers.at(0).startsWith("t="), headers.at(0).constData());
    if (kind == QLatin1String("tampered")) {
        body.replace("\"livemode\": false", "\"livemode\": true");
        QVERIFY(body != payload);
    }

    auto r = sendWebhook(s.customerClient(), body, headers.at(0));
    QCOMPARE(r.status, httpStatus);
    if (httpStatus == 400) {
        QVERIFY(r.isProblem());
    } else {
        QCOMPARE(r.json().value(QStringLiteral("replayed")).toBool(), false);
        QCOMPARE(r.json().value(QStringLiteral("action")).toString(), action);
    }
    if (kind == QLatin1String("replayed")) {
        // Stripe delivers the same event again: acknowledged, nothing happens twice.
        r = sendWebhook(s.customerClient(), body, headers.at(0));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QStringLiteral("replayed")).toBool(), true);
    }

    // What the customer and the seller see.
    const QJsonObject order = s.orderJson(id);
    QCOMPARE(order.value(QStringLiteral("status")).toString(), orderStatus);
    QCOMPARE(order.value(QStringLiteral("payment"))
                     .toObject()
                     .value(QStringLiteral("state"))
                     .toString(),
             paymentState);
    const QJsonObject sellerView = clientFor(*s.server, s.seller, QStringLiteral("seller"))
                                           .get(QStringLiteral("/api/v1/seller/orders/") + id)
                                           .json();
    QCOMPARE(sellerView.value(QStringLiteral("status")).toString(), orderStatus);
    QCOMPARE(sellerView.value(QStringLiteral("payment"))
                     .toObject()
                     .value(QStringLiteral("state"))
                     .toString(),
             paymentState);
    QCOMPARE(scalar(shop, QStringLiteral("SELECT COUNT(*) FROM webhook_events")),
             qint64(eventsRecorded));
    const bool paid = orderStatus == QLatin1String("paid");
    QCOMPARE(notificationCount(shop, s.seller, QStringLiteral("order.paid")), paid ? 1 : 0);
    QCOMPARE(notificationCount(shop, s.seller, QStringLiteral("payment.mismatch")),
             paymentState == QLatin1String("mismatch") ? 1 : 0);
    QCOMPARE(scalar(shop,
                    QStringLiteral("SELECT COUNT(*) FROM order_status_history WHERE order_id = ?"),
                    {id}),
             paid ? 2 : 1);
    QCOMPARE(stockOf(shop, s.product), 98); // still reserved, whatever happened
    QCOMPARE(s.fake.requests("POST", QStringLiteral("/v1/refunds")).size(), 0);

    if (httpStatus == 400) {
        // Nothing was spent by the refusal: the same event, properly signed, pays the order.
        r = sendWebhook(s.customerClient(), payload, headers.at(1));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QStringLiteral("action")).toString(), QStringLiteral("paid"));
        QCOMPARE(s.orderJson(id).value(QStringLiteral("status")).toString(),
                 QStringLiteral("paid"));
    }
}

// Refund requests paid back through Stripe (the fake): the right amount, intent and an
// idempotency key per provider refund; a 500 retried; Stripe down → refund_failed, then the
// sweep; a permanent refusal shown and retried by the seller with a new key; charge.refunded
// events settle what our calls could not see.
void TestPayments::refundRequestsThroughStripe()
{
    Shopfront s;
    QVERIFY(s.start());
    Shop &shop = s.server->shop();
    const QString id = s.order(4);
    const QString pi = s.checkout(id);
    QCOMPARE(signedWebhook(
                     s.customerClient(),
                     stripeEvent(QStringLiteral("payment_intent.succeeded"), s.fake.succeed(pi)))
                     .status,
             200);
    const QString item = s.orderJson(id)
                                 .value(QStringLiteral("items"))
                                 .toArray()
                                 .at(0)
                                 .toObject()
                                 .value(QStringLiteral("id"))
                                 .toString();
    QVERIFY(!item.isEmpty());
    // A fresh token each time: the test moves the clock past the access token's life.
    auto seller = [&] {
        return clientFor(*s.server, s.seller, QStringLiteral("seller"));
    };
    auto requestAndApprove = [&](QString *requestId) {
        const auto asked = s.customerClient().post(
                QStringLiteral("/api/v1/orders/%1/refund-requests").arg(id),
                {{QStringLiteral("orderItemId"), item},
                 {QStringLiteral("quantity"), 1},
                 {QStringLiteral("reason"), QStringLiteral("broken")}});
        *requestId = asked.json().value(QStringLiteral("id")).toString();
        return seller().post(
                QStringLiteral("/api/v1/seller/refund-requests/%1/approve").arg(*requestId));
    };
    auto calls = [&] {
        return s.fake.requests("POST", QStringLiteral("/v1/refunds"));
    };
    auto keyOf = [](const QJsonValue &call) {
        return call.toObject()
                .value(QStringLiteral("headers"))
                .toObject()
                .value(QStringLiteral("idempotency-key"))
                .toString();
    };
    auto statusOf = [](const QJsonValue &call) {
        return call.toObject().value(QStringLiteral("status")).toInt();
    };
    auto lastRow = [&](const QString &requestId) {
        return scalarText(shop,
                          QStringLiteral("SELECT id FROM payment_refunds WHERE refund_request_id "
                                         "= ? ORDER BY created_at DESC, id DESC"),
                          {requestId});
    };
    auto requestJson = [&](const QString &requestId) {
        return s.customerClient()
                .get(QStringLiteral("/api/v1/refund-requests/") + requestId)
                .json();
    };

    // 1. One unit back: amount, intent and our key (also in metadata, for the webhooks).
    QString first;
    auto r = requestAndApprove(&first);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("status")).toString(), QStringLiteral("refunded"));
    QCOMPARE(r.json().value(QStringLiteral("amountCents")).toInteger(), 1250);
    QJsonArray seen = calls();
    QCOMPARE(seen.size(), 1);
    const QJsonObject form = seen.at(0).toObject().value(QStringLiteral("form")).toObject();
    QCOMPARE(form.value(QStringLiteral("payment_intent")).toString(), pi);
    QCOMPARE(form.value(QStringLiteral("amount")).toString(), QStringLiteral("1250"));
    const QString firstKey = lastRow(first);
    QVERIFY(!firstKey.isEmpty());
    QCOMPARE(keyOf(seen.at(0)), firstKey);
    QCOMPARE(form.value(QStringLiteral("metadata"))
                     .toObject()
                     .value(QStringLiteral("mercato_refund"))
                     .toString(),
             firstKey);
    QCOMPARE(statusOf(seen.at(0)), 200);

    // 2. A 500, then success on the retry, with the same key (and not the first one's).
    s.fake.failNext({{QStringLiteral("status"), 500}, {QStringLiteral("count"), 1}});
    QString second;
    r = requestAndApprove(&second);
    QCOMPARE(r.json().value(QStringLiteral("status")).toString(), QStringLiteral("refunded"));
    seen = calls();
    QCOMPARE(seen.size(), 3);
    QCOMPARE(statusOf(seen.at(1)), 500);
    QCOMPARE(statusOf(seen.at(2)), 200);
    QCOMPARE(keyOf(seen.at(1)), lastRow(second));
    QCOMPARE(keyOf(seen.at(2)), lastRow(second));
    QVERIFY(lastRow(second) != firstKey);

    // 3. Stripe down for every try of the call: refund_failed with the error shown, retried
    // by the sweep; before that a charge.refunded event says Stripe did refund it after all.
    s.fake.failNext({{QStringLiteral("status"), 500}, {QStringLiteral("count"), 3}});
    QString third;
    r = requestAndApprove(&third);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("status")).toString(), QStringLiteral("refund_failed"));
    QVERIFY2(
            r.json().value(QStringLiteral("refundError")).toString().contains(QLatin1String("500")),
            r.body.constData());
    QCOMPARE(calls().size(), 6);
    const QString thirdKey = lastRow(third);
    auto charge = [&](const QJsonArray &refunds) {
        return QJsonObject{{QStringLiteral("id"), QStringLiteral("ch_1")},
                           {QStringLiteral("object"), QStringLiteral("charge")},
                           {QStringLiteral("payment_intent"), pi},
                           {QStringLiteral("amount"), 5000},
                           {QStringLiteral("amount_refunded"), 3750},
                           {QStringLiteral("refunds"),
                            QJsonObject{{QStringLiteral("object"), QStringLiteral("list")},
                                        {QStringLiteral("data"), refunds}}}};
    };
    const QJsonObject settled = stripeEvent(
            QStringLiteral("charge.refunded"),
            charge({QJsonObject{{QStringLiteral("id"), QStringLiteral("re_seen_by_stripe")},
                                {QStringLiteral("status"), QStringLiteral("succeeded")},
                                {QStringLiteral("amount"), 1250},
                                {QStringLiteral("metadata"),
                                 QJsonObject{{QStringLiteral("mercato_refund"), thirdKey}}}},
                    QJsonObject{{QStringLiteral("id"), QStringLiteral("re_not_ours")},
                                {QStringLiteral("status"), QStringLiteral("succeeded")},
                                {QStringLiteral("amount"), 1}}}));
    QCOMPARE(signedWebhook(s.customerClient(), settled).status, 200);
    QCOMPARE(requestJson(third).value(QStringLiteral("status")).toString(),
             QStringLiteral("refunded"));
    QVERIFY(requestJson(third).value(QStringLiteral("refundError")).isNull());
    QCOMPARE(scalarText(shop,
                        QStringLiteral("SELECT provider_ref FROM payment_refunds WHERE id = ?"),
                        {thirdKey}),
             QStringLiteral("re_seen_by_stripe"));
    // Settled: the sweep sends nothing more, and a replay of the event changes nothing.
    Clock::advanceForTesting(31'000);
    QCOMPARE(shop.refunds().retryDue(), 0);
    QCOMPARE(calls().size(), 6);
    QCOMPARE(signedWebhook(s.customerClient(), settled)
                     .json()
                     .value(QStringLiteral("replayed"))
                     .toBool(),
             true);

    // 4. A permanent refusal: refund_failed with Stripe's words, never retried by itself; the
    // seller retries and a new provider refund (a new key) goes through.
    s.fake.failNext({{QStringLiteral("status"), 402}, {QStringLiteral("count"), 1}});
    QString fourth;
    r = requestAndApprove(&fourth);
    QCOMPARE(r.json().value(QStringLiteral("status")).toString(), QStringLiteral("refund_failed"));
    QVERIFY2(r.json().value(QStringLiteral("refundError"))
                     .toString()
                     .contains(QLatin1String("Something went wrong")),
             r.body.constData());
    QCOMPARE(calls().size(), 7);
    const QString refusedKey = lastRow(fourth);
    Clock::advanceForTesting(24LL * 3'600'000);
    QCOMPARE(shop.refunds().retryDue(), 0);
    QCOMPARE(calls().size(), 7);
    // Only the line's seller retries; a customer cannot.
    const QString otherSeller = insertUser(shop, QStringLiteral("seller"));
    QCOMPARE(clientFor(*s.server, otherSeller, QStringLiteral("seller"))
                     .post(QStringLiteral("/api/v1/seller/refund-requests/%1/retry").arg(fourth))
                     .status,
             404);
    QCOMPARE(s.customerClient()
                     .post(QStringLiteral("/api/v1/seller/refund-requests/%1/retry").arg(fourth))
                     .status,
             403);
    r = seller().post(QStringLiteral("/api/v1/seller/refund-requests/%1/retry").arg(fourth));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("status")).toString(), QStringLiteral("refunded"));
    QCOMPARE(r.json().value(QStringLiteral("amountCents")).toInteger(), 1250);
    seen = calls();
    QCOMPARE(seen.size(), 8);
    QCOMPARE(statusOf(seen.at(7)), 200);
    QVERIFY(keyOf(seen.at(7)) != refusedKey);
    QCOMPARE(keyOf(seen.at(7)), lastRow(fourth));
    // A refunded request is not retried.
    QCOMPARE(seller().post(QStringLiteral("/api/v1/seller/refund-requests/%1/retry").arg(fourth))
                     .status,
             409);

    // 5. Stripe reports the first refund failed later: owed again, shown, and retried.
    const QJsonObject failed = stripeEvent(
            QStringLiteral("charge.refunded"),
            charge({QJsonObject{
                    {QStringLiteral("id"),
                     scalarText(shop,
                                QStringLiteral("SELECT provider_ref FROM "
                                               "payment_refunds WHERE id = ?"),
                                {firstKey})},
                    {QStringLiteral("status"), QStringLiteral("failed")},
                    {QStringLiteral("failure_reason"), QStringLiteral("expired_or_canceled_card")},
                    {QStringLiteral("amount"), 1250}}}));
    QCOMPARE(signedWebhook(s.customerClient(), failed).status, 200);
    const QJsonObject owed = requestJson(first);
    QCOMPARE(owed.value(QStringLiteral("status")).toString(), QStringLiteral("refund_failed"));
    QVERIFY(owed.value(QStringLiteral("refundError"))
                    .toString()
                    .contains(QLatin1String("expired_or_canceled_card")));
    r = seller().post(QStringLiteral("/api/v1/seller/refund-requests/%1/retry").arg(first));
    QCOMPARE(r.json().value(QStringLiteral("status")).toString(), QStringLiteral("refunded"));
    QCOMPARE(calls().size(), 9);

    // Money: what went back through Stripe is what the order was paid, never more.
    QCOMPARE(scalar(shop,
                    QStringLiteral("SELECT SUM(amount_cents) FROM payment_refunds WHERE "
                                   "order_id = ? AND state = 'succeeded'"),
                    {id}),
             5000);
    QCOMPARE(notificationCount(shop, s.customer, QStringLiteral("refund.approved")), 4);
    QCOMPARE(notificationCount(shop, s.seller, QStringLiteral("refund.requested")), 4);
}

QTEST_GUILESS_MAIN(TestPayments)
#include "tst_payments.moc"
