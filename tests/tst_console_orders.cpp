// The seller's console from paid to delivered, offscreen, driven by accessible names: an order
// shipped with tracking in parts, delivered, the seller's lines cancelled, a refund, the
// packing slip saved as PDF, the owner's Sellers page (approve, suspend, reinstate), the owner's
// shipping options, address, tax id and payment instructions in Settings, My account (name,
// picture, opt-in mails, password), Forgot password? at sign-in, and order numbers on the
// Refunds & Complaints and Notifications pages. Each flow checks the API's answer afterwards,
// since the console and the API call the same model services.

#include "support/consolefixture.h"
#include "support/testsupport.h"

#include "model/catalog.h"
#include "model/clock.h"
#include "model/sellers.h"
#include "model/shippingoptions.h"
#include "model/shop.h"
#include "model/storeprofile.h"
#include "ui/accountdialog.h"
#include "ui/logindialog.h"
#include "ui/mainwindow.h"
#include "ui/orderspage.h"
#include "ui/sellerspage.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPointer>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

const QString kPassword = QStringLiteral("correct horse battery");

// The visible dialog under `root` named `name`, or null.
QDialog *openDialog(QWidget *root, const QString &name)
{
    auto *d = named<QDialog>(root, name);
    return d && d->isVisible() ? d : nullptr;
}

// A spin box of an open dialog, set to `value`.
bool setQuantity(QWidget *dialog, const QString &name, int value)
{
    auto *spin = named<QSpinBox>(dialog, name);
    if (!spin)
        return false;
    spin->setFocus();
    spin->setValue(value);
    return spin->value() == value;
}

// The console at a given size, laid out.
void resizeTo(QWidget *window, int w, int h)
{
    window->resize(w, h);
    QCoreApplication::processEvents();
}

// `page` fits the console's page area at 1024×700: the window less the page list (210),
// the menu and status bars and margins.
bool fitsAt1024x700(QWidget *page)
{
    const QSize need = page->minimumSizeHint();
    return need.width() <= 1024 - 240 && need.height() <= 700 - 80;
}

// Every visible child of `root` lies inside it (nothing clipped off its right or bottom edge).
QStringList clipped(QWidget *root)
{
    QStringList out;
    const QRect area(QPoint(0, 0), root->size());
    const auto all = root->findChildren<QWidget *>();
    for (QWidget *w : all) {
        if (!w->isVisible() || w->accessibleName().isEmpty())
            continue;
        const QRect r(w->mapTo(root, QPoint(0, 0)), w->size());
        if (!area.contains(r))
            out.append(w->accessibleName());
    }
    return out;
}

} // namespace

class TestConsoleOrders : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void shipWithTrackingThenDeliver();
    void cancelMyLines();
    void refundSomeUnits();
    void packingSlipToPdf();
    void ownerApprovesSuspendsReinstates();
    void ownerShippingOptionsAndStoreDetails();
    void myAccountProfileMailsAndPassword();
    void forgotPasswordAtSignIn();
    void refundsComplaintsAndNotificationsShowNumbers();

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
    QWidget *openOrder(Console &console, const QString &orderId);
    Client as(TestServer &server, const QString &userId, const QString &role);
    QJsonObject customerOrder(Store &s, const QString &orderId);

    QTemporaryDir m_settingsDir;
};

void TestConsoleOrders::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_settingsDir.isValid());
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settingsDir.path());
}

void TestConsoleOrders::init()
{
    Clock::resetForTesting();
    QSettings(QStringLiteral("Mercato"), QStringLiteral("console")).clear();
}

// The owner (the first seller) sells lamps; the store ships with one option; a customer with
// an email.
void TestConsoleOrders::setUp(Store &s)
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
    NewProduct lamp;
    lamp.name = QStringLiteral("Brass lamp");
    lamp.description = QStringLiteral("Made by hand.");
    lamp.priceCents = 1250;
    lamp.stock = 20;
    lamp.lowStockThreshold = 1;
    auto p = shop.catalog().create(s.ownerId, lamp);
    QVERIFY2(p, qPrintable(p.error().detail));
    s.lamp = p->id;
    ShippingOption standard;
    standard.name = QStringLiteral("Standard parcel");
    standard.priceCents = 490;
    auto option = ShippingOptions::add(shop.database(), standard);
    QVERIFY2(option, qPrintable(option.error().detail));
    s.optionId = option->id;
}

// A paid order of `quantity` lamps shipped to Carla's address.
QString TestConsoleOrders::paidOrder(Store &s, int quantity)
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
    return order->id;
}

void TestConsoleOrders::start(Console &console, const QString &email)
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
}

QWidget *TestConsoleOrders::openOrder(Console &console, const QString &orderId)
{
    console.window.showPage(QStringLiteral("Orders"));
    QWidget *page = console.window.page(QStringLiteral("Orders"));
    auto *view = named<QTableView>(page, QStringLiteral("Order list"));
    if (!QTest::qWaitFor([&] { return rowOf(view, orderId) >= 0; }, 10000))
        return nullptr;
    if (!clickRow(view, orderId))
        return nullptr;
    return page;
}

Client TestConsoleOrders::as(TestServer &server, const QString &userId, const QString &role)
{
    Client c = server.client();
    c.setToken(server.shop().tokens().issueAccess(userId, role).token);
    return c;
}

QJsonObject TestConsoleOrders::customerOrder(Store &s, const QString &orderId)
{
    return as(s.server, s.customerId, QStringLiteral("customer"))
            .get(QStringLiteral("/api/v1/orders/") + orderId)
            .json();
}

