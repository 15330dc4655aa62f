// The console, offscreen, driven like a seller would: by accessible names, mouse and keys. Each
// flow checks the API's answer afterwards, since both act through the same model.

#include "support/testsupport.h"

#include "app/metricsmonitor.h"
#include "model/clock.h"
#include "model/ids.h"
#include "model/storedetails.h"
#include "ui/consoleworker.h"
#include "ui/logindialog.h"
#include "ui/mainwindow.h"
#include "ui/page.h"
#include "ui/setupwizard.h"

#include <QAbstractButton>
#include <QApplication>
#include <QComboBox>
#include <QFileInfo>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QTabWidget>
#include <QSettings>
#include <QSqlQuery>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>
#include <QThread>

#include <atomic>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

template<typename T>
T *named(QWidget *root, const QString &name)
{
    const auto all = root->findChildren<T *>();
    for (T *w : all) {
        if (w->accessibleName() == name && w->isVisibleTo(root->window()))
            return w;
    }
    for (T *w : all) {
        if (w->accessibleName() == name)
            return w;
    }
    return nullptr;
}

void type(QWidget *root, const QString &name, const QString &text)
{
    auto *edit = named<QLineEdit>(root, name);
    QVERIFY2(edit, qPrintable(name));
    edit->clear();
    QTest::keyClicks(edit, text);
}

void click(QWidget *root, const QString &name)
{
    auto *button = named<QAbstractButton>(root, name);
    QVERIFY2(button, qPrintable(name));
    QVERIFY2(button->isEnabled(), qPrintable(name + QStringLiteral(" is disabled")));
    QTest::mouseClick(button, Qt::LeftButton);
}

// Clicks the row of `view` whose id is `id`.
bool clickRow(QTableView *view, const QString &id)
{
    QAbstractItemModel *m = view->model();
    for (int r = 0; r < m->rowCount(); ++r) {
        const QModelIndex index = m->index(r, 0);
        if (index.data(Qt::UserRole + 1).toString() == id) {
            QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(index).center());
            return true;
        }
    }
    return false;
}

struct Console
{
    explicit Console(TestServer &server)
        : monitor(server.metrics(), server.baseUrl(), [&server] { return server.server().isRunning(); },
                  [&server] { return server.server().workerCount(); },
                  MetricsMonitor::configFileIn(server.dataDir()),
                  ServerSettings{QStringLiteral("127.0.0.1:8080"), {}, {}, QStringLiteral("USD"), {}})
        , window(server.shop(), &monitor)
    {
    }
    MetricsMonitor monitor;
    MainWindow window;
};

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
    void refundApproveAndReject();
    void complaintReplyAndResolve();
    void settingsSave();
    void serverPageShowsRequests();
    void guiThreadIdleUnderApiLoad();

private:
    QString addSeller(TestServer &server, const QString &email, const QString &password,
                      const QString &name = QStringLiteral("Sam Seller"));
    void signIn(MainWindow &window, const QString &email, const QString &password);
    QString addUser(TestServer &server, const QString &role);
    QString addProduct(TestServer &server, const QString &sellerId);
    QPair<QString, QString> addPaidOrder(TestServer &server, const QString &customerId,
                                         const QString &productId, const QString &sellerId);
    Client as(TestServer &server, const QString &userId, const QString &role);

    static inline const QString kPassword = QStringLiteral("correct horse battery");
};

void TestConsole::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void TestConsole::init()
{
    QSettings(QStringLiteral("Mercato"), QStringLiteral("console")).clear();
}

