// The console's lists, offscreen, driven by accessible names: a search or filter that hides
// every row says so with the query ("No product matches …"), the "nothing yet" text only for a
// seller with none; products start A→Z by name, orders and notifications newest first, with
// the header's sort indicator.

#include "support/consolefixture.h"
#include "support/testsupport.h"

#include "model/catalog.h"
#include "model/clock.h"
#include "model/orders.h"
#include "model/shippingoptions.h"
#include "model/shop.h"
#include "ui/logindialog.h"
#include "ui/mainwindow.h"
#include "ui/page.h"
#include "ui/rowsmodel.h"

#include <QApplication>
#include <QHeaderView>
#include <QJsonObject>
#include <QLabel>
#include <QPalette>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

const QString kPassword = QStringLiteral("correct horse battery");

} // namespace

class TestConsoleLists : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void searchWithNoMatchSaysSo();
    void listsStartSorted();

private:
    struct Store
    {
        TestServer server;
        QString ownerId;
        QString customerId;
        QString lamp;
        QString optionId;
    };
    void setUp(Store &s);
    QString paidOrder(Store &s, int quantity);
    void start(Console &console, const QString &email);
    QTemporaryDir m_settingsDir;
    QPalette m_palette;
};

void TestConsoleLists::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_settingsDir.isValid());
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settingsDir.path());
    m_palette = QApplication::palette();
}

void TestConsoleLists::init()
{
    Clock::resetForTesting();
    QSettings(QStringLiteral("Mercato"), QStringLiteral("console")).clear();
}

void TestConsoleLists::cleanup()
{
    QApplication::setPalette(m_palette);
    Clock::resetForTesting();
}