// Ship… from the order view ships the chosen units with carrier and tracking: the order
// shows the shipment with its link, and the customer sees it through the API. Shipping more
// than is left (the last unit went out elsewhere meanwhile) is refused in a plain dialog and
// changes nothing. Mark delivered delivers the order.
void TestConsoleOrders::shipWithTrackingThenDeliver()
{
    Store s;
    setUp(s);
    const QString orderId = paidOrder(s, 4);
    const qint64 number = customerOrder(s, orderId).value(QStringLiteral("number")).toInteger();
    QVERIFY(number >= 1001);
    Console console(s.server);
    start(console, QStringLiteral("owner@example.test"));
    resizeTo(&console.window, 1024, 700);
    QWidget *page = openOrder(console, orderId);
    QVERIFY(page);
    auto *view = named<QTableView>(page, QStringLiteral("Order list"));
    QCOMPARE(view->model()->index(rowOf(view, orderId), 1).data().toString(),
             QStringLiteral("#%1").arg(number));
    auto *detail = named<QTextBrowser>(page, QStringLiteral("Order details"));
    QTRY_VERIFY(detail->toPlainText().contains(QStringLiteral("Order #%1").arg(number)));
    const QString text = detail->toPlainText();
    for (const QString &want :
         {QStringLiteral("Carla Customer"), QStringLiteral("carla@example.test"),
          QStringLiteral("+33 4 72 00 00 00"), QStringLiteral("12 Rue des Lilas"),
          QStringLiteral("69003 Lyon"), QStringLiteral("FR"),
          QStringLiteral("Standard parcel, 4.90 USD"), QStringLiteral("Brass lamp")})
        QVERIFY2(text.contains(want), qPrintable(want + QStringLiteral(" not in:\n") + text));
    QVERIFY(!text.contains(orderId)); // the number, not the hex id

    // Ship 2 of the 4 lamps with tracking.
    click(page, QStringLiteral("Ship order"));
    QDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = openDialog(page, QStringLiteral("Ship order dialog"))));
    QVERIFY(dialog->windowTitle().contains(QStringLiteral("#%1").arg(number)));
    auto *spin = named<QSpinBox>(dialog, QStringLiteral("Quantity to ship of Brass lamp"));
    QVERIFY(spin);
    QCOMPARE(spin->value(), 4); // every unshipped unit by default
    QCOMPARE(spin->maximum(), 4);
    // Carrier and tracking number are required, as in the API.
    click(dialog, QStringLiteral("Confirm shipment"));
    QVERIFY(dialog->isVisible());
    QVERIFY(named<QLabel>(dialog, QStringLiteral("Shipment problem"))
                    ->text()
                    .contains(QStringLiteral("carrier")));
    type(dialog, QStringLiteral("Carrier"), QStringLiteral("DHL"));
    QVERIFY(!named<QLabel>(dialog, QStringLiteral("Shipment problem"))->isVisible());
    type(dialog, QStringLiteral("Tracking number"), QStringLiteral("JD014600"));
    type(dialog, QStringLiteral("Tracking URL"), QStringLiteral("https://track.example/JD014600"));
    QVERIFY(setQuantity(dialog, QStringLiteral("Quantity to ship of Brass lamp"), 2));
    snap(dialog, QStringLiteral("ship-dialog"));
    click(dialog, QStringLiteral("Confirm shipment"));
    QTRY_VERIFY(!dialog->isVisible());

    // The customer sees the shipment through the API.
    QJsonObject o;
    QTRY_COMPARE((o = customerOrder(s, orderId)).value(QStringLiteral("status")).toString(),
                 QStringLiteral("partially_shipped"));
    const QJsonArray shipments = o.value(QStringLiteral("shipments")).toArray();
    QCOMPARE(shipments.size(), 1);
    const QJsonObject shipment = shipments.first().toObject();
    QCOMPARE(shipment.value(QStringLiteral("carrier")).toString(), QStringLiteral("DHL"));
    QCOMPARE(shipment.value(QStringLiteral("trackingNumber")).toString(),
             QStringLiteral("JD014600"));
    QCOMPARE(shipment.value(QStringLiteral("trackingUrl")).toString(),
             QStringLiteral("https://track.example/JD014600"));
    QCOMPARE(shipment.value(QStringLiteral("items"))
                     .toArray()
                     .first()
                     .toObject()
                     .value(QStringLiteral("quantity")),
             2);
    // The order view shows it, the tracking number a link.
    QTRY_VERIFY(detail->toPlainText().contains(QStringLiteral("DHL JD014600")));
    QVERIFY(detail->toHtml().contains(QStringLiteral("href=\"https://track.example/JD014600\"")));
    QVERIFY(detail->openExternalLinks());
    QVERIFY(detail->toPlainText().contains(QStringLiteral("Partly shipped")));
    snap(&console.window, QStringLiteral("order-view-1024x700"));
    resizeTo(&console.window, 1920, 1080);
    snap(&console.window, QStringLiteral("order-view-1920x1080"));
    resizeTo(&console.window, 1024, 700);

    // Ship… again offers the two units left; one ships elsewhere (the API) before Ship is
    // pressed: the service's 409 is shown in a plain dialog and nothing changes.
    click(page, QStringLiteral("Ship order"));
    QTRY_VERIFY((dialog = openDialog(page, QStringLiteral("Ship order dialog"))));
    QCOMPARE(named<QSpinBox>(dialog, QStringLiteral("Quantity to ship of Brass lamp"))->value(), 2);
    const Client seller = as(s.server, s.ownerId, QStringLiteral("seller"));
    const QString itemId = o.value(QStringLiteral("items"))
                                   .toArray()
                                   .first()
                                   .toObject()
                                   .value(QStringLiteral("id"))
                                   .toString();
    QCOMPARE(seller.post(QStringLiteral("/api/v1/seller/orders/") + orderId
                                 + QStringLiteral("/shipments"),
                         {{QStringLiteral("carrier"), QStringLiteral("UPS")},
                          {QStringLiteral("trackingNumber"), QStringLiteral("1Z999")},
                          {QStringLiteral("items"),
                           QJsonArray{QJsonObject{{QStringLiteral("orderItemId"), itemId},
                                                  {QStringLiteral("quantity"), 1}}}}})
                     .status,
             201);
    type(dialog, QStringLiteral("Carrier"), QStringLiteral("DHL"));
    type(dialog, QStringLiteral("Tracking number"), QStringLiteral("JD014601"));
    QSignalSpy changed(page, SIGNAL(changed(QString)));
    click(dialog, QStringLiteral("Confirm shipment"));
    QTRY_COMPARE(changed.size(), 1);
    QVERIFY(!changed.first().first().toString().isEmpty());
    QMessageBox *problem = nullptr;
    QTRY_VERIFY((problem = named<QMessageBox>(page, QStringLiteral("Problem")))
                && problem->isVisible());
    QVERIFY2(problem->text().contains(QStringLiteral("Brass lamp: 2 to ship, 1 not shipped yet")),
             qPrintable(problem->text()));
    problem->accept();
    o = customerOrder(s, orderId);
    QCOMPARE(o.value(QStringLiteral("shipments")).toArray().size(), 2); // the API's only
    QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("partially_shipped"));

    // The last unit from the console (once the view shows the API's shipment): shipped.
    QTRY_VERIFY(detail->toPlainText().contains(QStringLiteral("UPS 1Z999")));
    QTRY_VERIFY(named<QAbstractButton>(page, QStringLiteral("Ship order"))->isEnabled());
    click(page, QStringLiteral("Ship order"));
    QTRY_VERIFY((dialog = openDialog(page, QStringLiteral("Ship order dialog"))));
    QCOMPARE(named<QSpinBox>(dialog, QStringLiteral("Quantity to ship of Brass lamp"))->value(), 1);
    type(dialog, QStringLiteral("Carrier"), QStringLiteral("DHL"));
    type(dialog, QStringLiteral("Tracking number"), QStringLiteral("JD014602"));
    click(dialog, QStringLiteral("Confirm shipment"));
    QTRY_COMPARE(customerOrder(s, orderId).value(QStringLiteral("status")).toString(),
                 QStringLiteral("shipped"));

    // Mark delivered: every shipment arrived.
    QTRY_VERIFY(named<QAbstractButton>(page, QStringLiteral("Mark delivered"))->isEnabled());
    click(page, QStringLiteral("Mark delivered"));
    QTRY_COMPARE(customerOrder(s, orderId).value(QStringLiteral("status")).toString(),
                 QStringLiteral("delivered"));
}

