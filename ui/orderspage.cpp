#include "orderspage.h"

#include "consoleworker.h"
#include "rowsmodel.h"

#include "model/clock.h"
#include "model/csvexport.h"
#include "model/shop.h"

#include <QComboBox>
#include <QDate>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QSignalBlocker>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStandardPaths>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace Mercato {

namespace {
const QString kWaiting = QStringLiteral("waiting");

bool needsAction(const QString &status)
{
    return status == OrderStatus::PendingPayment || status == OrderStatus::Paid
           || status == OrderStatus::PartiallyShipped || status == OrderStatus::Shipped;
}

int itemCount(const Order &o)
{
    int n = 0;
    for (const OrderLine &l : o.items)
        n += l.quantity;
    return n;
}

QString shortId(const QString &id)
{
    return id.left(8);
}

// Cents as a plain decimal for spreadsheets ("-3.05", "12.50"), without the currency.
QString decimal(qint64 cents)
{
    const qint64 a = cents < 0 ? -cents : cents;
    return QStringLiteral("%1%2.%3")
            .arg(cents < 0 ? QStringLiteral("-") : QString())
            .arg(a / 100)
            .arg(a % 100, 2, 10, QLatin1Char('0'));
}
} // namespace

QString OrdersPage::statusLabel(const QString &status)
{
    if (status == OrderStatus::PendingPayment)
        return tr("Waiting for payment");
    if (status == OrderStatus::Paid)
        return tr("Paid — to ship");
    if (status == OrderStatus::PartiallyShipped)
        return tr("Partly shipped");
    if (status == OrderStatus::Shipped)
        return tr("Shipped");
    if (status == OrderStatus::Delivered)
        return tr("Delivered");
    if (status == OrderStatus::Cancelled)
        return tr("Cancelled");
    return status;
}

OrdersPage::OrdersPage(ConsoleContext context, QWidget *parent)
    : Page(QStringLiteral("Orders"), tr("Orders"), context, parent)
{
    auto *bar = new QHBoxLayout;
    m_status = new QComboBox(this);
    m_status->setAccessibleName(tr("Order status filter"));
    m_status->addItem(tr("Open (not delivered yet)"), kWaiting);
    m_status->addItem(tr("All orders"), QString());
    for (const QString &s :
         {OrderStatus::PendingPayment, OrderStatus::Paid, OrderStatus::PartiallyShipped,
          OrderStatus::Shipped, OrderStatus::Delivered, OrderStatus::Cancelled})
        m_status->addItem(statusLabel(s), s);
    m_search = new QLineEdit(this);
    m_search->setAccessibleName(tr("Order search"));
    m_search->setPlaceholderText(tr("Filter by customer or order number"));
    m_search->setClearButtonEnabled(true);
    m_summary = new QLabel(this);
    m_summary->setAccessibleName(tr("Orders summary"));
    bar->addWidget(new QLabel(tr("Show:"), this));
    bar->addWidget(m_status);
    bar->addWidget(m_search, 1);
    bar->addWidget(m_summary);
    m_export = new QPushButton(tr("&Export CSV…"), this);
    m_export->setAccessibleName(tr("Export CSV"));
    m_export->setToolTip(tr("Save the orders shown (with the current filters) as a CSV file"));
    bar->addWidget(m_export);
    body()->addLayout(bar);

    auto *split = new QSplitter(Qt::Horizontal, this);
    m_model = new RowsModel({tr("Placed"), tr("Order"), tr("Customer"), tr("Items"),
                             tr("Your total"), tr("Status")},
                            this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setFilterKeyColumn(-1);
    m_view = new QTableView(split);
    split->addWidget(
            tableWithEmptyState(m_view, m_model, m_proxy, tr("Order list"),
                                tr("No orders here. When customers buy your products, their "
                                   "orders appear in this list; choose “All orders” to see "
                                   "delivered and cancelled ones.")));
    for (const auto &[column, width] : {std::pair{0, 125}, {1, 80}, {2, 140}, {3, 50}, {4, 90}})
        m_view->setColumnWidth(column, width);
    m_view->sortByColumn(0, Qt::DescendingOrder);

    auto *right = new QWidget(split);
    auto *rl = new QVBoxLayout(right);
    rl->setContentsMargins(0, 0, 0, 0);
    m_detail = new QTextBrowser(right);
    m_detail->setAccessibleName(tr("Order details"));
    m_detail->setPlaceholderText(tr("Select an order to see its lines, payment and history."));
    auto *buttons = new QHBoxLayout;
    m_markPaid = new QPushButton(tr("Mark &paid"), right);
    m_markPaid->setAccessibleName(tr("Mark paid"));
    m_markPaid->setToolTip(tr("For orders paid outside Mercato (cash, bank transfer)"));
    m_ship = new QPushButton(tr("&Ship"), right);
    m_ship->setAccessibleName(tr("Ship order"));
    m_deliver = new QPushButton(tr("Mark &delivered"), right);
    m_deliver->setAccessibleName(tr("Mark delivered"));
    buttons->addWidget(m_markPaid);
    buttons->addWidget(m_ship);
    buttons->addWidget(m_deliver);
    buttons->addStretch(1);
    m_historyTitle = new QLabel(tr("Purchase history"), right);
    m_historyTitle->setAccessibleName(tr("Purchase history title"));
    m_historyTitle->setTextFormat(Qt::PlainText);
    m_historyTitle->setWordWrap(true);
    m_historyModel = new RowsModel(
            {tr("Placed"), tr("Order"), tr("Items"), tr("Total"), tr("Status")}, this);
    m_historyProxy = new QSortFilterProxyModel(this);
    m_history = new QTableView(right);
    QWidget *historyTable = tableWithEmptyState(
            m_history, m_historyModel, m_historyProxy, tr("Customer purchase history"),
            tr("Select an order to see everything this customer "
               "bought from you."));
    for (const auto &[column, width] : {std::pair{0, 120}, {1, 75}, {2, 45}, {3, 85}})
        m_history->setColumnWidth(column, width);
    m_history->sortByColumn(0, Qt::DescendingOrder);
    rl->addWidget(m_detail, 3);
    rl->addLayout(buttons);
    rl->addWidget(m_historyTitle);
    rl->addWidget(historyTable, 2);
    split->addWidget(right);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    body()->addWidget(split, 1);

    connect(m_status, &QComboBox::currentIndexChanged, this, &OrdersPage::rebuildRows);
    connect(m_search, &QLineEdit::textChanged, m_proxy,
            &QSortFilterProxyModel::setFilterFixedString);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        showOrder();
        updateButtons();
    });
    connect(m_history, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        selectRowWithId(m_view, index.data(RowsModel::IdRole).toString());
    });
    connect(m_markPaid, &QPushButton::clicked, this, [this] { move(SellerAction::MarkPaid); });
    connect(m_ship, &QPushButton::clicked, this, [this] { move(SellerAction::Ship); });
    connect(m_deliver, &QPushButton::clicked, this, [this] { move(SellerAction::Deliver); });
    connect(m_export, &QPushButton::clicked, this, &OrdersPage::chooseExportFile);
    setTabOrder(m_status, m_search);
    setTabOrder(m_search, m_export);
    setTabOrder(m_export, m_view);
    setTabOrder(m_view, m_markPaid);
    setTabOrder(m_markPaid, m_ship);
    setTabOrder(m_ship, m_deliver);
    setTabOrder(m_deliver, m_history);
    updateButtons();
}

