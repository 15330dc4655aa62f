// The console, offscreen, driven like a seller would: by accessible names, mouse and keys. Each
// flow checks the API's answer afterwards, since both act through the same model.

#include "support/consolefixture.h"
#include "support/smtpsink.h"
#include "support/testsupport.h"

#include "app/config.h"
#include "app/console/metricsmonitor.h"
#include "app/runtime.h"
#include "model/clock.h"
#include "model/cloudinaryimagestore.h"
#include "model/coinledger.h"
#include "model/demo.h"
#include "model/ids.h"
#include "model/secretstore.h"
#include "model/storedetails.h"
#include "ui/consoleworker.h"
#include "ui/datalocationdialog.h"
#include "ui/exportmenu.h"
#include "ui/logindialog.h"
#include "ui/mainwindow.h"
#include "ui/orderspage.h"
#include "ui/page.h"
#include "ui/productspage.h"
#include "ui/rowsmodel.h"
#include "ui/settingspage.h"
#include "ui/setupwizard.h"

#include <QAbstractButton>
#include <QAccessible>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QImage>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProcess>
#include <QProgressBar>
#include <QProgressDialog>
#include <QPushButton>
#include <QRadioButton>
#include <QScopeGuard>
#include <QSemaphore>
#include <QSet>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSqlQuery>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTabWidget>
#include <QTableView>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTextDocument>
#include <QThread>
#include <QThreadPool>
#include <QTimer>
#include <QUrl>

#include <algorithm>
#include <atomic>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

void setSpin(QWidget *root, const QString &name, int value)
{
    auto *spin = named<QSpinBox>(root, name);
    QVERIFY2(spin, qPrintable(name));
    spin->setFocus();
    spin->selectAll();
    QTest::keyClicks(spin, QString::number(value));
    QCOMPARE(spin->value(), value);
}

QString writePng(const QString &dir, QColor color)
{
    QImage image(80, 60, QImage::Format_RGB32);
    image.fill(color);
    const QString path = dir + QStringLiteral("/picture.png");
    image.save(path);
    return path;
}

// The local image store behind a gate: store() waits until the test opens it, so a test can
// look at the console while an upload is in flight.
class GatedImageStore : public ImageStore
{
public:
    GatedImageStore(const QString &directory, const QString &baseUrl)
        : m_inner(directory, baseUrl)
    {}
    Result<StoredImage> store(const QByteArray &bytes, const QString &mimeType,
                              const CancelToken &cancel = {}) override
    {
        entered.release();
        gate.acquire();
        return m_inner.store(bytes, mimeType, cancel);
    }
    Status remove(const QString &key) override { return m_inner.remove(key); }

    QSemaphore entered;
    QSemaphore gate;

private:
    LocalImageStore m_inner;
};
// RFC 4180 records of a CSV text (quoted fields with doubled quotes, commas and line breaks).
QList<QStringList> parseCsv(const QString &text)
{
    QList<QStringList> records;
    QStringList record;
    QString field;
    bool quoted = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (quoted) {
            if (c == QLatin1Char('"') && i + 1 < text.size()
                && text.at(i + 1) == QLatin1Char('"')) {
                field += c;
                ++i;
            } else if (c == QLatin1Char('"')) {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == QLatin1Char('"')) {
            quoted = true;
        } else if (c == QLatin1Char(',')) {
            record.append(field);
            field.clear();
        } else if (c == QLatin1Char('\r') && i + 1 < text.size()
                   && text.at(i + 1) == QLatin1Char('\n')) {
            record.append(field);
            records.append(record);
            record.clear();
            field.clear();
            ++i;
        } else {
            field += c;
        }
    }
    if (!field.isEmpty() || !record.isEmpty()) {
        record.append(field);
        records.append(record);
    }
    return records;
}

// Types `fileName` into the open save dialog under `page` (in `folder`; the dialog named
// `dialogName`, or the only one) and presses Save.
void saveAs(QWidget *page, const QString &folder, const QString &fileName,
            const QString &dialogName = {})
{
    QFileDialog *files = dialogName.isEmpty() ? page->findChild<QFileDialog *>()
                                              : named<QFileDialog>(page, dialogName);
    QTRY_VERIFY(files && files->isVisible());
    QCOMPARE(files->acceptMode(), QFileDialog::AcceptSave);
    files->setDirectory(folder);
    auto *edit = files->findChild<QLineEdit *>(QStringLiteral("fileNameEdit"));
    QVERIFY2(edit, "the file dialog is not the widget-based one");
    QVERIFY2(edit->text().endsWith(QLatin1String(".csv")), qPrintable(edit->text()));
    edit->setFocus();
    edit->selectAll();
    QTest::keyClicks(edit, fileName);
    QAbstractButton *save = files->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Save);
    QVERIFY(save);
    QTRY_VERIFY(save->isEnabled());
    QTest::mouseClick(save, Qt::LeftButton);
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// A fake outside service of tests/peers (fake_stripe.py prints "PORT n", fake_cloudinary.py
// "READY n") as a child process.
class Peer
{
public:
    ~Peer()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
    bool start(const QString &script, const QStringList &args = {})
    {
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start(QStringLiteral("python3"),
                        QStringList{QStringLiteral(MERCATO_TEST_PEERS_DIR "/") + script} + args);
        if (!m_process.waitForStarted(10000))
            return false;
        while (!m_process.canReadLine()) {
            if (!m_process.waitForReadyRead(15000))
                return false;
        }
        const QList<QByteArray> words = m_process.readLine().trimmed().split(' ');
        m_port = words.size() == 2 ? quint16(words.at(1).toUInt()) : 0;
        return m_port != 0;
    }
    quint16 port() const { return m_port; }
    QString base() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_port); }

private:
    QProcess m_process;
    quint16 m_port = 0;
};

// The fake Stripe's log of GET /v1/balance calls: their Authorization headers.
QStringList balanceCalls(const Peer &stripe)
{
    QStringList out;
    const QJsonArray all = httpRequest(stripe.port(), "GET", "/_test/requests").jsonArray();
    for (const QJsonValue &v : all) {
        const QJsonObject r = v.toObject();
        if (r.value(QStringLiteral("path")).toString() == QLatin1String("/v1/balance"))
            out.append(r.value(QStringLiteral("headers"))
                               .toObject()
                               .value(QStringLiteral("authorization"))
                               .toString());
    }
    return out;
}

// Clicks a Settings page's test button and waits for its verdict ("works", "failed",
// "cancelled": the result label's accessible description).
QString runConnectionTest(QWidget *page, const QString &button)
{
    click(page, button);
    auto *result = named<QLabel>(page, QStringLiteral("Connection test result"));
    if (!result)
        return QStringLiteral("no result label");
    (void)QTest::qWaitFor(
            [result] { return result->accessibleDescription() != QLatin1String("running"); },
            30000);
    return result->accessibleDescription();
}

QString nameOf(const QWidget *w)
{
    return w->accessibleName().isEmpty() ? QString::fromLatin1(w->metaObject()->className())
                                                   + QLatin1Char('#') + w->objectName()
                                         : w->accessibleName();
}

// The controls under `root` that Tab visits, in the order it visits them: focus goes to
// `first`, then Tab is pressed (a real key event to the focused widget) until a control under
// `root` comes round again.
QStringList tabWalk(QWidget *root, QWidget *first)
{
    QStringList names;
    if (!first)
        return {QStringLiteral("no first control")};
    // Offscreen, a dialog opened over the main window is not always made the active one.
    QApplication::setActiveWindow(root->window());
    if (!QTest::qWaitForWindowActive(root->window()))
        return {QStringLiteral("(window not active)")};
    first->setFocus(Qt::TabFocusReason);
    QSet<QWidget *> seen;
    for (int i = 0; i < 200; ++i) {
        QWidget *w = QApplication::focusWidget();
        if (!w)
            return names << QStringLiteral("(focus lost)");
        if (root->isAncestorOf(w)) {
            if (seen.contains(w))
                break;
            seen.insert(w);
            names.append(nameOf(w));
        }
        QTest::keyClick(w, Qt::Key_Tab);
    }
    return names;
}

// The controls under `root` that take focus by Tab, in reading order: rows top to bottom (a
// control whose top is above the bottom of the row's first control is on that row), each row
// left to right.
QStringList visualOrder(QWidget *root)
{
    struct Placed
    {
        QRect rect;
        QString name;
    };
    QList<Placed> all;
    const auto widgets = root->findChildren<QWidget *>();
    for (QWidget *w : widgets) {
        if (!w->isVisible() || !w->isEnabled() || !(w->focusPolicy() & Qt::TabFocus)
            || w->focusProxy())
            continue;
        all.append({QRect(w->mapTo(root->window(), QPoint(0, 0)), w->size()), nameOf(w)});
    }
    std::sort(all.begin(), all.end(), [](const Placed &a, const Placed &b) {
        return a.rect.top() != b.rect.top() ? a.rect.top() < b.rect.top()
                                            : a.rect.left() < b.rect.left();
    });
    QStringList out;
    for (qsizetype i = 0; i < all.size();) {
        QList<Placed> row{all.at(i)};
        const int bottom = all.at(i).rect.bottom();
        qsizetype j = i + 1;
        while (j < all.size() && all.at(j).rect.top() < bottom)
            row.append(all.at(j++));
        std::sort(row.begin(), row.end(),
                  [](const Placed &a, const Placed &b) { return a.rect.left() < b.rect.left(); });
        for (const Placed &p : row)
            out.append(p.name);
        i = j;
    }
    return out;
}

void checkTabOrder(QWidget *root, QWidget *first)
{
    const QStringList walked = tabWalk(root, first);
    const QStringList seen = visualOrder(root);
    QVERIFY2(walked == seen,
             qPrintable(QStringLiteral("%1:\n  Tab goes  %2\n  on screen %3")
                                .arg(nameOf(root), walked.join(QStringLiteral(" → ")),
                                     seen.join(QStringLiteral(" → ")))));
}

} // namespace

class TestConsole : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void shellListsPages();
    void wizardCreatesOwnerThenLockAndSwitchSeller();
    void wizardShowsValidationMessages();
    void wizardChoicesApplyAtOnceAndLeavingAsks();
    void dataLocationAskedOnFirstStart();
    void wizardAddsDemoData();
    void refundApproveAndReject();
    void complaintReplyAndResolve();
    void finding13_userTextNeverMarkup();
    void settingsSave();
    void settingsTlsFiles();
    void settingsStoreLogo();
    void serverPageShowsRequests();
    void productsCreateValidateEditDelete();
    void productsSearchAndPictures();
    void productEditConflictIsExplained();
    void productsFollowTheApiAndSort();
    void pictureUploadShowsProgress();
    void pictureUploadCanBeCancelled();
    void productRatingAndReviewHide();
    void dashboardCoinDiscountsThisMonth();
    void inventoryAdjustAndLowStock();
    void notificationsMarkReadAndOpen();
    void ordersMarkPaidShipDeliver();
    void ordersPurchaseHistoryAndCustomers();
    void ordersFollowTheApiLive();
    void ordersExportCsvOfFilteredRows();
    void exportMenuWritesTheSellersRows_data();
    void exportMenuWritesTheSellersRows();
    void exportCanBeCancelled();
    void exportToAnUnwritablePathIsExplained();
    void guiThreadIdleUnderApiLoad();
    void connectionTestsReportClearly();
    void connectionTestCanBeCancelled();
    void settingsSecretsInTheKeychain();
    void trayAlertsOpenRefundAndComplaint();
    void shortcutsAndGeometryRemembered();
    void eventBurstsCoalesceReloads();
    void serverSwitchStopsAndStartsTheApi();
    void tabOrderFollowsTheLayout();
    void iconsComeFromResources();

private:
    QString addSeller(TestServer &server, const QString &email, const QString &password,
                      const QString &name = QStringLiteral("Sam Seller"));
    void signIn(MainWindow &window, const QString &email, const QString &password);
    QString addUser(TestServer &server, const QString &role);
    QString addProduct(TestServer &server, const QString &sellerId);
    QString listProduct(TestServer &server, const QString &sellerId, const QString &name,
                        qint64 stock, qint64 threshold, qint64 priceCents = 1500);
    void start(Console &console, const QString &email);
    QString placeOrder(TestServer &server, const QString &customerId, const QString &productId,
                       int qty);
    QPair<QString, QString> addPaidOrder(TestServer &server, const QString &customerId,
                                         const QString &productId, const QString &sellerId);
    Client as(TestServer &server, const QString &userId, const QString &role);

    static inline const QString kPassword = QStringLiteral("correct horse battery");
    QTemporaryDir m_settingsDir;
};

void TestConsole::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    // The console's QSettings (geometry, last page) of this process only: the SQLite and the
    // PostgreSQL runs of this test may run at the same time.
    QVERIFY(m_settingsDir.isValid());
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settingsDir.path());
}

void TestConsole::init()
{
    Clock::resetForTesting();
    QSettings(QStringLiteral("Mercato"), QStringLiteral("console")).clear();
}

QString TestConsole::addSeller(TestServer &server, const QString &email, const QString &password,
                               const QString &name)
{
    auto session = server.shop().accounts().registerAccount(
            {email, password, name, QStringLiteral("seller")});
    if (!session)
        qFatal("registering a seller failed: %s", qPrintable(session.error().detail));
    return session->user.id;
}

void TestConsole::signIn(MainWindow &window, const QString &email, const QString &password)
{
    LoginDialog *login = window.loginDialog();
    QTRY_VERIFY(login->isVisible());
    type(login, QStringLiteral("Email"), email);
    type(login, QStringLiteral("Password"), password);
    click(login, QStringLiteral("Sign in"));
    QTRY_COMPARE(Accounts::normaliseEmail(window.seller().email), Accounts::normaliseEmail(email));
    QVERIFY(!login->isVisible());
}

QString TestConsole::addUser(TestServer &server, const QString &role)
{
    const QString id = Ids::newId();
    const qint64 now = Clock::nowMs();
    const QString email = id + QStringLiteral("@example.test");
    auto q = execSql(
            server.shop().database().connection(),
            QStringLiteral("INSERT INTO users (id, email, email_norm, password_hash, display_name, "
                           "role, created_at, updated_at) VALUES (?, ?, ?, 'x', ?, ?, ?, ?)"),
            {id, email, email, QString(role + QStringLiteral(" ") + id.left(4)), role, now, now});
    if (!q)
        qFatal("insert user failed");
    return id;
}

QString TestConsole::addProduct(TestServer &server, const QString &sellerId)
{
    const QString id = Ids::newId();
    const qint64 now = Clock::nowMs();
    auto q = execSql(
            server.shop().database().connection(),
            QStringLiteral(
                    "INSERT INTO products (id, seller_id, name, description, price_cents, "
                    "stock, created_at, updated_at) VALUES (?, ?, 'Teapot', '', 2500, 10, ?, ?)"),
            {id, sellerId, now, now});
    if (!q)
        qFatal("insert product failed");
    return id;
}

// A delivered order of one line (orders are not the console's to create; the after-sales
// The wizard's "Demo data" box fills the new store with the --demo sample data beside the
// owner's account (Demo::seed ignores that one account); left unticked, the store stays empty.
void TestConsole::wizardAddsDemoData()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    Console console(server);
    MainWindow &window = console.window;
    window.show();
    window.begin();
    SetupWizard *wizard = window.setupWizard();
    QTRY_VERIFY(wizard->isVisible());
    auto *demo = named<QCheckBox>(wizard, QStringLiteral("Demo data"));
    QVERIFY(demo);
    QVERIFY(!demo->isChecked());
    type(wizard, QStringLiteral("Store name"), QStringLiteral("Demo Teas"));
    QTest::mouseClick(demo, Qt::LeftButton, {}, QPoint(5, demo->height() / 2));
    QVERIFY(demo->isChecked());
    click(wizard, QStringLiteral("Next"));
    QTRY_COMPARE(wizard->currentId(), 1);
    type(wizard, QStringLiteral("Owner name"), QStringLiteral("Olive Owner"));
    type(wizard, QStringLiteral("Owner email"), QStringLiteral("olive@example.test"));
    type(wizard, QStringLiteral("Owner password"), kPassword);
    type(wizard, QStringLiteral("Confirm password"), kPassword);
    click(wizard, QStringLiteral("Finish"));
    QTRY_VERIFY_WITH_TIMEOUT(window.seller().email == QLatin1String("olive@example.test"), 60000);
    QSqlQuery products(server.shop().database().connection());
    QVERIFY(products.exec(QStringLiteral("SELECT COUNT(*) FROM products")) && products.next());
    QCOMPARE(products.value(0).toInt(), 200);
    const DemoAccount seller = Demo::accounts().first();
    QCOMPARE(server.client()
                     .post(QStringLiteral("/api/v1/auth/login"),
                           {{QStringLiteral("email"), seller.email},
                            {QStringLiteral("password"), seller.password}})
                     .status,
             200);
    QCOMPARE(server.client()
                     .post(QStringLiteral("/api/v1/auth/login"),
                           {{QStringLiteral("email"), QStringLiteral("olive@example.test")},
                            {QStringLiteral("password"), kPassword}})
                     .status,
             200);
}

// tests seed them the same way).
QPair<QString, QString> TestConsole::addPaidOrder(TestServer &server, const QString &customerId,
                                                  const QString &productId, const QString &sellerId)
{
    const QString orderId = Ids::newId();
    const QString itemId = Ids::newId();
    const qint64 now = Clock::nowMs();
    const QSqlDatabase db = server.shop().database().connection();
    auto o = execSql(
            db,
            QStringLiteral(
                    "INSERT INTO orders (id, customer_id, status, subtotal_cents, total_cents, "
                    "currency, payment_provider, payment_state, created_at, updated_at) "
                    "VALUES (?, ?, 'delivered', 5000, 5000, 'USD', 'manual', 'succeeded', ?, ?)"),
            {orderId, customerId, now, now});
    auto i = execSql(
            db,
            QStringLiteral(
                    "INSERT INTO order_items (id, order_id, product_id, seller_id, name, "
                    "unit_price_cents, quantity, line_total_cents) VALUES (?, ?, ?, ?, 'Teapot', "
                    "2500, 2, 5000)"),
            {itemId, orderId, productId, sellerId});
    if (!o || !i)
        qFatal("insert order failed");
    return {orderId, itemId};
}

Client TestConsole::as(TestServer &server, const QString &userId, const QString &role)
{
    Client c = server.client();
    c.setToken(server.shop().tokens().issueAccess(userId, role).token);
    return c;
}

void TestConsole::shellListsPages()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    addSeller(server, QStringLiteral("shell@example.test"), kPassword);
    Console console(server);
    MainWindow &window = console.window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.begin();
    signIn(window, QStringLiteral("shell@example.test"), kPassword);

    auto *pages = named<QListWidget>(&window, QStringLiteral("Pages"));
    QVERIFY(pages);
    // The only seller is the store's owner: the owner's Sellers page is listed too.
    QTRY_VERIFY(!pages->item(pages->count() - 1)->isHidden());
    QStringList names;
    for (int i = 0; i < pages->count(); ++i)
        names.append(pages->item(i)->text());
    QCOMPARE(names, MainWindow::pageNames());
    QCOMPARE(names, (QStringList{QStringLiteral("Dashboard"), QStringLiteral("Products"),
                                 QStringLiteral("Inventory"), QStringLiteral("Orders"),
                                 QStringLiteral("Refunds & Complaints"),
                                 QStringLiteral("Customers"), QStringLiteral("Discount codes"),
                                 QStringLiteral("Notifications"), QStringLiteral("Settings"),
                                 QStringLiteral("Server"), QStringLiteral("Sellers")}));
    auto *stack = named<QStackedWidget>(&window, QStringLiteral("Page"));
    QVERIFY(stack);
    for (int i = 0; i < pages->count(); ++i) {
        const QRect rect = pages->visualItemRect(pages->item(i));
        QTest::mouseClick(pages->viewport(), Qt::LeftButton, {}, rect.center());
        QCOMPARE(window.currentPage(), names.at(i));
        QCOMPARE(stack->currentWidget()->accessibleName(), names.at(i));
    }
    // The current page is remembered.
    QCOMPARE(QSettings(QStringLiteral("Mercato"), QStringLiteral("console"))
                     .value(QStringLiteral("console/page"))
                     .toString(),
             names.last());

    QLabel *url = window.findChild<QLabel *>(QStringLiteral("apiUrl"));
    QVERIFY(url);
    QVERIFY(url->text().contains(server.baseUrl()));
    QLabel *requests = window.findChild<QLabel *>(QStringLiteral("requestCount"));
    QVERIFY(requests);
    QCOMPARE(httpRequest(server.port(), "GET", "/healthz").status, 200);
    QTRY_VERIFY_WITH_TIMEOUT(requests->text().contains(QLatin1String("1")), 3000);
}

