// `--demo` / MERCATO_DEMO=1 on a real mercato-server: an empty store gets three sellers, two
// customers and 200 products, each with a generated picture that /media serves, stock where a few
// are low or sold out (each with its stock.low notification), the store's address and payment
// instructions, the customers' addresses and orders in every state (made by the same rules as
// any order: `mercato-server check` finds the stock ledger whole); starting again adds nothing.

#include "support/testsupport.h"

#include <QJsonArray>
#include <QMap>
#include <QProcess>
#include <QSet>
#include <QTest>
#include <QUrl>

using namespace Mercato::Test;

class TestDemo : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void demoFillsAnEmptyStoreOnce();
};

namespace {

QString login(quint16 port, const QString &email, const QString &password)
{
    Client client(port);
    const HttpResult r = client.post(
            QStringLiteral("/api/v1/auth/login"),
            {{QStringLiteral("email"), email}, {QStringLiteral("password"), password}});
    return r.status == 200 ? r.json().value(QStringLiteral("accessToken")).toString() : QString();
}

// Every item of a list, page by page.
QList<QJsonObject> walk(const Client &client, const QString &path)
{
    QList<QJsonObject> out;
    QString cursor;
    for (int guard = 0; guard < 100; ++guard) {
        const QString url
                = path
                  + (cursor.isEmpty()
                             ? QString()
                             : QStringLiteral("&cursor=")
                                       + QString::fromLatin1(QUrl::toPercentEncoding(cursor)));
        HttpResult r = client.get(url);
        if (r.status == 503) { // refused for a moment (Retry-After): a client tries again, once
            qWarning("GET %s answered 503 (%s); trying again", qPrintable(url), r.body.constData());
            QTest::qWait(1000);
            r = client.get(url);
        }
        if (r.status != 200) { // said, so a failing comparison after it has its cause
            qWarning("GET %s answered %d: %s", qPrintable(path), r.status, r.body.constData());
            return {};
        }
        for (const QJsonValue &v : r.json().value(QStringLiteral("items")).toArray())
            out.append(v.toObject());
        cursor = r.json().value(QStringLiteral("nextCursor")).toString();
        if (cursor.isEmpty())
            break;
    }
    return out;
}

struct DemoSeller
{
    QString email;
};
const DemoSeller kSellers[] = {{QStringLiteral("seller@demo.mercato.test")},
                               {QStringLiteral("tea@demo.mercato.test")},
                               {QStringLiteral("kitchen@demo.mercato.test")}};

} // namespace