void OrdersPage::refresh()
{
    if (seller().id.isEmpty())
        return;
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    const quint64 generation = ++m_generation;
    ctx().worker.run(
            this,
            [shop, sellerId] {
                return fetchAll<Order, OrderPage>(
                        [&](const QString &cursor) {
                            SellerOrderFilter filter;
                            filter.limit = 100;
                            filter.cursor = cursor;
                            return shop->orders().sellerOrders(sellerId, filter);
                        },
                        2000);
            },
            [this, generation](const Result<QList<Order>> &orders) {
                if (generation != m_generation)
                    return;
                if (!orders) {
                    showError(orders.error());
                    Q_EMIT loaded();
                    return;
                }
                m_orders = orders.value();
                rebuildRows();
                Q_EMIT loaded();
            });
}

void OrdersPage::rebuildRows()
{
    const QString keep = m_pendingSelect.isEmpty() ? selectedId(m_view) : m_pendingSelect;
    QString filter = m_status->currentData().toString();
    auto shown = [&filter](const Order &o) {
        return filter == kWaiting ? needsAction(o.status)
                                  : (filter.isEmpty() || o.status == filter);
    };
    // An order asked for by id (a tray message, a notification) shows whatever the filter.
    if (!m_pendingSelect.isEmpty()) {
        for (const Order &o : std::as_const(m_orders)) {
            if (o.id == m_pendingSelect && !shown(o)) {
                const QSignalBlocker block(m_status);
                m_status->setCurrentIndex(1);
                filter.clear();
            }
        }
    }
    m_pendingSelect.clear();
    QList<TableRow> rows;
    int waiting = 0;
    for (const Order &o : std::as_const(m_orders)) {
        waiting += o.status == OrderStatus::Paid || o.status == OrderStatus::PendingPayment ? 1 : 0;
        if (!shown(o))
            continue;
        const qint64 total = o.linesTotalCents();
        rows.append({o.id,
                     {formatTime(o.createdAt), shortId(o.id), o.customerName,
                      QString::number(itemCount(o)), formatMoney(total, o.currency),
                      statusLabel(o.status)},
                     {o.createdAt, o.id, o.customerName.toLower(), itemCount(o), total, o.status},
                     o.status == OrderStatus::Paid});
    }
    m_model->setRows(rows);
    m_summary->setText(tr("%n order(s)", nullptr, int(m_orders.size())) + QStringLiteral(" · ")
                       + tr("%n to pay or ship", nullptr, waiting));
    if (!keep.isEmpty())
        selectRowWithId(m_view, keep);
    showOrder();
    updateButtons();
}