// Cancel my lines… explains that the money goes back, asks for a reason, then cancels: the
// order is cancelled, refunded in full and the lamps are back in stock.
void TestConsoleOrders::cancelMyLines()
{
    Store s;
    setUp(s);
    const QString orderId = paidOrder(s, 2);
    Console console(s.server);
    start(console, QStringLiteral("owner@example.test"));
    QWidget *page = openOrder(console, orderId);
    QVERIFY(page);
    QTRY_VERIFY(named<QAbstractButton>(page, QStringLiteral("Cancel my lines"))->isEnabled());
    click(page, QStringLiteral("Cancel my lines"));
    QDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = openDialog(page, QStringLiteral("Cancel my lines dialog"))));
    const QString said = named<QLabel>(dialog, QStringLiteral("What cancelling does"))->text();
    QVERIFY2(said.contains(QStringLiteral("money back")), qPrintable(said));
    QVERIFY(!named<QAbstractButton>(dialog, QStringLiteral("Confirm cancel"))->isEnabled());
    // Keeping the order changes nothing.
    click(dialog, QStringLiteral("Keep the order"));
    QTRY_VERIFY(!dialog->isVisible());
    QCOMPARE(customerOrder(s, orderId).value(QStringLiteral("status")).toString(),
             QStringLiteral("paid"));
    click(page, QStringLiteral("Cancel my lines"));
    QTRY_VERIFY((dialog = openDialog(page, QStringLiteral("Cancel my lines dialog"))));
    type(dialog, QStringLiteral("Cancel reason"), QStringLiteral("The lamp broke in the shop"));
    click(dialog, QStringLiteral("Confirm cancel"));
    QJsonObject o;
    QTRY_COMPARE((o = customerOrder(s, orderId)).value(QStringLiteral("status")).toString(),
                 QStringLiteral("cancelled"));
    const QJsonArray refunds = o.value(QStringLiteral("refunds")).toArray();
    QCOMPARE(refunds.size(), 1);
    qint64 back = 0;
    for (const QJsonValue &r : refunds)
        back += r.toObject().value(QStringLiteral("amountCents")).toInteger();
    QCOMPARE(back, o.value(QStringLiteral("totalCents")).toInteger()); // shipping included
    auto product = s.server.shop().catalog().get(s.lamp);
    QVERIFY(product);
    QCOMPARE(product->stock, 20);
    // A cancelled order leaves the open list; "All orders" shows it with the refund.
    auto *view = named<QTableView>(page, QStringLiteral("Order list"));
    QTRY_COMPARE(rowOf(view, orderId), -1);
    named<QComboBox>(page, QStringLiteral("Order status filter"))->setCurrentIndex(1);
    QTRY_VERIFY(rowOf(view, orderId) >= 0);
    QVERIFY(clickRow(view, orderId));
    auto *detail = named<QTextBrowser>(page, QStringLiteral("Order details"));
    QTRY_VERIFY(detail->toPlainText().contains(QStringLiteral("The lamp broke in the shop")));
    QVERIFY(detail->toPlainText().contains(QStringLiteral("Cancelled")));
}

// Refund… refunds the chosen units with a reason, restocked when asked.
void TestConsoleOrders::refundSomeUnits()
{
    Store s;
    setUp(s);
    const QString orderId = paidOrder(s, 3);
    Console console(s.server);
    start(console, QStringLiteral("owner@example.test"));
    QWidget *page = openOrder(console, orderId);
    QVERIFY(page);
    QTRY_VERIFY(named<QAbstractButton>(page, QStringLiteral("Refund order"))->isEnabled());
    click(page, QStringLiteral("Refund order"));
    QDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = openDialog(page, QStringLiteral("Refund dialog"))));
    QVERIFY(!named<QAbstractButton>(dialog, QStringLiteral("Confirm refund"))->isEnabled());
    QVERIFY(setQuantity(dialog, QStringLiteral("Quantity to refund of Brass lamp"), 1));
    type(dialog, QStringLiteral("Refund reason"), QStringLiteral("Scratched"));
    QTest::mouseClick(named<QCheckBox>(dialog, QStringLiteral("Restock")), Qt::LeftButton);
    QVERIFY(named<QCheckBox>(dialog, QStringLiteral("Restock"))->isChecked());
    click(dialog, QStringLiteral("Confirm refund"));
    QJsonObject o;
    QTRY_COMPARE((o = customerOrder(s, orderId)).value(QStringLiteral("refunds")).toArray().size(),
                 1);
    const QJsonObject refund = o.value(QStringLiteral("refunds")).toArray().first().toObject();
    QCOMPARE(refund.value(QStringLiteral("amountCents")).toInteger(), 1250);
    QCOMPARE(refund.value(QStringLiteral("reason")).toString(), QStringLiteral("Scratched"));
    QCOMPARE(refund.value(QStringLiteral("restock")).toBool(), true);
    QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("paid"));
    QCOMPARE(s.server.shop().catalog().get(s.lamp)->stock, 18);
    auto *detail = named<QTextBrowser>(page, QStringLiteral("Order details"));
    QTRY_VERIFY(detail->toPlainText().contains(QStringLiteral("1 refunded")));
    QVERIFY(detail->toPlainText().contains(QStringLiteral("12.50 USD")));
    // Ship… now offers the two units left.
    click(page, QStringLiteral("Ship order"));
    QTRY_VERIFY((dialog = openDialog(page, QStringLiteral("Ship order dialog"))));
    QCOMPARE(named<QSpinBox>(dialog, QStringLiteral("Quantity to ship of Brass lamp"))->value(), 2);
    dialog->reject();
}

