// `--demo` / MERCATO_DEMO=1 on a real mercato-server: an empty store gets three sellers, two
// customers and 200 products, each with a generated picture that /media serves, stock where a few
// are low or sold out (each with its stock.low notification); starting again adds nothing.

#include "support/testsupport.h"

#include <QJsonArray>
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

        if (start == 1)
            QVERIFY2(server.log().contains(QLatin1String("demo data not added")),
                     qPrintable(server.log()));
        MERCATO_VERIFY_CLEAN_EXIT(server);
    }
}

QTEST_GUILESS_MAIN(TestDemo)
#include "tst_demo.moc"
