#include "customerspage.h"

#include "consoleworker.h"
#include "orderspage.h"
#include "rowsmodel.h"

#include "model/shop.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace Mercato {

namespace {
bool counts(const Order &o)
{
    return o.status != OrderStatus::Cancelled && o.status != OrderStatus::PendingPayment;
}
} // namespace

CustomersPage::CustomersPage(ConsoleContext context, QWidget *parent)
    : Page(QStringLiteral("Customers"), tr("Customers"), context, parent)
{
    m_search = new QLineEdit(this);
    m_search->setAccessibleName(tr("Customer search"));
    m_search->setPlaceholderText(tr("Filter customers by name"));
    m_search->setClearButtonEnabled(true);
    body()->addWidget(m_search);

    auto *split = new QSplitter(Qt::Horizontal, this);
    m_model = new RowsModel(
            {tr("Customer"), tr("Orders"), tr("Paid"), tr("Last order"), tr("Refund requests")},
            this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setFilterKeyColumn(0);
    m_view = new QTableView(split);
    split->addWidget(tableWithEmptyState(
            m_view, m_model, m_proxy, tr("Customer list"),
            tr("No customers yet. Everyone who orders your products is "
               "listed here with their orders and refund requests."),
            [this] {
                const QString q = m_search->text().trimmed();
                return q.isEmpty() ? QString() : tr("No customer matches “%1”.").arg(q);
            }));
    m_view->horizontalHeader()->setDefaultSectionSize(100);
    m_view->setColumnWidth(0, 170);

    auto *right = new QWidget(split);
    auto *rl = new QVBoxLayout(right);
    rl->setContentsMargins(0, 0, 0, 0);
    m_title = new QLabel(tr("Select a customer."), right);
    m_title->setTextFormat(Qt::PlainText);
    m_title->setAccessibleName(tr("Customer summary"));
    m_orderModel = new RowsModel({tr("Placed"), tr("Order"), tr("Total"), tr("Status")}, this);
    m_orderProxy = new QSortFilterProxyModel(this);
    m_orderView = new QTableView(right);
    QWidget *orders
            = tableWithEmptyState(m_orderView, m_orderModel, m_orderProxy, tr("Customer orders"),
                                  tr("Select a customer to see their orders."));
    m_refundModel = new RowsModel({tr("Requested"), tr("Product"), tr("Qty"), tr("Status")}, this);
    m_refundProxy = new QSortFilterProxyModel(this);
    m_refundView = new QTableView(right);
    QWidget *refunds = tableWithEmptyState(m_refundView, m_refundModel, m_refundProxy,
                                           tr("Customer refunds"),
                                           tr("No refund requests from this customer."));
    m_orderView->horizontalHeader()->setDefaultSectionSize(95);
    m_refundView->horizontalHeader()->setDefaultSectionSize(95);
    rl->addWidget(m_title);
    rl->addWidget(new QLabel(tr("Orders (double-click to open):"), right));
    rl->addWidget(orders, 3);
    rl->addWidget(new QLabel(tr("Refund requests:"), right));
    rl->addWidget(refunds, 2);
    split->addWidget(right);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    body()->addWidget(split, 1);

    connect(m_search, &QLineEdit::textChanged, m_proxy,
            &QSortFilterProxyModel::setFilterFixedString);
    connect(m_search, &QLineEdit::textChanged, this, [this] { updateEmptyState(m_view); });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &CustomersPage::showCustomer);
    connect(m_orderView, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        Q_EMIT openOrder(index.data(RowsModel::IdRole).toString());
    });
}

