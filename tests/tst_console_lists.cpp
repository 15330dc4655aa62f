// The console's lists, offscreen, driven by accessible names: a search or filter that hides
// every row says so with the query ("No product matches …"), the "nothing yet" text only for a
// seller with none; products start A→Z by name, orders and notifications newest first, with
// the header's sort indicator; and on a dark palette the colours the console picks (low-stock
// tints, error and success messages) keep a WCAG contrast of 4.5:1 or more.

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

double luminance(const QColor &c)
{
    auto lin = [](double v) {
        return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * lin(c.redF()) + 0.7152 * lin(c.greenF()) + 0.0722 * lin(c.blueF());
}

double contrast(const QColor &a, const QColor &b)
{
    const double la = luminance(a);
    const double lb = luminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

// The colour a label's style sheet gives `property` ("color", "background"), or `fallback`.
QColor sheetColour(const QLabel *label, const QString &property, const QColor &fallback)
{
    const QRegularExpression re(
            QStringLiteral("(?:^|[;{\\s])%1\\s*:\\s*(#[0-9a-fA-F]{3,8}|[a-z]+)").arg(property));
    const auto m = re.match(label->styleSheet());
    return m.hasMatch() ? QColor(m.captured(1)) : fallback;
}

// A dark palette like the desktops' dark themes.
QPalette darkPalette()
{
    QPalette p;
    const QColor window(0x2b, 0x2b, 0x2b);
    const QColor base(0x1e, 0x1e, 0x1e);
    const QColor text(0xe8, 0xe8, 0xe8);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(0x26, 0x26, 0x26));
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, QColor(0x3a, 0x3a, 0x3a));
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::Highlight, QColor(0x2a, 0x6f, 0xc9));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Mid, QColor(0x9a, 0x9a, 0x9a));
    p.setColor(QPalette::Dark, QColor(0xb0, 0xb0, 0xb0));
    return p;
}

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
    void coloursReadOnADarkPalette();

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
    Clock::fixForTesting(
            QDateTime(QDate(2026, 3, 2), QTime(9, 0), Qt::UTC).toMSecsSinceEpoch());
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

// On a dark palette: the low-stock and out-of-stock tints of the Inventory with their text,
// the sign-in error and a page's error and success messages on their window, 4.5:1 or more.
void TestConsoleLists::coloursReadOnADarkPalette()
{
    QApplication::setPalette(darkPalette());
    Store s;
    setUp(s);
    Console console(s.server);
    MainWindow &window = console.window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.begin();
    LoginDialog *login = window.loginDialog();
    QTRY_VERIFY(login->isVisible());
    QStringList failures;
    auto checkLabel = [&](QLabel *label, const QString &what) {
        QVERIFY2(label, qPrintable(what));
        const QColor fg = sheetColour(label, QStringLiteral("color"),
                                      label->palette().color(label->foregroundRole()));
        const QColor bg = sheetColour(label, QStringLiteral("background"),
                                      label->window()->palette().color(QPalette::Window));
        const double ratio = contrast(fg, bg);
        if (ratio < 4.5)
            failures << QStringLiteral("%1: %2 on %3 is %4:1")
                                .arg(what, fg.name(), bg.name())
                                .arg(ratio, 0, 'f', 2);
    };
    type(login, QStringLiteral("Email"), QStringLiteral("owner@example.test"));
    type(login, QStringLiteral("Password"), QStringLiteral("wrong password"));
    click(login, QStringLiteral("Sign in"));
    auto *message = named<QLabel>(login, QStringLiteral("Sign in message"));
    QTRY_VERIFY(!message->text().isEmpty());
    checkLabel(message, QStringLiteral("sign-in error"));
    type(login, QStringLiteral("Password"), kPassword);
    click(login, QStringLiteral("Sign in"));
    QTRY_COMPARE(window.seller().email, QStringLiteral("owner@example.test"));
    window.resize(1024, 700);

    // The Inventory's tinted rows (the vase is low: 2 left, alert at 3; none left is red).
    window.showPage(QStringLiteral("Inventory"));
    QWidget *page = window.page(QStringLiteral("Inventory"));
    auto *view = named<QTableView>(page, QStringLiteral("Inventory list"));
    QVERIFY(view);
    page->metaObject()->invokeMethod(page, "refresh");
    QTRY_COMPARE(view->model()->rowCount(), 2);
    int tinted = 0;
    for (int r = 0; r < view->model()->rowCount(); ++r) {
        for (int c = 0; c < view->model()->columnCount(); ++c) {
            const QModelIndex i = view->model()->index(r, c);
            const QVariant bg = i.data(Qt::BackgroundRole);
            if (!bg.isValid())
                continue;
            ++tinted;
            const QVariant fgv = i.data(Qt::ForegroundRole);
            const QColor fg = fgv.isValid() ? fgv.value<QBrush>().color()
                                            : view->palette().color(QPalette::Text);
            const QColor back = bg.value<QBrush>().color();
            const double ratio = contrast(fg, back);
            if (ratio < 4.5)
                failures << QStringLiteral("Inventory row %1 (%2): %3 on %4 is %5:1")
                                    .arg(r)
                                    .arg(i.data().toString(), fg.name(), back.name())
                                    .arg(ratio, 0, 'f', 2);
        }
    }
    QVERIFY(tinted > 0);
    snap(&window, QStringLiteral("inventory-dark"));

    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(QLatin1Char('\n'))));
}

QTEST_MAIN(TestConsoleLists)
#include "tst_console_lists.moc"