QString TestConsole::addSeller(TestServer &server, const QString &email, const QString &password,
                               const QString &name)
{
    auto session = server.shop().accounts().registerAccount({email, password, name, QStringLiteral("seller")});
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
    auto q = execSql(server.shop().database().connection(),
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
    auto q = execSql(server.shop().database().connection(),
                     QStringLiteral("INSERT INTO products (id, seller_id, name, description, price_cents, "
                                    "stock, created_at, updated_at) VALUES (?, ?, 'Teapot', '', 2500, 10, ?, ?)"),
                     {id, sellerId, now, now});
    if (!q)
        qFatal("insert product failed");
    return id;
}

// A delivered order of one line (orders are not the console's to create; the after-sales
// tests seed them the same way).
QPair<QString, QString> TestConsole::addPaidOrder(TestServer &server, const QString &customerId,
                                                  const QString &productId, const QString &sellerId)
{
    const QString orderId = Ids::newId();
    const QString itemId = Ids::newId();
    const qint64 now = Clock::nowMs();
    const QSqlDatabase db = server.shop().database().connection();
    auto o = execSql(db,
                     QStringLiteral("INSERT INTO orders (id, customer_id, status, subtotal_cents, total_cents, "
                                    "currency, payment_provider, payment_state, created_at, updated_at) "
                                    "VALUES (?, ?, 'delivered', 5000, 5000, 'USD', 'manual', 'succeeded', ?, ?)"),
                     {orderId, customerId, now, now});
    auto i = execSql(db,
                     QStringLiteral("INSERT INTO order_items (id, order_id, product_id, seller_id, name, "
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
    QStringList names;
    for (int i = 0; i < pages->count(); ++i)
        names.append(pages->item(i)->text());
    QCOMPARE(names, MainWindow::pageNames());
    QCOMPARE(names, (QStringList{QStringLiteral("Dashboard"), QStringLiteral("Products"),
                                 QStringLiteral("Inventory"), QStringLiteral("Orders"),
                                 QStringLiteral("Refunds & Complaints"), QStringLiteral("Customers"),
                                 QStringLiteral("Notifications"), QStringLiteral("Settings"),
                                 QStringLiteral("Server")}));
    auto *stack = named<QStackedWidget>(&window, QStringLiteral("Page"));
    QVERIFY(stack);
    for (int i = 0; i < pages->count(); ++i) {
        const QRect rect = pages->visualItemRect(pages->item(i));
        QTest::mouseClick(pages->viewport(), Qt::LeftButton, {}, rect.center());
        QCOMPARE(window.currentPage(), names.at(i));
        QCOMPARE(stack->currentWidget()->accessibleName(), names.at(i));
    }
    // The current page is remembered.
    QCOMPARE(QSettings(QStringLiteral("Mercato"), QStringLiteral("console")).value(QStringLiteral("console/page")).toString(),
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
    const HttpResult login = server.client().post(QStringLiteral("/api/v1/auth/login"),
            {{QStringLiteral("email"), QStringLiteral("olive@example.test")},
             {QStringLiteral("password"), kPassword}});
    QCOMPARE(login.status, 200);
    QCOMPARE(login.json().value(QStringLiteral("user")).toObject().value(QStringLiteral("role")).toString(),
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
    const QString other = addSeller(server, QStringLiteral("second@example.test"), kPassword, QStringLiteral("Second"));
    type(window.loginDialog(), QStringLiteral("Email"), QStringLiteral("second@example.test"));
    type(window.loginDialog(), QStringLiteral("Password"), QStringLiteral("not the password"));
    click(window.loginDialog(), QStringLiteral("Sign in"));
    QTRY_COMPARE(named<QLabel>(window.loginDialog(), QStringLiteral("Sign in message"))->text(),
                 QStringLiteral("The email or password is wrong."));
    QVERIFY(window.seller().id.isEmpty());
    signIn(window, QStringLiteral("second@example.test"), kPassword);
    QCOMPARE(window.seller().id, other);
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

    // Approve one with a note and restock.
    QVERIFY(clickRow(view, approveMe->id));
    type(page, QStringLiteral("Decision note"), QStringLiteral("Sorry about that"));
    click(page, QStringLiteral("Approve refund"));
    // The list shows requests waiting for a decision: the approved one leaves it.
    QTRY_COMPARE(view->model()->rowCount(), 1);
    const Client seller = as(server, sellerId, QStringLiteral("seller"));
    HttpResult answer = seller.get(QStringLiteral("/api/v1/seller/refund-requests/") + approveMe->id);
    QCOMPARE(answer.status, 200);
    QVERIFY2(answer.json().value(QStringLiteral("status")).toString() != QLatin1String("requested"),
             answer.body.constData());
    QCOMPARE(answer.json().value(QStringLiteral("note")).toString(), QStringLiteral("Sorry about that"));
    QCOMPARE(answer.json().value(QStringLiteral("restock")).toBool(), true);

    // Reject the other.
    QVERIFY(clickRow(view, rejectMe->id));
    click(page, QStringLiteral("Reject refund"));
    QTRY_COMPARE(view->model()->rowCount(), 0);
    answer = seller.get(QStringLiteral("/api/v1/seller/refund-requests/") + rejectMe->id);
    QCOMPARE(answer.status, 200);
    QCOMPARE(answer.json().value(QStringLiteral("status")).toString(), QStringLiteral("rejected"));
    // The empty list says what happens next.
    QVERIFY(named<QLabel>(page, QStringLiteral("Refund requests empty"))->isVisible());
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
                                                     QStringLiteral("Late"), QStringLiteral("It came late"));
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
                         .json().value(QStringLiteral("status")).toString(),
                 QStringLiteral("answered"));
    // "Open" filter: the answered complaint leaves the list; show all and resolve it.
    QTRY_COMPARE(view->model()->rowCount(), 0);
    named<QComboBox>(page, QStringLiteral("Complaint status filter"))->setCurrentIndex(1);
    QTRY_COMPARE(view->model()->rowCount(), 1);
    QVERIFY(clickRow(view, complaint->id));
    QTRY_VERIFY(named<QAbstractButton>(page, QStringLiteral("Resolve complaint"))->isEnabled());
    click(page, QStringLiteral("Resolve complaint"));
    QTRY_COMPARE(seller.get(QStringLiteral("/api/v1/seller/complaints/") + complaint->id)
                         .json().value(QStringLiteral("status")).toString(),
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
    QVERIFY(named<QLabel>(page, QStringLiteral("Settings message"))->text().contains(QLatin1String("Listen")));
    QVERIFY(!QFileInfo::exists(MetricsMonitor::configFileIn(server.dataDir())));

    type(page, QStringLiteral("Listen address"), QStringLiteral("127.0.0.1:9090"));
    type(page, QStringLiteral("Public URL"), QStringLiteral("https://tea.example.com"));
    type(page, QStringLiteral("CORS origins"), QStringLiteral("https://a.example, https://b.example"));
    click(page, QStringLiteral("Save settings"));
    QTRY_COMPARE(named<QLabel>(page, QStringLiteral("Settings message"))->text(), QStringLiteral("Settings saved."));
    const ServerSettings saved = console.monitor.settings();
    QCOMPARE(saved.listen, QStringLiteral("127.0.0.1:9090"));
    QCOMPARE(saved.publicUrl, QStringLiteral("https://tea.example.com"));
    QCOMPARE(saved.corsOrigins, (QStringList{QStringLiteral("https://a.example"), QStringLiteral("https://b.example")}));
    auto details = loadStoreDetails(server.shop().database());
    QVERIFY(details);
    QCOMPARE(details->name, QStringLiteral("Tea Corner"));
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

// While other threads keep the API busy, the GUI thread serves no request and runs no SQL;
// the console still loads its pages (on its worker).
void TestConsole::guiThreadIdleUnderApiLoad()
{
    TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString sellerId = addSeller(server, QStringLiteral("busy@example.test"), kPassword);
    Console console(server);
    MainWindow &window = console.window;
    window.show();
    window.begin();
    signIn(window, QStringLiteral("busy@example.test"), kPassword);
    QTRY_VERIFY(window.worker().isIdle());

    const QString token = server.shop().tokens().issueAccess(sellerId, QStringLiteral("seller")).token;
    const QByteArray auth = "Bearer " + token.toLatin1();
    const quint64 sqlBefore = mainThreadStatementCount();
    const quint64 requestsBefore = server.metrics().requestCount();
    std::atomic<int> failures{0};
    constexpr int kRequests = 2000;
    std::unique_ptr<QThread> load(QThread::create([&] {
        for (int i = 0; i < kRequests; ++i) {
            const HttpResult r = i % 2 == 0
                    ? httpRequest(server.port(), "GET", "/api/v1/seller/refund-requests", {},
                                  {{"Authorization", auth}})
                    : httpRequest(server.port(), "GET", "/healthz");
            if (r.status != 200)
                failures.fetch_add(1);
        }
    }));
    load->start();
    // Meanwhile the seller moves around the console.
    const QStringList pages = MainWindow::pageNames();
    int i = 0;
    while (!load->wait(0)) {
        window.showPage(pages.at(i++ % pages.size()));
        QTest::qWait(20);
    }
    QTRY_VERIFY(window.worker().isIdle());
    QCOMPARE(failures.load(), 0);
    QVERIFY(server.metrics().requestCount() - requestsBefore >= quint64(kRequests));
    QCOMPARE(server.metrics().mainThreadRequestCount(), quint64(0));
    QCOMPARE(mainThreadStatementCount(), sqlBefore);
    QVERIFY(i > 1);
}

QTEST_MAIN(TestConsole)
#include "tst_console.moc"