void TestDemo::demoFillsAnEmptyStoreOnce()
{
    QTemporaryDir dir;
    QProcessEnvironment env;
    env.insert(QStringLiteral("MERCATO_DEMO"), QStringLiteral("1"));
    // The same store on both starts: a file in this folder, or one PostgreSQL database.
    env.insert(QStringLiteral("MERCATO_DATABASE"),
               usingPostgres()
                       ? freshDatabaseUrl(dir.path())
                       : QStringLiteral("sqlite:") + dir.path() + QStringLiteral("/shop.db"));

    for (int start = 0; start < 2; ++start) {
        ServerProcess server(env);
        QVERIFY2(server.start(), qPrintable(server.log()));

        const QString sellerToken = login(server.port(), QStringLiteral("seller@demo.mercato.test"),
                                          QStringLiteral("demo-seller-pass"));
        QVERIFY2(!sellerToken.isEmpty(), qPrintable(server.log()));
        QVERIFY(!login(server.port(), QStringLiteral("alice@demo.mercato.test"),
                       QStringLiteral("demo-customer-pass"))
                         .isEmpty());
        QVERIFY(login(server.port(), QStringLiteral("alice@demo.mercato.test"),
                      QStringLiteral("wrong-password!"))
                        .isEmpty());

        Client anonymous(server.port());
        const QList<QJsonObject> products
                = walk(anonymous, QStringLiteral("/api/v1/products?limit=100"));
        QCOMPARE(products.size(), 200);
        QSet<QString> sellers;
        QSet<QString> names;
        for (const QJsonObject &p : products) {
            sellers.insert(p.value(QStringLiteral("sellerId")).toString());
            names.insert(p.value(QStringLiteral("name")).toString());
        }
        QCOMPARE(sellers.size(), 3);
        QCOMPARE(names.size(), 200);
        QVERIFY(names.contains(QStringLiteral("Filter coffee, 500 g"))); // the browser test's

        // Each product has a picture, and /media serves it as a PNG. Checked in full on the
        // first start; the second only needs the store unchanged.
        if (start == 0) {
            QSet<QString> pictures;
            for (const QJsonObject &p : products) {
                const QJsonArray images = p.value(QStringLiteral("images")).toArray();
                QVERIFY2(!images.isEmpty(), qPrintable(p.value(QStringLiteral("name")).toString()));
                const QString url
                        = images.first().toObject().value(QStringLiteral("url")).toString();
                const QString path = QUrl(url).path();
                QVERIFY2(path.startsWith(QStringLiteral("/media/")), qPrintable(url));
                const HttpResult picture = anonymous.get(path);
                QCOMPARE(picture.status, 200);
                QCOMPARE(picture.header("content-type"), QByteArray("image/png"));
                QVERIFY(picture.body.startsWith("\x89PNG\r\n\x1a\n"));
                QVERIFY(picture.body.contains("IEND"));
                pictures.insert(path);
            }
            QCOMPARE(pictures.size(), 200); // one file each, not one shared
        }

        // Each seller: a few products at or under their threshold, each with one stock.low.
        int lowTotal = 0;
        bool soldOut = false;
        QSet<QString> lowSellers;
        for (const DemoSeller &demoSeller : kSellers) {
            const QString token
                    = login(server.port(), demoSeller.email, QStringLiteral("demo-seller-pass"));
            QVERIFY2(!token.isEmpty(), qPrintable(demoSeller.email));
            Client seller(server.port());
            seller.setToken(token);
            const QList<QJsonObject> low = walk(
                    seller, QStringLiteral("/api/v1/seller/inventory?lowStock=true&limit=100"));
            QSet<QString> lowIds;
            for (const QJsonObject &item : low) {
                const qint64 stock = item.value(QStringLiteral("stock")).toInteger();
                QVERIFY(stock <= item.value(QStringLiteral("lowStockThreshold")).toInteger());
                soldOut = soldOut || stock == 0;
                lowIds.insert(item.value(QStringLiteral("id")).toString());
            }
            if (!low.isEmpty())
                lowSellers.insert(demoSeller.email);
            lowTotal += int(low.size());
            QSet<QString> alerted;
            for (const QJsonObject &n :
                 walk(seller, QStringLiteral("/api/v1/notifications?limit=100"))) {
                if (n.value(QStringLiteral("kind")).toString() != QLatin1String("stock.low"))
                    continue;
                const QString id = n.value(QStringLiteral("data"))
                                           .toObject()
                                           .value(QStringLiteral("productId"))
                                           .toString();
                QVERIFY2(!alerted.contains(id), "two stock.low for one product");
                alerted.insert(id);
            }
            QCOMPARE(alerted, lowIds);
        }
        QVERIFY2(lowTotal >= 3 && lowTotal <= 20, qPrintable(QString::number(lowTotal)));
        QVERIFY(soldOut);
        QVERIFY2(lowSellers.size() == 3, qPrintable(server.log().right(4000)));

        // The store's address, each customer's address book, and orders in every state.
        const QJsonObject store = anonymous.get(QStringLiteral("/api/v1/store")).json();
        QCOMPARE(store.value(QStringLiteral("address"))
                         .toObject()
                         .value(QStringLiteral("city"))
                         .toString(),
                 QStringLiteral("Portland"));
        QMap<QString, int> states;
        QJsonObject tracked, refundedBySeller, delivered;
        for (const QString &email :
             {QStringLiteral("alice@demo.mercato.test"), QStringLiteral("bob@demo.mercato.test")}) {
            Client customer(server.port());
            customer.setToken(login(server.port(), email, QStringLiteral("demo-customer-pass")));
            const QJsonArray book = customer.get(QStringLiteral("/api/v1/me/addresses"))
                                            .json()
                                            .value(QStringLiteral("items"))
                                            .toArray();
            QCOMPARE(book.size(), 1);
            QVERIFY(book.first().toObject().value(QStringLiteral("isDefault")).toBool());
            for (const QJsonObject &o :
                 walk(customer, QStringLiteral("/api/v1/orders?limit=100"))) {
                const QString status = o.value(QStringLiteral("status")).toString();
                ++states[status];
                QVERIFY(o.value(QStringLiteral("number")).toInteger() >= 1001);
                QVERIFY(!o.value(QStringLiteral("shipping")).isNull());
                QVERIFY(!o.value(QStringLiteral("shippingAddress")).isNull());
                const QJsonArray shipments = o.value(QStringLiteral("shipments")).toArray();
                if (status == QLatin1String("shipped") && !shipments.isEmpty())
                    tracked = shipments.first().toObject();
                if (status == QLatin1String("cancelled")
                    && !o.value(QStringLiteral("refunds")).toArray().isEmpty())
                    refundedBySeller = o;
                if (status == QLatin1String("delivered"))
                    delivered = o;
            }
        }
        for (const QString &status :
             {QStringLiteral("pending_payment"), QStringLiteral("paid"),
              QStringLiteral("partially_shipped"), QStringLiteral("shipped"),
              QStringLiteral("delivered"), QStringLiteral("cancelled")})
            QVERIFY2(states.value(status) >= 1, qPrintable(status));
        QVERIFY2(states.value(QStringLiteral("cancelled")) >= 2,
                 "one by its customer, one refunded");
        QVERIFY(tracked.value(QStringLiteral("trackingUrl"))
                        .toString()
                        .startsWith(QLatin1String("https://")));
        QVERIFY(!tracked.value(QStringLiteral("carrier")).toString().isEmpty());
        QVERIFY(!refundedBySeller.isEmpty());
        QCOMPARE(refundedBySeller.value(QStringLiteral("refunds"))
                         .toArray()
                         .first()
                         .toObject()
                         .value(QStringLiteral("amountCents"))
                         .toInteger(),
                 refundedBySeller.value(QStringLiteral("totalCents")).toInteger());
        QCOMPARE(delivered.value(QStringLiteral("refunds")).toArray().size(), 1);
        // Manual payment quotes the owner's bank details.
        if (start == 0) {
            Client bob(server.port());
            bob.setToken(login(server.port(), QStringLiteral("bob@demo.mercato.test"),
                               QStringLiteral("demo-customer-pass")));
            QString pendingId;
            for (const QJsonObject &o : walk(bob, QStringLiteral("/api/v1/orders?limit=100"))) {
                if (o.value(QStringLiteral("status")).toString()
                    == QLatin1String("pending_payment"))
                    pendingId = o.value(QStringLiteral("id")).toString();
            }
            const HttpResult pay = bob.post(QStringLiteral("/api/v1/orders/") + pendingId
                                            + QStringLiteral("/checkout"));
            QCOMPARE(pay.status, 200);
            QVERIFY2(pay.json()
                             .value(QStringLiteral("instructions"))
                             .toString()
                             .contains(QLatin1String("Demo Roastery, account 000123456789")),
                     pay.body.constData());
        }

        if (start == 1)
            QVERIFY2(server.log().contains(QLatin1String("demo data not added")),
                     qPrintable(server.log()));
        MERCATO_VERIFY_CLEAN_EXIT(server);

        // What the demo did kept every product's stock equal to its ledger.
        QProcess check;
        check.start(serverBinary(), {QStringLiteral("check"), QStringLiteral("--database"),
                                     env.value(QStringLiteral("MERCATO_DATABASE")),
                                     QStringLiteral("--data-dir"), dir.path()});
        QVERIFY(check.waitForFinished(60000));
        const QByteArray said = check.readAllStandardOutput() + check.readAllStandardError();
        QVERIFY2(check.exitStatus() == QProcess::NormalExit && check.exitCode() == 0,
                 said.constData());
        QVERIFY2(said.contains("stock ledger: ok"), said.constData());
    }
}

QTEST_GUILESS_MAIN(TestDemo)
#include "tst_demo.moc"
