#include "mainwindow.h"

#include "accountdialog.h"
#include "aftersalespage.h"
#include "consoleworker.h"
#include "customerspage.h"
#include "dashboardpage.h"
#include "discountcodespage.h"
#include "exportmenu.h"
#include "inventorypage.h"
#include "logindialog.h"
#include "notificationspage.h"
#include "orderspage.h"
#include "page.h"
#include "productspage.h"
#include "sellerspage.h"
#include "servermonitor.h"
#include "serverpage.h"
#include "settingspage.h"
#include "setupwizard.h"

#include "model/shop.h"
#include "model/storeowner.h"

#include <QAction>
#include <QCloseEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QPainter>
#include <QPushButton>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTimer>
#include <QVBoxLayout>

namespace Mercato {

namespace {
// The icon files of resources/icons (every hicolor size, so high-DPI screens get a sharp one).
QIcon appIcon()
{
    QIcon icon;
    for (int size : {16, 22, 24, 32, 48, 64, 128, 256})
        icon.addFile(QStringLiteral(":/icons/mercato-%1.png").arg(size), QSize(size, size));
    return icon;
}

// Which page a notification kind opens.
QString pageForKind(const QString &kind)
{
    if (kind.startsWith(QLatin1String("order.")))
        return QStringLiteral("Orders");
    if (kind.startsWith(QLatin1String("stock.")))
        return QStringLiteral("Inventory");
    if (kind.startsWith(QLatin1String("refund.")) || kind.startsWith(QLatin1String("complaint.")))
        return QStringLiteral("Refunds & Complaints");
    return QStringLiteral("Notifications");
}

// `base` (or nothing) with a red badge showing `count`.
QIcon badgeIcon(const QIcon &base, qint64 count)
{
    QIcon icon;
    const QString text = count > 99 ? QStringLiteral("99+") : QString::number(count);
    for (int size : {16, 24, 32, 48, 64}) {
        QPixmap pm = base.isNull() ? QPixmap(size, size) : base.pixmap(size, size);
        if (base.isNull())
            pm.fill(Qt::transparent);
        QPainter p(&pm);
        p.setRenderHint(QPainter::Antialiasing);
        const qreal d = size * 0.62;
        const QRectF badge(size - d, 0, d, d);
        p.setBrush(QColor(0xd3, 0x2f, 0x2f));
        p.setPen(Qt::NoPen);
        p.drawEllipse(badge);
        p.setPen(Qt::white);
        QFont f = p.font();
        f.setBold(true);
        f.setPixelSize(std::max(6, int(d * (text.size() > 2 ? 0.4 : 0.62))));
        p.setFont(f);
        p.drawText(badge, Qt::AlignCenter, text);
        p.end();
        icon.addPixmap(pm);
    }
    return icon;
}

} // namespace

QStringList MainWindow::pageNames()
{
    return {QStringLiteral("Dashboard"),
            QStringLiteral("Products"),
            QStringLiteral("Inventory"),
            QStringLiteral("Orders"),
            QStringLiteral("Refunds & Complaints"),
            QStringLiteral("Customers"),
            QStringLiteral("Discount codes"),
            QStringLiteral("Notifications"),
            QStringLiteral("Settings"),
            QStringLiteral("Server"),
            QStringLiteral("Sellers")};
}

MainWindow::MainWindow(Shop &shop, ServerMonitor *monitor, QWidget *parent)
    : QMainWindow(parent)
    , m_shop(shop)
    , m_monitor(monitor)
{
    setWindowTitle(tr("Mercato"));
    setWindowIcon(appIcon());
    setObjectName(QStringLiteral("MainWindow"));
    resize(1180, 760);
    m_worker = new ConsoleWorker(shop.database(), this);
    ConsoleContext context{shop, *m_worker, monitor};

    auto *central = new QWidget(this);
    auto *layout = new QHBoxLayout(central);
    m_pages = new QListWidget(central);
    m_pages->setObjectName(QStringLiteral("pageList"));
    m_pages->setAccessibleName(tr("Pages"));
    m_pages->setFixedWidth(210);
    m_pages->setStyleSheet(
            QStringLiteral("QListWidget { font-size: 14px; } QListWidget::item { padding: 7px; }"));
    m_stack = new QStackedWidget(central);
    m_stack->setAccessibleName(tr("Page"));
    layout->addWidget(m_pages);
    layout->addWidget(m_stack, 1);
    setCentralWidget(central);

    auto *dashboard = new DashboardPage(context, m_stack);
    connect(dashboard, &DashboardPage::openPage, this, &MainWindow::showPage);
    addPage(dashboard, tr("Dashboard"));
    addPage(new ProductsPage(context, m_stack), tr("Products"));
    addPage(new InventoryPage(context, m_stack), tr("Inventory"));
    addPage(new OrdersPage(context, m_stack), tr("Orders"));
    addPage(new AfterSalesPage(context, m_stack), tr("Refunds & Complaints"));
    auto *customers = new CustomersPage(context, m_stack);
    connect(customers, &CustomersPage::openOrder, this,
            [this](const QString &id) { openRow(QStringLiteral("Orders"), id); });
    addPage(customers, tr("Customers"));
    addPage(new DiscountCodesPage(context, m_stack), tr("Discount codes"));
    auto *notifications = new NotificationsPage(context, m_stack);
    connect(notifications, &NotificationsPage::unreadCountChanged, this,
            &MainWindow::setUnreadCount);
    connect(notifications, &NotificationsPage::openTarget, this, &MainWindow::openRow);
    addPage(notifications, tr("Notifications"));
    addPage(new SettingsPage(context, m_stack), tr("Settings"));
    addPage(new ServerPage(context, m_stack), tr("Server"));
    addPage(new SellersPage(context, m_stack), tr("Sellers")); // the owner's only

    // Locked: the pages go away until someone signs in. A store whose setup was stopped before
    // its owner's account existed says so, with the way back to the setup.
    m_lockedPage = new QWidget(m_stack);
    auto *lockedLayout = new QVBoxLayout(m_lockedPage);
    lockedLayout->addStretch();
    m_lockedText = new QLabel(tr("Mercato is locked. Sign in to continue."), m_lockedPage);
    m_lockedText->setAccessibleName(tr("Locked"));
    m_lockedText->setAlignment(Qt::AlignCenter);
    m_lockedText->setWordWrap(true);
    lockedLayout->addWidget(m_lockedText);
    m_setUpStore = new QPushButton(tr("Set &up the store…"), m_lockedPage);
    m_setUpStore->setAccessibleName(tr("Set up the store"));
    m_setUpStore->hide();
    lockedLayout->addWidget(m_setUpStore, 0, Qt::AlignHCenter);
    lockedLayout->addStretch();
    m_stack->addWidget(m_lockedPage);
    m_stack->setCurrentWidget(m_lockedPage);
    m_pages->setEnabled(false);

    connect(m_pages, &QListWidget::currentRowChanged, this, [this](int row) {
        if (m_seller.id.isEmpty() || row < 0)
            return;
        Page *page = m_pageByName.value(pageNames().value(row));
        m_stack->setCurrentWidget(page);
        page->refresh();
        QSettings(QStringLiteral("Mercato"), QStringLiteral("console"))
                .setValue(QStringLiteral("console/page"), page->name());
    });

    auto *fileMenu = menuBar()->addMenu(tr("&Shop"));
    fileMenu->setAccessibleName(tr("Shop"));
    auto *lockAction = fileMenu->addAction(tr("&Lock"), this, &MainWindow::lock);
    lockAction->setObjectName(QStringLiteral("lockAction"));
    lockAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    m_accountAction = fileMenu->addAction(tr("&My account…"), this, &MainWindow::openAccount);
    m_accountAction->setObjectName(QStringLiteral("accountAction"));
    m_accountAction->setEnabled(false);
    auto *refreshAction = fileMenu->addAction(tr("&Refresh"), this, &MainWindow::refreshVisible);
    refreshAction->setShortcut(QKeySequence::Refresh);
    fileMenu->addSeparator();
    auto *quitAction = fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
    quitAction->setShortcut(QKeySequence::Quit);
    m_exports = new ExportMenu(shop, this);
    menuBar()->addMenu(m_exports->menu());
    auto *goMenu = menuBar()->addMenu(tr("&Go"));
    const QStringList names = pageNames();
    for (int i = 0; i < names.size(); ++i) {
        // A page named with "&" shows it: a menu reads a single one as a mnemonic.
        auto *a = goMenu->addAction(
                m_pages->item(i)->text().replace(QLatin1Char('&'), QLatin1String("&&")), this,
                [this, name = names.at(i)] { showPage(name); });
        if (i < 9)
            a->setShortcut(QKeySequence(Qt::ALT | Qt::Key(Qt::Key_1 + i)));
        if (names.at(i) == QLatin1String("Sellers"))
            m_goSellers = a;
    }
    showOwnerPages(false);

    m_apiUrl = new QLabel(tr("API: %1").arg(monitor ? monitor->publicUrl() : tr("not serving")),
                          this);
    m_apiUrl->setObjectName(QStringLiteral("apiUrl"));
    m_apiUrl->setTextFormat(Qt::PlainText);
    m_apiUrl->setAccessibleName(tr("API address"));
    m_apiUrl->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_user = new QLabel(this);
    m_user->setTextFormat(Qt::PlainText);
    m_user->setObjectName(QStringLiteral("signedInUser"));
    m_user->setAccessibleName(tr("Signed-in seller"));
    m_requests = new QLabel(this);
    m_requests->setObjectName(QStringLiteral("requestCount"));
    m_requests->setAccessibleName(tr("API requests"));
    statusBar()->addWidget(m_apiUrl, 1);
    statusBar()->addPermanentWidget(m_user);
    statusBar()->addPermanentWidget(m_requests);
    refreshStatus();
    auto *timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, &MainWindow::refreshStatus);
    timer->start(500);