void CustomersPage::refresh()
{
    if (seller().id.isEmpty())
        return;
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    const quint64 generation = ++m_generation;
    using Loaded = QPair<Result<QList<Order>>, Result<QList<RefundRequest>>>;
    ctx().worker.run(
            this,
            [shop, sellerId]() -> Loaded {
                auto orders = fetchAll<Order, OrderPage>(
                        [&](const QString &cursor) {
                            SellerOrderFilter filter;
                            filter.limit = 100;
                            filter.cursor = cursor;
                            return shop->orders().sellerOrders(sellerId, filter);
                        },
                        2000);
                auto refunds = fetchAll<RefundRequest, RefundRequestPage>(
                        [&](const QString &cursor) {
                            return shop->refunds().listForSeller(sellerId, {}, 100, cursor);
                        },
                        2000);
                return {orders, refunds};
            },
            [this, generation](const Loaded &loaded) {
                if (generation != m_generation)
                    return;
                if (!loaded.first || !loaded.second) {
                    showError(!loaded.first ? loaded.first.error() : loaded.second.error());
                    Q_EMIT this->loaded();
                    return;
                }
                const QString keep
                        = m_pendingSelect.isEmpty() ? selectedId(m_view) : m_pendingSelect;
                m_pendingSelect.clear();
                m_orders = loaded.first.value();
                m_refunds = loaded.second.value();
                struct Summary
                {
                    QString name;
                    int orders = 0;
                    qint64 paid = 0;
                    qint64 last = 0;
                    int refunds = 0;
                    QString currency;
                };
                QHash<QString, Summary> byCustomer;
                QStringList order; // first seen: newest order first
                for (const Order &o : std::as_const(m_orders)) {
                    if (!byCustomer.contains(o.customerId))
                        order.append(o.customerId);
                    Summary &s = byCustomer[o.customerId];
                    s.name = o.customerName;
                    s.currency = o.currency;
                    ++s.orders;
                    if (counts(o))
                        s.paid += o.linesTotalCents();
                    s.last = std::max(s.last, o.createdAt);
                }
                for (const RefundRequest &r : std::as_const(m_refunds)) {
                    if (byCustomer.contains(r.customerId))
                        ++byCustomer[r.customerId].refunds;
                }
                QList<TableRow> rows;
                for (const QString &id : std::as_const(order)) {
                    const Summary &s = byCustomer.value(id);
                    rows.append(
                            {id,
                             {s.name, QString::number(s.orders), formatMoney(s.paid, s.currency),
                              formatTime(s.last), QString::number(s.refunds)},
                             {s.name.toLower(), s.orders, s.paid, s.last, s.refunds}});
                }
                m_model->setRows(rows);
                if (!keep.isEmpty())
                    selectRowWithId(m_view, keep);
                showCustomer();
                Q_EMIT this->loaded();
            });
}

void CustomersPage::selectId(const QString &id)
{
    m_pendingSelect = id;
    m_search->clear();
    refresh();
}

void CustomersPage::showCustomer()
{
    const QString id = selectedId(m_view);
    QList<TableRow> orders;
    QList<TableRow> refunds;
    QString name;
    qint64 paid = 0;
    QString currency;
    for (const Order &o : std::as_const(m_orders)) {
        if (o.customerId != id)
            continue;
        name = o.customerName;
        currency = o.currency;
        if (counts(o))
            paid += o.linesTotalCents();
        orders.append(
                {o.id,
                 {formatTime(o.createdAt), OrdersPage::orderNumber(o),
                  formatMoney(o.linesTotalCents(), o.currency), OrdersPage::statusLabel(o.status)},
                 {o.createdAt, o.number, o.linesTotalCents(), o.status}});
    }
    for (const RefundRequest &r : std::as_const(m_refunds)) {
        if (r.customerId != id)
            continue;
        refunds.append(
                {r.id,
                 {formatTime(r.createdAt), r.productName, QString::number(r.quantity), r.status},
                 {r.createdAt, r.productName, r.quantity, r.status},
                 r.status == QLatin1String("requested")});
    }
    m_orderModel->setRows(orders);
    m_refundModel->setRows(refunds);
    m_title->setText(id.isEmpty() ? tr("Select a customer.")
                                  : tr("%1: %2 paid over %n order(s)", nullptr, int(orders.size()))
                                            .arg(name, formatMoney(paid, currency)));
}

} // namespace Mercato