// Print packing slip… shows the API's packing slip; Save as PDF writes it through QPrinter.
void TestConsoleOrders::packingSlipToPdf()
{
    Store s;
    setUp(s);
    const QString orderId = paidOrder(s, 2);
    const qint64 number = customerOrder(s, orderId).value(QStringLiteral("number")).toInteger();
    Console console(s.server);
    start(console, QStringLiteral("owner@example.test"));
    QWidget *page = openOrder(console, orderId);
    QVERIFY(page);
    QTRY_VERIFY(named<QAbstractButton>(page, QStringLiteral("Print packing slip"))->isEnabled());
    click(page, QStringLiteral("Print packing slip"));
    QDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = openDialog(page, QStringLiteral("Packing slip dialog"))));
    auto *orders = qobject_cast<OrdersPage *>(page);
    QVERIFY(orders);
    // The same page as the API's packing slip.
    const QByteArray api = as(s.server, s.ownerId, QStringLiteral("seller"))
                                   .get(QStringLiteral("/api/v1/seller/orders/") + orderId
                                        + QStringLiteral("/packing-slip"))
                                   .body;
    QCOMPARE(orders->packingSlipHtml(), QString::fromUtf8(api));
    const QString preview
            = named<QTextBrowser>(dialog, QStringLiteral("Packing slip preview"))->toPlainText();
    for (const QString &want :
         {QStringLiteral("#%1").arg(number), QStringLiteral("12 Rue des Lilas"),
          QStringLiteral("69003 Lyon"), QStringLiteral("Brass lamp")})
        QVERIFY2(preview.contains(want), qPrintable(want + QStringLiteral(" not in:\n") + preview));

    QTemporaryDir folder;
    QVERIFY(folder.isValid());
    QSignalSpy saved(orders, &OrdersPage::packingSlipSaved);
    click(dialog, QStringLiteral("Save as PDF"));
    QFileDialog *files = nullptr;
    QTRY_VERIFY((files = named<QFileDialog>(dialog, QStringLiteral("Packing slip PDF file")))
                && files->isVisible());
    files->setDirectory(folder.path());
    auto *edit = files->findChild<QLineEdit *>(QStringLiteral("fileNameEdit"));
    QVERIFY2(edit, "the file dialog is not the widget-based one");
    QVERIFY2(edit->text().endsWith(QLatin1String(".pdf")), qPrintable(edit->text()));
    edit->setFocus();
    edit->selectAll();
    QTest::keyClicks(edit, QStringLiteral("slip.pdf"));
    QAbstractButton *save = files->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Save);
    QTRY_VERIFY(save->isEnabled());
    QTest::mouseClick(save, Qt::LeftButton);
    QTRY_COMPARE(saved.size(), 1);
    const QString path = folder.filePath(QStringLiteral("slip.pdf"));
    QCOMPARE(saved.first().at(0).toString(), path);
    QCOMPARE(saved.first().at(1).toString(), QString());
    QFile pdf(path);
    QVERIFY(pdf.open(QIODevice::ReadOnly));
    const QByteArray bytes = pdf.readAll();
    QVERIFY(bytes.startsWith("%PDF-"));
    QVERIFY2(bytes.size() > 2000, qPrintable(QString::number(bytes.size())));
    // The PDF's text, where poppler's pdftotext is installed.
    const QString pdftotext = QStandardPaths::findExecutable(QStringLiteral("pdftotext"));
    if (!pdftotext.isEmpty()) {
        QProcess p;
        p.start(pdftotext, {path, QStringLiteral("-")});
        QVERIFY(p.waitForFinished(30000));
        const QString text = QString::fromUtf8(p.readAllStandardOutput());
        for (const QString &want :
             {QStringLiteral("12 Rue des Lilas"), QStringLiteral("Brass lamp"),
              QStringLiteral("#%1").arg(number)})
            QVERIFY2(text.contains(want), qPrintable(want + QStringLiteral(" not in:\n") + text));
    }
    snap(dialog, QStringLiteral("packing-slip-dialog"));
    click(dialog, QStringLiteral("Close"));
    QTRY_VERIFY(!dialog->isVisible());
}

// The owner's Sellers page: pending sellers first; Approve, Suspend and Reinstate enabled by
// state and acting through the owner services (the API sees each change); the owner cannot
// suspend itself; another seller does not see the page.
void TestConsoleOrders::ownerApprovesSuspendsReinstates()
{
    Store s;
    setUp(s);
    Shop &shop = s.server.shop();
    auto bea = shop.accounts().registerAccount({QStringLiteral("bea@example.test"), kPassword,
                                                QStringLiteral("Bea Baker"),
                                                QStringLiteral("seller")});
    QVERIFY(bea);
    auto zed = shop.accounts().registerAccount({QStringLiteral("zed@example.test"), kPassword,
                                                QStringLiteral("Zed Potter"),
                                                QStringLiteral("seller")});
    QVERIFY(zed);
    QVERIFY(execSql(shop.database().connection(),
                    QStringLiteral("UPDATE users SET status = 'pending' WHERE id = ?"),
                    {zed->user.id}));
    Console console(s.server);
    start(console, QStringLiteral("owner@example.test"));
    MainWindow &window = console.window;
    resizeTo(&window, 1024, 700);
    auto *pages = named<QListWidget>(&window, QStringLiteral("Pages"));
    const int row = int(MainWindow::pageNames().indexOf(QStringLiteral("Sellers")));
    QTRY_VERIFY(!pages->item(row)->isHidden());
    QTest::mouseClick(pages->viewport(), Qt::LeftButton, {},
                      pages->visualItemRect(pages->item(row)).center());
    QCOMPARE(window.currentPage(), QStringLiteral("Sellers"));
    QWidget *page = window.page(QStringLiteral("Sellers"));
    auto *view = named<QTableView>(page, QStringLiteral("Seller list"));
    QTRY_COMPARE(view->model()->rowCount(), 3);
    QCOMPARE(rowOf(view, zed->user.id), 0); // pending first
    QCOMPARE(view->model()->index(0, 2).data().toString(), QStringLiteral("Waiting for approval"));
    QVERIFY(fitsAt1024x700(page));
    QVERIFY(fitsAt1024x700(window.page(QStringLiteral("Orders"))));
    snap(&window, QStringLiteral("sellers-1024x700"));
    QVERIFY2(clipped(page).isEmpty(), qPrintable(clipped(page).join(QStringLiteral(", "))));
    resizeTo(&window, 1920, 1080);
    snap(&window, QStringLiteral("sellers-1920x1080"));
    resizeTo(&window, 1024, 700);

    auto status = [&](const QString &id) {
        return Sellers::get(shop.database().connection(), id)->status;
    };
    auto *approve = named<QAbstractButton>(page, QStringLiteral("Approve seller"));
    auto *suspend = named<QAbstractButton>(page, QStringLiteral("Suspend seller"));
    auto *reinstate = named<QAbstractButton>(page, QStringLiteral("Reinstate seller"));
    // The owner: nothing to approve or reinstate, and it cannot suspend itself.
    QVERIFY(clickRow(view, s.ownerId));
    QVERIFY(!approve->isEnabled() && !suspend->isEnabled() && !reinstate->isEnabled());
    // The pending seller: approve.
    QVERIFY(clickRow(view, zed->user.id));
    QVERIFY(approve->isEnabled() && !reinstate->isEnabled());
    click(page, QStringLiteral("Approve seller"));
    QTRY_COMPARE(status(zed->user.id), QStringLiteral("active"));
    QTRY_COMPARE(view->model()->index(rowOf(view, zed->user.id), 2).data().toString(),
                 QStringLiteral("Active"));
    QCOMPARE(s.server.client()
                     .post(QStringLiteral("/api/v1/auth/login"),
                           {{QStringLiteral("email"), QStringLiteral("zed@example.test")},
                            {QStringLiteral("password"), kPassword}})
                     .status,
             200);
    // Suspend Bea: she cannot sign in; reinstate: she can.
    QVERIFY(clickRow(view, bea->user.id));
    QTRY_VERIFY(suspend->isEnabled());
    QVERIFY(!approve->isEnabled() && !reinstate->isEnabled());
    click(page, QStringLiteral("Suspend seller"));
    QTRY_COMPARE(status(bea->user.id), QStringLiteral("suspended"));
    QCOMPARE(s.server.client()
                     .post(QStringLiteral("/api/v1/auth/login"),
                           {{QStringLiteral("email"), QStringLiteral("bea@example.test")},
                            {QStringLiteral("password"), kPassword}})
                     .status,
             403);
    QTRY_VERIFY(reinstate->isEnabled());
    QVERIFY(!suspend->isEnabled());
    click(page, QStringLiteral("Reinstate seller"));
    QTRY_COMPARE(status(bea->user.id), QStringLiteral("active"));
    QCOMPARE(s.server.client()
                     .post(QStringLiteral("/api/v1/auth/login"),
                           {{QStringLiteral("email"), QStringLiteral("bea@example.test")},
                            {QStringLiteral("password"), kPassword}})
                     .status,
             200);

    // Another seller does not see the page.
    window.lock();
    LoginDialog *login = window.loginDialog();
    QTRY_VERIFY(login->isVisible());
    type(login, QStringLiteral("Email"), QStringLiteral("bea@example.test"));
    type(login, QStringLiteral("Password"), kPassword);
    click(login, QStringLiteral("Sign in"));
    QTRY_COMPARE(window.seller().email, QStringLiteral("bea@example.test"));
    QTRY_VERIFY(pages->item(row)->isHidden());
    QVERIFY(window.currentPage() != QStringLiteral("Sellers"));
}

