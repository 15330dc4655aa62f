#include "mainwindow.h"

#include "model/shop.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTimer>
#include <QVBoxLayout>

namespace Mercato {

namespace {
QWidget *placeholderPage(const QString &name, const QString &text)
{
    auto *page = new QWidget;
    page->setObjectName(name);
    page->setAccessibleName(name);
    auto *layout = new QVBoxLayout(page);
    auto *title = new QLabel(QStringLiteral("<h2>%1</h2>").arg(name.toHtmlEscaped()), page);
    title->setAccessibleName(name + QStringLiteral(" title"));
    auto *body = new QLabel(text, page);
    body->setWordWrap(true);
    body->setAccessibleName(name + QStringLiteral(" description"));
    layout->addWidget(title);
    layout->addWidget(body);
    layout->addStretch(1);
    return page;
}
} // namespace

QStringList MainWindow::pageNames()
{
    return {QStringLiteral("Dashboard"),          QStringLiteral("Products"),
            QStringLiteral("Inventory"),          QStringLiteral("Orders"),
            QStringLiteral("Refunds & Complaints"), QStringLiteral("Notifications"),
            QStringLiteral("Settings")};
}

MainWindow::MainWindow(Shop &shop, const QString &apiUrl, std::function<quint64()> requestCount,
                       QWidget *parent)
    : QMainWindow(parent)
    , m_shop(shop)
    , m_requestCount(std::move(requestCount))
{
    setWindowTitle(QStringLiteral("Mercato"));
    setObjectName(QStringLiteral("MainWindow"));
    resize(1100, 700);

    auto *central = new QWidget(this);
    auto *layout = new QHBoxLayout(central);
    m_pages = new QListWidget(central);
    m_pages->setObjectName(QStringLiteral("pageList"));
    m_pages->setAccessibleName(QStringLiteral("Pages"));
    m_pages->setFixedWidth(200);
    m_stack = new QStackedWidget(central);
    m_stack->setAccessibleName(QStringLiteral("Page"));
    layout->addWidget(m_pages);
    layout->addWidget(m_stack, 1);
    setCentralWidget(central);

    const QStringList descriptions{
            tr("Today's sales, open orders and alerts at a glance."),
            tr("Your products: names, prices, descriptions and images."),
            tr("Stock levels, hand adjustments and low-stock alerts."),
            tr("Orders and purchase history: mark paid, ship, deliver."),
            tr("Customers' refund requests and complaints, with their photos."),
            tr("What happened in the shop: purchases, low stock, refunds."),
            tr("Store settings: currency, rewards, payments, mail.")};
    const QStringList names = pageNames();
    for (int i = 0; i < names.size(); ++i)
        addPage(names.at(i), placeholderPage(names.at(i), descriptions.at(i)));
    connect(m_pages, &QListWidget::currentRowChanged, m_stack, &QStackedWidget::setCurrentIndex);
    m_pages->setCurrentRow(0);

    m_apiUrl = new QLabel(tr("API: %1").arg(apiUrl), this);
    m_apiUrl->setObjectName(QStringLiteral("apiUrl"));
    m_apiUrl->setAccessibleName(QStringLiteral("API address"));
    m_apiUrl->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_requests = new QLabel(this);
    m_requests->setObjectName(QStringLiteral("requestCount"));
    m_requests->setAccessibleName(QStringLiteral("API requests"));
    statusBar()->addWidget(m_apiUrl, 1);
    statusBar()->addPermanentWidget(m_requests);
    refreshStatus();
    auto *timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, &MainWindow::refreshStatus);
    timer->start(500);
}

void MainWindow::addPage(const QString &name, QWidget *page)
{
    auto *item = new QListWidgetItem(name, m_pages);
    item->setData(Qt::AccessibleTextRole, name);
    m_stack->addWidget(page);
}

void MainWindow::showPage(const QString &name)
{
    const int row = int(pageNames().indexOf(name));
    if (row >= 0)
        m_pages->setCurrentRow(row);
}

QString MainWindow::currentPage() const
{
    return m_pages->currentItem() ? m_pages->currentItem()->text() : QString();
}

void MainWindow::refreshStatus()
{
    m_requests->setText(tr("Requests served: %1").arg(m_requestCount ? m_requestCount() : 0));
}

} // namespace Mercato