// The owner sells a brass lamp (listed first) and an amber vase (listed later, name first
// A→Z); a customer; one shipping option.
void TestConsoleLists::setUp(Store &s)
{
    QVERIFY2(s.server.start(), qPrintable(s.server.errorString()));
    Shop &shop = s.server.shop();
    auto owner = shop.accounts().registerAccount({QStringLiteral("owner@example.test"), kPassword,
                                                  QStringLiteral("Olga Owner"),
                                                  QStringLiteral("seller")});
    QVERIFY2(owner, qPrintable(owner.error().detail));
    s.ownerId = owner->user.id;
    auto customer = shop.accounts().registerAccount({QStringLiteral("carla@example.test"),
                                                     kPassword, QStringLiteral("Carla Customer"),
                                                     QStringLiteral("customer")});
    QVERIFY2(customer, qPrintable(customer.error().detail));
    s.customerId = customer->user.id;
    Clock::fixForTesting(QDateTime(QDate(2026, 3, 2), QTime(9, 0), Qt::UTC).toMSecsSinceEpoch());
    for (const auto &[name, stock] :
         {std::pair{QStringLiteral("Brass lamp"), 20}, {QStringLiteral("Amber vase"), 2}}) {
        NewProduct p;
        p.name = name;
        p.description = QStringLiteral("Made by hand.");
        p.priceCents = 1250;
        p.stock = stock;
        p.lowStockThreshold = 3;
        auto made = shop.catalog().create(s.ownerId, p);
        QVERIFY2(made, qPrintable(made.error().detail));
        if (name == QLatin1String("Brass lamp"))
            s.lamp = made->id;
        Clock::advanceForTesting(60'000);
    }
    ShippingOption standard;
    standard.name = QStringLiteral("Standard parcel");
    standard.priceCents = 490;
    auto option = ShippingOptions::add(shop.database(), standard);
    QVERIFY2(option, qPrintable(option.error().detail));
    s.optionId = option->id;
}

QString TestConsoleLists::paidOrder(Store &s, int quantity)
{
    Shop &shop = s.server.shop();
    auto cart = shop.cart().setQuantity(s.customerId, s.lamp, quantity);
    if (!cart)
        qFatal("cart failed: %s", qPrintable(cart.error().detail));
    ShippingChoice choice;
    choice.optionId = s.optionId;
    choice.address = QJsonObject{{QStringLiteral("name"), QStringLiteral("Carla Customer")},
                                 {QStringLiteral("line1"), QStringLiteral("12 Rue des Lilas")},
                                 {QStringLiteral("city"), QStringLiteral("Lyon")},
                                 {QStringLiteral("postalCode"), QStringLiteral("69003")},
                                 {QStringLiteral("country"), QStringLiteral("FR")},
                                 {QStringLiteral("phone"), QStringLiteral("+33 4 72 00 00 00")}};
    auto order = shop.orders().placeOrder(s.customerId, 0, choice);
    if (!order)
        qFatal("placing the order failed: %s", qPrintable(order.error().detail));
    auto paid = shop.orders().sellerMove(s.ownerId, order->id, SellerAction::MarkPaid);
    if (!paid)
        qFatal("marking paid failed: %s", qPrintable(paid.error().detail));
    Clock::advanceForTesting(60'000);
    return order->id;
}

void TestConsoleLists::start(Console &console, const QString &email)
{
    MainWindow &window = console.window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.begin();
    LoginDialog *login = window.loginDialog();
    QTRY_VERIFY(login->isVisible());
    type(login, QStringLiteral("Email"), email);
    type(login, QStringLiteral("Password"), kPassword);
    click(login, QStringLiteral("Sign in"));
    QTRY_COMPARE(window.seller().email, email);
    window.resize(1024, 700);
    QTRY_COMPARE(window.size(), QSize(1024, 700));
}

// A search that hides every product says which search; a seller with no products is told how
// to list one.
void TestConsoleLists::searchWithNoMatchSaysSo()
{
    Store s;
    setUp(s);
    paidOrder(s, 1);
    auto other = s.server.shop().accounts().registerAccount({QStringLiteral("nina@example.test"),
                                                             kPassword, QStringLiteral("Nina New"),
                                                             QStringLiteral("seller")});
    QVERIFY2(other, qPrintable(other.error().detail));
    {
        Console console(s.server);
        start(console, QStringLiteral("owner@example.test"));
        MainWindow &window = console.window;

        window.showPage(QStringLiteral("Products"));
        QWidget *page = window.page(QStringLiteral("Products"));
        auto *view = named<QTableView>(page, QStringLiteral("Product list"));
        QTRY_COMPARE(view->model()->rowCount(), 2);
        type(page, QStringLiteral("Product search"), QStringLiteral("teapot"));
        auto *empty = named<QLabel>(page, QStringLiteral("Product list empty"));
        QVERIFY(empty);
        QTRY_VERIFY(empty->isVisible());
        QTRY_VERIFY2(empty->text().contains(QStringLiteral("No product matches “teapot”")),
                     qPrintable(empty->text()));
        QVERIFY(!empty->text().contains(QLatin1String("yet")));
        snap(&window, QStringLiteral("products-no-match"));

        window.showPage(QStringLiteral("Orders"));
        page = window.page(QStringLiteral("Orders"));
        view = named<QTableView>(page, QStringLiteral("Order list"));
        QTRY_COMPARE(view->model()->rowCount(), 1);
        type(page, QStringLiteral("Order search"), QStringLiteral("Zoe"));
        empty = named<QLabel>(page, QStringLiteral("Order list empty"));
        QTRY_VERIFY(empty->isVisible());
        QVERIFY2(empty->text().contains(QStringLiteral("No order matches “Zoe”")),
                 qPrintable(empty->text()));
        snap(&window, QStringLiteral("orders-no-match"));

        window.showPage(QStringLiteral("Customers"));
        page = window.page(QStringLiteral("Customers"));
        view = named<QTableView>(page, QStringLiteral("Customer list"));
        QTRY_COMPARE(view->model()->rowCount(), 1);
        type(page, QStringLiteral("Customer search"), QStringLiteral("Zoe"));
        empty = named<QLabel>(page, QStringLiteral("Customer list empty"));
        QTRY_VERIFY(empty->isVisible());
        QVERIFY2(empty->text().contains(QStringLiteral("No customer matches “Zoe”")),
                 qPrintable(empty->text()));
    }
    Console console(s.server);
    start(console, QStringLiteral("nina@example.test"));
    console.window.showPage(QStringLiteral("Products"));
    QWidget *page = console.window.page(QStringLiteral("Products"));
    auto *empty = named<QLabel>(page, QStringLiteral("Product list empty"));
    QTRY_VERIFY(empty->isVisible());
    QVERIFY2(empty->text().startsWith(QLatin1String("No products yet")), qPrintable(empty->text()));
}

// Products start A→Z by name; orders and notifications newest first; each header shows it.
void TestConsoleLists::listsStartSorted()
{
    Store s;
    setUp(s);
    const QString older = paidOrder(s, 1);
    const QString newer = paidOrder(s, 2);
    Console console(s.server);
    start(console, QStringLiteral("owner@example.test"));
    MainWindow &window = console.window;

    window.showPage(QStringLiteral("Products"));
    QWidget *page = window.page(QStringLiteral("Products"));
    auto *view = named<QTableView>(page, QStringLiteral("Product list"));
    QTRY_COMPARE(view->model()->rowCount(), 2);
    QCOMPARE(view->model()->index(0, 0).data().toString(), QStringLiteral("Amber vase"));
    QCOMPARE(view->model()->index(1, 0).data().toString(), QStringLiteral("Brass lamp"));
    QVERIFY(view->horizontalHeader()->isSortIndicatorShown());
    QCOMPARE(view->horizontalHeader()->sortIndicatorSection(), 0);
    QCOMPARE(view->horizontalHeader()->sortIndicatorOrder(), Qt::AscendingOrder);
    snap(&window, QStringLiteral("products-sorted"));

    window.showPage(QStringLiteral("Orders"));
    page = window.page(QStringLiteral("Orders"));
    view = named<QTableView>(page, QStringLiteral("Order list"));
    QTRY_COMPARE(view->model()->rowCount(), 2);
    QCOMPARE(rowOf(view, newer), 0);
    QCOMPARE(rowOf(view, older), 1);
    QVERIFY(view->horizontalHeader()->isSortIndicatorShown());
    QCOMPARE(view->horizontalHeader()->sortIndicatorSection(), 0);
    QCOMPARE(view->horizontalHeader()->sortIndicatorOrder(), Qt::DescendingOrder);

    window.showPage(QStringLiteral("Notifications"));
    page = window.page(QStringLiteral("Notifications"));
    view = named<QTableView>(page, QStringLiteral("Notification list"));
    QTRY_VERIFY(view->model()->rowCount() >= 2);
    QVERIFY(view->horizontalHeader()->isSortIndicatorShown());
    QCOMPARE(view->horizontalHeader()->sortIndicatorSection(), 0);
    QCOMPARE(view->horizontalHeader()->sortIndicatorOrder(), Qt::DescendingOrder);
    for (int r = 1; r < view->model()->rowCount(); ++r) {
        QVERIFY(view->model()->index(r - 1, 0).data(RowsModel::SortRole).toLongLong()
                >= view->model()->index(r, 0).data(RowsModel::SortRole).toLongLong());
    }
    QVERIFY(view->model()->index(0, 0).data(RowsModel::SortRole).toLongLong()
            > view->model()
                      ->index(view->model()->rowCount() - 1, 0)
                      .data(RowsModel::SortRole)
                      .toLongLong());
    snap(&window, QStringLiteral("notifications-sorted"));
}

QTEST_MAIN(TestConsoleLists)
#include "tst_console_lists.moc"