void TestConsole::wizardCreatesOwnerThenLockAndSwitchSeller()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    Console console(server);
    MainWindow &window = console.window;
    window.show();
    window.begin();
    SetupWizard *wizard = window.setupWizard();
    QTRY_VERIFY(wizard->isVisible());
    QVERIFY(!window.loginDialog()->isVisible());

    type(wizard, QStringLiteral("Store name"), QStringLiteral("Corner Teas"));
    auto *currency = named<QComboBox>(wizard, QStringLiteral("Currency"));
    QVERIFY(currency);
    currency->setCurrentText(QStringLiteral("EUR"));
    click(wizard, QStringLiteral("Next"));
    QTRY_COMPARE(wizard->currentId(), 1);
    type(wizard, QStringLiteral("Owner name"), QStringLiteral("Olive Owner"));
    type(wizard, QStringLiteral("Owner email"), QStringLiteral("Olive@Example.test"));
    type(wizard, QStringLiteral("Owner password"), kPassword);
    type(wizard, QStringLiteral("Confirm password"), kPassword);
    click(wizard, QStringLiteral("Finish"));
    QTRY_COMPARE(window.seller().email, QStringLiteral("olive@example.test"));
    QVERIFY(!wizard->isVisible());
    QCOMPARE(window.seller().role, QStringLiteral("seller"));
    QCOMPARE(window.currentPage(), QStringLiteral("Dashboard"));

    // The API knows the owner: it can sign in there with the same password.
    const HttpResult login
            = server.client().post(QStringLiteral("/api/v1/auth/login"),
                                   {{QStringLiteral("email"), QStringLiteral("olive@example.test")},
                                    {QStringLiteral("password"), kPassword}});
    QCOMPARE(login.status, 200);
    QCOMPARE(login.json()
                     .value(QStringLiteral("user"))
                     .toObject()
                     .value(QStringLiteral("role"))
                     .toString(),
             QStringLiteral("seller"));
    // The store's name and currency were kept.
    QTRY_VERIFY(QFileInfo::exists(MetricsMonitor::configFileIn(server.dataDir())));
    QCOMPARE(console.monitor.settings().currency, QStringLiteral("EUR"));

    // Ctrl+L locks: the pages go away and the sign-in dialog asks again.
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    QTest::keyClick(&window, Qt::Key_L, Qt::ControlModifier);
    QTRY_VERIFY(window.loginDialog()->isVisible());
    QVERIFY(window.seller().id.isEmpty());
    QCOMPARE(window.currentPage(), QString());
    QVERIFY(!named<QListWidget>(&window, QStringLiteral("Pages"))->isEnabled());

    // A wrong password is refused with a message; another seller signs in.
    const QString other = addSeller(server, QStringLiteral("second@example.test"), kPassword,
                                    QStringLiteral("Second"));
    type(window.loginDialog(), QStringLiteral("Email"), QStringLiteral("second@example.test"));
    type(window.loginDialog(), QStringLiteral("Password"), QStringLiteral("not the password"));
    click(window.loginDialog(), QStringLiteral("Sign in"));
    QTRY_COMPARE(named<QLabel>(window.loginDialog(), QStringLiteral("Sign in message"))->text(),
                 QStringLiteral("The email or password is wrong."));
    QVERIFY(window.seller().id.isEmpty());
    signIn(window, QStringLiteral("second@example.test"), kPassword);
    QCOMPARE(window.seller().id, other);
}

// The very first start asks where the data lives before any database is opened: the default
// SQLite file, another file, or a PostgreSQL URL that must connect before it is accepted. The
// choice goes into the console's settings file, and the next start does not ask again.
void TestConsole::dataLocationAskedOnFirstStart()
{
    QTemporaryDir dir;
    const QString conf = dir.filePath(QStringLiteral("mercato.conf"));
    QVERIFY(DataLocationDialog::needed(dir.path(), conf, false));
    QVERIFY(!DataLocationDialog::needed(dir.path(), conf, true)); // named by env or arguments

    DataLocationDialog dialog(dir.path(), conf);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    auto *local = named<QRadioButton>(&dialog, QStringLiteral("On this computer"));
    auto *file = named<QLineEdit>(&dialog, QStringLiteral("Database file"));
    auto *url = named<QLineEdit>(&dialog, QStringLiteral("PostgreSQL URL"));
    auto *status = named<QLabel>(&dialog, QStringLiteral("Data location status"));
    QVERIFY(local && file && url && status);
    QVERIFY(local->isChecked());
    QCOMPARE(file->text(), dir.filePath(QStringLiteral("mercato.db")));
    QVERIFY(!url->isEnabled());

    // PostgreSQL: not a URL, then a server that is not there: said, nothing saved.
    QTest::mouseClick(named<QRadioButton>(&dialog, QStringLiteral("On a PostgreSQL server")),
                      Qt::LeftButton);
    QVERIFY(url->isEnabled() && !file->isEnabled());
    QTest::keyClicks(url, QStringLiteral("mysql://shop@127.0.0.1/shop"));
    click(&dialog, QStringLiteral("Continue"));
    QVERIFY2(status->text().contains(QLatin1String("not a PostgreSQL URL")),
             qPrintable(status->text()));
    quint16 closedPort = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        closedPort = probe.serverPort();
    }
    url->clear();
    QTest::keyClicks(url,
                     QStringLiteral("postgresql://shop:secret@127.0.0.1:%1/shop").arg(closedPort));
    click(&dialog, QStringLiteral("Continue"));
    QTRY_VERIFY_WITH_TIMEOUT(!dialog.isTesting(), 20000);
    QVERIFY2(status->text().contains(QLatin1String("could not connect")),
             qPrintable(status->text()));
    QVERIFY(dialog.isVisible());
    QVERIFY(!QFileInfo::exists(conf));
    snap(&dialog, QStringLiteral("data-location"));

    if (usingPostgres()) {
        // The test cluster: it connects, then Continue keeps it.
        const QString pg = freshDatabaseUrl(dir.path());
        url->clear();
        QTest::keyClicks(url, pg);
        click(&dialog, QStringLiteral("Test the PostgreSQL connection"));
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.isTesting(), 20000);
        QVERIFY2(status->text().contains(QLatin1String("Connected")), qPrintable(status->text()));
        click(&dialog, QStringLiteral("Continue"));
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QCOMPARE(dialog.chosenUrl(), pg);
    } else {
        // SQLite: a file where nothing can be written is refused; the default is kept.
        QTest::mouseClick(local, Qt::LeftButton);
        file->setText(QStringLiteral("/proc/mercato/shop.db"));
        click(&dialog, QStringLiteral("Continue"));
        QVERIFY2(status->text().contains(QLatin1String("cannot write")),
                 qPrintable(status->text()));
        QVERIFY(dialog.isVisible());
        QVERIFY(!QFileInfo::exists(conf));
        file->setText(dir.filePath(QStringLiteral("mercato.db")));
        click(&dialog, QStringLiteral("Continue"));
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QCOMPARE(dialog.chosenUrl(),
                 QStringLiteral("sqlite:") + dir.filePath(QStringLiteral("mercato.db")));
    }
    QVERIFY(!dialog.isVisible());
    // What the next start reads: the settings file names the database, and nothing is asked.
    QCOMPARE(QSettings(conf, QSettings::IniFormat).value(QStringLiteral("database")).toString(),
             dialog.chosenUrl());
    QVERIFY(!DataLocationDialog::needed(dir.path(), conf, false));
    QStringList args{QStringLiteral("mercato"), QStringLiteral("--config=") + conf};
    const ConfigOutcome next = loadConfig(args, QProcessEnvironment(), false);
    QVERIFY2(next.config, qPrintable(next.message));
    QCOMPARE(next.config->database.engine, usingPostgres() ? Engine::Postgres : Engine::Sqlite);
}

void TestConsole::wizardShowsValidationMessages()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    Console console(server);
    MainWindow &window = console.window;
    window.show();
    window.begin();
    SetupWizard *wizard = window.setupWizard();
    QTRY_VERIFY(wizard->isVisible());
    // No store name: the wizard stays on its first page and says why.
    click(wizard, QStringLiteral("Next"));
    QCOMPARE(wizard->currentId(), 0);
    QVERIFY(!named<QLabel>(wizard, QStringLiteral("Store errors"))->text().isEmpty());
    type(wizard, QStringLiteral("Store name"), QStringLiteral("Shop"));
    click(wizard, QStringLiteral("Next"));
    QTRY_COMPARE(wizard->currentId(), 1);
    type(wizard, QStringLiteral("Owner name"), QStringLiteral("Olive"));
    type(wizard, QStringLiteral("Owner email"), QStringLiteral("not-an-email"));
    type(wizard, QStringLiteral("Owner password"), QStringLiteral("short"));
    type(wizard, QStringLiteral("Confirm password"), QStringLiteral("other"));
    click(wizard, QStringLiteral("Finish"));
    const QString errors = named<QLabel>(wizard, QStringLiteral("Owner errors"))->text();
    QVERIFY2(errors.contains(QLatin1String("email")), qPrintable(errors));
    QVERIFY2(errors.contains(QLatin1String("do not match")), qPrintable(errors));
    QTest::qWait(200);
    QVERIFY(wizard->isVisible());
    QVERIFY(window.seller().id.isEmpty());
    QCOMPARE(server.shop().accounts().sellerCount().value(), 0);
}

// The currency and time zone chosen in the first-run wizard apply at once, without a restart:
// the product dialog asks for a price in that currency, the API's store and catalogue answer in
// it, and the store's days follow the zone. Escape asks before leaving the setup; leaving says
// why nobody can sign in and offers the setup again, instead of a sign-in nobody can pass.
void TestConsole::wizardChoicesApplyAtOnceAndLeavingAsks()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    QCOMPARE(server.shop().settings().storeCurrency(), QStringLiteral("USD"));
    Console console(server);
    MainWindow &window = console.window;
    window.show();
    window.begin();
    SetupWizard *wizard = window.setupWizard();
    QTRY_VERIFY(wizard->isVisible());

    // Escape asks; "Continue setting up" keeps the wizard where it was.
    type(wizard, QStringLiteral("Store name"), QStringLiteral("Euro Teas"));
    QTest::keyClick(wizard, Qt::Key_Escape);
    QTRY_VERIFY(wizard->leaveQuestion() && wizard->leaveQuestion()->isVisible());
    snap(wizard->leaveQuestion(), QStringLiteral("setup-leave-question"));
    click(wizard->leaveQuestion(), QStringLiteral("Continue setting up"));
    QTRY_VERIFY(!wizard->leaveQuestion()->isVisible());
    QVERIFY(wizard->isVisible());
    QCOMPARE(named<QLineEdit>(wizard, QStringLiteral("Store name"))->text(),
             QStringLiteral("Euro Teas"));

    // Cancel, then "Stop for now": no sign-in dialog that no account could pass; the window
    // says why and how to go on.
    click(wizard, QStringLiteral("Cancel"));
    QTRY_VERIFY(wizard->leaveQuestion()->isVisible());
    click(wizard->leaveQuestion(), QStringLiteral("Stop for now"));
    QTRY_VERIFY(!wizard->isVisible());
    QVERIFY(!window.loginDialog()->isVisible());
    auto *locked = named<QLabel>(&window, QStringLiteral("Locked"));
    auto *again = named<QPushButton>(&window, QStringLiteral("Set up the store"));
    QVERIFY(locked && again);
    QVERIFY2(locked->text().contains(QLatin1String("no owner account")),
             qPrintable(locked->text()));
    QVERIFY(again->isVisible());
    snap(&window, QStringLiteral("setup-stopped"));
    QCOMPARE(server.shop().accounts().sellerCount().value(), 0);

    // Back to the setup: euros and Berlin.
    click(&window, QStringLiteral("Set up the store"));
    QTRY_VERIFY(wizard->isVisible());
    QCOMPARE(wizard->currentId(), 0);
    type(wizard, QStringLiteral("Store name"), QStringLiteral("Euro Teas"));
    named<QComboBox>(wizard, QStringLiteral("Currency"))->setCurrentText(QStringLiteral("EUR"));
    named<QComboBox>(wizard, QStringLiteral("Time zone"))
            ->setCurrentText(QStringLiteral("Europe/Berlin"));
    click(wizard, QStringLiteral("Next"));
    QTRY_COMPARE(wizard->currentId(), 1);
    type(wizard, QStringLiteral("Owner name"), QStringLiteral("Olive Owner"));
    type(wizard, QStringLiteral("Owner email"), QStringLiteral("olive@example.test"));
    type(wizard, QStringLiteral("Owner password"), kPassword);
    type(wizard, QStringLiteral("Confirm password"), kPassword);
    click(wizard, QStringLiteral("Finish"));
    QTRY_COMPARE(window.seller().email, QStringLiteral("olive@example.test"));
    QVERIFY(!again->isVisible());
    QCOMPARE(locked->text(), QStringLiteral("Mercato is locked. Sign in to continue."));

    // At once, in this process: the shop's currency and zone.
    QCOMPARE(server.shop().settings().storeCurrency(), QStringLiteral("EUR"));
    QCOMPARE(server.shop().settings().zone().id(), QByteArray("Europe/Berlin"));
    // The product dialog asks for euros.
    window.showPage(QStringLiteral("Products"));
    auto *page = qobject_cast<ProductsPage *>(window.page(QStringLiteral("Products")));
    QVERIFY(page);
    QTRY_VERIFY(window.worker().isIdle());
    click(page, QStringLiteral("New product"));
    QTRY_VERIFY(page->dialog() && page->dialog()->isVisible());
    QLineEdit *price = named<QLineEdit>(page->dialog(), QStringLiteral("Price"));
    QVERIFY(price);
    QString priceLabel;
    for (QLabel *l : page->dialog()->findChildren<QLabel *>()) {
        if (l->buddy() == price)
            priceLabel = l->text();
    }
    QVERIFY2(priceLabel.contains(QLatin1String("EUR")), qPrintable(priceLabel));
    page->dialog()->reject();

    // The API answers in euros too: the store, and a product the owner adds through it.
    const HttpResult store = server.client().get(QStringLiteral("/api/v1/store"));
    QCOMPARE(store.status, 200);
    QCOMPARE(store.json().value(QStringLiteral("currency")).toString(), QStringLiteral("EUR"));
    Client owner = server.client();
    const HttpResult login
            = owner.post(QStringLiteral("/api/v1/auth/login"),
                         {{QStringLiteral("email"), QStringLiteral("olive@example.test")},
                          {QStringLiteral("password"), kPassword}});
    QCOMPARE(login.status, 200);
    owner.setToken(login.json().value(QStringLiteral("accessToken")).toString());
    const HttpResult made = owner.post(QStringLiteral("/api/v1/products"),
                                       {{QStringLiteral("name"), QStringLiteral("Sencha")},
                                        {QStringLiteral("priceCents"), 1800},
                                        {QStringLiteral("stock"), 5}});
    QCOMPARE(made.status, 201);
    QCOMPARE(made.json().value(QStringLiteral("currency")).toString(), QStringLiteral("EUR"));
    const HttpResult list = server.client().get(QStringLiteral("/api/v1/products"));
    QCOMPARE(list.status, 200);
    QCOMPARE(list.json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .at(0)
                     .toObject()
                     .value(QStringLiteral("currency"))
                     .toString(),
             QStringLiteral("EUR"));
}

void TestConsole::refundApproveAndReject()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString sellerId = addSeller(server, QStringLiteral("refunds@example.test"), kPassword);
    const QString customerId = addUser(server, QStringLiteral("customer"));
    const QString productId = addProduct(server, sellerId);
    const auto first = addPaidOrder(server, customerId, productId, sellerId);
    const auto second = addPaidOrder(server, customerId, productId, sellerId);
    auto approveMe = server.shop().refunds().request(customerId, first.first, first.second, 1,
                                                     QStringLiteral("Cracked lid"));
    auto rejectMe = server.shop().refunds().request(customerId, second.first, second.second, 2,
                                                    QStringLiteral("Changed my mind"));
    QVERIFY(approveMe && rejectMe);
    // A photo with the request (1×1 PNG).
    QVERIFY(server.shop().refunds().addImage(
            customerId, approveMe->id,
            QByteArray::fromBase64(
                    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhf"
                    "DwAChwGA60e6kgAAAABJRU5ErkJggg=="),
            QStringLiteral("image/png")));

    Console console(server);
    MainWindow &window = console.window;
    window.show();
    window.begin();
    signIn(window, QStringLiteral("refunds@example.test"), kPassword);
    window.showPage(QStringLiteral("Refunds & Complaints"));
    QWidget *page = window.page(QStringLiteral("Refunds & Complaints"));
    auto *view = named<QTableView>(page, QStringLiteral("Refund requests"));
    QVERIFY(view);
    QTRY_COMPARE(view->model()->rowCount(), 2);

    // The detail shows the customer's words and the photo, its thumbnail loaded by the worker.
    QVERIFY(clickRow(view, approveMe->id));
    auto *detail = named<QLabel>(page, QStringLiteral("Refund details"));
    QTRY_VERIFY(detail->text().contains(QLatin1String("Cracked lid")));
    auto *photos = named<QListWidget>(page, QStringLiteral("Refund photos"));
    QTRY_COMPARE(photos->count(), 1);
    QTRY_VERIFY(!photos->item(0)->icon().isNull());

    // Approve asks first: the computed amount and the restock choice; nothing is decided yet.
    type(page, QStringLiteral("Decision note"), QStringLiteral("Sorry about that"));
    click(page, QStringLiteral("Approve refund"));
    auto *confirmation = named<QLabel>(page, QStringLiteral("Refund confirmation"));
    QTRY_VERIFY(confirmation->isVisible());
    QVERIFY2(confirmation->text().contains(formatMoney(2500, QStringLiteral("USD"))),
             qPrintable(confirmation->text()));
    QVERIFY(confirmation->text().contains(QLatin1String("back in stock")));
    const Client seller = as(server, sellerId, QStringLiteral("seller"));
    QCOMPARE(seller.get(QStringLiteral("/api/v1/seller/refund-requests/") + approveMe->id)
                     .json()
                     .value(QStringLiteral("status"))
                     .toString(),
             QStringLiteral("requested"));
    click(page, QStringLiteral("Confirm refund"));
    // The list shows requests waiting for a decision: the approved one leaves it.
    QTRY_COMPARE(view->model()->rowCount(), 1);
    HttpResult answer
            = seller.get(QStringLiteral("/api/v1/seller/refund-requests/") + approveMe->id);
    QCOMPARE(answer.status, 200);
    QCOMPARE(answer.json().value(QStringLiteral("status")).toString(), QStringLiteral("refunded"));
    QCOMPARE(answer.json().value(QStringLiteral("amountCents")).toInteger(), 2500);
    QCOMPARE(answer.json().value(QStringLiteral("note")).toString(),
             QStringLiteral("Sorry about that"));
    QCOMPARE(answer.json().value(QStringLiteral("restock")).toBool(), true);
    // The customer is told.
    const Client customer = as(server, customerId, QStringLiteral("customer"));
    auto kinds = [&] {
        QStringList out;
        const QJsonArray items = customer.get(QStringLiteral("/api/v1/notifications"))
                                         .json()
                                         .value(QStringLiteral("items"))
                                         .toArray();
        for (const QJsonValue &v : items)
            out.append(v[QStringLiteral("kind")].toString());
        return out;
    };
    QCOMPARE(kinds().count(QStringLiteral("refund.approved")), 1);

    // Reject needs a note: without one nothing is sent.
    QVERIFY(clickRow(view, rejectMe->id));
    QTRY_VERIFY(named<QAbstractButton>(page, QStringLiteral("Reject refund"))->isEnabled());
    named<QLineEdit>(page, QStringLiteral("Decision note"))->clear();
    click(page, QStringLiteral("Reject refund"));
    QCOMPARE(seller.get(QStringLiteral("/api/v1/seller/refund-requests/") + rejectMe->id)
                     .json()
                     .value(QStringLiteral("status"))
                     .toString(),
             QStringLiteral("requested"));
    QCOMPARE(view->model()->rowCount(), 1);
    type(page, QStringLiteral("Decision note"), QStringLiteral("Opened and used"));
    click(page, QStringLiteral("Reject refund"));
    QTRY_COMPARE(view->model()->rowCount(), 0);
    answer = seller.get(QStringLiteral("/api/v1/seller/refund-requests/") + rejectMe->id);
    QCOMPARE(answer.status, 200);
    QCOMPARE(answer.json().value(QStringLiteral("status")).toString(), QStringLiteral("rejected"));
    QCOMPARE(answer.json().value(QStringLiteral("note")).toString(),
             QStringLiteral("Opened and used"));
    QCOMPARE(kinds().count(QStringLiteral("refund.rejected")), 1);
    // The "Decided" filter lists both decisions.
    auto *filter = named<QComboBox>(page, QStringLiteral("Refund status filter"));
    filter->setCurrentIndex(filter->findData(QStringLiteral("decided")));
    QTRY_COMPARE(view->model()->rowCount(), 2);
    filter->setCurrentIndex(0);
    QTRY_COMPARE(view->model()->rowCount(), 0);
    // The empty list says what happens next.
    QVERIFY(named<QLabel>(page, QStringLiteral("Refund requests empty"))->isVisible());
}

// A customer's (or seller's) name with markup shows as the characters it is, in every label
// that shows it: plain text, or escaped inside the page's own rich text.
void TestConsole::finding13_userTextNeverMarkup()
{
    const QString markup = QStringLiteral("<b>x</b><img src=\"http://127.0.0.1:9/t.png\">");
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString sellerId = addSeller(server, QStringLiteral("markup@example.test"), kPassword,
                                       QStringLiteral("<i>Seller</i>"));
    const QString customerId = addUser(server, QStringLiteral("customer"));
    QVERIFY(execSql(server.shop().database().connection(),
                    QStringLiteral("UPDATE users SET display_name = ? WHERE id = ?"),
                    {markup, customerId}));
    const QString productId = addProduct(server, sellerId);
    const auto order = addPaidOrder(server, customerId, productId, sellerId);
    auto request = server.shop().refunds().request(customerId, order.first, order.second, 1,
                                                   QStringLiteral("<u>broken</u>"));
    QVERIFY(request);

    Console console(server);
    MainWindow &window = console.window;
    window.show();
    window.begin();
    signIn(window, QStringLiteral("markup@example.test"), kPassword);
    window.showPage(QStringLiteral("Refunds & Complaints"));
    QWidget *page = window.page(QStringLiteral("Refunds & Complaints"));
    auto *view = named<QTableView>(page, QStringLiteral("Refund requests"));
    QTRY_COMPARE(view->model()->rowCount(), 1);
    QVERIFY(clickRow(view, request->id));
    type(page, QStringLiteral("Decision note"), QStringLiteral("Sorry"));
    click(page, QStringLiteral("Approve refund"));
    auto *confirmation = named<QLabel>(page, QStringLiteral("Refund confirmation"));
    QTRY_VERIFY(confirmation->isVisible());
    QVERIFY2(confirmation->text().contains(markup), qPrintable(confirmation->text()));
    click(page, QStringLiteral("Confirm refund"));
    QTRY_COMPARE(view->model()->rowCount(), 0);

    // Every label of the window holding a raw name shows it literally.
    int checked = 0;
    const auto labels = window.findChildren<QLabel *>();
    for (const QLabel *label : labels) {
        const QString text = label->text();
        const bool raw = text.contains(QLatin1String("<b>x</b>"))
                         || text.contains(QLatin1String("<i>Seller</i>"));
        if (!raw)
            continue;
        ++checked;
        const bool rendered = label->textFormat() == Qt::RichText
                              || (label->textFormat() == Qt::AutoText && Qt::mightBeRichText(text));
        QVERIFY2(!rendered, qPrintable(label->accessibleName() + QStringLiteral(": ") + text));
    }
    // At least the confirmation, the page's message and the signed-in seller.
    QVERIFY2(checked >= 3, qPrintable(QString::number(checked)));
}

