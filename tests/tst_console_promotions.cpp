// The seller's console for discount codes, tax and invoices, offscreen, driven by accessible
// names and real clicks: a code made and edited in its dialog (seen in the list and in the
// database), bad input refused in a plain dialog naming the field with nothing saved, a code
// ended after a confirmation; the owner's tax rates and invoice prefixes in Settings, read back
// through the model; a paid order's invoice saved as PDF (its text read back with pdftotext)
// holding the invoice's number, total and tax, the invoice buttons disabled on an unpaid
// order; and the Dashboard's sales net of the code's discount and of refunds.

#include "support/consolefixture.h"
#include "support/testsupport.h"

#include "model/catalog.h"
#include "model/clock.h"
#include "model/discountcodes.h"
#include "model/invoices.h"
#include "model/sellerrefunds.h"
#include "model/shippingoptions.h"
#include "model/shop.h"
#include "model/storeprofile.h"
#include "model/taxrates.h"
#include "ui/discountcodespage.h"
#include "ui/logindialog.h"
#include "ui/mainwindow.h"
#include "ui/orderspage.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFile>
#include <QFileDialog>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSet>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTextDocument>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

const QString kPassword = QStringLiteral("correct horse battery");

QDialog *openDialog(QWidget *root, const QString &name)
{
    auto *d = named<QDialog>(root, name);
    return d && d->isVisible() ? d : nullptr;
}

// The visible message box named "Problem" anywhere, or null.
QMessageBox *problemBox()
{
    const auto all = QApplication::topLevelWidgets();
    for (QWidget *w : all) {
        auto *box = qobject_cast<QMessageBox *>(w);
        if (box && box->isVisible() && box->accessibleName() == QLatin1String("Problem"))
            return box;
        for (QMessageBox *child : w->findChildren<QMessageBox *>()) {
            if (child->isVisible() && child->accessibleName() == QLatin1String("Problem"))
                return child;
        }
    }
    return nullptr;
}

// "12.34": how money reads on the invoice, whatever the currency's place.
QString amount(qint64 cents)
{
    return QStringLiteral("%1.%2").arg(cents / 100).arg(cents % 100, 2, 10, QLatin1Char('0'));
}

} // namespace

class TestConsolePromotions : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void createAndEditCodeThroughDialog();
    void badInputNamesTheFieldAndSavesNothing();
    void endCode();
    void taxRatesAndPrefixesInSettings();
    void invoicePdfOfPaidOrder();
    void invoiceButtonsDisabledOnUnpaidOrder();
    void sharedOrdersInvoiceIsTheWholeOrder();

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
    QString placeOrder(Store &s, int quantity, const QString &code = {});
    void start(Console &console, const QString &email);
    QWidget *openCodes(Console &console);
    QList<DiscountCode> codesOf(Store &s);

    QTemporaryDir m_settingsDir;
};

void TestConsolePromotions::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_settingsDir.isValid());
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settingsDir.path());
}

void TestConsolePromotions::init()
{
    Clock::resetForTesting();
    QSettings(QStringLiteral("Mercato"), QStringLiteral("console")).clear();
}

// The owner (the first seller) sells lamps at 12.50; the store ships with one option at 4.90;
// a customer.
void TestConsolePromotions::setUp(Store &s)
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

// An order of `quantity` lamps shipped to Carla in France, with `code` if given; unpaid.
QString TestConsolePromotions::placeOrder(Store &s, int quantity, const QString &code)
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
    auto order = shop.orders().placeOrder(s.customerId, 0, choice, code);
    if (!order)
        qFatal("placing the order failed: %s", qPrintable(order.error().detail));
    return order->id;
}

void TestConsolePromotions::start(Console &console, const QString &email)
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
    QCoreApplication::processEvents();
    // Every page, the new ones and the Dashboard's wider cards included, fits at 1024×700.
    for (const QString &name : MainWindow::pageNames()) {
        const QSize need = window.page(name)->minimumSizeHint();
        QVERIFY2(need.width() <= 1024 - 240 && need.height() <= 700 - 80,
                 qPrintable(QStringLiteral("%1 needs %2×%3")
                                    .arg(name)
                                    .arg(need.width())
                                    .arg(need.height())));
    }
    QTRY_COMPARE(window.size(), QSize(1024, 700));
}