    m_wizard = new SetupWizard(shop, *m_worker, monitor, this);
    connect(m_wizard, &SetupWizard::ownerCreated, this, [this](const Account &owner) {
        m_lockedText->setText(tr("Mercato is locked. Sign in to continue."));
        m_setUpStore->hide();
        signIn(owner);
    });
    connect(m_wizard, &SetupWizard::abandoned, this, [this] {
        m_lockedText->setText(tr("This store has no owner account yet, so nobody can sign in. "
                                 "Set up the store to begin; nothing was saved."));
        m_setUpStore->show();
        m_setUpStore->setFocus();
    });
    connect(m_setUpStore, &QPushButton::clicked, m_wizard, [this] {
        m_wizard->restart();
        m_wizard->open();
    });
    m_login = new LoginDialog(shop, *m_worker, this);
    connect(m_login, &LoginDialog::signedIn, this, &MainWindow::signIn);
    m_account = new AccountDialog(shop, *m_worker, this);
    connect(m_account, &AccountDialog::profileChanged, this, [this](const Account &seller) {
        if (seller.id != m_seller.id)
            return;
        m_seller.displayName = seller.displayName;
        m_user->setText(tr("Signed in: %1").arg(seller.displayName));
    });

    // Model events come from API worker threads: queued, so they run here on the GUI thread.
    ModelEvents *events = &shop.events();
    connect(events, &ModelEvents::notificationCreated, this, &MainWindow::onNotification,
            Qt::QueuedConnection);
    for (auto signal : {&ModelEvents::refundChanged, &ModelEvents::complaintChanged,
                        &ModelEvents::refundRequested, &ModelEvents::productChanged}) {
        connect(events, signal, this, &MainWindow::refreshVisible, Qt::QueuedConnection);
    }
    connect(events, &ModelEvents::orderChanged, this, &MainWindow::refreshVisible,
            Qt::QueuedConnection);

    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        m_tray = new QSystemTrayIcon(windowIcon(), this);
        m_tray->setToolTip(tr("Mercato"));
        auto *menu = new QMenu(this);
        menu->addAction(tr("Show Mercato"), this, [this] {
            showNormal();
            raise();
            activateWindow();
        });
        menu->addAction(lockAction);
        menu->addAction(quitAction);
        m_tray->setContextMenu(menu);
        connect(m_tray, &QSystemTrayIcon::messageClicked, this, [this] {
            showNormal();
            raise();
            activateWindow();
            openAlert();
        });
        m_tray->show();
    }

    QSettings settings(QStringLiteral("Mercato"), QStringLiteral("console"));
    restoreGeometry(settings.value(QStringLiteral("console/geometry")).toByteArray());
}