namespace {

// The open plain dialog named "Problem" under `root`, or null.
QMessageBox *problemBox(QWidget *root)
{
    const auto boxes = root->findChildren<QMessageBox *>();
    for (QMessageBox *b : boxes) {
        if (b->accessibleName() == QLatin1String("Problem") && b->isVisible())
            return b;
    }
    return nullptr;
}

// Clicks a check box on its box (the middle of a wide one is outside what it takes clicks on).
void tick(QCheckBox *box)
{
    QTest::mouseClick(box, Qt::LeftButton, {}, QPoint(8, box->height() / 2));
}

// The shipping option named `name` as GET /shipping-options answers it (empty: none).
QJsonObject apiOption(TestServer &server, const QString &name)
{
    const QJsonArray items = server.client()
                                     .get(QStringLiteral("/api/v1/shipping-options"))
                                     .json()
                                     .value(QStringLiteral("items"))
                                     .toArray();
    for (const QJsonValue &v : items) {
        if (v.toObject().value(QStringLiteral("name")).toString() == name)
            return v.toObject();
    }
    return {};
}

int apiOptionCount(TestServer &server)
{
    return int(server.client()
                       .get(QStringLiteral("/api/v1/shipping-options"))
                       .json()
                       .value(QStringLiteral("items"))
                       .toArray()
                       .size());
}

// Picks `path` in the open file dialog `files` and presses its accept button.
void pickFile(QFileDialog *files, const QString &path)
{
    files->setDirectory(QFileInfo(path).absolutePath());
    auto *edit = files->findChild<QLineEdit *>(QStringLiteral("fileNameEdit"));
    QVERIFY2(edit, "the file dialog is not the widget-based one");
    edit->setFocus();
    edit->selectAll();
    QTest::keyClicks(edit, QFileInfo(path).fileName());
    QAbstractButton *open = files->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Open);
    QVERIFY(open);
    QTRY_VERIFY(open->isEnabled());
    QTest::mouseClick(open, Qt::LeftButton);
}

} // namespace

