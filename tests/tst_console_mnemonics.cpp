// The console's keyboard mnemonics, offscreen: signed in as the owner, every page visited and
// every dialog its buttons open (product, ship, refund, discount code, shipping option, tax
// rate, account), each window's visible controls with a mnemonic (buttons, check boxes, radio
// buttons, group boxes, labels with buddies, menu bar titles, tab titles) hold each letter
// once; no text shows a stray `&` (a lone one on a button or a label with a buddy, a doubled
// one on a label without).

#include "support/consolefixture.h"
#include "support/testsupport.h"

#include "model/catalog.h"
#include "model/orders.h"
#include "model/shippingoptions.h"
#include "model/shop.h"
#include "ui/logindialog.h"
#include "ui/mainwindow.h"
#include "ui/page.h"

#include <QAbstractButton>
#include <QApplication>
#include <QDialog>
#include <QGroupBox>
#include <QJsonObject>
#include <QLabel>
#include <QMap>
#include <QMenu>
#include <QMenuBar>
#include <QSettings>
#include <QStandardPaths>
#include <QTabBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

const QString kPassword = QStringLiteral("correct horse battery");

// The letter `text` marks with a single `&` (upper case), or a null QChar.
QChar mnemonicOf(const QString &text)
{
    for (qsizetype i = 0; i + 1 < text.size(); ++i) {
        if (text.at(i) != QLatin1Char('&'))
            continue;
        if (text.at(i + 1) == QLatin1Char('&')) {
            ++i;
            continue;
        }
        return text.at(i + 1).toUpper();
    }
    return {};
}

// Whether a mnemonic-rendered `text` shows a stray `&`: a lone one before a space, a
// punctuation mark or the end (the user sees a gap or an underlined blank).
bool strayAmpersand(const QString &text)
{
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text.at(i) != QLatin1Char('&'))
            continue;
        if (i + 1 < text.size() && text.at(i + 1) == QLatin1Char('&')) {
            ++i;
            continue;
        }
        if (i + 1 >= text.size() || !text.at(i + 1).isLetterOrNumber())
            return true;
    }
    return false;
}

struct Mark
{
    QChar letter;
    QString who;
};

// The mnemonics of `window`'s visible controls, and its texts that show a stray `&`.
void collect(QWidget *window, QList<Mark> &marks, QStringList &stray)
{
    auto add = [&](const QString &text, const QString &who, bool rendersMnemonic) {
        if (rendersMnemonic) {
            if (strayAmpersand(text))
                stray << QStringLiteral("%1 \"%2\"").arg(who, text);
            const QChar c = mnemonicOf(text);
            if (!c.isNull())
                marks << Mark{c, QStringLiteral("%1 \"%2\"").arg(who, text)};
        } else if (text.contains(QLatin1String("&&"))) {
            stray << QStringLiteral("%1 \"%2\"").arg(who, text);
        }
    };
    const auto widgets = window->findChildren<QWidget *>();
    for (QWidget *w : widgets) {
        if (w->window() != window || !w->isVisible())
            continue;
        if (auto *b = qobject_cast<QAbstractButton *>(w)) {
            add(b->text(), QStringLiteral("button"), true);
        } else if (auto *g = qobject_cast<QGroupBox *>(w)) {
            add(g->title(), QStringLiteral("group"), true);
        } else if (auto *l = qobject_cast<QLabel *>(w)) {
            if (l->textFormat() == Qt::RichText
                || (l->textFormat() == Qt::AutoText && Qt::mightBeRichText(l->text())))
                continue;
            add(l->text(), QStringLiteral("label"), l->buddy() != nullptr);
        } else if (auto *bar = qobject_cast<QMenuBar *>(w)) {
            for (QAction *a : bar->actions()) {
                if (!a->isVisible())
                    continue;
                add(a->text(), QStringLiteral("menu"), true);
                // A menu's items: mnemonics of their own, but no stray `&` either.
                for (QAction *item : a->menu() ? a->menu()->actions() : QList<QAction *>{}) {
                    if (strayAmpersand(item->text()))
                        stray << QStringLiteral("menu item \"%1\"").arg(item->text());
                }
            }
        } else if (auto *tabs = qobject_cast<QTabBar *>(w)) {
            for (int i = 0; i < tabs->count(); ++i) {
                if (tabs->isTabVisible(i))
                    add(tabs->tabText(i), QStringLiteral("tab"), true);
            }
        }
    }
}