void TestConsole::complaintReplyAndResolve()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString sellerId = addSeller(server, QStringLiteral("care@example.test"), kPassword);
    const QString customerId = addUser(server, QStringLiteral("customer"));
    const QString productId = addProduct(server, sellerId);
    const auto order = addPaidOrder(server, customerId, productId, sellerId);
    auto complaint = server.shop().complaints().open(customerId, order.first, order.second,
                                                     QStringLiteral("Late"),
                                                     QStringLiteral("It came late"));
    QVERIFY(complaint);

    Console console(server);
    MainWindow &window = console.window;
    window.show();
    window.begin();
    signIn(window, QStringLiteral("care@example.test"), kPassword);
    window.showPage(QStringLiteral("Refunds & Complaints"));
    QWidget *page = window.page(QStringLiteral("Refunds & Complaints"));
    auto *tabs = named<QTabWidget>(page, QStringLiteral("Refunds and complaints tabs"));
    QVERIFY(tabs);
    tabs->setCurrentIndex(1);
    auto *view = named<QTableView>(page, QStringLiteral("Complaints"));
    QTRY_COMPARE(view->model()->rowCount(), 1);
    QVERIFY(clickRow(view, complaint->id));
    auto *reply = named<QPlainTextEdit>(page, QStringLiteral("Reply text"));
    QTRY_VERIFY(reply->isEnabled());
    QTest::keyClicks(reply, QStringLiteral("On its way again"));
    click(page, QStringLiteral("Reply to complaint"));
    const Client seller = as(server, sellerId, QStringLiteral("seller"));
    QTRY_COMPARE(seller.get(QStringLiteral("/api/v1/seller/complaints/") + complaint->id)
                         .json()
                         .value(QStringLiteral("status"))
                         .toString(),
                 QStringLiteral("answered"));
    // "Open" filter: the answered complaint leaves the list; show all and resolve it.
    QTRY_COMPARE(view->model()->rowCount(), 0);
    named<QComboBox>(page, QStringLiteral("Complaint status filter"))->setCurrentIndex(1);
    QTRY_COMPARE(view->model()->rowCount(), 1);
    QVERIFY(clickRow(view, complaint->id));
    QTRY_VERIFY(named<QAbstractButton>(page, QStringLiteral("Resolve complaint"))->isEnabled());
    click(page, QStringLiteral("Resolve complaint"));
    QTRY_COMPARE(seller.get(QStringLiteral("/api/v1/seller/complaints/") + complaint->id)
                         .json()
                         .value(QStringLiteral("status"))
                         .toString(),
                 QStringLiteral("resolved"));
}

void TestConsole::settingsSave()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    addSeller(server, QStringLiteral("settings@example.test"), kPassword);
    Console console(server);
    MainWindow &window = console.window;
    window.show();
    window.begin();
    signIn(window, QStringLiteral("settings@example.test"), kPassword);
    window.showPage(QStringLiteral("Settings"));
    QWidget *page = window.page(QStringLiteral("Settings"));
    QTRY_COMPARE(named<QLineEdit>(page, QStringLiteral("Currency"))->text(), QStringLiteral("USD"));
    // A bad listen address is refused with a message and nothing is written.
    type(page, QStringLiteral("Store name"), QStringLiteral("Tea Corner"));
    type(page, QStringLiteral("Listen address"), QStringLiteral("nowhere"));
    click(page, QStringLiteral("Save settings"));
    QVERIFY(named<QLabel>(page, QStringLiteral("Settings message"))
                    ->text()
                    .contains(QLatin1String("Listen")));
    QVERIFY(!QFileInfo::exists(MetricsMonitor::configFileIn(server.dataDir())));

    type(page, QStringLiteral("Listen address"), QStringLiteral("127.0.0.1:9090"));
    type(page, QStringLiteral("Public URL"), QStringLiteral("https://tea.example.com"));
    type(page, QStringLiteral("CORS origins"),
         QStringLiteral("https://a.example, https://b.example"));
    click(page, QStringLiteral("Save settings"));
    QTRY_COMPARE(named<QLabel>(page, QStringLiteral("Settings message"))->text(),
                 QStringLiteral("Settings saved."));
    const ServerSettings saved = console.monitor.settings();
    QCOMPARE(saved.listen, QStringLiteral("127.0.0.1:9090"));
    QCOMPARE(saved.publicUrl, QStringLiteral("https://tea.example.com"));
    QCOMPARE(saved.corsOrigins, (QStringList{QStringLiteral("https://a.example"),
                                             QStringLiteral("https://b.example")}));
    auto details = loadStoreDetails(server.shop().database());
    QVERIFY(details);
    QCOMPARE(details->name, QStringLiteral("Tea Corner"));
}

// Settings' TLS certificate and key files: chosen with Browse, checked on save (the files exist
// and are a matching PEM certificate and key: a clear message otherwise and nothing saved, not
// even the store's name), then written to the console's config file, which the next start reads
// as MERCATO_TLS_CERT / MERCATO_TLS_KEY.
void TestConsole::settingsTlsFiles()
{
    QTemporaryDir tmp;
    const QString certA = tmp.filePath(QStringLiteral("a-cert.pem"));
    const QString keyA = tmp.filePath(QStringLiteral("a-key.pem"));
    const QString certB = tmp.filePath(QStringLiteral("b-cert.pem"));
    const QString keyB = tmp.filePath(QStringLiteral("b-key.pem"));
    QVERIFY(makeTlsPair(certA, keyA));
    QVERIFY(makeTlsPair(certB, keyB));
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    addSeller(server, QStringLiteral("tls@example.test"), kPassword);
    Console console(server);
    MainWindow &window = console.window;
    window.show();
    window.begin();
    signIn(window, QStringLiteral("tls@example.test"), kPassword);
    window.showPage(QStringLiteral("Settings"));
    QWidget *page = window.page(QStringLiteral("Settings"));
    QTRY_COMPARE(named<QLineEdit>(page, QStringLiteral("Currency"))->text(), QStringLiteral("USD"));
    QTRY_VERIFY(window.worker().isIdle());
    QVERIFY(named<QLabel>(page, QStringLiteral("Restart note"))
                    ->text()
                    .contains(QLatin1String("TLS")));
    const QString configFile = MetricsMonitor::configFileIn(server.dataDir());
    auto *message = named<QLabel>(page, QStringLiteral("Settings message"));
    const QString storeName = loadStoreDetails(server.shop().database())->name;

    // Browse picks the certificate.
    click(page, QStringLiteral("Browse for TLS certificate"));
    auto *files = page->findChild<QFileDialog *>();
    QTRY_VERIFY(files && files->isVisible());
    files->setDirectory(tmp.path());
    auto *fileName = files->findChild<QLineEdit *>(QStringLiteral("fileNameEdit"));
    QVERIFY(fileName);
    fileName->setFocus();
    QTest::keyClicks(fileName, QFileInfo(certA).fileName());
    QAbstractButton *openButton
            = files->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Open);
    QTRY_VERIFY(openButton->isEnabled());
    QTest::mouseClick(openButton, Qt::LeftButton);
    QTRY_COMPARE(named<QLineEdit>(page, QStringLiteral("TLS certificate file"))->text(), certA);

    // Another certificate's key, a missing key, and a certificate alone are refused.
    type(page, QStringLiteral("Store name"), QStringLiteral("Renamed"));
    type(page, QStringLiteral("TLS key file"), keyB);
    click(page, QStringLiteral("Save settings"));
    QTRY_VERIFY(message->text().contains(QLatin1String("does not belong to the certificate")));
    QVERIFY(message->text().contains(QLatin1String("Nothing was saved")));
    type(page, QStringLiteral("TLS key file"), tmp.filePath(QStringLiteral("missing.pem")));
    click(page, QStringLiteral("Save settings"));
    QTRY_VERIFY2(message->text().contains(QLatin1String("does not exist")),
                 qPrintable(message->text()));
    type(page, QStringLiteral("TLS key file"), QString());
    click(page, QStringLiteral("Save settings"));
    QVERIFY2(message->text().contains(QLatin1String("both the certificate and the key")),
             qPrintable(message->text()));
    type(page, QStringLiteral("TLS key file"), certA); // a certificate is no key
    click(page, QStringLiteral("Save settings"));
    QTRY_VERIFY2(message->text().contains(QLatin1String("private key")),
                 qPrintable(message->text()));
    QTRY_VERIFY(window.worker().isIdle());
    QVERIFY(!QFileInfo::exists(configFile));
    QCOMPARE(loadStoreDetails(server.shop().database())->name, storeName);

    // The pair is saved; the next start reads it.
    type(page, QStringLiteral("TLS key file"), keyA);
    click(page, QStringLiteral("Save settings"));
    QTRY_COMPARE(message->text(), QStringLiteral("Settings saved."));
    QCOMPARE(console.monitor.settings().tlsCert, certA);
    QCOMPARE(console.monitor.settings().tlsKey, keyA);
    QCOMPARE(loadStoreDetails(server.shop().database())->name, QStringLiteral("Renamed"));
    const ConfigOutcome next = loadConfig(
            {QStringLiteral("mercato"), QStringLiteral("--config=") + configFile}, {}, false);
    QVERIFY2(next.config, qPrintable(next.message));
    QCOMPARE(next.config->tlsCert, certA);
    QCOMPARE(next.config->tlsKey, keyA);

    // Emptying both goes back to plain HTTP.
    type(page, QStringLiteral("TLS certificate file"), QString());
    type(page, QStringLiteral("TLS key file"), QString());
    click(page, QStringLiteral("Save settings"));
    QTRY_VERIFY(window.worker().isIdle());
    QCOMPARE(message->text(), QStringLiteral("Settings saved."));
    QVERIFY(console.monitor.settings().tlsCert.isEmpty());
}

// The Settings page's logo control: chosen through the file dialog, uploaded off the GUI thread,
// shown on the page and by GET /store; a file that is no picture refused; removed again.
void TestConsole::settingsStoreLogo()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    addSeller(server, QStringLiteral("logo@example.test"), kPassword);
    Console console(server);
    MainWindow &window = console.window;
    window.show();
    window.begin();
    signIn(window, QStringLiteral("logo@example.test"), kPassword);
    window.showPage(QStringLiteral("Settings"));
    QWidget *page = window.page(QStringLiteral("Settings"));
    QTRY_VERIFY(window.worker().isIdle());
    auto *logo = named<QLabel>(page, QStringLiteral("Store logo"));
    QVERIFY(logo);
    QCOMPARE(logo->text(), QStringLiteral("No logo"));
    QVERIFY(!named<QAbstractButton>(page, QStringLiteral("Remove store logo"))->isEnabled());
    const Client api = server.client();
    QVERIFY(api.get(QStringLiteral("/api/v1/store"))
                    .json()
                    .value(QStringLiteral("logoUrl"))
                    .isNull());

    QTemporaryDir tmp;
    const QString png = writePng(tmp.path(), QColor(0x7a, 0x45, 0x27));
    const QString notPng = tmp.path() + QStringLiteral("/notes.png");
    {
        QFile f(notPng);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("just some text");
    }
    auto choose = [&](const QString &path) {
        click(page, QStringLiteral("Choose store logo"));
        auto *files = page->findChild<QFileDialog *>();
        QTRY_VERIFY(files && files->isVisible());
        QCOMPARE(files->accessibleName(), QStringLiteral("Choose logo"));
        files->setDirectory(tmp.path());
        auto *fileName = files->findChild<QLineEdit *>(QStringLiteral("fileNameEdit"));
        QVERIFY2(fileName, "the file dialog is not the widget-based one");
        fileName->setFocus();
        QTest::keyClicks(fileName, QFileInfo(path).fileName());
        QAbstractButton *open
                = files->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Open);
        QTRY_VERIFY(open->isEnabled());
        QTest::mouseClick(open, Qt::LeftButton);
    };

    choose(png);
    QTRY_COMPARE(named<QLabel>(page, QStringLiteral("Settings message"))->text(),
                 QStringLiteral("Store logo saved."));
    QVERIFY(!logo->pixmap().isNull());
    QTRY_VERIFY(named<QAbstractButton>(page, QStringLiteral("Remove store logo"))->isEnabled());
    const QString url = api.get(QStringLiteral("/api/v1/store"))
                                .json()
                                .value(QStringLiteral("logoUrl"))
                                .toString();
    QVERIFY(url.contains(QLatin1String("/media/")));
    QFile original(png);
    QVERIFY(original.open(QIODevice::ReadOnly));
    QCOMPARE(api.get(QUrl(url).path()).body, original.readAll());
    snap(&window, QStringLiteral("settings-logo"));

    // Not a picture: a clear message, and the logo stays.
    choose(notPng);
    QTRY_VERIFY(named<QLabel>(page, QStringLiteral("Settings message"))
                        ->text()
                        .contains(QLatin1String("not a picture")));
    QCOMPARE(api.get(QStringLiteral("/api/v1/store"))
                     .json()
                     .value(QStringLiteral("logoUrl"))
                     .toString(),
             url);

    // A reload shows the stored logo; then it is removed.
    logo->clear();
    qobject_cast<Page *>(page)->refresh();
    QTRY_VERIFY(!logo->pixmap().isNull());
    click(page, QStringLiteral("Remove store logo"));
    QTRY_COMPARE(named<QLabel>(page, QStringLiteral("Settings message"))->text(),
                 QStringLiteral("Store logo removed."));
    QCOMPARE(logo->text(), QStringLiteral("No logo"));
    QVERIFY(api.get(QStringLiteral("/api/v1/store"))
                    .json()
                    .value(QStringLiteral("logoUrl"))
                    .isNull());
    QCOMPARE(api.get(QUrl(url).path()).status, 404);
}

void TestConsole::serverPageShowsRequests()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    addSeller(server, QStringLiteral("ops@example.test"), kPassword);
    Console console(server);
    MainWindow &window = console.window;
    window.show();
    window.begin();
    signIn(window, QStringLiteral("ops@example.test"), kPassword);
    window.showPage(QStringLiteral("Server"));
    QWidget *page = window.page(QStringLiteral("Server"));
    QCOMPARE(named<QLineEdit>(page, QStringLiteral("Customer URL"))->text(), server.baseUrl());
    QCOMPARE(named<QLabel>(page, QStringLiteral("Worker threads"))->text(), QStringLiteral("2"));
    for (int i = 0; i < 3; ++i)
        QCOMPARE(httpRequest(server.port(), "GET", "/healthz?token=secret").status, 200);
    QCOMPARE(httpRequest(server.port(), "GET", "/no/such/thing").status, 404);
    auto *view = named<QTableView>(page, QStringLiteral("Recent requests"));
    QTRY_COMPARE(view->model()->rowCount(), 4);
    // Routes, never raw paths with their query strings.
    for (int r = 0; r < view->model()->rowCount(); ++r) {
        const QString route = view->model()->index(r, 2).data().toString();
        QVERIFY2(!route.contains(QLatin1String("secret")), qPrintable(route));
    }
    // The ring keeps the last 200.
    QList<RequestRecord> recent = server.metrics().recentRequests();
    for (int i = 0; i < 210; ++i)
        server.metrics().recordRequest(QStringLiteral("/x"), "GET", 200, 1000);
    recent = server.metrics().recentRequests();
    QCOMPARE(recent.size(), Metrics::kRecentRequests);
    QCOMPARE(recent.last().route, QStringLiteral("/x"));
}

QString TestConsole::listProduct(TestServer &server, const QString &sellerId, const QString &name,
                                 qint64 stock, qint64 threshold, qint64 priceCents)
{
    NewProduct in;
    in.name = name;
    in.description = QStringLiteral("Made by hand.");
    in.priceCents = priceCents;
    in.stock = stock;
    in.lowStockThreshold = threshold;
    auto p = server.shop().catalog().create(sellerId, in);
    if (!p)
        qFatal("creating a product failed: %s", qPrintable(p.error().detail));
    return p->id;
}

void TestConsole::start(Console &console, const QString &email)
{
    console.window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&console.window));
    console.window.begin();
    signIn(console.window, email, kPassword);
}

// New product: an empty form and a bad price are refused in the dialog, a good one is listed;
// editing changes it; deleting asks first. Each step checked through the API.
void TestConsole::productsCreateValidateEditDelete()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString sellerId = addSeller(server, QStringLiteral("products@example.test"), kPassword);
    Console console(server);
    start(console, QStringLiteral("products@example.test"));
    MainWindow &window = console.window;
    window.showPage(QStringLiteral("Products"));
    auto *page = qobject_cast<ProductsPage *>(window.page(QStringLiteral("Products")));
    QVERIFY(page);
    auto *view = named<QTableView>(page, QStringLiteral("Product list"));
    QVERIFY(view);
    QTRY_VERIFY(window.worker().isIdle());
    QTRY_VERIFY(named<QLabel>(page, QStringLiteral("Product list empty"))->isVisible());
    snap(&window, QStringLiteral("products-empty"));

    click(page, QStringLiteral("New product"));
    QTRY_VERIFY(page->dialog() && page->dialog()->isVisible());
    ProductDialog *dialog = page->dialog();
    // Nothing filled in: the dialog says what is missing and stays open; nothing is created.
    click(dialog, QStringLiteral("Save product"));
    auto *errors = named<QLabel>(dialog, QStringLiteral("Product errors"));
    QVERIFY(errors->isVisible());
    QVERIFY2(errors->text().contains(QLatin1String("Name must not be empty")),
             qPrintable(errors->text()));
    QVERIFY2(errors->text().contains(QLatin1String("Price is required")),
             qPrintable(errors->text()));
    type(dialog, QStringLiteral("Product name"), QStringLiteral("Blue Teapot"));
    type(dialog, QStringLiteral("Price"), QStringLiteral("twelve"));
    click(dialog, QStringLiteral("Save product"));
    QVERIFY2(errors->text().contains(QLatin1String("Price must be an amount")),
             qPrintable(errors->text()));
    QVERIFY(!errors->text().contains(QLatin1String("Name")));
    snap(dialog, QStringLiteral("product-dialog-errors"));
    QTest::qWait(100);
    QVERIFY(dialog->isVisible());
    QCOMPARE(view->model()->rowCount(), 0);

    type(dialog, QStringLiteral("Price"), QStringLiteral("24.5"));
    auto *description = named<QPlainTextEdit>(dialog, QStringLiteral("Product description"));
    QTest::keyClicks(description, QStringLiteral("Cast iron, 1 litre."));
    setSpin(dialog, QStringLiteral("Initial stock"), 7);
    setSpin(dialog, QStringLiteral("Low-stock threshold"), 2);
    click(dialog, QStringLiteral("Save product"));
    QTRY_VERIFY(!page->dialog());
    QTRY_COMPARE(view->model()->rowCount(), 1);
    const QString id = selectedRowId(view);
    QVERIFY(!id.isEmpty());
    const Client api = server.client();
    HttpResult got = api.get(QStringLiteral("/api/v1/products/") + id);
    QCOMPARE(got.status, 200);
    QCOMPARE(got.json().value(QStringLiteral("name")).toString(), QStringLiteral("Blue Teapot"));
    QCOMPARE(got.json().value(QStringLiteral("priceCents")).toInteger(), 2450);
    QCOMPARE(got.json().value(QStringLiteral("stock")).toInteger(), 7);
    QCOMPARE(got.json().value(QStringLiteral("description")).toString(),
             QStringLiteral("Cast iron, 1 litre."));
    QCOMPARE(server.shop().catalog().get(id)->lowStockThreshold, 2);
    QCOMPARE(server.shop().catalog().get(id)->sellerId, sellerId);

    // Edit: the dialog opens with the product's values; change name and price.
    QVERIFY(clickRow(view, id));
    click(page, QStringLiteral("Edit product"));
    QTRY_VERIFY(page->dialog() && page->dialog()->isVisible());
    dialog = page->dialog();
    QCOMPARE(named<QLineEdit>(dialog, QStringLiteral("Price"))->text(), QStringLiteral("24.50"));
    type(dialog, QStringLiteral("Product name"), QStringLiteral("Blue Teapot, large"));
    type(dialog, QStringLiteral("Price"), QStringLiteral("0"));
    click(dialog, QStringLiteral("Save product"));
    QVERIFY(named<QLabel>(dialog, QStringLiteral("Product errors"))
                    ->text()
                    .contains(QLatin1String("Price must be between")));
    type(dialog, QStringLiteral("Price"), QStringLiteral("31,00"));
    click(dialog, QStringLiteral("Save product"));
    QTRY_VERIFY(!page->dialog());
    QTRY_COMPARE(api.get(QStringLiteral("/api/v1/products/") + id)
                         .json()
                         .value(QStringLiteral("name"))
                         .toString(),
                 QStringLiteral("Blue Teapot, large"));
    QCOMPARE(api.get(QStringLiteral("/api/v1/products/") + id)
                     .json()
                     .value(QStringLiteral("priceCents"))
                     .toInteger(),
             3100);
    QTRY_COMPARE(view->model()->index(0, 0).data().toString(),
                 QStringLiteral("Blue Teapot, large"));
    snap(&window, QStringLiteral("products-list"));

    // Delete asks first; "keep" keeps it, "delete" removes it from the catalog.
    QVERIFY(clickRow(view, id));
    click(page, QStringLiteral("Delete product"));
    QMessageBox *confirm = page->findChild<QMessageBox *>();
    QTRY_VERIFY(confirm && confirm->isVisible());
    click(confirm, QStringLiteral("Keep product"));
    QTest::qWait(100);
    QTRY_VERIFY(window.worker().isIdle());
    QCOMPARE(api.get(QStringLiteral("/api/v1/products/") + id).status, 200);
    click(page, QStringLiteral("Delete product"));
    confirm = page->findChild<QMessageBox *>();
    QTRY_VERIFY(confirm && confirm->isVisible());
    click(confirm, QStringLiteral("Confirm delete product"));
    QTRY_COMPARE(api.get(QStringLiteral("/api/v1/products/") + id).status, 404);
    QTRY_COMPARE(view->model()->rowCount(), 0);
}