MainWindow::~MainWindow() = default;

void MainWindow::addPage(Page *page, const QString &label)
{
    auto *item = new QListWidgetItem(label, m_pages);
    item->setData(Qt::AccessibleTextRole, page->name());
    m_stack->addWidget(page);
    m_pageByName.insert(page->name(), page);
}

Page *MainWindow::page(const QString &name) const
{
    return m_pageByName.value(name);
}

void MainWindow::showPage(const QString &name)
{
    const int row = int(pageNames().indexOf(name));
    if (row >= 0)
        m_pages->setCurrentRow(row);
}

QString MainWindow::currentPage() const
{
    auto *page = qobject_cast<Page *>(m_stack->currentWidget());
    return page ? page->name() : QString();
}

void MainWindow::begin()
{
    m_worker->run(
            this, [shop = &m_shop] { return shop->accounts().sellerCount(); },
            [this](const Result<qint64> &count) {
                if (count && count.value() == 0) {
                    m_wizard->open();
                    return;
                }
                showLogin(count ? QString() : count.error().detail);
            });
}

void MainWindow::showLogin(const QString &message)
{
    m_login->reset(message);
    m_login->open();
}

void MainWindow::signIn(const Account &seller)
{
    m_seller = seller;
    m_user->setText(tr("Signed in: %1").arg(seller.displayName));
    m_pages->setEnabled(true);
    m_accountAction->setEnabled(true);
    for (Page *page : std::as_const(m_pageByName))
        page->setSeller(seller);
    m_exports->setSeller(seller);
    const QString last = QSettings(QStringLiteral("Mercato"), QStringLiteral("console"))
                                 .value(QStringLiteral("console/page"), QStringLiteral("Dashboard"))
                                 .toString();
    int row = std::max(0, int(pageNames().indexOf(last)));
    if (m_pages->item(row)->isHidden()) // an owner-only page: until the owner check answers
        row = 0;
    if (m_pages->currentRow() == row)
        m_stack->setCurrentWidget(m_pageByName.value(pageNames().at(row)));
    m_pages->setCurrentRow(row);
    const QString id = seller.id;
    m_worker->run(
            this,
            [shop = &m_shop, id] { return StoreOwner::isOwner(shop->database().connection(), id); },
            [this, id, last](const Result<bool> &owner) {
                if (m_seller.id != id)
                    return;
                showOwnerPages(owner && owner.value());
                if (owner && owner.value() && last == QLatin1String("Sellers"))
                    showPage(last);
            });
}

