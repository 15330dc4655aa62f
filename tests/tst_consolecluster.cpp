// A console on the shared PostgreSQL database shows an order taken by another mercato-server
// process, and it learns of it through LISTEN/NOTIFY (ClusterEvents), not by polling: the
// Orders page offscreen, driven and read by accessible names as in tst_console.
// Several processes on one database is PostgreSQL's case: on SQLite the test skips.

#include "orderfixture.h"

#include "model/clusterevents.h"
#include "model/events.h"
#include "model/orders.h"
#include "ui/logindialog.h"
#include "ui/mainwindow.h"
#include "ui/orderspage.h"
#include "ui/page.h"

#include <QAbstractButton>
#include <QApplication>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

template<typename T>
T *named(QWidget *root, const QString &name)
{
    const auto all = root->findChildren<T *>();
    for (T *w : all) {
        if (w->accessibleName() == name)
            return w;
    }
    return nullptr;
}

int rowOf(QTableView *view, const QString &id)
{
    QAbstractItemModel *m = view->model();
    for (int r = 0; r < m->rowCount(); ++r) {
        if (m->index(r, 0).data(Qt::UserRole + 1).toString() == id)
            return r;
    }
    return -1;
}

const QString kPassword = QStringLiteral("correct horse battery");

// One order of `productId` for `customer` through the server on `port`; its id or empty.
QString placeOrder(Shop &shop, quint16 port, const QString &customer, const QString &productId)
{
    Client c(port);
    c.setToken(shop.tokens().issueAccess(customer, QStringLiteral("customer")).token);
    if (c.put(QStringLiteral("/api/v1/cart/items/") + productId,
              QJsonObject{{QStringLiteral("quantity"), 1}})
                .status
        != 200)
        return {};
    const HttpResult r = c.post(QStringLiteral("/api/v1/orders"),
                                QJsonObject{{QStringLiteral("coinsToUse"), 0}});
    return r.status == 201 ? r.json().value(QStringLiteral("id")).toString() : QString();
}

} // namespace

class TestConsoleCluster : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void orderFromAnotherProcessAppears()
    {
        if (!usingPostgres())
            QSKIP("several processes on one database and LISTEN/NOTIFY are PostgreSQL's case");
        SharedStore store;
        QVERIFY(store.open());
        Shop &shop = *store.shop;
        // The console's process: its listener, as Runtime starts it next to the window.
        ClusterEvents cluster(shop.database(), shop.events());
        cluster.start();
        QTRY_VERIFY_WITH_TIMEOUT(cluster.isListening(), 10'000);

        auto session = shop.accounts().registerAccount({QStringLiteral("cluster@example.test"),
                                                        kPassword, QStringLiteral("Cleo Seller"),
                                                        QStringLiteral("seller")});
        QVERIFY2(session, qPrintable(session.error().detail));
        const QString seller = session->user.id;
        const QString product = insertProduct(shop, seller, 1250, 50, QStringLiteral("Lamp"));
        const QString customer = insertUser(shop, QStringLiteral("customer"));
        QVERIFY(!product.isEmpty() && !customer.isEmpty());

        ServerProcess other(store.childEnv(1));
        QVERIFY2(other.start(), qPrintable(other.log()));

        {
            MainWindow window(shop, nullptr);
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            window.begin();
            LoginDialog *login = window.loginDialog();
            QTRY_VERIFY(login->isVisible());
            auto *email = named<QLineEdit>(login, QStringLiteral("Email"));
            auto *password = named<QLineEdit>(login, QStringLiteral("Password"));
            QVERIFY(email && password);
            QTest::keyClicks(email, QStringLiteral("cluster@example.test"));
            QTest::keyClicks(password, kPassword);
            auto *signIn = named<QAbstractButton>(login, QStringLiteral("Sign in"));
            QVERIFY(signIn);
            QTest::mouseClick(signIn, Qt::LeftButton);
            QTRY_COMPARE_WITH_TIMEOUT(window.seller().id, seller, 10'000);

            window.showPage(QStringLiteral("Orders"));
            Page *page = window.page(QStringLiteral("Orders"));
            auto *view = named<QTableView>(page, QStringLiteral("Order list"));
            QVERIFY(view);
            QTRY_COMPARE(view->model()->rowCount(), 0);
            // Let the page settle: no load in flight when the other process takes the order.
            QTest::qWait(300);

            // What reaches this process, and when: the order's event on the GUI thread.
            QElapsedTimer clock;
            qint64 eventAt = -1;
            QString placed;
            QStringList heard;
            connect(&shop.events(), &ModelEvents::orderChanged, page,
                    [&](const QString &id, const QString &) {
                        heard.append(id);
                        if (id == placed && eventAt < 0)
                            eventAt = clock.elapsed();
                    });
            int loads = 0;
            connect(qobject_cast<OrdersPage *>(page), &OrdersPage::loaded, page,
                    [&loads] { ++loads; });
            const quint64 receivedBefore
                    = cluster.receivedCounts().value(QStringLiteral("orderChanged"));

            clock.start();
            placed = placeOrder(shop, other.port(), customer, product);
            QVERIFY(!placed.isEmpty());
            const qint64 answeredAt = clock.elapsed();
            // The spec's figure is a second; the wait is generous for a loaded machine.
            QTRY_VERIFY_WITH_TIMEOUT(rowOf(view, placed) >= 0, 10'000);
            const qint64 shownAt = clock.elapsed();
            qInfo("order answered after %lld ms, event here at %lld ms, row shown by %lld ms",
                  answeredAt, eventAt, shownAt);

            // It came by NOTIFY: the listener counted another process's order event, and the
            // page's reload followed that event (this process has no API of its own that
            // could have raised it, and the console has no polling timer).
            QVERIFY2(cluster.receivedCounts().value(QStringLiteral("orderChanged"))
                             > receivedBefore,
                     "no orderChanged arrived through LISTEN/NOTIFY");
            QVERIFY2(heard.contains(placed), qPrintable(heard.join(QLatin1Char(','))));
            QVERIFY(eventAt >= 0 && eventAt <= shownAt);
            QVERIFY(loads >= 1);
            QCOMPARE(view->model()->rowCount(), 1);
        }
        MERCATO_VERIFY_CLEAN_EXIT(other);
        cluster.stop();
        shop.database().releaseThreadConnection();
    }
};

QTEST_MAIN(TestConsoleCluster)
#include "tst_consolecluster.moc"