QWidget *TestConsolePromotions::openCodes(Console &console)
{
    auto *pages = named<QListWidget>(&console.window, QStringLiteral("Pages"));
    const int row = int(MainWindow::pageNames().indexOf(QStringLiteral("Discount codes")));
    if (!pages || row < 0)
        return nullptr;
    // A real click on the page list's entry.
    QTest::mouseClick(pages->viewport(), Qt::LeftButton, {},
                      pages->visualItemRect(pages->item(row)).center());
    if (console.window.currentPage() != QLatin1String("Discount codes"))
        return nullptr;
    return console.window.page(QStringLiteral("Discount codes"));
}

QList<DiscountCode> TestConsolePromotions::codesOf(Store &s)
{
    auto page = DiscountCodes::list(s.server.shop().database().connection(), s.ownerId, 100, {});
    if (!page)
        qFatal("listing codes failed: %s", qPrintable(page.error().detail));
    return page->items;
}

// New code… opens the dialog; the fields typed and Save clicked make the code: it shows in the
// list (value, minimum, uses / max uses, once per customer, state) and in the database. Edit
// code… changes it.
void TestConsolePromotions::createAndEditCodeThroughDialog()
{
    Store s;
    setUp(s);
    Console console(s.server);
    start(console, QStringLiteral("owner@example.test"));
    QWidget *page = openCodes(console);
    QVERIFY(page);
    auto *codes = qobject_cast<DiscountCodesPage *>(page);
    QVERIFY(codes);
    auto *view = named<QTableView>(page, QStringLiteral("Discount code list"));
    QVERIFY(view);
    QTRY_VERIFY(named<QLabel>(page, QStringLiteral("Discount codes summary"))
                        ->text()
                        .startsWith(QLatin1String("0 code")));

    click(page, QStringLiteral("New discount code"));
    QDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = openDialog(page, QStringLiteral("Discount code dialog"))));
    // Every field has a label whose mnemonic is its own.
    QSet<QChar> mnemonics;
    for (QLabel *label : dialog->findChildren<QLabel *>()) {
        if (!label->buddy())
            continue;
        QVERIFY2(!label->buddy()->accessibleName().isEmpty(), qPrintable(label->text()));
        const qsizetype amp = label->text().indexOf(QLatin1Char('&'));
        QVERIFY2(amp >= 0, qPrintable(label->text()));
        const QChar key = label->text().at(amp + 1).toLower();
        QVERIFY2(!mnemonics.contains(key), qPrintable(label->text()));
        mnemonics.insert(key);
    }
    QCOMPARE(mnemonics.size(), 7);
    type(dialog, QStringLiteral("Code"), QStringLiteral("winter-10"));
    auto *kind = named<QComboBox>(dialog, QStringLiteral("Kind"));
    QVERIFY(kind);
    QCOMPARE(kind->currentData().toString(), QStringLiteral("percent"));
    type(dialog, QStringLiteral("Value"), QStringLiteral("10"));
    type(dialog, QStringLiteral("Minimum order"), QStringLiteral("20.00"));
    type(dialog, QStringLiteral("Ends"), QStringLiteral("2099-12-31 23:00"));
    type(dialog, QStringLiteral("Maximum uses"), QStringLiteral("5"));
    click(dialog, QStringLiteral("Once per customer"));
    QVERIFY(named<QCheckBox>(dialog, QStringLiteral("Once per customer"))->isChecked());
    snap(dialog, QStringLiteral("discount-code-dialog"));
    QSignalSpy changed(codes, &DiscountCodesPage::changed);
    click(dialog, QStringLiteral("Save discount code"));
    QTRY_COMPARE(changed.size(), 1);
    QCOMPARE(changed.first().at(0).toString(), QString());
    QTRY_VERIFY(!openDialog(page, QStringLiteral("Discount code dialog")));

    // In the database, as the model reads it.
    QList<DiscountCode> saved = codesOf(s);
    QCOMPARE(saved.size(), 1);
    const DiscountCode code = saved.first();
    QCOMPARE(code.code, QStringLiteral("WINTER-10"));
    QCOMPARE(code.kind, QStringLiteral("percent"));
    QCOMPARE(code.value, qint64(10));
    QCOMPARE(code.minSubtotalCents, qint64(2000));
    QVERIFY(!code.startsAt);
    QVERIFY(code.endsAt);
    QCOMPARE(QDateTime::fromMSecsSinceEpoch(*code.endsAt)
                     .toString(QStringLiteral("yyyy-MM-dd HH:mm")),
             QStringLiteral("2099-12-31 23:00"));
    QCOMPARE(code.maxUses, std::optional<qint64>(5));
    QVERIFY(code.oncePerCustomer);

    // In the list, with its uses.
    QTRY_VERIFY(rowOf(view, code.id) >= 0);
    const int row = rowOf(view, code.id);
    auto cell = [&](int column) {
        return view->model()->index(row, column).data().toString();
    };
    QCOMPARE(cell(0), QStringLiteral("WINTER-10"));
    QCOMPARE(cell(2), QStringLiteral("10%"));
    QCOMPARE(cell(3), QStringLiteral("20.00 USD"));
    QCOMPARE(cell(6), QStringLiteral("0 / 5"));
    QCOMPARE(cell(7), QStringLiteral("yes"));
    QCOMPARE(cell(8), QStringLiteral("Active"));

    // An order uses it: the list shows the use.
    placeOrder(s, 2, QStringLiteral("winter-10"));
    console.window.showPage(QStringLiteral("Orders"));
    QVERIFY(openCodes(console));
    QTRY_COMPARE(view->model()->index(rowOf(view, code.id), 6).data().toString(),
                 QStringLiteral("1 / 5"));

    // Edit code… changes it to 5.00 off.
    QVERIFY(clickRow(view, code.id));
    click(page, QStringLiteral("Edit discount code"));
    QTRY_VERIFY((dialog = openDialog(page, QStringLiteral("Discount code dialog"))));
    QCOMPARE(named<QLineEdit>(dialog, QStringLiteral("Code"))->text(), QStringLiteral("WINTER-10"));
    QCOMPARE(named<QLineEdit>(dialog, QStringLiteral("Value"))->text(), QStringLiteral("10"));
    kind = named<QComboBox>(dialog, QStringLiteral("Kind"));
    kind->setFocus();
    kind->setCurrentIndex(kind->findData(QStringLiteral("amount")));
    type(dialog, QStringLiteral("Value"), QStringLiteral("5.00"));
    click(dialog, QStringLiteral("Save discount code"));
    QTRY_COMPARE(changed.size(), 2);
    QCOMPARE(changed.last().at(0).toString(), QString());
    saved = codesOf(s);
    QCOMPARE(saved.size(), 1);
    QCOMPARE(saved.first().kind, QStringLiteral("amount"));
    QCOMPARE(saved.first().value, qint64(500));
    QCOMPARE(saved.first().uses, qint64(1));
    QTRY_COMPARE(view->model()->index(rowOf(view, code.id), 2).data().toString(),
                 QStringLiteral("5.00 USD"));
    snap(&console.window, QStringLiteral("discount-codes-page"));
}