void OrdersPage::selectId(const QString &id)
{
    m_pendingSelect = id;
    m_search->clear();
    refresh();
}

const Order *OrdersPage::selectedOrder() const
{
    const QString id = selectedId(m_view);
    for (const Order &o : m_orders) {
        if (o.id == id)
            return &o;
    }
    return nullptr;
}

void OrdersPage::updateButtons()
{
    const Order *o = selectedOrder();
    m_markPaid->setEnabled(o && o->status == OrderStatus::PendingPayment
                           && o->paymentProvider == QLatin1String("manual"));
    // Each seller ships and delivers its own lines: another's shipment leaves the order partly
    // shipped, with this seller's lines still to ship or deliver.
    m_ship->setEnabled(
            o && (o->status == OrderStatus::Paid || o->status == OrderStatus::PartiallyShipped));
    m_deliver->setEnabled(
            o && (o->status == OrderStatus::PartiallyShipped || o->status == OrderStatus::Shipped));
}

void OrdersPage::showOrder()
{
    const Order *o = selectedOrder();
    if (!o) {
        m_detail->clear();
        m_historyModel->setRows({});
        m_historyTitle->setText(tr("Purchase history"));
        return;
    }
    QString html = QStringLiteral("<h3>%1</h3><p>%2 · %3<br>%4</p>")
                           .arg(tr("Order %1").arg(o->id.toHtmlEscaped()),
                                o->customerName.toHtmlEscaped(), formatTime(o->createdAt),
                                statusLabel(o->status).toHtmlEscaped());
    html += QStringLiteral("<table cellpadding='3'><tr><th align='left'>%1</th><th>%2</th><th "
                           "align='right'>%3</th>"
                           "<th align='right'>%4</th></tr>")
                    .arg(tr("Product"), tr("Qty"), tr("Price"), tr("Line"));
    for (const OrderLine &l : o->items) {
        QString name = l.name.toHtmlEscaped();
        if (l.refundedQuantity > 0)
            name += QStringLiteral(" <i>(%1)</i>").arg(tr("%1 refunded").arg(l.refundedQuantity));
        html += QStringLiteral("<tr><td>%1</td><td align='center'>%2</td><td align='right'>%3</td>"
                               "<td align='right'>%4</td></tr>")
                        .arg(name)
                        .arg(l.quantity)
                        .arg(formatMoney(l.unitPriceCents, o->currency),
                             formatMoney(l.lineTotalCents, o->currency));
    }
    html += QStringLiteral("</table><p><b>%1</b> %2")
                    .arg(tr("Your lines:"), formatMoney(o->linesTotalCents(), o->currency));
    if (o->discountCents > 0)
        html += QStringLiteral("<br>%1 %2")
                        .arg(tr("Coin discount on the order:"),
                             formatMoney(o->discountCents, o->currency));
    html += QStringLiteral("<br>%1 %2 (%3, %4)</p>")
                    .arg(tr("Payment:"), o->paymentProvider.toHtmlEscaped(),
                         o->paymentState.toHtmlEscaped(), formatMoney(o->totalCents, o->currency));
    if (!o->history.isEmpty()) {
        html += QStringLiteral("<p><b>%1</b><br>").arg(tr("History"));
        for (const StatusChange &c : o->history)
            html += QStringLiteral("%1 — %2<br>")
                            .arg(formatTime(c.at), statusLabel(c.status).toHtmlEscaped());
        html += QStringLiteral("</p>");
    }
    m_detail->setHtml(html);

    // Everything this customer bought from this seller (from the loaded list, any status).
    QList<TableRow> rows;
    qint64 spent = 0;
    QString currency = o->currency;
    for (const Order &other : std::as_const(m_orders)) {
        if (other.customerId != o->customerId)
            continue;
        const qint64 total = other.linesTotalCents();
        if (other.status != OrderStatus::Cancelled && other.status != OrderStatus::PendingPayment)
            spent += total;
        rows.append(
                {other.id,
                 {formatTime(other.createdAt), shortId(other.id), QString::number(itemCount(other)),
                  formatMoney(total, other.currency), statusLabel(other.status)},
                 {other.createdAt, other.id, itemCount(other), total, other.status},
                 other.id == o->id});
    }
    m_historyModel->setRows(rows);
    m_historyTitle->setText(
            tr("Purchase history of %1: %n order(s), %2 paid", nullptr, int(rows.size()))
                    .arg(o->customerName, formatMoney(spent, currency)));
}