void MainWindow::openAccount()
{
    if (m_seller.id.isEmpty())
        return;
    m_account->openFor(m_seller);
}

void MainWindow::showOwnerPages(bool owner)
{
    const int row = int(pageNames().indexOf(QStringLiteral("Sellers")));
    m_pages->item(row)->setHidden(!owner);
    if (m_goSellers)
        m_goSellers->setVisible(owner);
    if (!owner && m_pages->currentRow() == row && !m_seller.id.isEmpty())
        m_pages->setCurrentRow(0);
}

void MainWindow::lock()
{
    if (m_seller.id.isEmpty())
        return;
    m_seller = Account{};
    m_account->reject();
    m_accountAction->setEnabled(false);
    for (Page *page : std::as_const(m_pageByName))
        page->setSeller(m_seller);
    m_exports->setSeller(m_seller); // a running export is cancelled
    m_user->setText(tr("Locked"));
    showOwnerPages(false);
    setUnreadCount(0);
    m_pages->setEnabled(false);
    m_stack->setCurrentWidget(m_lockedPage);
    showLogin();
}

void MainWindow::refreshVisible()
{
    if (m_seller.id.isEmpty())
        return;
    if (auto *page = qobject_cast<Page *>(m_stack->currentWidget()))
        page->requestRefresh();
    if (Page *dashboard = m_pageByName.value(QStringLiteral("Dashboard"));
        dashboard != m_stack->currentWidget())
        dashboard->requestRefresh();
}