// A percent over 100, a code of one letter, a value that is no amount, a code the store has
// already: each refused in a plain dialog naming the field; the dialog stays open and nothing
// is saved.
void TestConsolePromotions::badInputNamesTheFieldAndSavesNothing()
{
    Store s;
    setUp(s);
    Console console(s.server);
    start(console, QStringLiteral("owner@example.test"));
    QWidget *page = openCodes(console);
    QVERIFY(page);
    auto *codes = qobject_cast<DiscountCodesPage *>(page);
    click(page, QStringLiteral("New discount code"));
    QDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = openDialog(page, QStringLiteral("Discount code dialog"))));
    QSignalSpy changed(codes, &DiscountCodesPage::changed);

    auto refusedNaming = [&](const QString &field) -> bool {
        const qsizetype before = changed.size();
        QTest::mouseClick(named<QAbstractButton>(dialog, QStringLiteral("Save discount code")),
                          Qt::LeftButton);
        if (!QTest::qWaitFor([&] { return changed.size() > before && problemBox(); }, 10000))
            return false;
        QMessageBox *box = problemBox();
        const QString text = box->text();
        const bool ok = text.startsWith(field + QStringLiteral(": ")) && dialog->isVisible()
                        && !changed.last().at(0).toString().isEmpty();
        if (!ok)
            qWarning("problem text: %s", qPrintable(text));
        QTest::mouseClick(box->button(QMessageBox::Ok), Qt::LeftButton);
        return ok && QTest::qWaitFor([] { return !problemBox(); }, 5000);
    };

    type(dialog, QStringLiteral("Code"), QStringLiteral("BIG-SALE"));
    type(dialog, QStringLiteral("Value"), QStringLiteral("150"));
    QVERIFY(refusedNaming(QStringLiteral("Value")));
    // The model's own words: a percent is from 1 to 100.
    QVERIFY(changed.last().at(0).toString().contains(QLatin1String("100")));
    QVERIFY(codesOf(s).isEmpty());

    type(dialog, QStringLiteral("Value"), QStringLiteral("15"));
    type(dialog, QStringLiteral("Code"), QStringLiteral("X"));
    QVERIFY(refusedNaming(QStringLiteral("Code")));
    QVERIFY(codesOf(s).isEmpty());

    type(dialog, QStringLiteral("Code"), QStringLiteral("BIG-SALE"));
    type(dialog, QStringLiteral("Maximum uses"), QStringLiteral("0"));
    QVERIFY(refusedNaming(QStringLiteral("Maximum uses")));
    QVERIFY(codesOf(s).isEmpty());

    type(dialog, QStringLiteral("Maximum uses"), QString());
    type(dialog, QStringLiteral("Starts"), QStringLiteral("2030-01-10"));
    type(dialog, QStringLiteral("Ends"), QStringLiteral("2030-01-01"));
    QVERIFY(refusedNaming(QStringLiteral("Ends")));
    QVERIFY(codesOf(s).isEmpty());

    type(dialog, QStringLiteral("Ends"), QString());
    auto *kind = named<QComboBox>(dialog, QStringLiteral("Kind"));
    kind->setFocus();
    kind->setCurrentIndex(kind->findData(QStringLiteral("amount")));
    type(dialog, QStringLiteral("Value"), QStringLiteral("five"));
    QVERIFY(refusedNaming(QStringLiteral("Value")));
    QVERIFY(codesOf(s).isEmpty());

    // Another code of the store has this text.
    DiscountCode other;
    other.code = QStringLiteral("BIG-SALE");
    other.kind = QStringLiteral("percent");
    other.value = 5;
    QVERIFY(DiscountCodes::add(s.server.shop().database(), s.ownerId, other));
    type(dialog, QStringLiteral("Value"), QStringLiteral("3.00"));
    QVERIFY(refusedNaming(QStringLiteral("Code")));
    QCOMPARE(codesOf(s).size(), 1);
    QCOMPARE(codesOf(s).first().value, qint64(5));

    click(dialog, QStringLiteral("Cancel discount code"));
    QTRY_VERIFY(!openDialog(page, QStringLiteral("Discount code dialog")));
}