// Settings for the owner: the shipping options listed, added, edited and deleted through the
// same service as /owner/shipping-options (a bad value gets a plain dialog naming the field and
// nothing changes); the store's address, tax id and payment instructions as PATCH /owner/store
// saves them. The page scrolls to fit 1024×700. Another seller sees none of it.
void TestConsoleOrders::ownerShippingOptionsAndStoreDetails()
{
    Store s;
    setUp(s);
    Shop &shop = s.server.shop();
    auto bea = shop.accounts().registerAccount({QStringLiteral("bea@example.test"), kPassword,
                                                QStringLiteral("Bea Baker"),
                                                QStringLiteral("seller")});
    QVERIFY(bea);
    Console console(s.server);
    start(console, QStringLiteral("owner@example.test"));
    MainWindow &window = console.window;
    resizeTo(&window, 1024, 700);
    window.showPage(QStringLiteral("Settings"));
    QWidget *page = window.page(QStringLiteral("Settings"));
    auto *view = named<QTableView>(page, QStringLiteral("Shipping option list"));
    QVERIFY(view);
    QTRY_VERIFY(rowOf(view, s.optionId) >= 0);
    QCOMPARE(view->model()->index(rowOf(view, s.optionId), 1).data().toString(),
             QStringLiteral("4.90 USD"));
    QCOMPARE(view->model()->index(rowOf(view, s.optionId), 3).data().toString(),
             QStringLiteral("everywhere"));
    QVERIFY(named<QScrollArea>(page, QStringLiteral("Settings area")));
    QVERIFY(fitsAt1024x700(page));
    snap(&window, QStringLiteral("settings-owner-1024x700"));
    resizeTo(&window, 1920, 1080);
    snap(&window, QStringLiteral("settings-owner-1920x1080"));
    resizeTo(&window, 1024, 700);

    // Add: every field, as the API reads them back.
    click(page, QStringLiteral("Add shipping option"));
    QPointer<QDialog> dialog;
    QTRY_VERIFY((dialog = openDialog(page, QStringLiteral("Shipping option dialog"))));
    type(dialog, QStringLiteral("Option name"), QStringLiteral("Express"));
    type(dialog, QStringLiteral("Option price"), QStringLiteral("12.50"));
    type(dialog, QStringLiteral("Free over"), QStringLiteral("100"));
    type(dialog, QStringLiteral("Ships to countries"), QStringLiteral("fr, de"));
    type(dialog, QStringLiteral("Fewest days"), QStringLiteral("1"));
    type(dialog, QStringLiteral("Most days"), QStringLiteral("2"));
    snap(dialog, QStringLiteral("shipping-option-dialog"));
    click(dialog, QStringLiteral("Save shipping option"));
    QTRY_VERIFY(!dialog || !dialog->isVisible());
    QJsonObject express;
    QTRY_VERIFY(!(express = apiOption(s.server, QStringLiteral("Express"))).isEmpty());
    QCOMPARE(express.value(QStringLiteral("priceCents")).toInteger(), 1250);
    QCOMPARE(express.value(QStringLiteral("freeOverCents")).toInteger(), 10000);
    QCOMPARE(express.value(QStringLiteral("countries")).toArray(),
             (QJsonArray{QStringLiteral("DE"), QStringLiteral("FR")}));
    QCOMPARE(express.value(QStringLiteral("estimatedDays")).toObject(),
             (QJsonObject{{QStringLiteral("min"), 1}, {QStringLiteral("max"), 2}}));
    const QString expressId = express.value(QStringLiteral("id")).toString();
    QTRY_VERIFY(rowOf(view, expressId) >= 0);

    // Bad input: a plain dialog naming the field, the option dialog stays, nothing is added.
    click(page, QStringLiteral("Add shipping option"));
    QTRY_VERIFY((dialog = openDialog(page, QStringLiteral("Shipping option dialog"))));
    type(dialog, QStringLiteral("Option name"), QStringLiteral("Pigeon"));
    type(dialog, QStringLiteral("Option price"), QStringLiteral("cheap"));
    click(dialog, QStringLiteral("Save shipping option"));
    QMessageBox *problem = nullptr;
    QTRY_VERIFY((problem = problemBox(page)));
    QVERIFY2(problem->text().startsWith(QLatin1String("Price:")), qPrintable(problem->text()));
    problem->accept();
    QTRY_VERIFY(!problemBox(page));
    QVERIFY(dialog->isVisible());
    type(dialog, QStringLiteral("Option price"), QStringLiteral("3"));
    type(dialog, QStringLiteral("Ships to countries"), QStringLiteral("FR, ZZ"));
    click(dialog, QStringLiteral("Save shipping option"));
    QTRY_VERIFY((problem = problemBox(page)));
    QVERIFY2(problem->text().startsWith(QLatin1String("Ships to:")), qPrintable(problem->text()));
    problem->accept();
    type(dialog, QStringLiteral("Ships to countries"), QString());
    type(dialog, QStringLiteral("Fewest days"), QStringLiteral("5"));
    type(dialog, QStringLiteral("Most days"), QStringLiteral("2"));
    click(dialog, QStringLiteral("Save shipping option"));
    QTRY_VERIFY((problem = problemBox(page)));
    QVERIFY2(problem->text().startsWith(QLatin1String("Estimated days:")),
             qPrintable(problem->text()));
    problem->accept();
    QCOMPARE(apiOptionCount(s.server), 2);
    click(dialog, QStringLiteral("Cancel shipping option"));
    QTRY_VERIFY(!dialog || !dialog->isVisible());
    QCOMPARE(apiOptionCount(s.server), 2);

    // Edit: the dialog shows the option; a new price is what the API answers.
    QVERIFY(clickRow(view, s.optionId));
    click(page, QStringLiteral("Edit shipping option"));
    QTRY_VERIFY((dialog = openDialog(page, QStringLiteral("Shipping option dialog"))));
    QCOMPARE(named<QLineEdit>(dialog, QStringLiteral("Option name"))->text(),
             QStringLiteral("Standard parcel"));
    QCOMPARE(named<QLineEdit>(dialog, QStringLiteral("Option price"))->text(),
             QStringLiteral("4.90"));
    type(dialog, QStringLiteral("Option price"), QStringLiteral("5.90"));
    click(dialog, QStringLiteral("Save shipping option"));
    QTRY_VERIFY(!dialog || !dialog->isVisible());
    QTRY_COMPARE(apiOption(s.server, QStringLiteral("Standard parcel"))
                         .value(QStringLiteral("priceCents"))
                         .toInteger(),
                 590);
    QTRY_COMPARE(view->model()->index(rowOf(view, s.optionId), 1).data().toString(),
                 QStringLiteral("5.90 USD"));

    // Delete asks first.
    QVERIFY(clickRow(view, expressId));
    click(page, QStringLiteral("Delete shipping option"));
    QMessageBox *confirm = nullptr;
    QTRY_VERIFY((confirm = named<QMessageBox>(page, QStringLiteral("Delete shipping option?")))
                && confirm->isVisible());
    click(confirm, QStringLiteral("Confirm delete shipping option"));
    QTRY_VERIFY(apiOption(s.server, QStringLiteral("Express")).isEmpty());
    QTRY_COMPARE(rowOf(view, expressId), -1);

    // The address, tax id and payment instructions: a missing postal code is named in a plain
    // dialog and nothing is saved; then all of it is.
    type(page, QStringLiteral("Address name"), QStringLiteral("Olga's Lamps"));
    type(page, QStringLiteral("Address line 1"), QStringLiteral("3 Quai Rambaud"));
    type(page, QStringLiteral("City"), QStringLiteral("Lyon"));
    type(page, QStringLiteral("Country"), QStringLiteral("fr"));
    type(page, QStringLiteral("Tax ID"), QStringLiteral("FR40123456789"));
    auto *instructions = named<QPlainTextEdit>(page, QStringLiteral("Payment instructions"));
    QVERIFY(instructions);
    instructions->setFocus();
    QTest::keyClicks(instructions, QStringLiteral("IBAN FR76 3000 6000 0112 3456 7890 189"));
    click(page, QStringLiteral("Save address and payment"));
    QTRY_VERIFY((problem = problemBox(page)));
    QVERIFY2(problem->text().startsWith(QLatin1String("Postal code:")),
             qPrintable(problem->text()));
    problem->accept();
    QVERIFY(s.server.client()
                    .get(QStringLiteral("/api/v1/store"))
                    .json()
                    .value(QStringLiteral("address"))
                    .isNull());
    QVERIFY(StoreProfiles::load(shop.database().connection())->taxId.isEmpty());
    type(page, QStringLiteral("Postal code"), QStringLiteral("69002"));
    click(page, QStringLiteral("Save address and payment"));
    QTRY_COMPARE(s.server.client()
                         .get(QStringLiteral("/api/v1/store"))
                         .json()
                         .value(QStringLiteral("address"))
                         .toObject()
                         .value(QStringLiteral("postalCode"))
                         .toString(),
                 QStringLiteral("69002"));
    const QJsonObject store = s.server.client().get(QStringLiteral("/api/v1/store")).json();
    QCOMPARE(store.value(QStringLiteral("address")).toObject().value(QStringLiteral("country")),
             QStringLiteral("FR"));
    QCOMPARE(store.value(QStringLiteral("taxId")).toString(), QStringLiteral("FR40123456789"));
    QCOMPARE(StoreProfiles::load(shop.database().connection())->paymentInstructions,
             QStringLiteral("IBAN FR76 3000 6000 0112 3456 7890 189"));
    // The page scrolls up and down only: nothing is cut off on the right at 1024 wide.
    QStringList cut;
    const auto all = page->findChildren<QWidget *>();
    for (QWidget *w : all) {
        if (w->isVisible() && !w->accessibleName().isEmpty()
            && w->mapTo(page, QPoint(w->width(), 0)).x() > page->width())
            cut.append(w->accessibleName());
    }
    QVERIFY2(cut.isEmpty(), qPrintable(cut.join(QStringLiteral(", "))));

    // Another seller: the owner's part is not there, a note says whose it is.
    window.lock();
    LoginDialog *login = window.loginDialog();
    QTRY_VERIFY(login->isVisible());
    type(login, QStringLiteral("Email"), QStringLiteral("bea@example.test"));
    type(login, QStringLiteral("Password"), kPassword);
    click(login, QStringLiteral("Sign in"));
    QTRY_COMPARE(window.seller().email, QStringLiteral("bea@example.test"));
    window.showPage(QStringLiteral("Settings"));
    QTRY_VERIFY(named<QLabel>(page, QStringLiteral("Owner settings note"))->isVisible());
    QVERIFY(!named<QAbstractButton>(page, QStringLiteral("Add shipping option"))->isVisible());
    QVERIFY(!named<QLineEdit>(page, QStringLiteral("Tax ID"))->isVisible());
    snap(&window, QStringLiteral("settings-seller-1024x700"));
}