// Search narrows the list (full text, through the model); pictures are added from a file
// and removed, and the product's images in the API follow.
void TestConsole::productsSearchAndPictures()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString sellerId = addSeller(server, QStringLiteral("pictures@example.test"), kPassword);
    const QString teapot = listProduct(server, sellerId, QStringLiteral("Blue Teapot"), 5, 1);
    listProduct(server, sellerId, QStringLiteral("Green Mug"), 5, 1);
    listProduct(server, sellerId, QStringLiteral("Red Mug"), 5, 1);
    // Another seller's product never shows here.
    const QString other = addSeller(server, QStringLiteral("other@example.test"), kPassword,
                                    QStringLiteral("Other"));
    listProduct(server, other, QStringLiteral("Other Teapot"), 5, 1);

    Console console(server);
    start(console, QStringLiteral("pictures@example.test"));
    MainWindow &window = console.window;
    window.showPage(QStringLiteral("Products"));
    auto *page = qobject_cast<ProductsPage *>(window.page(QStringLiteral("Products")));
    auto *view = named<QTableView>(page, QStringLiteral("Product list"));
    QTRY_COMPARE(view->model()->rowCount(), 3);

    auto *search = named<QLineEdit>(page, QStringLiteral("Product search"));
    QTest::mouseClick(search, Qt::LeftButton);
    QTest::keyClicks(search, QStringLiteral("mug"));
    QTest::keyClick(search, Qt::Key_Return);
    QTRY_COMPARE(view->model()->rowCount(), 2);
    QTest::qWait(400); // the debounced search too
    QTRY_VERIFY(window.worker().isIdle());
    QCOMPARE(view->model()->rowCount(), 2);
    QVERIFY(rowOf(view, teapot) < 0);
    search->clear();
    QTest::keyClicks(search, QStringLiteral("teapot"));
    QTest::keyClick(search, Qt::Key_Return);
    QTRY_COMPARE(view->model()->rowCount(), 1);
    QTRY_VERIFY(window.worker().isIdle());
    QCOMPARE(view->model()->rowCount(), 1);
    QCOMPARE(view->model()->index(0, 0).data().toString(), QStringLiteral("Blue Teapot"));

    // Add a picture: the file dialog, a PNG, the list shows its thumbnail.
    QVERIFY(clickRow(view, teapot));
    QTemporaryDir tmp;
    const QString png = writePng(tmp.path(), QColor(0x1e, 0x88, 0xe5));
    click(page, QStringLiteral("Add picture"));
    QFileDialog *files = page->findChild<QFileDialog *>();
    QTRY_VERIFY(files && files->isVisible());
    files->setDirectory(tmp.path()); // where the seller keeps the pictures; the name is typed
    auto *fileName = files->findChild<QLineEdit *>(QStringLiteral("fileNameEdit"));
    QVERIFY2(fileName, "the file dialog is not the widget-based one");
    fileName->setFocus();
    QTest::keyClicks(fileName, QFileInfo(png).fileName());
    auto *box = files->findChild<QDialogButtonBox *>();
    QVERIFY(box);
    QAbstractButton *openButton = box->button(QDialogButtonBox::Open);
    QVERIFY(openButton);
    QTRY_VERIFY(openButton->isEnabled());
    QTest::mouseClick(openButton, Qt::LeftButton);
    auto *pictures = named<QListWidget>(page, QStringLiteral("Product pictures"));
    QTRY_VERIFY(window.worker().isIdle());
    QTRY_COMPARE_WITH_TIMEOUT(pictures->count(), 1, 3000);
    QTRY_VERIFY(!pictures->item(0)->icon().isNull());
    const Client api = server.client();
    QJsonArray images = api.get(QStringLiteral("/api/v1/products/") + teapot)
                                .json()
                                .value(QStringLiteral("images"))
                                .toArray();
    QCOMPARE(images.size(), 1);
    QCOMPARE(named<QLabel>(page, QStringLiteral("Products message"))->text(),
             QStringLiteral("Picture added."));
    snap(&window, QStringLiteral("products-pictures"));

    // A file that is not a picture is refused with a clear message.
    const QString notPng = tmp.path() + QStringLiteral("/notes.png");
    {
        QFile f(notPng);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("just some text");
    }
    click(page, QStringLiteral("Add picture"));
    files = page->findChild<QFileDialog *>();
    QTRY_VERIFY(files && files->isVisible());
    QCOMPARE(QFileInfo(files->directory().absolutePath()),
             QFileInfo(tmp.path())); // the folder used last
    fileName = files->findChild<QLineEdit *>(QStringLiteral("fileNameEdit"));
    openButton = files->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Open);
    fileName->setFocus();
    QTest::keyClicks(fileName, QFileInfo(notPng).fileName());

    QTRY_VERIFY(openButton->isEnabled());
    QTest::mouseClick(openButton, Qt::LeftButton);
    QTRY_VERIFY2(named<QLabel>(page, QStringLiteral("Products message"))
                         ->text()
                         .contains(QLatin1String("not a picture")),
                 qPrintable(named<QLabel>(page, QStringLiteral("Products message"))->text()
                            + QLatin1Char('|') + fileName->text()));
    QTRY_VERIFY(window.worker().isIdle());
    QCOMPARE(api.get(QStringLiteral("/api/v1/products/") + teapot)
                     .json()
                     .value(QStringLiteral("images"))
                     .toArray()
                     .size(),
             1);

    // Remove it again.
    QTRY_COMPARE(pictures->count(), 1);
    QTest::mouseClick(pictures->viewport(), Qt::LeftButton, {},
                      pictures->visualItemRect(pictures->item(0)).center());
    click(page, QStringLiteral("Remove picture"));
    QTRY_COMPARE(api.get(QStringLiteral("/api/v1/products/") + teapot)
                         .json()
                         .value(QStringLiteral("images"))
                         .toArray()
                         .size(),
                 0);
    QTRY_COMPARE(pictures->count(), 0);
}

// The product changed elsewhere while the dialog was open: saving is refused and explained.
void TestConsole::productEditConflictIsExplained()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString sellerId = addSeller(server, QStringLiteral("conflict@example.test"), kPassword);
    const QString id = listProduct(server, sellerId, QStringLiteral("Kettle"), 4, 1);
    Console console(server);
    start(console, QStringLiteral("conflict@example.test"));
    console.window.showPage(QStringLiteral("Products"));
    auto *page = qobject_cast<ProductsPage *>(console.window.page(QStringLiteral("Products")));
    auto *view = named<QTableView>(page, QStringLiteral("Product list"));
    QTRY_COMPARE(view->model()->rowCount(), 1);
    QVERIFY(clickRow(view, id));
    click(page, QStringLiteral("Edit product"));
    QTRY_VERIFY(page->dialog() && page->dialog()->isVisible());
    // The API changes the price meanwhile.
    const Client seller = as(server, sellerId, QStringLiteral("seller"));
    QCOMPARE(seller.patch(QStringLiteral("/api/v1/products/") + id,
                          {{QStringLiteral("priceCents"), 999}})
                     .status,
             200);
    type(page->dialog(), QStringLiteral("Product name"), QStringLiteral("Kettle (steel)"));
    click(page->dialog(), QStringLiteral("Save product"));
    QTRY_VERIFY(page->dialog()->errorText().contains(QLatin1String("changed elsewhere")));
    QVERIFY(page->dialog()->isVisible());
    QCOMPARE(server.shop().catalog().get(id)->name, QStringLiteral("Kettle"));
    QCOMPARE(server.shop().catalog().get(id)->priceCents, 999);
}

// The Products page stays current while it is open: a product added and a price changed through
// the HTTP API (another thread, another connection) show without a reload; a header click
// sorts the rows, a second click reverses them.
void TestConsole::productsFollowTheApiAndSort()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString sellerId = addSeller(server, QStringLiteral("live@example.test"), kPassword);
    listProduct(server, sellerId, QStringLiteral("Walnut tray"), 5, 1, 3200);
    listProduct(server, sellerId, QStringLiteral("Oak spoon"), 5, 1, 900);
    listProduct(server, sellerId, QStringLiteral("Birch bowl"), 5, 1, 2100);
    Console console(server);
    start(console, QStringLiteral("live@example.test"));
    MainWindow &window = console.window;
    window.showPage(QStringLiteral("Products"));
    auto *page = qobject_cast<ProductsPage *>(window.page(QStringLiteral("Products")));
    auto *view = named<QTableView>(page, QStringLiteral("Product list"));
    QTRY_COMPARE(view->model()->rowCount(), 3);

    Client api = server.client();
    api.setToken(server.shop().tokens().issueAccess(sellerId, QStringLiteral("seller")).token);
    const HttpResult created = api.post(QStringLiteral("/api/v1/products"),
                                        {{QStringLiteral("name"), QStringLiteral("Cherry board")},
                                         {QStringLiteral("priceCents"), 4500},
                                         {QStringLiteral("stock"), 3}});
    QCOMPARE(created.status, 201);
    const QString id = created.json().value(QStringLiteral("id")).toString();
    QTRY_COMPARE(view->model()->rowCount(), 4);
    QVERIFY(rowOf(view, id) >= 0);
    QCOMPARE(view->model()->index(rowOf(view, id), 0).data().toString(),
             QStringLiteral("Cherry board"));
    const HttpResult patched = api.patch(QStringLiteral("/api/v1/products/") + id,
                                         {{QStringLiteral("priceCents"), 500}});
    QCOMPARE(patched.status, 200);
    QTRY_COMPARE(view->model()->index(rowOf(view, id), 1).data(RowsModel::SortRole).toLongLong(),
                 500);

    // Sorting by price: click the "Price" header.
    QHeaderView *header = view->horizontalHeader();
    int priceColumn = -1;
    for (int c = 0; c < view->model()->columnCount(); ++c) {
        if (view->model()->headerData(c, Qt::Horizontal).toString() == QLatin1String("Price"))
            priceColumn = c;
    }
    QVERIFY(priceColumn >= 0);
    auto prices = [view, priceColumn] {
        QList<qint64> out;
        for (int r = 0; r < view->model()->rowCount(); ++r)
            out.append(view->model()->index(r, priceColumn).data(RowsModel::SortRole).toLongLong());
        return out;
    };
    auto clickHeader = [header](int section) {
        QTest::mouseClick(
                header->viewport(), Qt::LeftButton, {},
                QPoint(header->sectionViewportPosition(section) + header->sectionSize(section) / 2,
                       header->height() / 2));
    };
    clickHeader(priceColumn);
    QCOMPARE(header->sortIndicatorSection(), priceColumn);
    const Qt::SortOrder first = header->sortIndicatorOrder();
    QList<qint64> expected{500, 900, 2100, 3200};
    if (first == Qt::DescendingOrder)
        std::reverse(expected.begin(), expected.end());
    QCOMPARE(prices(), expected);
    clickHeader(priceColumn);
    QVERIFY(header->sortIndicatorOrder() != first);
    std::reverse(expected.begin(), expected.end());
    QCOMPARE(prices(), expected);
    // Still sorted after a change arrives from the API.
    QCOMPARE(api.patch(QStringLiteral("/api/v1/products/") + id,
                       {{QStringLiteral("priceCents"), 5000}})
                     .status,
             200);
    QTRY_COMPARE(view->model()
                         ->index(rowOf(view, id), priceColumn)
                         .data(RowsModel::SortRole)
                         .toLongLong(),
                 5000);
    QList<qint64> now = prices();
    QList<qint64> sorted = now;
    std::sort(sorted.begin(), sorted.end());
    if (header->sortIndicatorOrder() == Qt::DescendingOrder)
        std::reverse(sorted.begin(), sorted.end());
    QCOMPARE(now, sorted);
}

// Adding a picture shows a progress bar while the upload runs on the worker thread: the GUI
// keeps answering while the image store is held, then the bar completes and goes away.
void TestConsole::pictureUploadShowsProgress()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    auto gated = std::make_unique<GatedImageStore>(server.dataDir() + QStringLiteral("/media"),
                                                   QStringLiteral("http://127.0.0.1"));
    GatedImageStore *store = gated.get();
    server.shop().setImageStore(std::move(gated));
    const QString sellerId = addSeller(server, QStringLiteral("upload@example.test"), kPassword);
    const QString teapot = listProduct(server, sellerId, QStringLiteral("Blue Teapot"), 5, 1);
    Console console(server);
    start(console, QStringLiteral("upload@example.test"));
    // Whatever happens below, the worker is let go before the console waits for it.
    const auto letGo = qScopeGuard([store] { store->gate.release(100); });
    MainWindow &window = console.window;
    window.showPage(QStringLiteral("Products"));
    auto *page = qobject_cast<ProductsPage *>(window.page(QStringLiteral("Products")));
    auto *view = named<QTableView>(page, QStringLiteral("Product list"));
    QTRY_COMPARE(view->model()->rowCount(), 1);
    QVERIFY(clickRow(view, teapot));
    auto *progress = named<QProgressBar>(page, QStringLiteral("Picture upload progress"));
    QVERIFY(progress);
    QVERIFY(!progress->isVisible());
    QList<int> values;
    connect(progress, &QProgressBar::valueChanged, progress,
            [&values](int v) { values.append(v); });

    QTemporaryDir tmp;
    const QString png = writePng(tmp.path(), QColor(0xe5, 0x39, 0x35));
    click(page, QStringLiteral("Add picture"));
    QFileDialog *files = page->findChild<QFileDialog *>();
    QTRY_VERIFY(files && files->isVisible());
    files->setDirectory(tmp.path());
    auto *fileName = files->findChild<QLineEdit *>(QStringLiteral("fileNameEdit"));
    QVERIFY(fileName);
    fileName->setFocus();
    QTest::keyClicks(fileName, QFileInfo(png).fileName());
    QAbstractButton *openButton
            = files->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Open);
    QTRY_VERIFY(openButton->isEnabled());
    QTest::mouseClick(openButton, Qt::LeftButton);

    // The worker is inside the image store now, held; the GUI thread still runs (these waits
    // spin its event loop) and shows the upload part-way.
    QTRY_VERIFY(store->entered.available() > 0);
    QVERIFY(progress->isVisible());
    QTRY_COMPARE(progress->value(), 50);
    QVERIFY(!named<QPushButton>(page, QStringLiteral("Add picture"))->isEnabled());
    QVERIFY(!window.worker().isIdle());
    snap(&window, QStringLiteral("products-picture-uploading"));

    store->gate.release();
    QTRY_VERIFY(!progress->isVisible());
    auto *pictures = named<QListWidget>(page, QStringLiteral("Product pictures"));
    QTRY_COMPARE(pictures->count(), 1);
    QCOMPARE(server.client()
                     .get(QStringLiteral("/api/v1/products/") + teapot)
                     .json()
                     .value(QStringLiteral("images"))
                     .toArray()
                     .size(),
             1);
    QVERIFY(!values.isEmpty());
    QCOMPARE(values.last(), 100);
    QVERIFY(std::is_sorted(values.cbegin(), values.cend()));
    QVERIFY(values.contains(40)); // the file was read in full before it was handed on
}

// Cancel upload stops a picture upload in flight: the request to the image service (here a
// stand-in for Cloudinary that takes the upload and never answers) is aborted at once, not
// after its 30 s timeout and not retried; the product gets no picture and no row, the page
// says so and takes the next upload. The local store, cancelled, leaves no file.
void TestConsole::pictureUploadCanBeCancelled()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost));
    int connections = 0;
    qint64 received = 0;
    bool hungUp = false;
    connect(&silent, &QTcpServer::newConnection, &silent, [&] {
        while (QTcpSocket *socket = silent.nextPendingConnection()) {
            ++connections;
            connect(socket, &QTcpSocket::readyRead, socket,
                    [&received, socket] { received += socket->readAll().size(); });
            connect(socket, &QTcpSocket::disconnected, socket, [&hungUp] { hungUp = true; });
        }
    });
    auto cloudinary = CloudinaryImageStore::parseUrl(
            QStringLiteral("cloudinary://123456789:s3cr3t-api@demo"),
            QStringLiteral("http://127.0.0.1:%1").arg(silent.serverPort()));
    QVERIFY(cloudinary.ok());
    CloudinaryImageStore::Settings settings = cloudinary.value();
    settings.timeoutMs = 30000;
    server.shop().setImageStore(std::make_unique<CloudinaryImageStore>(settings));
    const QString sellerId = addSeller(server, QStringLiteral("cancel@example.test"), kPassword);
    const QString teapot = listProduct(server, sellerId, QStringLiteral("Blue Teapot"), 5, 1);
    Console console(server);
    start(console, QStringLiteral("cancel@example.test"));
    MainWindow &window = console.window;
    window.showPage(QStringLiteral("Products"));
    auto *page = qobject_cast<ProductsPage *>(window.page(QStringLiteral("Products")));
    auto *view = named<QTableView>(page, QStringLiteral("Product list"));
    QTRY_COMPARE(view->model()->rowCount(), 1);
    QVERIFY(clickRow(view, teapot));
    auto *progress = named<QProgressBar>(page, QStringLiteral("Picture upload progress"));
    auto *cancel = named<QPushButton>(page, QStringLiteral("Cancel upload"));
    QVERIFY(progress && cancel);
    QVERIFY(!cancel->isVisible());

    QTemporaryDir tmp;
    const QString png = writePng(tmp.path(), QColor(0x1e, 0x88, 0xe5));
    click(page, QStringLiteral("Add picture"));
    QFileDialog *files = page->findChild<QFileDialog *>();
    QTRY_VERIFY(files && files->isVisible());
    files->setDirectory(tmp.path());
    auto *fileName = files->findChild<QLineEdit *>(QStringLiteral("fileNameEdit"));
    QVERIFY(fileName);
    fileName->setFocus();
    QTest::keyClicks(fileName, QFileInfo(png).fileName());
    QAbstractButton *openButton
            = files->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Open);
    QTRY_VERIFY(openButton->isEnabled());
    QTest::mouseClick(openButton, Qt::LeftButton);

    // The upload has reached the image service, which holds it.
    QTRY_VERIFY(received > 0);
    QVERIFY(progress->isVisible());
    QVERIFY(cancel->isVisible());
    QVERIFY(!named<QPushButton>(page, QStringLiteral("Add picture"))->isEnabled());
    QVERIFY(!window.worker().isIdle());

    click(page, QStringLiteral("Cancel upload"));
    QVERIFY(!cancel->isEnabled()); // "Cancelling…" until the worker is out
    // Well before the upload's 30 s timeout (no wall-clock figure asserted: a loaded machine
    // may take seconds; the hang-up below shows the request was aborted, not timed out).
    QTRY_VERIFY_WITH_TIMEOUT(!progress->isVisible(), 20000);
    QVERIFY(!cancel->isVisible());
    QTRY_VERIFY(hungUp);      // the request was aborted, not left to time out
    QCOMPARE(connections, 1); // and not retried
    // The page then reloads the product's pictures on the worker: idle once that is done.
    QTRY_VERIFY(window.worker().isIdle());
    auto *message = named<QLabel>(page, QStringLiteral("Products message"));
    QVERIFY(message);
    QVERIFY2(message->text().contains(QLatin1String("cancelled")), qPrintable(message->text()));
    QVERIFY(named<QPushButton>(page, QStringLiteral("Add picture"))->isEnabled());
    QCOMPARE(named<QListWidget>(page, QStringLiteral("Product pictures"))->count(), 0);
    QCOMPARE(server.client()
                     .get(QStringLiteral("/api/v1/products/") + teapot)
                     .json()
                     .value(QStringLiteral("images"))
                     .toArray()
                     .size(),
             0);
    QSqlQuery rows(server.shop().database().connection());
    QVERIFY(rows.exec(QStringLiteral("SELECT COUNT(*) FROM product_images")) && rows.next());
    QCOMPARE(rows.value(0).toInt(), 0);

    // The local store: a cancelled write leaves no file (not even QSaveFile's temporary one).
    QFile pngFile(png);
    QVERIFY(pngFile.open(QIODevice::ReadOnly));
    const QByteArray bytes = pngFile.readAll();
    const QString media = tmp.path() + QStringLiteral("/media");
    LocalImageStore local(media, QStringLiteral("http://127.0.0.1"));
    CancelToken cancelled;
    cancelled.cancel();
    QVERIFY(!local.store(bytes, QStringLiteral("image/png"), cancelled).ok());
    QVERIFY(QDir(media).isEmpty());
    QVERIFY(local.store(bytes, QStringLiteral("image/png")).ok());
    QCOMPARE(QDir(media).entryList(QDir::Files).size(), 1);
}