// End code… asks first; Keep leaves the code, End ends it (gone from the list, refused at
// checkout).
void TestConsolePromotions::endCode()
{
    Store s;
    setUp(s);
    DiscountCode code;
    code.code = QStringLiteral("SPRING");
    code.kind = QStringLiteral("amount");
    code.value = 300;
    auto added = DiscountCodes::add(s.server.shop().database(), s.ownerId, code);
    QVERIFY(added);
    Console console(s.server);
    start(console, QStringLiteral("owner@example.test"));
    QWidget *page = openCodes(console);
    QVERIFY(page);
    auto *view = named<QTableView>(page, QStringLiteral("Discount code list"));
    QTRY_VERIFY(rowOf(view, added->id) >= 0);
    QVERIFY(!named<QAbstractButton>(page, QStringLiteral("End discount code"))->isEnabled());
    QVERIFY(clickRow(view, added->id));

    click(page, QStringLiteral("End discount code"));
    QMessageBox *confirm = nullptr;
    QTRY_VERIFY((confirm = named<QMessageBox>(page, QStringLiteral("End discount code?")))
                && confirm->isVisible());
    QVERIFY(confirm->text().contains(QLatin1String("SPRING")));
    click(confirm, QStringLiteral("Keep discount code"));
    QTRY_VERIFY(!named<QMessageBox>(page, QStringLiteral("End discount code?")));
    QCOMPARE(codesOf(s).size(), 1);

    auto *codes = qobject_cast<DiscountCodesPage *>(page);
    QSignalSpy changed(codes, &DiscountCodesPage::changed);
    click(page, QStringLiteral("End discount code"));
    QTRY_VERIFY((confirm = named<QMessageBox>(page, QStringLiteral("End discount code?")))
                && confirm->isVisible());
    click(confirm, QStringLiteral("Confirm end discount code"));
    QTRY_COMPARE(changed.size(), 1);
    QCOMPARE(changed.first().at(0).toString(), QString());
    QTRY_COMPARE(rowOf(view, added->id), -1);
    QVERIFY(codesOf(s).isEmpty());
    auto get = DiscountCodes::get(s.server.shop().database().connection(), s.ownerId, added->id);
    QVERIFY(!get);
    QCOMPARE(get.error().code, ErrorCode::NotFound);
}

