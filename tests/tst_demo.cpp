// `--demo` / MERCATO_DEMO=1 on a real mercato-server: an empty store gets a seller, customers
// and a catalogue with low and sold-out stock; starting again on the same store adds nothing.

#include "support/testsupport.h"

#include <QJsonArray>
#include <QTest>

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
        const HttpResult products = anonymous.get(QStringLiteral("/api/v1/products?limit=100"));
        QCOMPARE(products.status, 200);
        QCOMPARE(products.json().value(QStringLiteral("items")).toArray().size(), 12);

        Client seller(server.port());
        seller.setToken(sellerToken);
        const HttpResult low
                = seller.get(QStringLiteral("/api/v1/seller/inventory?lowStock=true&limit=100"));
        QCOMPARE(low.status, 200);
        const QJsonArray lowItems = low.json().value(QStringLiteral("items")).toArray();
        QCOMPARE(lowItems.size(), 3); // filters, hand grinder (sold out), chai
        bool soldOut = false;
        for (const auto &item : lowItems)
            soldOut = soldOut || item.toObject().value(QStringLiteral("stock")).toInteger() == 0;
        QVERIFY(soldOut);

        if (start == 1)
            QVERIFY2(server.log().contains(QLatin1String("demo data not added")),
                     qPrintable(server.log()));
        MERCATO_VERIFY_CLEAN_EXIT(server);
    }
}

QTEST_GUILESS_MAIN(TestDemo)
#include "tst_demo.moc"