// The Products page shows each product's rating; the selected product lists its reviews (hidden
// ones marked) and "Hide review" takes one out of the public list and the rating; "Show review"
// brings it back. The API sees each step.
void TestConsole::productRatingAndReviewHide()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString sellerId = addSeller(server, QStringLiteral("reviews@example.test"), kPassword);
    const QString teapot = listProduct(server, sellerId, QStringLiteral("Teapot"), 10, 1);
    const QString cup = listProduct(server, sellerId, QStringLiteral("Cup"), 10, 1);
    const QString alice = addUser(server, QStringLiteral("customer"));
    const QString bob = addUser(server, QStringLiteral("customer"));
    addPaidOrder(server, alice, teapot, sellerId);
    addPaidOrder(server, bob, teapot, sellerId);
    const QString reviewsPath = QStringLiteral("/api/v1/products/%1/reviews").arg(teapot);
    QCOMPARE(as(server, alice, QStringLiteral("customer"))
                     .post(reviewsPath, {{QStringLiteral("rating"), 5},
                                         {QStringLiteral("comment"), QStringLiteral("Lovely")}})
                     .status,
             201);
    const HttpResult abusive
            = as(server, bob, QStringLiteral("customer"))
                      .post(reviewsPath,
                            {{QStringLiteral("rating"), 1},
                             {QStringLiteral("comment"), QStringLiteral("<b>rude words</b>")}});
    QCOMPARE(abusive.status, 201);
    const QString abusiveId = abusive.json().value(QStringLiteral("id")).toString();
    auto publicIds = [&] {
        QStringList ids;
        const QJsonArray items
                = server.client().get(reviewsPath).json().value(QStringLiteral("items")).toArray();
        for (const QJsonValue &v : items)
            ids.append(v.toObject().value(QStringLiteral("id")).toString());
        return ids;
    };
    auto apiRating = [&] {
        const QJsonObject r = server.client()
                                      .get(QStringLiteral("/api/v1/products/") + teapot)
                                      .json()
                                      .value(QStringLiteral("rating"))
                                      .toObject();
        return qMakePair(r.value(QStringLiteral("average")).toDouble(),
                         r.value(QStringLiteral("count")).toInt());
    };
    QCOMPARE(publicIds().size(), 2);

    Console console(server);
    start(console, QStringLiteral("reviews@example.test"));
    MainWindow &window = console.window;
    window.showPage(QStringLiteral("Products"));
    auto *page = qobject_cast<ProductsPage *>(window.page(QStringLiteral("Products")));
    auto *view = named<QTableView>(page, QStringLiteral("Product list"));
    QTRY_COMPARE(view->model()->rowCount(), 2);
    // The Rating column: the average and count, or "none yet".
    QCOMPARE(view->model()->headerData(3, Qt::Horizontal).toString(), QStringLiteral("Rating"));
    QCOMPARE(view->model()->index(rowOf(view, teapot), 3).data().toString(),
             QStringLiteral("3.0 (2)"));
    QCOMPARE(view->model()->index(rowOf(view, cup), 3).data().toString(),
             QStringLiteral("none yet"));

    QVERIFY(clickRow(view, teapot));
    auto *details = named<QLabel>(page, QStringLiteral("Product details"));
    QTRY_VERIFY(details->text().contains(QLatin1String("rated 3.0 of 5 by 2 customers")));
    auto *reviews = named<QListWidget>(page, QStringLiteral("Product reviews"));
    QVERIFY(reviews);
    QTRY_COMPARE(reviews->count(), 2);
    auto *hide = named<QAbstractButton>(page, QStringLiteral("Hide review"));
    QVERIFY(hide);
    QVERIFY(!hide->isEnabled()); // nothing selected yet
    QListWidgetItem *bobs = nullptr;
    for (int i = 0; i < reviews->count(); ++i) {
        if (reviews->item(i)->data(Qt::UserRole).toString() == abusiveId)
            bobs = reviews->item(i);
    }
    QVERIFY(bobs);
    // Shown as text, never as markup.
    QVERIFY(bobs->text().contains(QLatin1String("<b>rude words</b>")));
    QVERIFY(!bobs->text().contains(QLatin1String("HIDDEN")));
    QTest::mouseClick(reviews->viewport(), Qt::LeftButton, {},
                      reviews->visualItemRect(bobs).center());
    QTRY_VERIFY(hide->isEnabled());
    snap(&window, QStringLiteral("product-reviews"));
    click(page, QStringLiteral("Hide review"));

    // Customers no longer see it and the rating leaves it out; the console marks it hidden.
    QTRY_VERIFY(!publicIds().contains(abusiveId));
    QCOMPARE(publicIds().size(), 1);
    QCOMPARE(apiRating(), qMakePair(5.0, 1));
    QCOMPARE(server.client().get(QStringLiteral("/api/v1/reviews/") + abusiveId).status, 404);
    QTRY_COMPARE(view->model()->index(rowOf(view, teapot), 3).data().toString(),
                 QStringLiteral("5.0 (1)"));
    QTRY_VERIFY(named<QAbstractButton>(page, QStringLiteral("Show review")) != nullptr
                && named<QAbstractButton>(page, QStringLiteral("Show review"))->isEnabled());
    QCOMPARE(reviews->count(), 2); // kept, and still listed for the seller
    bool markedHidden = false;
    for (int i = 0; i < reviews->count(); ++i) {
        if (reviews->item(i)->data(Qt::UserRole).toString() == abusiveId)
            markedHidden = reviews->item(i)->text().contains(QLatin1String("HIDDEN"));
    }
    QVERIFY(markedHidden);

    click(page, QStringLiteral("Show review"));
    QTRY_VERIFY(publicIds().contains(abusiveId));
    QCOMPARE(apiRating(), qMakePair(3.0, 2));
    QTRY_COMPARE(view->model()->index(rowOf(view, teapot), 3).data().toString(),
                 QStringLiteral("3.0 (2)"));
}

// The Dashboard shows the coins customers spent as discounts on this seller's lines of orders
// paid this month (in the store's zone): not last month's, not unpaid ones, not other sellers'
// shares.
void TestConsole::dashboardCoinDiscountsThisMonth()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    Shop &shop = server.shop();
    const QString sellerId = addSeller(server, QStringLiteral("coins@example.test"), kPassword);
    const QString otherSeller = addSeller(server, QStringLiteral("coins-other@example.test"),
                                          kPassword, QStringLiteral("Other"));
    const QString lamp = listProduct(server, sellerId, QStringLiteral("Lamp"), 50, 1, 1000);
    const QString mug = listProduct(server, otherSeller, QStringLiteral("Mug"), 50, 1, 1000);
    const QString customer = addUser(server, QStringLiteral("customer"));
    QVERIFY(CoinLedger::append(shop.database().connection(), customer, 1000,
                               QStringLiteral("daily"))
                    .ok());
    auto order = [&](const QList<QPair<QString, int>> &lines, qint64 coins) {
        for (const auto &[product, quantity] : lines)
            if (!shop.cart().setQuantity(customer, product, quantity))
                qFatal("cart failed");
        auto o = shop.orders().placeOrder(customer, coins);
        if (!o || o->coinsUsed != coins)
            qFatal("placing the order failed");
        return o->id;
    };
    // Last month (October, paid then): not this month's.
    Clock::fixForTesting(QDateTime::fromString(QStringLiteral("2026-10-20T12:00:00Z"), Qt::ISODate)
                                 .toMSecsSinceEpoch());
    const QString october = order({{lamp, 1}}, 70);
    QVERIFY(shop.orders().sellerMove(sellerId, october, SellerAction::MarkPaid).ok());
    // This month: half of 200 coins on the lamp's line; 50 on a lamp-only order; an unpaid
    // order's 30 do not count.
    Clock::fixForTesting(QDateTime::fromString(QStringLiteral("2026-11-15T12:00:00Z"), Qt::ISODate)
                                 .toMSecsSinceEpoch());
    const QString shared = order({{lamp, 1}, {mug, 1}}, 200);
    QVERIFY(shop.orders().sellerMove(sellerId, shared, SellerAction::MarkPaid).ok());
    const QString lampOnly = order({{lamp, 2}}, 50);
    QVERIFY(shop.orders().sellerMove(sellerId, lampOnly, SellerAction::MarkPaid).ok());
    order({{lamp, 1}}, 30);

    Console console(server);
    start(console, QStringLiteral("coins@example.test"));
    MainWindow &window = console.window;
    window.showPage(QStringLiteral("Dashboard"));
    QWidget *dashboard = window.page(QStringLiteral("Dashboard"));
    auto *coins = named<QLabel>(dashboard, QStringLiteral("Coin discounts this month"));
    QVERIFY(coins);
    QTRY_COMPARE(coins->text(), QStringLiteral("1.50 USD"));
    QCOMPARE(named<QLabel>(dashboard, QStringLiteral("This month's sales"))->text(),
             QStringLiteral("28.50 USD")); // 30.00 of lamps less 1.50 of coins
    QVERIFY(named<QLabel>(dashboard, QStringLiteral("Coin discounts this month caption"))
                    ->text()
                    .contains(QLatin1String("coins"), Qt::CaseInsensitive));

    // The other seller sees its own share only.
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    QTest::keyClick(&window, Qt::Key_L, Qt::ControlModifier);
    QTRY_VERIFY(window.loginDialog()->isVisible());
    signIn(window, QStringLiteral("coins-other@example.test"), kPassword);
    window.showPage(QStringLiteral("Dashboard"));
    QTRY_COMPARE(named<QLabel>(window.page(QStringLiteral("Dashboard")),
                               QStringLiteral("Coin discounts this month"))
                         ->text(),
                 QStringLiteral("1.00 USD"));
    Clock::resetForTesting();
}

// Inventory: low stock is highlighted and can be filtered; an adjustment needs a change and a
// reason, lands in the API, and crossing the threshold raises the stock.low alert whose tray
// message opens this page on that row.
void TestConsole::inventoryAdjustAndLowStock()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString sellerId = addSeller(server, QStringLiteral("stock@example.test"), kPassword);
    const QString plenty = listProduct(server, sellerId, QStringLiteral("Spoon"), 10, 3);
    const QString scarce = listProduct(server, sellerId, QStringLiteral("Fork"), 2, 5);
    Console console(server);
    start(console, QStringLiteral("stock@example.test"));
    MainWindow &window = console.window;
    QSignalSpy alerts(&window, &MainWindow::alertShown);
    // The dashboard counts the low one, and its card opens the Inventory page.
    window.showPage(QStringLiteral("Dashboard"));
    QWidget *dashboard = window.page(QStringLiteral("Dashboard"));
    QTRY_COMPARE(named<QLabel>(dashboard, QStringLiteral("Low stock"))->text(),
                 QStringLiteral("1"));
    click(dashboard, QStringLiteral("Open Low stock"));
    QCOMPARE(window.currentPage(), QStringLiteral("Inventory"));
    QWidget *page = window.page(QStringLiteral("Inventory"));
    auto *view = named<QTableView>(page, QStringLiteral("Stock levels"));
    QTRY_COMPARE(view->model()->rowCount(), 2);
    const QModelIndex scarceIndex = view->model()->index(rowOf(view, scarce), 3);
    const QModelIndex plentyIndex = view->model()->index(rowOf(view, plenty), 3);
    QCOMPARE(scarceIndex.data().toString(), QStringLiteral("Low"));
    QVERIFY(scarceIndex.data(Qt::BackgroundRole).value<QColor>().isValid());
    QCOMPARE(plentyIndex.data().toString(), QStringLiteral("OK"));
    QVERIFY(!plentyIndex.data(Qt::BackgroundRole).isValid());
    QVERIFY(named<QLabel>(page, QStringLiteral("Inventory summary"))
                    ->text()
                    .contains(QLatin1String("1 low")));

    auto *lowOnly = named<QCheckBox>(page, QStringLiteral("Low stock only"));
    QTest::mouseClick(lowOnly, Qt::LeftButton);
    QTRY_COMPARE(view->model()->rowCount(), 1);
    QCOMPARE(view->model()->index(0, 0).data(Qt::UserRole + 1).toString(), scarce);
    QTest::mouseClick(lowOnly, Qt::LeftButton);
    QTRY_COMPARE(view->model()->rowCount(), 2);

    // No change, no reason: refused with a message; nothing changes.
    QVERIFY(clickRow(view, plenty));
    click(page, QStringLiteral("Apply adjustment"));
    const QString message = named<QLabel>(page, QStringLiteral("Inventory message"))->text();
    QVERIFY2(message.contains(QLatin1String("how many"))
                     && message.contains(QLatin1String("reason")),
             qPrintable(message));
    // Taking more than there is is refused before it reaches the model.
    setSpin(page, QStringLiteral("Stock change"), -11);
    type(page, QStringLiteral("Adjustment reason"), QStringLiteral("Broken"));
    click(page, QStringLiteral("Apply adjustment"));
    QVERIFY(named<QLabel>(page, QStringLiteral("Inventory message"))
                    ->text()
                    .contains(QLatin1String("at most 10")));
    QTRY_VERIFY(window.worker().isIdle());
    QCOMPARE(server.shop().catalog().get(plenty)->stock, 10);

    // Take 8 away for a reason: stock 2, below the threshold 3.
    setSpin(page, QStringLiteral("Stock change"), -8);
    type(page, QStringLiteral("Adjustment reason"), QStringLiteral("8 broken in storage"));
    click(page, QStringLiteral("Apply adjustment"));
    const Client api = as(server, sellerId, QStringLiteral("seller"));
    QTRY_COMPARE(api.get(QStringLiteral("/api/v1/products/") + plenty)
                         .json()
                         .value(QStringLiteral("stock"))
                         .toInteger(),
                 2);
    QTRY_COMPARE(view->model()->index(rowOf(view, plenty), 3).data().toString(),
                 QStringLiteral("Low"));
    QVERIFY(view->model()
                    ->index(rowOf(view, plenty), 3)
                    .data(Qt::BackgroundRole)
                    .value<QColor>()
                    .isValid());
    // The ledger keeps the reason.
    auto ledger = execSql(server.shop().database().connection(),
                          QStringLiteral("SELECT delta, note FROM stock_ledger WHERE product_id = "
                                         "? AND reason = 'adjust'"),
                          {plenty});
    QVERIFY(ledger && ledger->next());
    QCOMPARE(ledger->value(0).toLongLong(), -8);
    QCOMPARE(ledger->value(1).toString(), QStringLiteral("8 broken in storage"));

    // The stock.low alert: a tray message for this seller that opens Inventory on that row.
    QTRY_VERIFY(!alerts.isEmpty());
    QCOMPARE(alerts.last().at(0).toString(), QStringLiteral("stock.low"));
    QCOMPARE(alerts.last().at(1).toString(), QStringLiteral("Inventory"));
    window.showPage(QStringLiteral("Dashboard"));
    QTRY_COMPARE(named<QLabel>(dashboard, QStringLiteral("Low stock"))->text(),
                 QStringLiteral("2"));
    view->clearSelection();
    window.openAlert();
    QCOMPARE(window.currentPage(), QStringLiteral("Inventory"));
    QTRY_COMPARE(selectedRowId(view), plenty);
    snap(&window, QStringLiteral("inventory"));
}

// Notifications: the badge counts unread ones; mark one read, open another (its page and row),
// mark all read; the API agrees each time.
void TestConsole::notificationsMarkReadAndOpen()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString sellerId = addSeller(server, QStringLiteral("notes@example.test"), kPassword);
    const QString cup = listProduct(server, sellerId, QStringLiteral("Cup"), 1, 2); // low at once
    const QString plate
            = listProduct(server, sellerId, QStringLiteral("Plate"), 1, 2); // low at once
    listProduct(server, sellerId, QStringLiteral("Bowl"), 9, 2);
    Console console(server);
    start(console, QStringLiteral("notes@example.test"));
    MainWindow &window = console.window;
    QTRY_COMPARE(window.unreadCount(), 2);
    const Client api = as(server, sellerId, QStringLiteral("seller"));
    auto unread = [&api] {
        return api.get(QStringLiteral("/api/v1/notifications"))
                .json()
                .value(QStringLiteral("unreadCount"))
                .toInteger();
    };
    QCOMPARE(unread(), 2);

    window.showPage(QStringLiteral("Notifications"));
    QWidget *page = window.page(QStringLiteral("Notifications"));
    auto *view = named<QTableView>(page, QStringLiteral("Notification list"));
    QTRY_COMPARE(view->model()->rowCount(), 2);
    QVERIFY(view->model()->index(0, 2).data(Qt::FontRole).value<QFont>().bold());
    QCOMPARE(named<QLabel>(page, QStringLiteral("Unread count"))->text(),
             QStringLiteral("2 unread"));
    snap(&window, QStringLiteral("notifications"));

    auto notes = server.shop().notifications().list(sellerId, false, 10, {});
    QVERIFY(notes && notes->items.size() == 2);
    QString cupNote, plateNote;
    for (const NotificationItem &n : notes->items) {
        QCOMPARE(n.kind, QStringLiteral("stock.low"));
        (n.data.value(QStringLiteral("productId")).toString() == cup ? cupNote : plateNote) = n.id;
    }
    QVERIFY(!cupNote.isEmpty() && !plateNote.isEmpty());

    QVERIFY(clickRow(view, cupNote));
    click(page, QStringLiteral("Mark read"));
    QTRY_COMPARE(unread(), 1);
    QTRY_COMPARE(window.unreadCount(), 1);
    QTRY_VERIFY(!view->model()
                         ->index(rowOf(view, cupNote), 2)
                         .data(Qt::FontRole)
                         .value<QFont>()
                         .bold());

    // "Unread only" hides the read one.
    QTest::mouseClick(named<QCheckBox>(page, QStringLiteral("Unread only")), Qt::LeftButton);
    QTRY_COMPARE(view->model()->rowCount(), 1);
    QCOMPARE(view->model()->index(0, 0).data(Qt::UserRole + 1).toString(), plateNote);

    // Open: the Inventory page with the plate selected, and the notification is read.
    QVERIFY(clickRow(view, plateNote));
    click(page, QStringLiteral("Open notification"));
    QCOMPARE(window.currentPage(), QStringLiteral("Inventory"));
    auto *stock = named<QTableView>(window.page(QStringLiteral("Inventory")),
                                    QStringLiteral("Stock levels"));
    QTRY_COMPARE(selectedRowId(stock), plate);
    QTRY_COMPARE(unread(), 0);
    QTRY_COMPARE(window.unreadCount(), 0);

    // A new one arrives while the console runs: the badge goes up; mark all read clears it.
    QVERIFY(server.shop().catalog().adjustStock(sellerId, cup, 5, QStringLiteral("restock")));
    QVERIFY(server.shop().catalog().adjustStock(sellerId, cup, -5,
                                                QStringLiteral("sold at the fair")));
    QTRY_COMPARE(window.unreadCount(), 1);
    window.showPage(QStringLiteral("Notifications"));
    QTRY_COMPARE(view->model()->rowCount(), 1);
    click(page, QStringLiteral("Mark all read"));
    QTRY_COMPARE(unread(), 0);
    QTRY_COMPARE(window.unreadCount(), 0);
    QTRY_COMPARE(view->model()->rowCount(), 0);
    QVERIFY(named<QLabel>(page, QStringLiteral("Notification list empty"))->isVisible());
}

// A pending order of `qty` of one product, placed through the cart like a customer would.
QString TestConsole::placeOrder(TestServer &server, const QString &customerId,
                                const QString &productId, int qty)
{
    auto cart = server.shop().cart().setQuantity(customerId, productId, qty);
    if (!cart)
        qFatal("cart failed: %s", qPrintable(cart.error().detail));
    auto order = server.shop().orders().placeOrder(customerId, 0);
    if (!order)
        qFatal("placing the order failed: %s", qPrintable(order.error().detail));
    return order->id;
}

// An order moves pending → paid → shipped → delivered by clicks; buttons only offer the move
// the status allows; the API sees each move; the paid alert opens the order.
void TestConsole::ordersMarkPaidShipDeliver()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString sellerId = addSeller(server, QStringLiteral("orders@example.test"), kPassword);
    const QString customerId = addUser(server, QStringLiteral("customer"));
    const QString lamp = listProduct(server, sellerId, QStringLiteral("Lamp"), 10, 1, 1250);
    const QString orderId = placeOrder(server, customerId, lamp, 2);
    Console console(server);
    start(console, QStringLiteral("orders@example.test"));
    MainWindow &window = console.window;
    QSignalSpy alerts(&window, &MainWindow::alertShown);
    window.showPage(QStringLiteral("Orders"));
    QWidget *page = window.page(QStringLiteral("Orders"));
    auto *view = named<QTableView>(page, QStringLiteral("Order list"));
    QTRY_COMPARE(view->model()->rowCount(), 1);
    QCOMPARE(view->model()->index(0, 4).data().toString(), QStringLiteral("25.00 USD"));
    QVERIFY(clickRow(view, orderId));
    auto *detail = named<QTextBrowser>(page, QStringLiteral("Order details"));
    QTRY_VERIFY(detail->toPlainText().contains(QLatin1String("Lamp")));
    auto *markPaid = named<QAbstractButton>(page, QStringLiteral("Mark paid"));
    auto *ship = named<QAbstractButton>(page, QStringLiteral("Ship order"));
    auto *deliver = named<QAbstractButton>(page, QStringLiteral("Mark delivered"));
    QVERIFY(markPaid->isEnabled());
    QVERIFY(!ship->isEnabled());
    // Before payment: one order waits, nothing sold yet.
    QWidget *board = window.page(QStringLiteral("Dashboard"));
    QTRY_COMPARE(named<QLabel>(board, QStringLiteral("Orders waiting"))->text(),
                 QStringLiteral("1"));
    QCOMPARE(named<QLabel>(board, QStringLiteral("Today's sales"))->text(),
             QStringLiteral("0.00 USD"));
    QVERIFY(!deliver->isEnabled());

    const Client api = as(server, sellerId, QStringLiteral("seller"));
    auto status = [&] {
        return api.get(QStringLiteral("/api/v1/seller/orders/") + orderId)
                .json()
                .value(QStringLiteral("status"))
                .toString();
    };
    QCOMPARE(status(), QStringLiteral("pending_payment"));
    click(page, QStringLiteral("Mark paid"));
    QTRY_COMPARE(status(), QStringLiteral("paid"));
    QTRY_VERIFY(ship->isEnabled());
    QVERIFY(!markPaid->isEnabled());
    QCOMPARE(selectedRowId(view), orderId);
    // The order.paid alert names this order.
    QTRY_VERIFY(!alerts.isEmpty());
    QCOMPARE(alerts.last().at(0).toString(), QStringLiteral("order.paid"));
    QCOMPARE(alerts.last().at(1).toString(), QStringLiteral("Orders"));
    snap(&window, QStringLiteral("orders"));

    // Ship… asks for the carrier and tracking; every unshipped unit is chosen already.
    click(page, QStringLiteral("Ship order"));
    QWidget *shipDialog = nullptr;
    QTRY_VERIFY((shipDialog = named<QDialog>(page, QStringLiteral("Ship order dialog")))
                && shipDialog->isVisible());
    type(shipDialog, QStringLiteral("Carrier"), QStringLiteral("DHL"));
    type(shipDialog, QStringLiteral("Tracking number"), QStringLiteral("JD0001"));
    click(shipDialog, QStringLiteral("Confirm shipment"));
    QTRY_COMPARE(status(), QStringLiteral("shipped"));
    QTRY_VERIFY(deliver->isEnabled());
    QVERIFY(!ship->isEnabled());
    click(page, QStringLiteral("Mark delivered"));
    QTRY_COMPARE(status(), QStringLiteral("delivered"));
    // Delivered orders leave the open list; "All orders" shows it, with its history.
    QTRY_COMPARE(view->model()->rowCount(), 0);
    QVERIFY(named<QLabel>(page, QStringLiteral("Order list empty"))->isVisible());
    named<QComboBox>(page, QStringLiteral("Order status filter"))->setCurrentIndex(1);
    QTRY_COMPARE(view->model()->rowCount(), 1);
    QVERIFY(clickRow(view, orderId));
    QTRY_VERIFY(detail->toPlainText().contains(QLatin1String("Delivered")));
    QVERIFY(!markPaid->isEnabled() && !ship->isEnabled() && !deliver->isEnabled());

    // The dashboard: today's and this month's sales count the paid lines; nothing waits.
    window.showPage(QStringLiteral("Dashboard"));
    QWidget *dashboard = window.page(QStringLiteral("Dashboard"));
    QTRY_COMPARE(named<QLabel>(dashboard, QStringLiteral("Today's sales"))->text(),
                 QStringLiteral("25.00 USD"));
    QCOMPARE(named<QLabel>(dashboard, QStringLiteral("This month's sales"))->text(),
             QStringLiteral("25.00 USD"));
    QCOMPARE(named<QLabel>(dashboard, QStringLiteral("Orders waiting"))->text(),
             QStringLiteral("0"));
    const auto charts = dashboard->findChildren<QWidget *>();
    bool chartTotal = false;
    for (QWidget *w : charts)
        chartTotal = chartTotal
                     || w->accessibleDescription().startsWith(
                             QLatin1String("25.00 USD over the last 30 days"));
    QVERIFY(chartTotal);
    snap(&window, QStringLiteral("dashboard"));
    window.showPage(QStringLiteral("Orders"));

    // The tray message of the paid order opens it, whatever the filter.
    named<QComboBox>(page, QStringLiteral("Order status filter"))->setCurrentIndex(0);
    window.showPage(QStringLiteral("Dashboard"));
    window.openAlert();
    QCOMPARE(window.currentPage(), QStringLiteral("Orders"));
    QTRY_COMPARE(selectedRowId(view), orderId);
}