void OrdersPage::move(SellerAction action)
{
    const Order *o = selectedOrder();
    if (!o)
        return;
    m_markPaid->setEnabled(false);
    m_ship->setEnabled(false);
    m_deliver->setEnabled(false);
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    const QString id = o->id;
    ctx().worker.run(
            this,
            [shop, sellerId, id, action] {
                return shop->orders().sellerMove(sellerId, id, action);
            },
            [this, action](const Result<Order> &result) {
                if (!result) {
                    showError(result.error());
                    updateButtons();
                    refresh();
                    return;
                }
                const QString who = result->customerName;
                showMessage(action == SellerAction::MarkPaid
                                    ? tr("Order for %1 marked paid; ship it next.").arg(who)
                            : action == SellerAction::Ship
                                    ? tr("Order for %1 shipped; the customer is told.").arg(who)
                                    : tr("Order for %1 delivered.").arg(who));
                refresh(); // the selection stays on the order
            });
}

QList<QStringList> OrdersPage::exportRecords() const
{
    QList<QStringList> records;
    records.append({QStringLiteral("order_id"), QStringLiteral("placed_at"),
                    QStringLiteral("customer"), QStringLiteral("status"), QStringLiteral("items"),
                    QStringLiteral("lines"), QStringLiteral("your_total"),
                    QStringLiteral("order_total"), QStringLiteral("currency"),
                    QStringLiteral("payment_provider"), QStringLiteral("payment_state")});
    QHash<QString, const Order *> byId;
    for (const Order &o : m_orders)
        byId.insert(o.id, &o);
    // The proxy's rows: what the status filter, the search box and the sort leave visible.
    for (int row = 0; row < m_proxy->rowCount(); ++row) {
        const Order *o = byId.value(m_proxy->index(row, 0).data(RowsModel::IdRole).toString());
        if (!o)
            continue;
        QStringList lines;
        for (const OrderLine &l : o->items)
            lines.append(QStringLiteral("%1 x %2").arg(l.quantity).arg(l.name));
        records.append({o->id, Clock::toRfc3339(o->createdAt), o->customerName, o->status,
                        QString::number(itemCount(*o)), lines.join(QStringLiteral("; ")),
                        decimal(o->linesTotalCents()), decimal(o->totalCents), o->currency,
                        o->paymentProvider, o->paymentState});
    }
    return records;
}

void OrdersPage::chooseExportFile()
{
    // A fresh dialog each time, in the folder used last (Documents the first time).
    QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (m_fileDialog) {
        folder = m_fileDialog->directory().absolutePath();
        delete m_fileDialog;
    }
    m_fileDialog = new QFileDialog(this, tr("Export orders as CSV"), folder);
    m_fileDialog->setAccessibleName(tr("Export orders file"));
    m_fileDialog->setAcceptMode(QFileDialog::AcceptSave);
    m_fileDialog->setFileMode(QFileDialog::AnyFile);
    m_fileDialog->setNameFilter(tr("CSV files (*.csv)"));
    m_fileDialog->setDefaultSuffix(QStringLiteral("csv"));
    m_fileDialog->selectFile(
            QStringLiteral("orders-%1.csv").arg(QDate::currentDate().toString(Qt::ISODate)));
    connect(m_fileDialog, &QFileDialog::fileSelected, this, &OrdersPage::exportTo);
    m_fileDialog->open();
}

void OrdersPage::exportTo(const QString &path)
{
    if (path.isEmpty())
        return;
    const QList<QStringList> records = exportRecords();
    m_export->setEnabled(false);
    showMessage(tr("Exporting %n order(s)…", nullptr, int(records.size() - 1)));
    // The file is written on the worker thread: a slow disk never stalls the window.
    ctx().worker.run(
            this,
            [path, records]() -> QString {
                QSaveFile file(path);
                if (!file.open(QIODevice::WriteOnly))
                    return file.errorString();
                CsvWriter csv(&file, true); // with a BOM: spreadsheets read it as UTF-8
                for (const QStringList &r : records)
                    csv.writeRow(r);
                if (!csv.ok()) {
                    file.cancelWriting();
                    return file.errorString();
                }
                return file.commit() ? QString() : file.errorString();
            },
            [this, path, rows = int(records.size() - 1)](const QString &error) {
                m_export->setEnabled(true);
                if (!error.isEmpty())
                    showMessage(
                            tr("Could not save %1: %2").arg(QDir::toNativeSeparators(path), error),
                            true);
                else
                    showMessage(tr("%n order(s) saved to %1", nullptr, rows)
                                        .arg(QDir::toNativeSeparators(path)));
                Q_EMIT exported(path, rows, error);
            });
}

} // namespace Mercato