// The owner's tax rates: a default, rows added, edited and removed, a bad rate refused naming
// its row; the invoice and credit-note prefixes; saved together and read back through the
// model. The group fits the page at 1024×700 (the page scrolls).
void TestConsolePromotions::taxRatesAndPrefixesInSettings()
{
    Store s;
    setUp(s);
    Console console(s.server);
    start(console, QStringLiteral("owner@example.test"));
    console.window.showPage(QStringLiteral("Settings"));
    QWidget *page = console.window.page(QStringLiteral("Settings"));
    QTRY_VERIFY(named<QLineEdit>(page, QStringLiteral("Default tax rate"))->isVisible());
    auto *view = named<QTableView>(page, QStringLiteral("Tax rate list"));
    QVERIFY(view);
    QVERIFY(page->minimumSizeHint().width() <= 1024 - 240);

    auto addRow = [&](const QString &country, const QString &rate) -> QDialog * {
        QTest::mouseClick(named<QAbstractButton>(page, QStringLiteral("Add tax rate")),
                          Qt::LeftButton);
        QDialog *dialog = nullptr;
        if (!QTest::qWaitFor(
                    [&] { return (dialog = openDialog(page, QStringLiteral("Tax rate dialog"))); },
                    5000))
            return nullptr;
        named<QLineEdit>(dialog, QStringLiteral("Tax country"))->clear();
        QTest::keyClicks(named<QLineEdit>(dialog, QStringLiteral("Tax country")), country);
        named<QLineEdit>(dialog, QStringLiteral("Tax rate percent"))->clear();
        QTest::keyClicks(named<QLineEdit>(dialog, QStringLiteral("Tax rate percent")), rate);
        QTest::mouseClick(named<QAbstractButton>(dialog, QStringLiteral("Keep tax rate")),
                          Qt::LeftButton);
        return dialog;
    };

    type(page, QStringLiteral("Default tax rate"), QStringLiteral("20"));
    QDialog *dialog = addRow(QStringLiteral("de"), QStringLiteral("19"));
    QVERIFY(dialog);
    QTRY_VERIFY(!openDialog(page, QStringLiteral("Tax rate dialog")));
    QVERIFY(addRow(QStringLiteral("CH"), QStringLiteral("7.7")));
    QTRY_VERIFY(!openDialog(page, QStringLiteral("Tax rate dialog")));
    QVERIFY(addRow(QStringLiteral("IT"), QStringLiteral("22")));
    QTRY_VERIFY(!openDialog(page, QStringLiteral("Tax rate dialog")));
    QTRY_COMPARE(view->model()->rowCount(), 3);

    // More than 3 decimals: refused naming the row's rate; the dialog stays open.
    dialog = addRow(QStringLiteral("FR"), QStringLiteral("5.5555"));
    QVERIFY(dialog);
    QMessageBox *box = nullptr;
    QTRY_VERIFY((box = problemBox()));
    QVERIFY2(box->text().startsWith(QLatin1String("Tax rate for FR: ")), qPrintable(box->text()));
    QVERIFY(dialog->isVisible());
    QTest::mouseClick(box->button(QMessageBox::Ok), Qt::LeftButton);
    QTRY_VERIFY(!problemBox());
    // The same country twice is refused too.
    type(dialog, QStringLiteral("Tax country"), QStringLiteral("DE"));
    type(dialog, QStringLiteral("Tax rate percent"), QStringLiteral("5.5"));
    click(dialog, QStringLiteral("Keep tax rate"));
    QTRY_VERIFY((box = problemBox()));
    QVERIFY2(box->text().contains(QLatin1String("DE")), qPrintable(box->text()));
    QTest::mouseClick(box->button(QMessageBox::Ok), Qt::LeftButton);
    QTRY_VERIFY(!problemBox());
    click(dialog, QStringLiteral("Cancel tax rate"));
    QTRY_VERIFY(!openDialog(page, QStringLiteral("Tax rate dialog")));
    QCOMPARE(view->model()->rowCount(), 3);

    // Edit DE to 19.125, remove IT.
    QVERIFY(clickRow(view, QStringLiteral("DE")));
    click(page, QStringLiteral("Edit tax rate"));
    QTRY_VERIFY((dialog = openDialog(page, QStringLiteral("Tax rate dialog"))));
    QCOMPARE(named<QLineEdit>(dialog, QStringLiteral("Tax rate percent"))->text(),
             QStringLiteral("19"));
    type(dialog, QStringLiteral("Tax rate percent"), QStringLiteral("19.125"));
    click(dialog, QStringLiteral("Keep tax rate"));
    QTRY_VERIFY(!openDialog(page, QStringLiteral("Tax rate dialog")));
    QVERIFY(clickRow(view, QStringLiteral("IT")));
    click(page, QStringLiteral("Remove tax rate"));
    QTRY_COMPARE(view->model()->rowCount(), 2);
    // Nothing is saved until Save.
    auto before = TaxRates::load(s.server.shop().database().connection());
    QVERIFY(before);
    QVERIFY(before->rates.isEmpty() && !before->defaultMilli);

    type(page, QStringLiteral("Invoice prefix"), QStringLiteral("FAC-"));
    type(page, QStringLiteral("Credit-note prefix"), QStringLiteral("AV-"));
    auto *scroll = named<QScrollArea>(page, QStringLiteral("Settings area"));
    QVERIFY(scroll);
    scroll->ensureWidgetVisible(named<QWidget>(page, QStringLiteral("Save tax and invoices")));
    snap(&console.window, QStringLiteral("settings-tax-and-invoices"));

    // A prefix over 20 characters: refused naming it; nothing saved, the rates included.
    type(page, QStringLiteral("Invoice prefix"), QStringLiteral("A-PREFIX-FAR-TOO-LONG-"));
    click(page, QStringLiteral("Save tax and invoices"));
    QTRY_VERIFY((box = problemBox()));
    QVERIFY2(box->text().startsWith(QLatin1String("Invoice prefix: ")), qPrintable(box->text()));
    QTest::mouseClick(box->button(QMessageBox::Ok), Qt::LeftButton);
    QTRY_VERIFY(!problemBox());
    before = TaxRates::load(s.server.shop().database().connection());
    QVERIFY(before && before->rates.isEmpty() && !before->defaultMilli);

    type(page, QStringLiteral("Invoice prefix"), QStringLiteral("FAC-"));
    click(page, QStringLiteral("Save tax and invoices"));
    QTRY_VERIFY(named<QAbstractButton>(page, QStringLiteral("Save tax and invoices"))->isEnabled());
    QTRY_VERIFY(TaxRates::load(s.server.shop().database().connection())->defaultMilli);
    const auto rates = TaxRates::load(s.server.shop().database().connection());
    QVERIFY(rates);
    QCOMPARE(rates->defaultMilli, std::optional<qint64>(20000));
    QCOMPARE(rates->rates.size(), 2);
    QCOMPARE(rates->rates.at(0), (std::pair<QString, qint64>{QStringLiteral("CH"), 7700}));
    QCOMPARE(rates->rates.at(1), (std::pair<QString, qint64>{QStringLiteral("DE"), 19125}));
    const auto profile = StoreProfiles::load(s.server.shop().database().connection());
    QVERIFY(profile);
    QCOMPARE(profile->invoicePrefix, QStringLiteral("FAC-"));
    QCOMPARE(profile->creditNotePrefix, QStringLiteral("AV-"));
    // Shown back as saved.
    QTRY_COMPARE(view->model()->rowCount(), 2);
    QCOMPARE(named<QLineEdit>(page, QStringLiteral("Default tax rate"))->text(),
             QStringLiteral("20"));
}