// The selected order shows the customer's purchase history with this seller; the Customers
// page lists each customer with their orders and refund requests; double-click opens an order.
void TestConsole::ordersPurchaseHistoryAndCustomers()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString sellerId = addSeller(server, QStringLiteral("history@example.test"), kPassword);
    const QString ann = addUser(server, QStringLiteral("customer"));
    const QString bob = addUser(server, QStringLiteral("customer"));
    const QString cup = listProduct(server, sellerId, QStringLiteral("Cup"), 50, 1, 800);
    const QString first = placeOrder(server, ann, cup, 1);
    const QString second = placeOrder(server, ann, cup, 3);
    const QString bobs = placeOrder(server, bob, cup, 2);
    QVERIFY(server.shop().orders().sellerMove(sellerId, first, SellerAction::MarkPaid));
    // Another seller's order with Ann never shows.
    const QString other = addSeller(server, QStringLiteral("other2@example.test"), kPassword,
                                    QStringLiteral("Other"));
    placeOrder(server, ann, listProduct(server, other, QStringLiteral("Hat"), 5, 1), 1);

    Console console(server);
    start(console, QStringLiteral("history@example.test"));
    MainWindow &window = console.window;
    window.showPage(QStringLiteral("Orders"));
    QWidget *page = window.page(QStringLiteral("Orders"));
    auto *view = named<QTableView>(page, QStringLiteral("Order list"));
    QTRY_COMPARE(view->model()->rowCount(), 3);
    QVERIFY(clickRow(view, second));
    auto *history = named<QTableView>(page, QStringLiteral("Customer purchase history"));
    QTRY_COMPARE(history->model()->rowCount(), 2);
    QVERIFY(rowOf(history, first) >= 0 && rowOf(history, second) >= 0 && rowOf(history, bobs) < 0);
    // Only the paid order counts as paid: 8.00.
    QVERIFY2(named<QLabel>(page, QStringLiteral("Purchase history title"))
                     ->text()
                     .contains(QLatin1String("8.00 USD")),
             qPrintable(named<QLabel>(page, QStringLiteral("Purchase history title"))->text()));
    QVERIFY(clickRow(view, bobs));
    QTRY_COMPARE(history->model()->rowCount(), 1);
    // The search box filters by customer.
    auto *search = named<QLineEdit>(page, QStringLiteral("Order search"));
    QTest::keyClicks(search, view->model()->index(rowOf(view, bobs), 2).data().toString());
    QTRY_COMPARE(view->model()->rowCount(), 1);
    search->clear();
    QTRY_COMPARE(view->model()->rowCount(), 3);

    window.showPage(QStringLiteral("Customers"));
    QWidget *customers = window.page(QStringLiteral("Customers"));
    auto *list = named<QTableView>(customers, QStringLiteral("Customer list"));
    QTRY_COMPARE(list->model()->rowCount(), 2);
    QVERIFY(clickRow(list, ann));
    auto *orders = named<QTableView>(customers, QStringLiteral("Customer orders"));
    QTRY_COMPARE(orders->model()->rowCount(), 2);
    QCOMPARE(list->model()->index(rowOf(list, ann), 1).data().toString(), QStringLiteral("2"));
    QCOMPARE(list->model()->index(rowOf(list, ann), 2).data().toString(),
             QStringLiteral("8.00 USD"));
    snap(&window, QStringLiteral("customers"));
    const int row = rowOf(orders, second);
    QVERIFY(row >= 0);
    const QPoint at = orders->visualRect(orders->model()->index(row, 0)).center();
    QTest::mouseClick(orders->viewport(), Qt::LeftButton, {}, at);
    QTest::mouseDClick(orders->viewport(), Qt::LeftButton, {}, at);
    QCOMPARE(window.currentPage(), QStringLiteral("Orders"));
    QTRY_COMPARE(selectedRowId(view), second);
}

// The Orders page is open while the API changes orders on other connections: a new order, a
// payment marked through the API, a cancellation: each shows without a restart or a click.
void TestConsole::ordersFollowTheApiLive()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString sellerId = addSeller(server, QStringLiteral("live@example.test"), kPassword);
    const QString customerId = addUser(server, QStringLiteral("customer"));
    const QString lamp = listProduct(server, sellerId, QStringLiteral("Lamp"), 10, 1, 1250);
    const QString first = placeOrder(server, customerId, lamp, 2);
    Console console(server);
    start(console, QStringLiteral("live@example.test"));
    MainWindow &window = console.window;
    window.showPage(QStringLiteral("Orders"));
    QWidget *page = window.page(QStringLiteral("Orders"));
    auto *view = named<QTableView>(page, QStringLiteral("Order list"));
    QTRY_COMPARE(view->model()->rowCount(), 1);
    const auto statusOf = [&](const QString &id) {
        const int row = rowOf(view, id);
        return row < 0 ? QString() : view->model()->index(row, 5).data().toString();
    };
    QCOMPARE(statusOf(first), QStringLiteral("Waiting for payment"));
    QVERIFY(clickRow(view, first));
    auto *detail = named<QTextBrowser>(page, QStringLiteral("Order details"));
    QTRY_VERIFY(detail->toPlainText().contains(QLatin1String("Waiting for payment")));

    // The seller's phone marks it paid over HTTP: the open page shows it paid.
    const Client seller = as(server, sellerId, QStringLiteral("seller"));
    QCOMPARE(seller.post(QStringLiteral("/api/v1/seller/orders/%1/mark-paid").arg(first)).status,
             200);
    QTRY_COMPARE(statusOf(first), QStringLiteral("Paid — to ship"));
    QTRY_VERIFY(detail->toPlainText().contains(QStringLiteral("Paid — to ship")));
    QTRY_VERIFY(named<QAbstractButton>(page, QStringLiteral("Ship order"))->isEnabled());
    QVERIFY(!named<QAbstractButton>(page, QStringLiteral("Mark paid"))->isEnabled());

    // A customer orders through the API: the new order appears.
    const Client customer = as(server, customerId, QStringLiteral("customer"));
    QCOMPARE(customer.put(QStringLiteral("/api/v1/cart/items/") + lamp,
                          QJsonObject{{QStringLiteral("quantity"), 1}})
                     .status,
             200);
    const auto placed = customer.post(QStringLiteral("/api/v1/orders"),
                                      QJsonObject{{QStringLiteral("coinsToUse"), 0}});
    QCOMPARE(placed.status, 201);
    const QString second = placed.json().value(QStringLiteral("id")).toString();
    QTRY_COMPARE(view->model()->rowCount(), 2);
    QCOMPARE(statusOf(second), QStringLiteral("Waiting for payment"));
    // ... and cancels it: it leaves the open orders.
    QCOMPARE(customer.post(QStringLiteral("/api/v1/orders/%1/cancel").arg(second)).status, 200);
    QTRY_COMPARE(view->model()->rowCount(), 1);
    QCOMPARE(rowOf(view, second), -1);
    QCOMPARE(selectedRowId(view), first); // the selection stayed
}

// "Export CSV…" writes the rows the filters show (status and search), in RFC 4180 with a BOM;
// names with commas and quotes survive; the file is read back.
void TestConsole::ordersExportCsvOfFilteredRows()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString sellerId = addSeller(server, QStringLiteral("csv@example.test"), kPassword);
    const QString doe = addUser(server, QStringLiteral("customer"));
    const QString roe = addUser(server, QStringLiteral("customer"));
    QVERIFY(execSql(server.shop().database().connection(),
                    QStringLiteral("UPDATE users SET display_name = ? WHERE id = ?"),
                    {QStringLiteral("Doe, \"Jo\""), doe}));
    QVERIFY(execSql(server.shop().database().connection(),
                    QStringLiteral("UPDATE users SET display_name = ? WHERE id = ?"),
                    {QStringLiteral("Rita Roe"), roe}));
    const QString lamp = listProduct(server, sellerId, QStringLiteral("Lamp, brass"), 20, 1, 1250);
    const QString cup = listProduct(server, sellerId, QStringLiteral("Cup"), 20, 1, 800);
    const QString pending = placeOrder(server, doe, lamp, 2);
    const QString paid = placeOrder(server, roe, cup, 3);
    QVERIFY(server.shop().orders().sellerMove(sellerId, paid, SellerAction::MarkPaid));
    const QString cancelled = placeOrder(server, doe, cup, 1);
    QVERIFY(server.shop().orders().cancel(doe, cancelled));

    Console console(server);
    start(console, QStringLiteral("csv@example.test"));
    MainWindow &window = console.window;
    window.showPage(QStringLiteral("Orders"));
    QWidget *page = window.page(QStringLiteral("Orders"));
    auto *view = named<QTableView>(page, QStringLiteral("Order list"));
    QTRY_COMPARE(view->model()->rowCount(), 2); // open orders: not the cancelled one
    auto *pageObject = qobject_cast<OrdersPage *>(page);
    QVERIFY(pageObject);
    QSignalSpy exported(pageObject, &OrdersPage::exported);
    QTemporaryDir tmp;
    const auto readBack = [](const QString &path) {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return QByteArray();
        return f.readAll();
    };

    // 1. The open orders (default filter).
    click(page, QStringLiteral("Export CSV"));
    saveAs(page, tmp.path(), QStringLiteral("open.csv"));
    QTRY_COMPARE(exported.size(), 1);
    QCOMPARE(exported.at(0).at(2).toString(), QString());
    QCOMPARE(exported.at(0).at(1).toInt(), 2);
    QByteArray bytes = readBack(tmp.filePath(QStringLiteral("open.csv")));
    QVERIFY(bytes.startsWith("\xEF\xBB\xBF"));
    QVERIFY(bytes.contains("\"Doe, \"\"Jo\"\"\"")); // quoted, quotes doubled
    QList<QStringList> records = parseCsv(QString::fromUtf8(bytes.mid(3)));
    QCOMPARE(records.size(), 3);
    const QStringList header = records.at(0);
    QCOMPARE(header.first(), QStringLiteral("order_id"));
    for (const QStringList &r : std::as_const(records))
        QCOMPARE(r.size(), header.size());
    QMap<QString, QStringList> byId;
    for (int i = 1; i < records.size(); ++i)
        byId.insert(records.at(i).at(0), records.at(i));
    QCOMPARE(QSet<QString>(byId.keyBegin(), byId.keyEnd()), (QSet<QString>{pending, paid}));
    const auto column = [&](const QString &id, const char *name) {
        return byId.value(id).value(int(header.indexOf(QLatin1String(name))));
    };
    QCOMPARE(column(pending, "customer"), QStringLiteral("Doe, \"Jo\""));
    QCOMPARE(column(pending, "status"), QStringLiteral("pending_payment"));
    QCOMPARE(column(pending, "items"), QStringLiteral("2"));
    QCOMPARE(column(pending, "lines"), QStringLiteral("2 x Lamp, brass"));
    QCOMPARE(column(pending, "your_total"), QStringLiteral("25.00"));
    QCOMPARE(column(pending, "currency"), QStringLiteral("USD"));
    QCOMPARE(column(paid, "status"), QStringLiteral("paid"));
    QCOMPARE(column(paid, "your_total"), QStringLiteral("24.00"));
    QCOMPARE(column(paid, "payment_state"), QStringLiteral("succeeded"));
    QVERIFY(column(paid, "placed_at").endsWith(QLatin1Char('Z')));
    // The rows come in the table's order (newest first by default).
    QCOMPARE(records.at(1).at(0), view->model()->index(0, 0).data(Qt::UserRole + 1).toString());
    QVERIFY(named<QLabel>(page, QStringLiteral("Orders message"))
                    ->text()
                    .contains(QLatin1String("open.csv")));

    // 2. All orders, searched for one customer: only Doe's two orders, the cancelled one too.
    named<QComboBox>(page, QStringLiteral("Order status filter"))->setCurrentIndex(1);
    QTRY_COMPARE(view->model()->rowCount(), 3);
    QTest::keyClicks(named<QLineEdit>(page, QStringLiteral("Order search")), QStringLiteral("Doe"));
    QTRY_COMPARE(view->model()->rowCount(), 2);
    click(page, QStringLiteral("Export CSV"));
    saveAs(page, tmp.path(), QStringLiteral("doe.csv"));
    QTRY_COMPARE(exported.size(), 2);
    QCOMPARE(exported.at(1).at(1).toInt(), 2);
    records = parseCsv(QString::fromUtf8(readBack(tmp.filePath(QStringLiteral("doe.csv"))).mid(3)));
    QCOMPARE(records.size(), 3);
    QSet<QString> ids;
    for (int i = 1; i < records.size(); ++i) {
        ids.insert(records.at(i).at(0));
        QCOMPARE(records.at(i).at(int(header.indexOf(QLatin1String("customer")))),
                 QStringLiteral("Doe, \"Jo\""));
    }
    QCOMPARE(ids, (QSet<QString>{pending, cancelled}));
}

// The Export menu writes each kind of CSV with the signed-in seller's rows only, matching what
// the model holds (a product name with a comma, quotes, a line break and non-ASCII letters
// comes back whole), with a UTF-8 BOM when the menu's option is on and without it when off.
void TestConsole::exportMenuWritesTheSellersRows_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("item");
    QTest::addColumn<QStringList>("header");
    const auto words = [](const char *text) {
        return QString::fromLatin1(text).split(QLatin1Char(' '));
    };
    QTest::newRow("orders") << QStringLiteral("orders") << QStringLiteral("Orders…")
                            << words("order_id created_at customer_id customer_name status "
                                     "seller_subtotal_cents seller_tax_cents subtotal_cents "
                                     "discount_cents discount_code code_discount_cents "
                                     "coin_discount_cents coins_used shipping_cents total_cents "
                                     "tax_rate_percent tax_cents shipping_tax_cents currency "
                                     "invoice_number payment_provider payment_state updated_at");
    QTest::newRow("lines") << QStringLiteral("lines") << QStringLiteral("Order lines…")
                           << words("order_id line_id ordered_at order_status product_id "
                                    "seller_id name unit_price_cents quantity line_total_cents "
                                    "discount_share_cents refunded_quantity refunded_cents "
                                    "currency");
    QTest::newRow("products") << QStringLiteral("products") << QStringLiteral("Products…")
                              << words("product_id seller_id name description price_cents stock "
                                       "low_stock_threshold rating_count rating_sum created_at "
                                       "updated_at deleted_at");
    QTest::newRow("stock-ledger") << QStringLiteral("stock-ledger")
                                  << QStringLiteral("Stock ledger…")
                                  << words("entry_id created_at product_id product_name delta "
                                           "reason note actor_id order_id");
    QTest::newRow("refunds") << QStringLiteral("refunds") << QStringLiteral("Refunds…")
                             << words("refund_id created_at order_id line_id customer_id "
                                      "seller_id quantity reason status note amount_cents "
                                      "coins_returned restock decided_at payment_state "
                                      "credit_note_number currency");
}