// My account from the Shop menu: the display name and both opt-in mails saved as PATCH /me
// would (GET /me shows them), a bad name refused in a plain dialog, a profile picture through
// the image store (avatarUrl), and the password changed only with the right current one and a
// new one the policy accepts.
void TestConsoleOrders::myAccountProfileMailsAndPassword()
{
    Store s;
    setUp(s);
    Console console(s.server);
    start(console, QStringLiteral("owner@example.test"));
    MainWindow &window = console.window;
    const Client owner = as(s.server, s.ownerId, QStringLiteral("seller"));
    chooseFromMenu(&window, QStringLiteral("Shop"), QStringLiteral("My account…"));
    AccountDialog *dialog = window.accountDialog();
    QTRY_VERIFY(dialog->isVisible());
    QTRY_VERIFY(named<QAbstractButton>(dialog, QStringLiteral("Save profile"))->isEnabled());
    QCOMPARE(named<QLineEdit>(dialog, QStringLiteral("Display name"))->text(),
             QStringLiteral("Olga Owner"));
    auto *onSale = named<QCheckBox>(dialog, QStringLiteral("Mail me for each sale"));
    auto *onLow = named<QCheckBox>(dialog, QStringLiteral("Mail me when a product runs low"));
    QVERIFY(onSale && onLow);
    QVERIFY(!onSale->isChecked() && !onLow->isChecked());

    // A name the accounts service refuses: a plain dialog, nothing saved.
    type(dialog, QStringLiteral("Display name"), QString());
    tick(onSale);
    click(dialog, QStringLiteral("Save profile"));
    QMessageBox *problem = nullptr;
    QTRY_VERIFY((problem = problemBox(dialog)));
    QVERIFY2(problem->text().startsWith(QLatin1String("Display name:")),
             qPrintable(problem->text()));
    problem->accept();
    QJsonObject me = owner.get(QStringLiteral("/api/v1/me")).json();
    QCOMPARE(me.value(QStringLiteral("displayName")).toString(), QStringLiteral("Olga Owner"));
    QCOMPARE(me.value(QStringLiteral("mailOnSale")), QJsonValue(false));

    type(dialog, QStringLiteral("Display name"), QStringLiteral("Olga of the Lamps"));
    tick(onLow);
    QVERIFY(onSale->isChecked() && onLow->isChecked());
    click(dialog, QStringLiteral("Save profile"));
    QTRY_COMPARE(named<QLabel>(dialog, QStringLiteral("Account message"))->text(),
                 QStringLiteral("Profile saved."));
    me = owner.get(QStringLiteral("/api/v1/me")).json();
    QCOMPARE(me.value(QStringLiteral("displayName")).toString(),
             QStringLiteral("Olga of the Lamps"));
    QCOMPARE(me.value(QStringLiteral("mailOnSale")), QJsonValue(true));
    QCOMPARE(me.value(QStringLiteral("mailOnLowStock")), QJsonValue(true));
    QCOMPARE(named<QLabel>(&window, QStringLiteral("Signed-in seller"))->text(),
             QStringLiteral("Signed in: Olga of the Lamps"));

    // A profile picture from a file.
    QTemporaryDir folder;
    QVERIFY(folder.isValid());
    QImage picture(96, 96, QImage::Format_RGB32);
    picture.fill(QColor(0x2e, 0x7d, 0x32));
    const QString path = folder.filePath(QStringLiteral("me.png"));
    QVERIFY(picture.save(path));
    click(dialog, QStringLiteral("Choose profile picture"));
    QFileDialog *files = nullptr;
    QTRY_VERIFY((files = named<QFileDialog>(dialog, QStringLiteral("Profile picture file")))
                && files->isVisible());
    pickFile(files, path);
    QTRY_COMPARE(named<QLabel>(dialog, QStringLiteral("Account message"))->text(),
                 QStringLiteral("Profile picture saved."));
    QVERIFY(!owner.get(QStringLiteral("/api/v1/me"))
                     .json()
                     .value(QStringLiteral("avatarUrl"))
                     .toString()
                     .isEmpty());
    QVERIFY(named<QAbstractButton>(dialog, QStringLiteral("Remove profile picture"))->isEnabled());
    snap(dialog, QStringLiteral("my-account"));

    // The password: a wrong current one, then a new one too short, then right.
    const QString next = QStringLiteral("a lamp for every window");
    type(dialog, QStringLiteral("Current password"), QStringLiteral("not my password"));
    type(dialog, QStringLiteral("New password"), next);
    type(dialog, QStringLiteral("Repeat new password"), next);
    click(dialog, QStringLiteral("Change password"));
    QTRY_VERIFY((problem = problemBox(dialog)));
    QVERIFY2(problem->text().startsWith(QLatin1String("Current password:")),
             qPrintable(problem->text()));
    problem->accept();
    QTRY_VERIFY(named<QAbstractButton>(dialog, QStringLiteral("Change password"))->isEnabled());
    type(dialog, QStringLiteral("Current password"), kPassword);
    type(dialog, QStringLiteral("New password"), QStringLiteral("short"));
    type(dialog, QStringLiteral("Repeat new password"), QStringLiteral("short"));
    click(dialog, QStringLiteral("Change password"));
    QTRY_VERIFY((problem = problemBox(dialog)));
    QVERIFY2(problem->text().startsWith(QLatin1String("New password:")),
             qPrintable(problem->text()));
    problem->accept();
    auto login = [&](const QString &password) {
        return s.server.client()
                .post(QStringLiteral("/api/v1/auth/login"),
                      {{QStringLiteral("email"), QStringLiteral("owner@example.test")},
                       {QStringLiteral("password"), password}})
                .status;
    };
    QCOMPARE(login(kPassword), 200);
    QTRY_VERIFY(named<QAbstractButton>(dialog, QStringLiteral("Change password"))->isEnabled());
    type(dialog, QStringLiteral("Current password"), kPassword);
    type(dialog, QStringLiteral("New password"), next);
    type(dialog, QStringLiteral("Repeat new password"), next);
    click(dialog, QStringLiteral("Change password"));
    QTRY_VERIFY(named<QLabel>(dialog, QStringLiteral("Account message"))
                        ->text()
                        .startsWith(QLatin1String("Password changed.")));
    QCOMPARE(login(next), 200);
    QCOMPARE(login(kPassword), 401);
    click(dialog, QStringLiteral("Close my account"));
    QTRY_VERIFY(!dialog->isVisible());
}