// A paid order's Save invoice as PDF… writes the invoice of Invoices::html: the PDF's text
// holds its number, total and tax. The Dashboard counts the order's sales net of the code and
// of a refund.
void TestConsolePromotions::invoicePdfOfPaidOrder()
{
    Store s;
    setUp(s);
    Shop &shop = s.server.shop();
    TaxRateTable table;
    table.rates = {{QStringLiteral("FR"), 20000}};
    QVERIFY(TaxRates::save(shop.database(), table));
    DiscountCode code;
    code.code = QStringLiteral("TEN");
    code.kind = QStringLiteral("percent");
    code.value = 10;
    QVERIFY(DiscountCodes::add(shop.database(), s.ownerId, code));
    const QString orderId = placeOrder(s, 2, QStringLiteral("TEN"));
    QVERIFY(shop.orders().sellerMove(s.ownerId, orderId, SellerAction::MarkPaid));
    auto order = shop.orders().order(s.customerId, orderId);
    QVERIFY(order);
    QVERIFY(!order->invoiceNumber.isEmpty());
    QVERIFY(order->taxCents > 0);
    auto store = StoreProfiles::load(shop.database().connection());
    QVERIFY(store);
    const QString expected = QString::fromUtf8(Invoices::html(order.value(), store.value()));

    Console console(s.server);
    start(console, QStringLiteral("owner@example.test"));
    console.window.showPage(QStringLiteral("Orders"));
    QWidget *page = console.window.page(QStringLiteral("Orders"));
    auto *orders = qobject_cast<OrdersPage *>(page);
    QVERIFY(orders);
    auto *view = named<QTableView>(page, QStringLiteral("Order list"));
    QTRY_VERIFY(rowOf(view, orderId) >= 0);
    QVERIFY(clickRow(view, orderId));
    auto *save = named<QAbstractButton>(page, QStringLiteral("Save invoice as PDF"));
    QTRY_VERIFY(save->isEnabled());
    QVERIFY(named<QAbstractButton>(page, QStringLiteral("Print invoice"))->isEnabled());
    QVERIFY(save->toolTip().contains(order->invoiceNumber));

    QTemporaryDir folder;
    QVERIFY(folder.isValid());
    QSignalSpy saved(orders, &OrdersPage::invoiceSaved);
    click(page, QStringLiteral("Save invoice as PDF"));
    QFileDialog *files = nullptr;
    QTRY_VERIFY((files = named<QFileDialog>(page, QStringLiteral("Invoice PDF file")))
                && files->isVisible());
    QCOMPARE(orders->invoiceHtml(), expected);
    files->setDirectory(folder.path());
    auto *edit = files->findChild<QLineEdit *>(QStringLiteral("fileNameEdit"));
    QVERIFY2(edit, "the file dialog is not the widget-based one");
    QVERIFY2(edit->text().contains(order->invoiceNumber.toLower()), qPrintable(edit->text()));
    edit->setFocus();
    edit->selectAll();
    QTest::keyClicks(edit, QStringLiteral("invoice.pdf"));
    QAbstractButton *ok = files->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Save);
    QTRY_VERIFY(ok->isEnabled());
    QTest::mouseClick(ok, Qt::LeftButton);
    QTRY_COMPARE(saved.size(), 1);
    const QString path = folder.filePath(QStringLiteral("invoice.pdf"));
    QCOMPARE(saved.first().at(0).toString(), path);
    QCOMPARE(saved.first().at(1).toString(), QString());

    QFile pdf(path);
    QVERIFY(pdf.open(QIODevice::ReadOnly));
    QVERIFY(pdf.readAll().startsWith("%PDF-"));
    const QString pdftotext = QStandardPaths::findExecutable(QStringLiteral("pdftotext"));
    QVERIFY2(!pdftotext.isEmpty(), "pdftotext (poppler-utils) is needed");
    QProcess p;
    p.start(pdftotext, {path, QStringLiteral("-")});
    QVERIFY(p.waitForFinished(30000));
    const QString text = QString::fromUtf8(p.readAllStandardOutput());
    // The invoice's figures, as Invoices::html shows them, are in the PDF.
    QTextDocument html;
    html.setHtml(expected);
    const QString htmlText = html.toPlainText();
    for (const QString &want :
         {order->invoiceNumber, amount(order->totalCents), amount(order->taxCents),
          amount(order->codeCents), QStringLiteral("Brass lamp")}) {
        QVERIFY2(htmlText.contains(want), qPrintable(want + QStringLiteral(" not in the HTML")));
        QVERIFY2(text.contains(want), qPrintable(want + QStringLiteral(" not in:\n") + text));
    }

    // The Dashboard: today's sales are the lamps less the code's 10%.
    const qint64 lines = 2 * 1250;
    QCOMPARE(order->codeCents, lines / 10);
    console.window.showPage(QStringLiteral("Dashboard"));
    QWidget *dashboard = console.window.page(QStringLiteral("Dashboard"));
    QTRY_COMPARE(named<QLabel>(dashboard, QStringLiteral("Code discounts this month"))->text(),
                 QStringLiteral("2.50 USD"));
    QCOMPARE(named<QLabel>(dashboard, QStringLiteral("Today's sales"))->text(),
             QStringLiteral("22.50 USD"));
    // A refund of one lamp: the sales are net of it too.
    auto refund
            = SellerRefunds(shop).refund(s.ownerId, orderId, {{order->items.first().id, 1, 0, 0}},
                                         QStringLiteral("Scratched"), false);
    QVERIFY2(refund, qPrintable(refund ? QString() : refund.error().detail));
    const qint64 back = refund->amountCents - refund->shippingRefundedCents;
    QVERIFY(back > 0);
    console.window.showPage(QStringLiteral("Orders"));
    console.window.showPage(QStringLiteral("Dashboard"));
    QTRY_COMPARE(named<QLabel>(dashboard, QStringLiteral("Today's sales"))->text(),
                 amount(2250 - back) + QStringLiteral(" USD"));
    QCOMPARE(named<QLabel>(dashboard, QStringLiteral("This month's sales"))->text(),
             amount(2250 - back) + QStringLiteral(" USD"));
    QCOMPARE(named<QLabel>(dashboard, QStringLiteral("Coin discounts this month"))->text(),
             QStringLiteral("0.00 USD"));
    snap(&console.window, QStringLiteral("dashboard-net-sales"));
}