void TestConsole::exportMenuWritesTheSellersRows()
{
    QFETCH(QString, kind);
    QFETCH(QString, item);
    QFETCH(QStringList, header);
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    Shop &shop = server.shop();
    const QString seller = addSeller(server, QStringLiteral("export@example.test"), kPassword);
    const QString other = addSeller(server, QStringLiteral("other@example.test"), kPassword,
                                    QStringLiteral("Olga Other"));
    const QString customer = addUser(server, QStringLiteral("customer"));
    const QString tricky = QStringLiteral("Lamp, \"brass\"\nÉté ☕ 東京");
    const QString lamp = listProduct(server, seller, tricky, 30, 1, 1250);
    const QString cup = listProduct(server, seller, QStringLiteral("Cup"), 20, 1, 800);
    const QString vase = listProduct(server, other, QStringLiteral("Other's vase"), 20, 1, 900);
    QVERIFY(shop.catalog().adjustStock(seller, lamp, -3, QStringLiteral("Counted, \"twice\"")));
    // One order with lines of both sellers, one of this seller only, one of the other only.
    QVERIFY(shop.cart().setQuantity(customer, lamp, 2));
    QVERIFY(shop.cart().setQuantity(customer, vase, 1));
    auto mixed = shop.orders().placeOrder(customer, 0);
    QVERIFY(mixed);
    QVERIFY(shop.orders().sellerMove(seller, mixed->id, SellerAction::MarkPaid));
    const auto mine = addPaidOrder(server, customer, cup, seller);
    const auto theirs = addPaidOrder(server, customer, vase, other);
    QVERIFY(shop.refunds().request(customer, mine.first, mine.second, 1,
                                   QStringLiteral("Chipped, \"badly\"")));
    QVERIFY(shop.refunds().request(customer, theirs.first, theirs.second, 1,
                                   QStringLiteral("Not mine")));

    Console console(server);
    start(console, QStringLiteral("export@example.test"));
    MainWindow &window = console.window;
    QSignalSpy finished(window.exports(), &ExportMenu::finished);
    QTemporaryDir tmp;

    // BOM on (the default), then off through the menu's checkable item.
    QVERIFY(window.exports()->bom());
    chooseFromMenu(&window, QStringLiteral("Export"), item);
    saveAs(&window, tmp.path(), QStringLiteral("with-bom.csv"), QStringLiteral("Export file"));
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(finished.at(0).at(0).toString(), kind);
    QCOMPARE(finished.at(0).at(3).toBool(), false);
    QCOMPARE(finished.at(0).at(4).toString(), QString());
    chooseFromMenu(&window, QStringLiteral("Export"), QStringLiteral("UTF-8 BOM for spreadsheets"));
    QVERIFY(!window.exports()->bom());
    chooseFromMenu(&window, QStringLiteral("Export"), item);
    saveAs(&window, tmp.path(), QStringLiteral("plain.csv"), QStringLiteral("Export file"));
    QTRY_COMPARE(finished.size(), 2);
    QCOMPARE(finished.at(1).at(4).toString(), QString());
    const QByteArray withBom = readFile(tmp.filePath(QStringLiteral("with-bom.csv")));
    const QByteArray plain = readFile(tmp.filePath(QStringLiteral("plain.csv")));
    QVERIFY(withBom.startsWith("\xEF\xBB\xBF"));
    QVERIFY(!plain.startsWith("\xEF\xBB\xBF"));
    QVERIFY(plain.startsWith(header.first().toLatin1()));
    QCOMPARE(withBom.mid(3), plain);
    // The option is remembered by the next window.
    QCOMPARE(QSettings(QStringLiteral("Mercato"), QStringLiteral("console"))
                     .value(QStringLiteral("export/bom"))
                     .toBool(),
             false);

    const QList<QStringList> records = parseCsv(QString::fromUtf8(plain));
    QVERIFY(!records.isEmpty());
    QCOMPARE(records.first(), header);
    for (const QStringList &r : records)
        QCOMPARE(r.size(), header.size());
    const qint64 rows = records.size() - 1;
    QCOMPARE(finished.at(1).at(2).toLongLong(), rows);
    QVERIFY(window.statusBar()->currentMessage().contains(QLatin1String("plain.csv")));
    QMap<QString, QStringList> byId; // first column
    for (qsizetype i = 1; i < records.size(); ++i)
        byId.insert(records.at(i).first(), records.at(i));
    const auto col = [&header](const QStringList &row, const char *name) {
        return row.value(int(header.indexOf(QLatin1String(name))));
    };
    QVERIFY2(!plain.contains("Other's vase") && !plain.contains("Not mine"),
             "another seller's rows were exported");

    // What the model shows this seller.
    auto orders = fetchAll<Order, OrderPage>([&](const QString &cursor) {
        SellerOrderFilter filter;
        filter.limit = 100;
        filter.cursor = cursor;
        return shop.orders().sellerOrders(seller, filter);
    });
    QVERIFY(orders);
    if (kind == QLatin1String("orders")) {
        QCOMPARE(rows, qint64(orders->size()));
        QVERIFY(!byId.contains(theirs.first));
        for (const Order &o : orders.value()) {
            QVERIFY2(byId.contains(o.id), qPrintable(o.id));
            const QStringList r = byId.value(o.id);
            QCOMPARE(col(r, "customer_name"), o.customerName);
            QCOMPARE(col(r, "status"), o.status);
            QCOMPARE(col(r, "seller_subtotal_cents").toLongLong(), o.linesTotalCents());
            QCOMPARE(col(r, "total_cents").toLongLong(), o.totalCents);
            QCOMPARE(col(r, "currency"), o.currency);
            QCOMPARE(col(r, "created_at"), Clock::toRfc3339(o.createdAt));
        }
        // The mixed order: this seller's share beside the whole order's total.
        QVERIFY(col(byId.value(mixed->id), "seller_subtotal_cents").toLongLong()
                < col(byId.value(mixed->id), "total_cents").toLongLong());
    } else if (kind == QLatin1String("lines")) {
        QMap<QString, QStringList> byLine;
        for (qsizetype i = 1; i < records.size(); ++i)
            byLine.insert(col(records.at(i), "line_id"), records.at(i));
        qint64 lines = 0;
        for (const Order &o : orders.value()) {
            for (const OrderLine &l : o.items) {
                ++lines;
                QVERIFY2(byLine.contains(l.id), qPrintable(l.id));
                const QStringList r = byLine.value(l.id);
                QCOMPARE(col(r, "order_id"), o.id);
                QCOMPARE(col(r, "name"), l.name);
                QCOMPARE(col(r, "quantity").toInt(), l.quantity);
                QCOMPARE(col(r, "line_total_cents").toLongLong(), l.lineTotalCents);
                QCOMPARE(col(r, "seller_id"), seller);
            }
        }
        QCOMPARE(rows, lines);
        bool trickyLine = false;
        for (const QStringList &r : std::as_const(byLine))
            trickyLine = trickyLine || col(r, "name") == tricky;
        QVERIFY(trickyLine);
    } else if (kind == QLatin1String("products")) {
        QCOMPARE(QSet<QString>(byId.keyBegin(), byId.keyEnd()), (QSet<QString>{lamp, cup}));
        for (const QString &id : {lamp, cup}) {
            auto p = shop.catalog().get(id);
            QVERIFY(p);
            const QStringList r = byId.value(id);
            QCOMPARE(col(r, "seller_id"), seller);
            QCOMPARE(col(r, "name"), p->name);
            QCOMPARE(col(r, "description"), p->description);
            QCOMPARE(col(r, "price_cents").toLongLong(), p->priceCents);
            QCOMPARE(col(r, "stock").toLongLong(), p->stock);
        }
        QCOMPARE(col(byId.value(lamp), "name"), tricky);
    } else if (kind == QLatin1String("stock-ledger")) {
        // Every ledger row of this seller's products, none of the other's; per product the
        // deltas add up to the stock the catalog holds.
        auto expected = execSql(shop.database().connection(),
                                QStringLiteral("SELECT l.id FROM stock_ledger l JOIN products p "
                                               "ON p.id = l.product_id WHERE p.seller_id = ?"),
                                {seller});
        QVERIFY(expected);
        QSet<QString> ids;
        while (expected->next())
            ids.insert(expected->value(0).toString());
        QCOMPARE(QSet<QString>(byId.keyBegin(), byId.keyEnd()), ids);
        QMap<QString, qint64> sums;
        bool counted = false;
        for (const QStringList &r : std::as_const(byId)) {
            QVERIFY(col(r, "product_id") == lamp || col(r, "product_id") == cup);
            sums[col(r, "product_id")] += col(r, "delta").toLongLong();
            if (col(r, "product_id") == lamp)
                QCOMPARE(col(r, "product_name"), tricky);
            counted = counted || col(r, "note") == QLatin1String("Counted, \"twice\"");
        }
        QVERIFY(counted);
        for (const QString &id : {lamp, cup})
            QCOMPARE(sums.value(id), shop.catalog().get(id)->stock);
    } else if (kind == QLatin1String("refunds")) {
        auto refunds = shop.refunds().listForSeller(seller, QString(), 100, QString());
        QVERIFY(refunds);
        QCOMPARE(rows, qint64(refunds->items.size()));
        QCOMPARE(rows, 1);
        for (const RefundRequest &r : refunds->items) {
            const QStringList row = byId.value(r.id);
            QCOMPARE(col(row, "order_id"), r.orderId);
            QCOMPARE(col(row, "seller_id"), seller);
            QCOMPARE(col(row, "status"), r.status);
            QCOMPARE(col(row, "reason"), r.reason);
            QCOMPARE(col(row, "quantity").toInt(), r.quantity);
        }
    }
}

// A long export shows its progress, leaves the window working (pages still load through the
// console's worker), and Cancel stops it at once: no file at the target, no temporary file
// beside it, and a file that was there before stays as it was.
void TestConsole::exportCanBeCancelled()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString seller = addSeller(server, QStringLiteral("slow@example.test"), kPassword);
    QList<ImportedProduct> many;
    for (int i = 0; i < 600; ++i) {
        ImportedProduct p;
        p.product.name = QStringLiteral("Bulk item %1").arg(i);
        p.product.priceCents = 100 + i;
        p.product.stock = 5;
        many.append(p);
    }
    QVERIFY(server.shop().catalog().importProducts(seller, many));
    Console console(server);
    start(console, QStringLiteral("slow@example.test"));
    MainWindow &window = console.window;
    ExportMenu *exports = window.exports();
    // After 20 rows the writer slows to 10 ms a row: the whole ledger would take 6 s.
    QSemaphore entered;
    exports->setAfterRowForTesting([&entered](qint64 row) {
        if (row == 20)
            entered.release();
        if (row >= 20)
            QThread::msleep(10);
    });
    QSignalSpy finished(exports, &ExportMenu::finished);
    QTemporaryDir tmp;
    const QString target = tmp.filePath(QStringLiteral("ledger.csv"));

    for (const bool existed : {false, true}) {
        if (existed) {
            QFile old(target);
            QVERIFY(old.open(QIODevice::WriteOnly));
            old.write("the old file\n");
        }
        finished.clear();
        // The file dialog asks (in a modal box of its own) before replacing a file: yes.
        bool asked = false;
        QTimer answer;
        connect(&answer, &QTimer::timeout, this, [&window, &asked] {
            const auto boxes = window.findChildren<QMessageBox *>();
            for (QMessageBox *box : boxes) {
                if (box->isVisible() && box->button(QMessageBox::Yes)) {
                    asked = true;
                    box->button(QMessageBox::Yes)->click();
                }
            }
        });
        answer.start(20);
        chooseFromMenu(&window, QStringLiteral("Export"), QStringLiteral("Stock ledger…"));
        saveAs(&window, tmp.path(), QStringLiteral("ledger.csv"), QStringLiteral("Export file"));
        QCOMPARE(asked, existed);
        answer.stop();
        QVERIFY(entered.tryAcquire(1, 10000));
        QVERIFY(exports->isRunning());
        QPointer<QProgressDialog> progress
                = named<QProgressDialog>(&window, QStringLiteral("Export progress"));
        QVERIFY(progress);
        QTRY_VERIFY(progress->isVisible());
        auto *text = named<QLabel>(progress, QStringLiteral("Export progress text"));
        QTRY_VERIFY2(text->text().contains(QLatin1String("of 600 rows")), qPrintable(text->text()));
        QCOMPARE(progress->maximum(), 600);
        // One export at a time.
        QVERIFY(!menuAction(named<QMenu>(&window, QStringLiteral("Export")),
                            QStringLiteral("Orders…"))
                         ->isEnabled());

        // The window answers meanwhile: a 10 ms timer keeps ticking, and another page loads
        // through the console's worker while the export runs on its own thread.
        QElapsedTimer clock;
        clock.start();
        qint64 last = 0;
        qint64 worstGap = 0;
        QTimer ticker;
        connect(&ticker, &QTimer::timeout, this, [&] {
            worstGap = std::max(worstGap, clock.elapsed() - last);
            last = clock.elapsed();
        });
        ticker.start(10);
        window.showPage(QStringLiteral("Products"));
        auto *products = named<QTableView>(window.page(QStringLiteral("Products")),
                                           QStringLiteral("Product list"));
        QTRY_VERIFY(products->model()->rowCount() > 0);
        QTest::qWait(200);
        QVERIFY(exports->isRunning()); // the page loaded while the export ran
        // The ticks' worst gap is printed, not judged: a loaded machine stretches it.
        qInfo("longest gap between 10 ms ticks during the export: %lld ms", worstGap);

        QTest::mouseClick(named<QPushButton>(progress, QStringLiteral("Cancel export")),
                          Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 20000);
        QCOMPARE(finished.at(0).at(3).toBool(), true); // cancelled, not run to its end
        QCOMPARE(finished.at(0).at(4).toString(), QString());
        QVERIFY(!exports->isRunning());
        QVERIFY(window.statusBar()->currentMessage().contains(QLatin1String("cancelled")));
        // Nothing new in the folder: no partial file, no temporary file.
        const QStringList left = QDir(tmp.path()).entryList(QDir::Files | QDir::Hidden);
        if (existed) {
            QCOMPARE(left, QStringList{QStringLiteral("ledger.csv")});
            QCOMPARE(readFile(target), QByteArray("the old file\n"));
        } else {
            QVERIFY2(left.isEmpty(), qPrintable(left.join(QLatin1Char(' '))));
        }
        QTRY_VERIFY(!progress || !progress->isVisible());
    }

    // Locking the console stops an export too.
    finished.clear();
    exports->exportTo(QStringLiteral("stock-ledger"), tmp.filePath(QStringLiteral("locked.csv")));
    QVERIFY(entered.tryAcquire(1, 10000));
    window.lock();
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(finished.at(0).at(3).toBool(), true);
    QVERIFY(!QFileInfo::exists(tmp.filePath(QStringLiteral("locked.csv"))));
    signIn(window, QStringLiteral("slow@example.test"), kPassword);

    // Without the brake, the same export completes and replaces the old file.
    exports->setAfterRowForTesting({});
    finished.clear();
    exports->exportTo(QStringLiteral("stock-ledger"), target);
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(finished.at(0).at(2).toLongLong(), 600);
    QCOMPARE(parseCsv(QString::fromUtf8(readFile(target).mid(3))).size(), 601);
}

// A file that cannot be written gives a clear message (and no frozen window).
void TestConsole::exportToAnUnwritablePathIsExplained()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString seller = addSeller(server, QStringLiteral("nowrite@example.test"), kPassword);
    listProduct(server, seller, QStringLiteral("Lamp"), 3, 1);
    Console console(server);
    start(console, QStringLiteral("nowrite@example.test"));
    MainWindow &window = console.window;
    QTemporaryDir tmp;
    // A folder path through a plain file: no one can create a file there, root included.
    QFile plainFile(tmp.filePath(QStringLiteral("not-a-folder")));
    QVERIFY(plainFile.open(QIODevice::WriteOnly));
    plainFile.close();
    const QString target = tmp.filePath(QStringLiteral("not-a-folder/products.csv"));
    QSignalSpy finished(window.exports(), &ExportMenu::finished);
    window.exports()->exportTo(QStringLiteral("products"), target);
    QTRY_COMPARE(finished.size(), 1);
    QVERIFY(!finished.at(0).at(4).toString().isEmpty());
    QMessageBox *box = nullptr;
    QTRY_VERIFY((box = named<QMessageBox>(&window, QStringLiteral("Export failed")))
                && box->isVisible());
    QVERIFY2(box->text().contains(QDir::toNativeSeparators(target)), qPrintable(box->text()));
    QVERIFY(box->text().startsWith(QLatin1String("Could not export products")));
    QTest::mouseClick(box->button(QMessageBox::Ok), Qt::LeftButton);
    QVERIFY(!QFileInfo::exists(target));
    // The menu works again.
    QVERIFY(menuAction(named<QMenu>(&window, QStringLiteral("Export")), QStringLiteral("Products…"))
                    ->isEnabled());
}

// While other threads keep the API busy, the GUI thread serves no request and runs no SQL;
// the console still loads its pages (on its worker).
void TestConsole::guiThreadIdleUnderApiLoad()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString sellerId = addSeller(server, QStringLiteral("busy@example.test"), kPassword);
    for (int i = 0; i < 30; ++i)
        listProduct(server, sellerId, QStringLiteral("Teapot %1").arg(i), 5 + i, 3);
    Console console(server);
    MainWindow &window = console.window;
    window.show();
    window.begin();
    signIn(window, QStringLiteral("busy@example.test"), kPassword);
    QTRY_VERIFY(window.worker().isIdle());

    const QString token
            = server.shop().tokens().issueAccess(sellerId, QStringLiteral("seller")).token;
    const QByteArray auth = "Bearer " + token.toLatin1();
    const quint64 sqlBefore = mainThreadStatementCount();
    const quint64 requestsBefore = server.metrics().requestCount();
    std::atomic<int> failures{0};
    constexpr int kRequests = 2000;
    std::unique_ptr<QThread> load(QThread::create([&] {
        for (int i = 0; i < kRequests; ++i) {
            const HttpResult r
                    = i % 3 == 0
                              ? httpRequest(server.port(), "GET", "/api/v1/seller/refund-requests",
                                            {}, {{"Authorization", auth}})
                      : i % 3 == 1 ? httpRequest(server.port(), "GET",
                                                 "/api/v1/products?q=teapot&limit=50")
                                   : httpRequest(server.port(), "GET", "/api/v1/seller/orders", {},
                                                 {{"Authorization", auth}});
            if (r.status != 200)
                failures.fetch_add(1);
        }
    }));
    // A timer on the GUI thread measures how late its ticks come: the figure is printed (the
    // benchmark, bench/console.sh, records it; a loaded CI machine makes it no verdict).
    QElapsedTimer clock;
    clock.start();
    qint64 lastTick = 0;
    qint64 maxStallUs = 0;
    QTimer meter;
    meter.setTimerType(Qt::PreciseTimer);
    meter.setInterval(5);
    connect(&meter, &QTimer::timeout, this, [&] {
        const qint64 now = clock.nsecsElapsed() / 1000;
        if (lastTick > 0)
            maxStallUs = std::max(maxStallUs, now - lastTick - 5000);
        lastTick = now;
    });
    meter.start();
    load->start();
    // Meanwhile the seller moves around the console.
    const QStringList pages = MainWindow::pageNames();
    int i = 0;
    while (!load->wait(0)) {
        window.showPage(pages.at(i++ % pages.size()));
        QTest::qWait(20);
    }
    meter.stop();
    qInfo("largest GUI-thread stall during %d API requests: %.1f ms", kRequests,
          double(maxStallUs) / 1000.0);
    QTRY_VERIFY(window.worker().isIdle());
    QCOMPARE(failures.load(), 0);
    QVERIFY(server.metrics().requestCount() - requestsBefore >= quint64(kRequests));
    QCOMPARE(server.metrics().mainThreadRequestCount(), quint64(0));
    QCOMPARE(mainThreadStatementCount(), sqlBefore);
    QVERIFY(i > 1);
}

// Settings → Keys and passwords: each "Test connection" calls the real protocol against the
// local fakes (Stripe's balance, Cloudinary's authenticated ping, SMTP EHLO + AUTH) and says
// clearly whether it works; a message never repeats a secret.
void TestConsole::connectionTestsReportClearly()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    addSeller(server, QStringLiteral("keys@example.test"), kPassword);
    Peer stripe;
    QVERIFY(stripe.start(QStringLiteral("fake_stripe.py")));
    Peer cloudinary;
    QVERIFY(cloudinary.start(QStringLiteral("fake_cloudinary.py"),
                             {QStringLiteral("--cloud"), QStringLiteral("demo"),
                              QStringLiteral("--key"), QStringLiteral("123456789"),
                              QStringLiteral("--secret"), QStringLiteral("s3cr3t-api")}));
    SmtpSink smtp({QStringLiteral("--user"), QStringLiteral("mailer"), QStringLiteral("--password"),
                   QStringLiteral("m41l-pass")});
    QVERIFY(smtp.start());
    Console console(server);
    console.monitor.setSecretStore(nullptr, stripe.base(), cloudinary.base());
    start(console, QStringLiteral("keys@example.test"));
    MainWindow &window = console.window;
    window.showPage(QStringLiteral("Settings"));
    QWidget *page = window.page(QStringLiteral("Settings"));
    // Without a keychain the keys can be tested, not kept.
    QVERIFY(named<QLabel>(page, QStringLiteral("Keychain state"))
                    ->text()
                    .contains(QLatin1String("No keychain")));
    QVERIFY(!named<QAbstractButton>(page, QStringLiteral("Save keys"))->isEnabled());
    auto *result = named<QLabel>(page, QStringLiteral("Connection test result"));
    QVERIFY(result);

    // Nothing entered: said at once.
    QCOMPARE(runConnectionTest(page, QStringLiteral("Test Stripe connection")),
             QStringLiteral("failed"));
    QVERIFY2(result->text().contains(QLatin1String("Enter the Stripe secret key")),
             qPrintable(result->text()));

    struct Case
    {
        QString field, button, value, verdict, says, secret;
    };
    const QString smtpBase = QStringLiteral("127.0.0.1:%1").arg(smtp.port());
    const QList<Case> cases{
            {QStringLiteral("Stripe secret key"), QStringLiteral("Test Stripe connection"),
             QStringLiteral("sk_test_console"), QStringLiteral("works"),
             QStringLiteral("Stripe works"), QStringLiteral("sk_test_console")},
            {QStringLiteral("Stripe secret key"), QStringLiteral("Test Stripe connection"),
             QStringLiteral("sk_live_not_known"), QStringLiteral("failed"),
             QStringLiteral("Stripe refused the credentials (HTTP 401"),
             QStringLiteral("sk_live_not_known")},
            {QStringLiteral("Cloudinary URL"), QStringLiteral("Test Cloudinary connection"),
             QStringLiteral("cloudinary://123456789:s3cr3t-api@demo"), QStringLiteral("works"),
             QStringLiteral("Cloudinary works: cloud \"demo\""), QStringLiteral("s3cr3t-api")},
            {QStringLiteral("Cloudinary URL"), QStringLiteral("Test Cloudinary connection"),
             QStringLiteral("cloudinary://123456789:wrong-secret@demo"), QStringLiteral("failed"),
             QStringLiteral("Cloudinary refused the credentials (HTTP 401"),
             QStringLiteral("wrong-secret")},
            {QStringLiteral("Cloudinary URL"), QStringLiteral("Test Cloudinary connection"),
             QStringLiteral("https://not.cloudinary"), QStringLiteral("failed"),
             QStringLiteral("cloudinary://KEY:SECRET@CLOUD"), QString()},
            {QStringLiteral("SMTP URL"), QStringLiteral("Test SMTP connection"),
             QStringLiteral("smtp://mailer:m41l-pass@") + smtpBase, QStringLiteral("works"),
             QStringLiteral("SMTP works: signed in to smtp://") + smtpBase
                     + QStringLiteral(" as mailer"),
             QStringLiteral("m41l-pass")},
            {QStringLiteral("SMTP URL"), QStringLiteral("Test SMTP connection"),
             QStringLiteral("smtp://mailer:not-it@") + smtpBase, QStringLiteral("failed"),
             QStringLiteral("SMTP does not work"), QStringLiteral("not-it")},
    };
    for (const Case &c : cases) {
        type(page, c.field, c.value);
        // Keys are masked while typed.
        auto *edit = named<QLineEdit>(page, c.field);
        QCOMPARE(edit->echoMode(), QLineEdit::Password);
        QVERIFY(!edit->displayText().contains(c.value));
        QCOMPARE(runConnectionTest(page, c.button), c.verdict);
        QVERIFY2(result->text().contains(c.says),
                 qPrintable(c.value + QStringLiteral(": ") + result->text()));
        if (!c.secret.isEmpty())
            QVERIFY2(!result->text().contains(c.secret), qPrintable(result->text()));
    }
    // Stripe was asked for the balance with the key as a bearer token.
    QCOMPARE(balanceCalls(stripe), (QStringList{QStringLiteral("Bearer sk_test_console"),
                                                QStringLiteral("Bearer sk_live_not_known")}));
    // A test sends no mail.
    QVERIFY(smtp.messages().isEmpty());
    QThreadPool::globalInstance()->waitForDone();
}

// A Stripe call that hangs shows progress and stops at once on Cancel; the next test runs.
void TestConsole::connectionTestCanBeCancelled()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    addSeller(server, QStringLiteral("cancel@example.test"), kPassword);
    Peer stripe;
    QVERIFY(stripe.start(QStringLiteral("fake_stripe.py")));
    // The next Stripe request waits a minute before answering.
    QCOMPARE(httpRequest(stripe.port(), "POST", "/_test/fail", R"({"delayMs": 60000, "count": 1})",
                         {{"Content-Type", "application/json"}})
                     .status,
             200);
    Console console(server);
    console.monitor.setSecretStore(nullptr, stripe.base(), QStringLiteral("http://127.0.0.1:9"));
    start(console, QStringLiteral("cancel@example.test"));
    MainWindow &window = console.window;
    window.showPage(QStringLiteral("Settings"));
    QWidget *page = window.page(QStringLiteral("Settings"));
    type(page, QStringLiteral("Stripe secret key"), QStringLiteral("sk_test_slow"));
    click(page, QStringLiteral("Test Stripe connection"));
    auto *progress = named<QProgressBar>(page, QStringLiteral("Connection test progress"));
    auto *result = named<QLabel>(page, QStringLiteral("Connection test result"));
    QVERIFY(progress->isVisible());
    QCOMPARE(result->accessibleDescription(), QStringLiteral("running"));
    // One test at a time.
    QVERIFY(!named<QAbstractButton>(page, QStringLiteral("Test Stripe connection"))->isEnabled());
    QVERIFY(!named<QAbstractButton>(page, QStringLiteral("Test SMTP connection"))->isEnabled());
    // The window keeps answering meanwhile.
    window.showPage(QStringLiteral("Products"));
    window.showPage(QStringLiteral("Settings"));
    QCOMPARE(result->accessibleDescription(), QStringLiteral("running"));

    click(page, QStringLiteral("Cancel connection test"));
    // Well before Stripe's minute is up.
    QTRY_COMPARE(result->accessibleDescription(), QStringLiteral("cancelled"));
    QCOMPARE(result->text(), QStringLiteral("Test cancelled."));
    QVERIFY(!progress->isVisible());
    QVERIFY(!named<QAbstractButton>(page, QStringLiteral("Cancel connection test"))->isVisible());

    // The fault is spent: the same key now works.
    QCOMPARE(runConnectionTest(page, QStringLiteral("Test Stripe connection")),
             QStringLiteral("works"));
    QThreadPool::globalInstance()->waitForDone();
}