// The clashes among `marks`, one line per letter used twice or more.
QStringList clashes(const QList<Mark> &marks)
{
    QMap<QChar, QStringList> byLetter;
    for (const Mark &m : marks)
        byLetter[m.letter] << m.who;
    QStringList out;
    for (auto it = byLetter.cbegin(); it != byLetter.cend(); ++it) {
        if (it.value().size() > 1)
            out << QStringLiteral("Alt+%1: %2").arg(it.key(), it.value().join(QLatin1String(", ")));
    }
    return out;
}

} // namespace

class TestConsoleMnemonics : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void everyWindowsMnemonicsAreUnique();

private:
    QTemporaryDir m_settingsDir;
};

void TestConsoleMnemonics::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_settingsDir.isValid());
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settingsDir.path());
    QSettings(QStringLiteral("Mercato"), QStringLiteral("console")).clear();
}

void TestConsoleMnemonics::everyWindowsMnemonicsAreUnique()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    Shop &shop = server.shop();
    auto owner = shop.accounts().registerAccount({QStringLiteral("owner@example.test"), kPassword,
                                                  QStringLiteral("Olga Owner"),
                                                  QStringLiteral("seller")});
    QVERIFY2(owner, qPrintable(owner.error().detail));
    auto customer = shop.accounts().registerAccount({QStringLiteral("carla@example.test"),
                                                     kPassword, QStringLiteral("Carla Customer"),
                                                     QStringLiteral("customer")});
    QVERIFY2(customer, qPrintable(customer.error().detail));
    NewProduct lamp;
    lamp.name = QStringLiteral("Brass lamp");
    lamp.description = QStringLiteral("Made by hand.");
    lamp.priceCents = 1250;
    lamp.stock = 20;
    lamp.lowStockThreshold = 1;
    auto p = shop.catalog().create(owner->user.id, lamp);
    QVERIFY2(p, qPrintable(p.error().detail));
    ShippingOption standard;
    standard.name = QStringLiteral("Standard parcel");
    standard.priceCents = 490;
    auto option = ShippingOptions::add(shop.database(), standard);
    QVERIFY2(option, qPrintable(option.error().detail));
    QVERIFY(shop.cart().setQuantity(customer->user.id, p->id, 2));
    ShippingChoice choice;
    choice.optionId = option->id;
    choice.address = QJsonObject{{QStringLiteral("name"), QStringLiteral("Carla Customer")},
                                 {QStringLiteral("line1"), QStringLiteral("12 Rue des Lilas")},
                                 {QStringLiteral("city"), QStringLiteral("Lyon")},
                                 {QStringLiteral("postalCode"), QStringLiteral("69003")},
                                 {QStringLiteral("country"), QStringLiteral("FR")},
                                 {QStringLiteral("phone"), QStringLiteral("+33 4 72 00 00 00")}};
    auto order = shop.orders().placeOrder(customer->user.id, 0, choice);
    QVERIFY2(order, qPrintable(order.error().detail));
    QVERIFY(shop.orders().sellerMove(owner->user.id, order->id, SellerAction::MarkPaid));

    Console console(server);
    MainWindow &window = console.window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.begin();
    LoginDialog *login = window.loginDialog();
    QTRY_VERIFY(login->isVisible());
    QStringList problems;
    {
        QList<Mark> marks;
        QStringList stray;
        collect(login, marks, stray);
        for (const QString &c : clashes(marks))
            problems << QStringLiteral("Sign-in: ") + c;
        for (const QString &s : stray)
            problems << QStringLiteral("Sign-in: stray & in ") + s;
    }
    type(login, QStringLiteral("Email"), QStringLiteral("owner@example.test"));
    type(login, QStringLiteral("Password"), kPassword);
    click(login, QStringLiteral("Sign in"));
    QTRY_COMPARE(window.seller().email, QStringLiteral("owner@example.test"));
    window.resize(1024, 700);

    auto check = [&](QWidget *w, const QString &where) {
        QCoreApplication::processEvents();
        QList<Mark> marks;
        QStringList stray;
        collect(w, marks, stray);
        for (const QString &c : clashes(marks))
            problems << where + QStringLiteral(": ") + c;
        for (const QString &s : stray)
            problems << where + QStringLiteral(": stray & in ") + s;
    };
    // Opens the dialog `dialogName` with the button `button` of `page`, checks it, closes it.
    auto dialogOf = [&](QWidget *page, const QString &button, const QString &dialogName) {
        auto *b = named<QAbstractButton>(page, button);
        if (!b) {
            problems << QStringLiteral("no button ") + button;
            return;
        }
        if (!QTest::qWaitFor([b] { return b->isEnabled(); }, 5000)) {
            problems << button + QStringLiteral(" stays disabled");
            return;
        }
        QTest::mouseClick(b, Qt::LeftButton);
        QDialog *d = nullptr;
        if (!QTest::qWaitFor(
                    [&] {
                        d = named<QDialog>(&window, dialogName);
                        return d && d->isVisible();
                    },
                    5000)) {
            problems << QStringLiteral("no dialog ") + dialogName;
            return;
        }
        QTest::qWait(50);
        check(d, dialogName);
        d->reject();
        QTRY_VERIFY(!d->isVisible());
    };

    for (const QString &name : MainWindow::pageNames()) {
        window.showPage(name);
        QTRY_COMPARE(window.currentPage(), name);
        QWidget *page = window.page(name);
        // Every tab of the page, each in turn.
        const auto tabWidgets = page->findChildren<QTabWidget *>();
        if (tabWidgets.isEmpty()) {
            check(&window, name);
        }
        for (QTabWidget *tabs : tabWidgets) {
            for (int i = 0; i < tabs->count(); ++i) {
                tabs->setCurrentIndex(i);
                check(&window, name + QStringLiteral(" (") + tabs->tabText(i) + QLatin1Char(')'));
            }
        }
        if (name == QLatin1String("Products")) {
            dialogOf(page, QStringLiteral("New product"), QStringLiteral("New product"));
        } else if (name == QLatin1String("Orders")) {
            auto *view = named<QTableView>(page, QStringLiteral("Order list"));
            QTRY_VERIFY(rowOf(view, order->id) >= 0);
            QVERIFY(clickRow(view, order->id));
            check(&window, name + QStringLiteral(" (an order)"));
            dialogOf(page, QStringLiteral("Ship order"), QStringLiteral("Ship order dialog"));
            dialogOf(page, QStringLiteral("Refund order"), QStringLiteral("Refund dialog"));
        } else if (name == QLatin1String("Discount codes")) {
            dialogOf(page, QStringLiteral("New discount code"),
                     QStringLiteral("Discount code dialog"));
        } else if (name == QLatin1String("Settings")) {
            dialogOf(page, QStringLiteral("Add shipping option"),
                     QStringLiteral("Shipping option dialog"));
            dialogOf(page, QStringLiteral("Add tax rate"), QStringLiteral("Tax rate dialog"));
        }
    }
    // My account…, from the Shop menu.
    chooseFromMenu(&window, QStringLiteral("Shop"), QStringLiteral("My account…"));
    QDialog *account = nullptr;
    QTRY_VERIFY((account = named<QDialog>(&window, QStringLiteral("My account")))
                && account->isVisible());
    check(account, QStringLiteral("My account"));
    account->reject();

    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
}

QTEST_MAIN(TestConsoleMnemonics)
#include "tst_console_mnemonics.moc"