// An unpaid order has no invoice: both buttons are disabled and say why.
void TestConsolePromotions::invoiceButtonsDisabledOnUnpaidOrder()
{
    Store s;
    setUp(s);
    const QString orderId = placeOrder(s, 1);
    Console console(s.server);
    start(console, QStringLiteral("owner@example.test"));
    console.window.showPage(QStringLiteral("Orders"));
    QWidget *page = console.window.page(QStringLiteral("Orders"));
    auto *view = named<QTableView>(page, QStringLiteral("Order list"));
    QTRY_VERIFY(rowOf(view, orderId) >= 0);
    QVERIFY(clickRow(view, orderId));
    QTRY_VERIFY(named<QAbstractButton>(page, QStringLiteral("Print packing slip"))->isEnabled());
    for (const QString &name :
         {QStringLiteral("Print invoice"), QStringLiteral("Save invoice as PDF")}) {
        auto *button = named<QAbstractButton>(page, name);
        QVERIFY2(button, qPrintable(name));
        QVERIFY2(!button->isEnabled(), qPrintable(name));
        QVERIFY2(button->toolTip().contains(QLatin1String("paid")), qPrintable(button->toolTip()));
    }
    snap(&console.window, QStringLiteral("orders-unpaid-invoice-buttons"));
}