void MainWindow::onNotification(const QString &userId, const QString &kind, const QString &title)
{
    if (m_seller.id.isEmpty() || userId != m_seller.id)
        return;
    static const QStringList alerted{QStringLiteral("order.paid"), QStringLiteral("stock.low"),
                                     QStringLiteral("refund.requested"),
                                     QStringLiteral("complaint.opened")};
    refreshVisible();
    if (Page *notes = m_pageByName.value(QStringLiteral("Notifications"));
        notes != m_stack->currentWidget())
        notes->requestRefresh(); // the badge count
    if (!alerted.contains(kind))
        return;
    // Which row the message opens: the newest unread notification of this kind names it.
    const QString sellerId = m_seller.id;
    m_worker->run(
            this,
            [shop = &m_shop, sellerId] {
                return shop->notifications().list(sellerId, true, 20, {});
            },
            [this, kind, title, sellerId](const Result<NotificationPage> &page) {
                if (m_seller.id != sellerId)
                    return;
                m_trayPage = pageForKind(kind);
                m_trayId.clear();
                if (page) {
                    for (const NotificationItem &n : page->items) {
                        if (n.kind == kind) {
                            const auto target = NotificationsPage::target(n.kind, n.data);
                            if (!target.first.isEmpty())
                                m_trayPage = target.first;
                            m_trayId = target.second;
                            break;
                        }
                    }
                }
                if (m_tray)
                    m_tray->showMessage(tr("Mercato"), title, QSystemTrayIcon::Information, 8000);
                Q_EMIT alertShown(kind, m_trayPage);
            });
}

void MainWindow::openAlert()
{
    if (m_trayPage.isEmpty())
        return;
    openRow(m_trayPage, m_trayId);
}

void MainWindow::openRow(const QString &pageName, const QString &id)
{
    if (m_seller.id.isEmpty())
        return;
    showPage(pageName);
    if (Page *p = m_pageByName.value(pageName); p && !id.isEmpty())
        p->selectId(id);
}

void MainWindow::setUnreadCount(qint64 count)
{
    m_unread = count;
    const QIcon icon = count > 0 ? badgeIcon(windowIcon(), count) : windowIcon();
    if (m_tray) {
        m_tray->setIcon(icon);
        m_tray->setToolTip(count > 0
                                   ? tr("Mercato — %n unread notification(s)", nullptr, int(count))
                                   : tr("Mercato"));
    }
    const int row = int(pageNames().indexOf(QStringLiteral("Notifications")));
    if (QListWidgetItem *item = m_pages->item(row)) {
        item->setIcon(count > 0 ? badgeIcon(QIcon(), count) : QIcon());
        item->setData(Qt::AccessibleDescriptionRole,
                      count > 0 ? tr("%n unread", nullptr, int(count)) : QString());
    }
}

void MainWindow::refreshStatus()
{
    m_requests->setText(tr("Requests served: %1").arg(m_monitor ? m_monitor->requestCount() : 0));
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings(QStringLiteral("Mercato"), QStringLiteral("console"))
            .setValue(QStringLiteral("console/geometry"), saveGeometry());
    QMainWindow::closeEvent(event);
}

} // namespace Mercato