// Keys saved from the Settings page go to the OS keychain (a real gnome-keyring in a private
// D-Bus session: ctest console.keychain), nowhere else; they show masked, leave the screen on
// lock, come back from the keychain at the next sign-in, and the next start reads them.
void TestConsole::settingsSecretsInTheKeychain()
{
    const QString service = QStringLiteral("mercato-console-test-") + Ids::newId().left(8);
    KeychainSecretStore keychain(service);
    if (!keychain.isAvailable()) {
        if (qEnvironmentVariableIsSet("MERCATO_TEST_REQUIRE_KEYCHAIN"))
            QFAIL("MERCATO_TEST_REQUIRE_KEYCHAIN is set but no keychain job succeeds");
        QSKIP("no Secret Service (run through tests/with-keyring.sh: ctest -R console.keychain)");
    }
    const auto cleanup = qScopeGuard([&keychain] {
        QThreadPool::globalInstance()->waitForDone();
        for (const QString &name : SettingsPage::secretNames())
            (void)keychain.remove(name);
    });
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    addSeller(server, QStringLiteral("vault@example.test"), kPassword);
    Peer stripe;
    QVERIFY(stripe.start(QStringLiteral("fake_stripe.py")));
    Console console(server);
    console.monitor.setSecretStore(&keychain, stripe.base(), QStringLiteral("http://127.0.0.1:9"));
    start(console, QStringLiteral("vault@example.test"));
    MainWindow &window = console.window;
    window.showPage(QStringLiteral("Settings"));
    QWidget *page = window.page(QStringLiteral("Settings"));
    QTRY_VERIFY(named<QLabel>(page, QStringLiteral("Keychain state"))
                        ->text()
                        .startsWith(QLatin1String("Keys are kept in")));
    QTRY_VERIFY(named<QAbstractButton>(page, QStringLiteral("Save keys"))->isEnabled());
    QVERIFY(named<QLineEdit>(page, QStringLiteral("Stripe secret key"))->text().isEmpty());

    const QString secretKey = QStringLiteral("sk_test_") + Ids::newToken(16);
    const QString webhook = QStringLiteral("whsec_") + Ids::newToken(16);
    const QString smtpUrl = QStringLiteral("smtps://shop:") + Ids::newToken(12)
                            + QStringLiteral("@mail.example.test:465");
    type(page, QStringLiteral("Stripe secret key"), secretKey);
    type(page, QStringLiteral("Stripe publishable key"), QStringLiteral("pk_test_console"));
    type(page, QStringLiteral("Stripe webhook secret"), webhook);
    type(page, QStringLiteral("SMTP URL"), smtpUrl);
    type(page, QStringLiteral("Cloudinary URL"), QStringLiteral("not a cloudinary url"));
    // A malformed value: nothing is saved, the message names the field.
    click(page, QStringLiteral("Save keys"));
    auto *message = named<QLabel>(page, QStringLiteral("Settings message"));
    QVERIFY2(message->text().contains(QLatin1String("Cloudinary URL")),
             qPrintable(message->text()));
    QVERIFY(!keychain.read(QStringLiteral("MERCATO_STRIPE_SECRET_KEY")).value().has_value());

    type(page, QStringLiteral("Cloudinary URL"), QStringLiteral("cloudinary://1:cl0ud@demo"));
    click(page, QStringLiteral("Save keys"));
    QTRY_VERIFY2(message->text().startsWith(QLatin1String("Keys saved in the keychain")),
                 qPrintable(message->text()));
    auto stored = [&keychain](const char *name) {
        auto v = keychain.read(QLatin1String(name));
        return v && v->has_value() ? QString::fromUtf8(v->value()) : QString();
    };
    QCOMPARE(stored("MERCATO_STRIPE_SECRET_KEY"), secretKey);
    QCOMPARE(stored("MERCATO_STRIPE_PUBLISHABLE_KEY"), QStringLiteral("pk_test_console"));
    QCOMPARE(stored("MERCATO_STRIPE_WEBHOOK_SECRET"), webhook);
    QCOMPARE(stored("MERCATO_CLOUDINARY_URL"), QStringLiteral("cloudinary://1:cl0ud@demo"));
    QCOMPARE(stored("MERCATO_SMTP_URL"), smtpUrl);
    // Nowhere else: not in the config file, the console's settings or the database.
    auto notIn = [&](const QString &path) {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return true;
        const QByteArray all = f.readAll();
        return !all.contains(secretKey.toUtf8()) && !all.contains(webhook.toUtf8());
    };
    QVERIFY(notIn(MetricsMonitor::configFileIn(server.dataDir())));
    QVERIFY(notIn(QSettings(QStringLiteral("Mercato"), QStringLiteral("console")).fileName()));
    const QDir data(server.dataDir());
    for (const QString &f : data.entryList(QDir::Files))
        QVERIFY2(notIn(data.filePath(f)), qPrintable(f));

    // Masked; "Show keys" shows them while it is ticked.
    auto *keyEdit = named<QLineEdit>(page, QStringLiteral("Stripe secret key"));
    QCOMPARE(keyEdit->echoMode(), QLineEdit::Password);
    QVERIFY(!keyEdit->displayText().contains(secretKey));
    QTest::mouseClick(named<QCheckBox>(page, QStringLiteral("Show keys")), Qt::LeftButton);
    QCOMPARE(keyEdit->displayText(), secretKey);
    QTest::mouseClick(named<QCheckBox>(page, QStringLiteral("Show keys")), Qt::LeftButton);
    QCOMPARE(keyEdit->echoMode(), QLineEdit::Password);

    // Locked: the keys leave the screen. Signed in again: read back from the keychain, masked.
    window.lock();
    QVERIFY(keyEdit->text().isEmpty());
    QVERIFY(named<QLineEdit>(page, QStringLiteral("SMTP URL"))->text().isEmpty());
    signIn(window, QStringLiteral("vault@example.test"), kPassword);
    window.showPage(QStringLiteral("Settings"));
    QTRY_COMPARE(keyEdit->text(), secretKey);
    QCOMPARE(keyEdit->echoMode(), QLineEdit::Password);
    QTRY_COMPARE(named<QLineEdit>(page, QStringLiteral("SMTP URL"))->text(), smtpUrl);
    // The stored key passes Stripe's test.
    QCOMPARE(runConnectionTest(page, QStringLiteral("Test Stripe connection")),
             QStringLiteral("works"));
    QCOMPARE(balanceCalls(stripe), QStringList{QStringLiteral("Bearer ") + secretKey});

    // The next start reads them from the keychain.
    QTemporaryDir dir;
    Config config;
    config.dataDir = dir.path();
    config.keychainService = service;
    QVERIFY(resolveSecrets(config));
    QCOMPARE(config.stripeSecretKey, secretKey);
    QCOMPARE(config.stripePublishableKey, QStringLiteral("pk_test_console"));
    QCOMPARE(config.stripeWebhookSecret, webhook);
    QCOMPARE(config.smtpUrl, smtpUrl);

    // An emptied field forgets its key.
    named<QLineEdit>(page, QStringLiteral("Stripe webhook secret"))->selectAll();
    QTest::keyClick(named<QLineEdit>(page, QStringLiteral("Stripe webhook secret")),
                    Qt::Key_Delete);
    click(page, QStringLiteral("Save keys"));
    QTRY_VERIFY(message->text().startsWith(QLatin1String("Keys saved in the keychain")));
    QVERIFY(!keychain.read(QStringLiteral("MERCATO_STRIPE_WEBHOOK_SECRET")).value().has_value());
    QCOMPARE(stored("MERCATO_STRIPE_SECRET_KEY"), secretKey);
}

// A refund request and a complaint arriving while the console runs each raise a tray message
// whose click opens Refunds & Complaints on that very row (and tab).
void TestConsole::trayAlertsOpenRefundAndComplaint()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString sellerId = addSeller(server, QStringLiteral("tray@example.test"), kPassword);
    const QString customerId = addUser(server, QStringLiteral("customer"));
    const QString productId = addProduct(server, sellerId);
    const auto first = addPaidOrder(server, customerId, productId, sellerId);
    const auto second = addPaidOrder(server, customerId, productId, sellerId);
    Console console(server);
    start(console, QStringLiteral("tray@example.test"));
    MainWindow &window = console.window;
    QSignalSpy alerts(&window, &MainWindow::alertShown);
    window.showPage(QStringLiteral("Products"));
    QTRY_VERIFY(window.worker().isIdle());

    auto refund = server.shop().refunds().request(customerId, first.first, first.second, 1,
                                                  QStringLiteral("Chipped spout"));
    QVERIFY(refund);
    QTRY_COMPARE(alerts.count(), 1);
    QCOMPARE(alerts.at(0).at(0).toString(), QStringLiteral("refund.requested"));
    QCOMPARE(alerts.at(0).at(1).toString(), QStringLiteral("Refunds & Complaints"));
    QTRY_COMPARE(window.unreadCount(), 1);
    window.openAlert();
    QCOMPARE(window.currentPage(), QStringLiteral("Refunds & Complaints"));
    QWidget *page = window.page(QStringLiteral("Refunds & Complaints"));
    auto *tabs = named<QTabWidget>(page, QStringLiteral("Refunds and complaints tabs"));
    QTRY_COMPARE(selectedRowId(named<QTableView>(page, QStringLiteral("Refund requests"))),
                 refund->id);
    QCOMPARE(tabs->currentIndex(), 0);

    window.showPage(QStringLiteral("Dashboard"));
    auto complaint = server.shop().complaints().open(customerId, second.first, second.second,
                                                     QStringLiteral("Wrong colour"),
                                                     QStringLiteral("I ordered blue"));
    QVERIFY(complaint);
    QTRY_COMPARE(alerts.count(), 2);
    QCOMPARE(alerts.at(1).at(0).toString(), QStringLiteral("complaint.opened"));
    QCOMPARE(alerts.at(1).at(1).toString(), QStringLiteral("Refunds & Complaints"));
    QTRY_COMPARE(window.unreadCount(), 2);
    window.openAlert();
    QCOMPARE(window.currentPage(), QStringLiteral("Refunds & Complaints"));
    QTRY_COMPARE(tabs->currentIndex(), 1);
    QTRY_COMPARE(selectedRowId(named<QTableView>(page, QStringLiteral("Complaints"))),
                 complaint->id);
}

// Alt+1…9 go to the pages; the window's size and the last page are there again next time.
void TestConsole::shortcutsAndGeometryRemembered()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    addSeller(server, QStringLiteral("keys@example.test"), kPassword);
    const QSize size(1250, 870);
    {
        Console console(server);
        start(console, QStringLiteral("keys@example.test"));
        MainWindow &window = console.window;
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        const QStringList names = MainWindow::pageNames();
        for (int i = 0; i < std::min(9, int(names.size())); ++i) { // Alt+1 … Alt+9
            QTest::keyClick(&window, Qt::Key(Qt::Key_1 + i), Qt::AltModifier);
            QCOMPARE(window.currentPage(), names.at(i));
        }
        QTest::keyClick(&window, Qt::Key_4, Qt::AltModifier);
        QCOMPARE(window.currentPage(), QStringLiteral("Orders"));
        window.resize(size);
        QTRY_COMPARE(window.size(), size);
        window.close();
    }
    Console again(server);
    QCOMPARE(again.window.size(), size);
    start(again, QStringLiteral("keys@example.test"));
    QCOMPARE(again.window.currentPage(), QStringLiteral("Orders"));
}

// Under API saturation every model event asks for a reload: a burst of them runs a bounded
// number of reloads (one queued absorbs the rest, one more after it), and the page ends up
// showing the data as it is after the burst.
void TestConsole::eventBurstsCoalesceReloads()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString sellerId = addSeller(server, QStringLiteral("burst@example.test"), kPassword);
    listProduct(server, sellerId, QStringLiteral("Walnut tray"), 5, 1, 3200);
    Console console(server);
    start(console, QStringLiteral("burst@example.test"));
    MainWindow &window = console.window;
    window.showPage(QStringLiteral("Products"));
    auto *page = qobject_cast<ProductsPage *>(window.page(QStringLiteral("Products")));
    QVERIFY(page);
    auto *view = named<QTableView>(page, QStringLiteral("Product list"));
    QTRY_COMPARE(view->model()->rowCount(), 1);
    QTRY_VERIFY(window.worker().isIdle());
    auto *dashboard = qobject_cast<Page *>(window.page(QStringLiteral("Dashboard")));
    QVERIFY(dashboard);
    const int pageBefore = page->reloadsRun();
    const int dashboardBefore = dashboard->reloadsRun();

    constexpr int kEvents = 300;
    for (int i = 0; i < kEvents / 2; ++i)
        Q_EMIT server.shop().events().productChanged(QStringLiteral("burst"));
    const QString last = listProduct(server, sellerId, QStringLiteral("Last word"), 5, 1, 700);
    for (int i = 0; i < kEvents / 2; ++i)
        Q_EMIT server.shop().events().productChanged(last);

    QTRY_VERIFY(rowOf(view, last) >= 0);
    QTRY_VERIFY(window.worker().isIdle());
    QCOMPARE(view->model()->rowCount(), 2);
    const int pageReloads = page->reloadsRun() - pageBefore;
    const int dashboardReloads = dashboard->reloadsRun() - dashboardBefore;
    QVERIFY2(pageReloads >= 1 && pageReloads <= 3, qPrintable(QString::number(pageReloads)));
    QVERIFY2(dashboardReloads >= 1 && dashboardReloads <= 3,
             qPrintable(QString::number(dashboardReloads)));
}

// The Server page's switch: the API port refuses TCP connections once stopped and answers
// HTTP again on the same port once started.
void TestConsole::serverSwitchStopsAndStartsTheApi()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    addSeller(server, QStringLiteral("switch@example.test"), kPassword);
    Console console(server);
    start(console, QStringLiteral("switch@example.test"));
    MainWindow &window = console.window;
    window.showPage(QStringLiteral("Server"));
    QWidget *page = window.page(QStringLiteral("Server"));
    const quint16 port = server.port();
    const auto connects = [port] {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        return socket.waitForConnected(3000);
    };
    auto *state = named<QLabel>(page, QStringLiteral("Server state"));
    QVERIFY(state);
    QCOMPARE(state->text(), QStringLiteral("Serving"));
    QVERIFY(connects());
    QCOMPARE(server.client().get(QStringLiteral("/api/v1/products")).status, 200);

    click(page, QStringLiteral("Serving switch"));
    QTRY_COMPARE(state->text(), QStringLiteral("Stopped"));
    QVERIFY(!server.server().isRunning());
    QVERIFY(!connects());

    click(page, QStringLiteral("Serving switch"));
    QTRY_COMPARE(state->text(), QStringLiteral("Serving"));
    QCOMPARE(server.port(), port);
    QVERIFY(connects());
    QCOMPARE(server.client().get(QStringLiteral("/api/v1/products")).status, 200);

    // A stop with a request in flight (half its head sent) drains for up to 2 s, on another
    // thread: the switch says "Stopping…" meanwhile and the GUI thread keeps turning.
    QTcpSocket slow;
    slow.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(slow.waitForConnected(3000));
    slow.write("GET /api/v1/products HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    QVERIFY(slow.waitForBytesWritten(3000));
    QTest::qWait(200); // a worker has taken the connection
    qint64 longestStall = 0;
    QElapsedTimer sinceTick;
    QTimer ticker;
    ticker.setInterval(10);
    connect(&ticker, &QTimer::timeout, &ticker,
            [&] { longestStall = std::max(longestStall, sinceTick.restart()); });
    sinceTick.start();
    ticker.start();
    QElapsedTimer stopping;
    stopping.start();
    click(page, QStringLiteral("Serving switch"));
    // The click came back while the drain still waits for the slow request (it says so).
    auto *button = named<QPushButton>(page, QStringLiteral("Serving switch"));
    QVERIFY(!button->isEnabled());
    QCOMPARE(button->text(), QStringLiteral("Stopping…"));
    QCOMPARE(state->text(), QStringLiteral("Stopping…"));
    QTRY_COMPARE_WITH_TIMEOUT(state->text(), QStringLiteral("Stopped"), 10000);
    ticker.stop();
    // The drain did wait for the slow request (so the GUI thread had something to wait for).
    QVERIFY2(stopping.elapsed() >= 1500, qPrintable(QString::number(stopping.elapsed())));
    qInfo("longest gap between 10 ms ticks while stopping: %lld ms", longestStall);
    QVERIFY(button->isEnabled());
    QVERIFY(!server.server().isRunning());
    QVERIFY(!connects());
    click(page, QStringLiteral("Serving switch"));
    QTRY_COMPARE(state->text(), QStringLiteral("Serving"));
    QVERIFY(connects());
}

// Tab walks each form in reading order (rows top to bottom, each left to right): the wizard's
// two pages, the sign-in dialog, the product dialog (new and edit) and the Settings page. A
// multi-line field passes Tab on rather than typing it.
void TestConsole::tabOrderFollowsTheLayout()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    Console console(server);
    MainWindow &window = console.window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.begin();
    SetupWizard *wizard = window.setupWizard();
    QTRY_VERIFY(wizard->isVisible());
    wizard->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(wizard));
    checkTabOrder(wizard->currentPage(), named<QLineEdit>(wizard, QStringLiteral("Store name")));
    type(wizard, QStringLiteral("Store name"), QStringLiteral("Corner Teas"));
    click(wizard, QStringLiteral("Next"));
    QTRY_COMPARE(wizard->currentId(), 1);
    checkTabOrder(wizard->currentPage(), named<QLineEdit>(wizard, QStringLiteral("Owner name")));
    type(wizard, QStringLiteral("Owner name"), QStringLiteral("Olive Owner"));
    type(wizard, QStringLiteral("Owner email"), QStringLiteral("olive@example.test"));
    type(wizard, QStringLiteral("Owner password"), kPassword);
    type(wizard, QStringLiteral("Confirm password"), kPassword);
    click(wizard, QStringLiteral("Finish"));
    QTRY_COMPARE(window.seller().email, QStringLiteral("olive@example.test"));

    window.lock();
    LoginDialog *login = window.loginDialog();
    QTRY_VERIFY(login->isVisible());
    login->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(login));
    checkTabOrder(login, named<QLineEdit>(login, QStringLiteral("Email")));
    signIn(window, QStringLiteral("olive@example.test"), kPassword);

    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    window.showPage(QStringLiteral("Products"));
    QWidget *products = window.page(QStringLiteral("Products"));
    click(products, QStringLiteral("New product"));
    auto *dialog = products->findChild<QDialog *>(QStringLiteral("productDialog"));
    QTRY_VERIFY(dialog && dialog->isVisible());
    dialog->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(dialog));
    checkTabOrder(dialog, named<QLineEdit>(dialog, QStringLiteral("Product name")));
    auto *description = named<QPlainTextEdit>(dialog, QStringLiteral("Product description"));
    QVERIFY(description);
    QVERIFY(description->toPlainText().isEmpty()); // Tab moved on, typed nothing
    click(dialog, QStringLiteral("Cancel"));
    QTRY_VERIFY(!dialog->isVisible());

    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    window.showPage(QStringLiteral("Settings"));
    QWidget *settings = window.page(QStringLiteral("Settings"));
    auto *storeName = named<QLineEdit>(settings, QStringLiteral("Store name"));
    QTRY_COMPARE(storeName->text(), QStringLiteral("Corner Teas"));
    checkTabOrder(settings, storeName);
    auto *storeDescription = named<QPlainTextEdit>(settings, QStringLiteral("Store description"));
    QVERIFY(storeDescription);
    QVERIFY2(!storeDescription->toPlainText().contains(QLatin1Char('\t')),
             "Tab was typed into the store description");
}

// The window (and tray) icon is resources/icons' files, every hicolor size up to 256 px, not a
// picture drawn at run time: on a 2x screen a 32 px icon is drawn from the 64 px file.
void TestConsole::iconsComeFromResources()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    Console console(server);
    const QIcon icon = console.window.windowIcon();
    const QList<QSize> sizes = icon.availableSizes();
    for (int size : {16, 22, 24, 32, 48, 64, 128, 256}) {
        const QString file = QStringLiteral(":/icons/mercato-%1.png").arg(size);
        QVERIFY2(QFile::exists(file), qPrintable(file));
        QVERIFY2(sizes.contains(QSize(size, size)), qPrintable(file));
        const QImage expected(file);
        QCOMPARE(expected.size(), QSize(size, size));
        const auto premultiplied = QImage::Format_ARGB32_Premultiplied;
        QCOMPARE(icon.pixmap(QSize(size, size)).toImage().convertToFormat(premultiplied),
                 expected.convertToFormat(premultiplied));
    }
    QCOMPARE(icon.pixmap(QSize(32, 32), 2.0).toImage().size(), QSize(64, 64));
    if (auto *tray = console.window.findChild<QSystemTrayIcon *>())
        QCOMPARE(tray->icon().availableSizes(), sizes);
}

QTEST_MAIN(TestConsole)
#include "tst_console.moc"