// An order with another seller's lines too has one invoice, the whole order's (as
// GET /orders/{id}/invoice gives it to any seller with lines in it): a seller with one line of
// it prints the same invoice, with every line and the one number.
void TestConsolePromotions::sharedOrdersInvoiceIsTheWholeOrder()
{
    Store s;
    setUp(s);
    Shop &shop = s.server.shop();
    auto sam = shop.accounts().registerAccount({QStringLiteral("sam@example.test"), kPassword,
                                                QStringLiteral("Sam Seller"),
                                                QStringLiteral("seller")});
    QVERIFY2(sam, qPrintable(sam.error().detail));
    NewProduct mug;
    mug.name = QStringLiteral("Blue mug");
    mug.priceCents = 800;
    mug.stock = 5;
    auto product = shop.catalog().create(sam->user.id, mug);
    QVERIFY2(product, qPrintable(product.error().detail));
    QVERIFY(shop.cart().setQuantity(s.customerId, product->id, 1));
    const QString orderId = placeOrder(s, 1);
    QVERIFY(shop.orders().sellerMove(s.ownerId, orderId, SellerAction::MarkPaid));
    auto order = shop.orders().order(s.customerId, orderId);
    QVERIFY(order && !order->invoiceNumber.isEmpty());
    QVERIFY(std::any_of(order->items.cbegin(), order->items.cend(),
                        [&](const OrderLine &l) { return l.sellerId != sam->user.id; }));
    auto store = StoreProfiles::load(shop.database().connection());
    QVERIFY(store);
    const QString expected = QString::fromUtf8(Invoices::html(order.value(), store.value()));

    Console console(s.server);
    start(console, QStringLiteral("sam@example.test"));
    console.window.showPage(QStringLiteral("Orders"));
    QWidget *page = console.window.page(QStringLiteral("Orders"));
    auto *view = named<QTableView>(page, QStringLiteral("Order list"));
    QTRY_VERIFY(rowOf(view, orderId) >= 0);
    QVERIFY(clickRow(view, orderId));
    QTRY_VERIFY(named<QAbstractButton>(page, QStringLiteral("Save invoice as PDF"))->isEnabled());
    auto *orders = qobject_cast<OrdersPage *>(page);
    click(page, QStringLiteral("Save invoice as PDF"));
    QFileDialog *files = nullptr;
    QTRY_VERIFY((files = named<QFileDialog>(page, QStringLiteral("Invoice PDF file")))
                && files->isVisible());
    QCOMPARE(orders->invoiceHtml(), expected);
    QVERIFY(expected.contains(QLatin1String("Blue mug")));
    QVERIFY(expected.contains(order->invoiceNumber));
    files->reject();
    QVERIFY(!problemBox());
}

QTEST_MAIN(TestConsolePromotions)
#include "tst_console_promotions.moc"