// Forgot password? at sign-in: the reset mail goes out as POST /auth/forgot-password sends it;
// a wrong code is refused in plain words; the code from the mail with a new password works, and
// the seller signs in with it.
void TestConsoleOrders::forgotPasswordAtSignIn()
{
    Store s;
    setUp(s);
    Console console(s.server);
    MainWindow &window = console.window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.begin();
    LoginDialog *login = window.loginDialog();
    QTRY_VERIFY(login->isVisible());
    click(login, QStringLiteral("Forgot password"));
    QTRY_VERIFY(named<QLineEdit>(login, QStringLiteral("Reset email"))->isVisible());
    QVERIFY(!named<QLineEdit>(login, QStringLiteral("Password"))->isVisible());
    const QDir outbox(s.server.dataDir() + QStringLiteral("/outbox"));
    auto mailCount = [&] {
        return outbox.entryList({QStringLiteral("*.eml")}, QDir::Files).size();
    };
    const qsizetype before = mailCount();

    // An unknown address gets the same words and no mail.
    type(login, QStringLiteral("Reset email"), QStringLiteral("nobody@example.test"));
    click(login, QStringLiteral("Send reset mail"));
    auto *said = named<QLabel>(login, QStringLiteral("Reset message"));
    QVERIFY2(said->text().contains(QLatin1String("on its way")), qPrintable(said->text()));
    type(login, QStringLiteral("Reset email"), QStringLiteral("owner@example.test"));
    click(login, QStringLiteral("Send reset mail"));
    QVERIFY2(said->text().contains(QLatin1String("on its way")), qPrintable(said->text()));
    QVERIFY(s.server.shop().passwordResets().waitUntilIdle(10000));
    QTRY_COMPARE_WITH_TIMEOUT(mailCount(), before + 1, 15000);
    QString token;
    for (const QString &name : outbox.entryList({QStringLiteral("*.eml")}, QDir::Files)) {
        QFile f(outbox.filePath(name));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString mail = QString::fromUtf8(f.readAll());
        const auto m
                = QRegularExpression(QStringLiteral("(\\S*/reset-password\\?token=[A-Za-z0-9_-]+)"))
                          .match(mail);
        if (m.hasMatch() && mail.contains(QLatin1String("owner@example.test")))
            token = m.captured(1);
    }
    QVERIFY2(!token.isEmpty(), "no reset link in the mail");
    snap(login, QStringLiteral("forgot-password"));

    // A wrong code: plain words, the password stays.
    const QString next = QStringLiteral("reset lamps are bright");
    type(login, QStringLiteral("Reset code"), QStringLiteral("not-a-code"));
    type(login, QStringLiteral("New password"), next);
    type(login, QStringLiteral("Repeat new password"), next);
    click(login, QStringLiteral("Set new password"));
    QTRY_VERIFY2(said->text().contains(QLatin1String("does not work")), qPrintable(said->text()));
    // The whole link from the mail, pasted.
    type(login, QStringLiteral("Reset code"), token);
    click(login, QStringLiteral("Set new password"));
    QTRY_VERIFY(named<QLineEdit>(login, QStringLiteral("Password"))->isVisible());
    QVERIFY2(named<QLabel>(login, QStringLiteral("Sign in message"))
                     ->text()
                     .contains(QLatin1String("password was changed")),
             qPrintable(named<QLabel>(login, QStringLiteral("Sign in message"))->text()));
    type(login, QStringLiteral("Email"), QStringLiteral("owner@example.test"));
    type(login, QStringLiteral("Password"), next);
    click(login, QStringLiteral("Sign in"));
    QTRY_COMPARE(window.seller().email, QStringLiteral("owner@example.test"));
    QCOMPARE(s.server.client()
                     .post(QStringLiteral("/api/v1/auth/login"),
                           {{QStringLiteral("email"), QStringLiteral("owner@example.test")},
                            {QStringLiteral("password"), kPassword}})
                     .status,
             401);
}

// The Refunds & Complaints page names orders by number (a column and the details), never by
// their hex id; so do the notifications' texts.
void TestConsoleOrders::refundsComplaintsAndNotificationsShowNumbers()
{
    Store s;
    setUp(s);
    const QString orderId = paidOrder(s, 2);
    const QJsonObject order = customerOrder(s, orderId);
    const qint64 number = order.value(QStringLiteral("number")).toInteger();
    const QString itemId = order.value(QStringLiteral("items"))
                                   .toArray()
                                   .first()
                                   .toObject()
                                   .value(QStringLiteral("id"))
                                   .toString();
    Shop &shop = s.server.shop();
    auto request = shop.refunds().request(s.customerId, orderId, itemId, 1,
                                          QStringLiteral("The shade is cracked"));
    QVERIFY2(request, qPrintable(request.error().detail));
    auto complaint
            = shop.complaints().open(s.customerId, orderId, itemId, QStringLiteral("Cracked shade"),
                                     QStringLiteral("It arrived cracked."));
    QVERIFY2(complaint, qPrintable(complaint.error().detail));
    Console console(s.server);
    start(console, QStringLiteral("owner@example.test"));
    MainWindow &window = console.window;
    resizeTo(&window, 1024, 700);
    window.showPage(QStringLiteral("Refunds & Complaints"));
    QWidget *page = window.page(QStringLiteral("Refunds & Complaints"));
    auto *refunds = named<QTableView>(page, QStringLiteral("Refund requests"));
    QTRY_VERIFY(rowOf(refunds, request->id) >= 0);
    const QString hash = QStringLiteral("#%1").arg(number);
    QCOMPARE(refunds->model()->headerData(1, Qt::Horizontal).toString(), QStringLiteral("Order"));
    QCOMPARE(refunds->model()->index(rowOf(refunds, request->id), 1).data().toString(), hash);
    QVERIFY(clickRow(refunds, request->id));
    auto *detail = named<QLabel>(page, QStringLiteral("Refund details"));
    QTRY_VERIFY(detail->text().contains(QStringLiteral("Order ") + hash));
    QVERIFY(!detail->text().contains(orderId.left(8)));
    snap(&window, QStringLiteral("refunds-numbers-1024x700"));
    named<QTabWidget>(page, QStringLiteral("Refunds and complaints tabs"))->setCurrentIndex(1);
    auto *complaints = named<QTableView>(page, QStringLiteral("Complaints"));
    QTRY_VERIFY(rowOf(complaints, complaint->id) >= 0);
    QCOMPARE(complaints->model()->index(rowOf(complaints, complaint->id), 1).data().toString(),
             hash);
    QVERIFY(clickRow(complaints, complaint->id));
    auto *thread = named<QTextBrowser>(page, QStringLiteral("Complaint conversation"));
    QTRY_VERIFY(thread->toPlainText().contains(QStringLiteral("order ") + hash));
    QVERIFY(!thread->toPlainText().contains(orderId.left(8)));

    // The order.paid notification's text names the number.
    window.showPage(QStringLiteral("Notifications"));
    QWidget *notes = window.page(QStringLiteral("Notifications"));
    auto *list = qobject_cast<QTableView *>(notes->findChildren<QTableView *>().value(0));
    QVERIFY(list);
    QTRY_VERIFY(list->model()->rowCount() > 0);
    bool paidShown = false;
    for (int r = 0; r < list->model()->rowCount(); ++r) {
        const QString text = list->model()->index(r, 3).data().toString();
        QVERIFY2(!text.contains(orderId), qPrintable(text));
        paidShown = paidShown || text.contains(QStringLiteral("Order %1 was paid").arg(hash));
    }
    QVERIFY(paidShown);
}

QTEST_MAIN(TestConsoleOrders)
#include "tst_console_orders.moc"
