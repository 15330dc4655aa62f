#include "orderspage.h"

#include "consoleworker.h"
#include "rowsmodel.h"

#include "model/clock.h"
#include "model/csvexport.h"
#include "model/invoices.h"
#include "model/packingslip.h"
#include "model/sellerrefunds.h"
#include "model/shipments.h"
#include "model/shop.h"
#include "model/storeowner.h"
#include "model/storeprofile.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDate>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPrintDialog>
#include <QPrinter>
#include <QPushButton>
#include <QSaveFile>
#include <QSignalBlocker>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QTableView>
#include <QTextBrowser>
#include <QTextDocument>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>

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

int unshipped(const OrderLine &l)
{
    return std::max(0, l.quantity - l.refundedQuantity - l.shippedQuantity);
}

int unrefunded(const OrderLine &l)
{
    return std::max(0, l.quantity - l.refundedQuantity);
}

// One row per line of `order` with a spin box from 0 to `most(line)` (lines with nothing to
// choose are left out), set to `start(line)`; returns the line ids with their spin boxes.
template<typename Most, typename Start>
QList<QPair<QString, QSpinBox *>> lineChooser(QWidget *parent, QGridLayout *grid,
                                              const Order &order, const QString &accessible,
                                              Most most, Start start)
{
    QList<QPair<QString, QSpinBox *>> out;
    int row = 0;
    for (const OrderLine &l : order.items) {
        const int max = most(l);
        if (max <= 0)
            continue;
        auto *name = new QLabel(l.name, parent);
        name->setTextFormat(Qt::PlainText);
        name->setWordWrap(true);
        auto *spin = new QSpinBox(parent);
        spin->setRange(0, max);
        spin->setValue(start(l));
        spin->setSuffix(QStringLiteral(" / %1").arg(max));
        spin->setAccessibleName(accessible.arg(l.name));
        grid->addWidget(name, row, 0);
        grid->addWidget(spin, row, 1);
        ++row;
        out.append({l.id, spin});
    }
    grid->setColumnStretch(0, 1);
    return out;
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
                                   "delivered and cancelled ones."),
                                [this] {
                                    const QString q = m_search->text().trimmed();
                                    if (!q.isEmpty())
                                        return tr("No order matches “%1”.").arg(q);
                                    if (!m_orders.isEmpty() && m_status->currentIndex() != 1)
                                        return tr("No order matches the filter “%1”; choose “All "
                                                  "orders” to see every order.")
                                                .arg(m_status->currentText());
                                    return QString();
                                }));
    for (const auto &[column, width] : {std::pair{0, 125}, {1, 80}, {2, 140}, {3, 50}, {4, 90}})
        m_view->setColumnWidth(column, width);
    m_view->sortByColumn(0, Qt::DescendingOrder);

    auto *right = new QWidget(split);
    auto *rl = new QVBoxLayout(right);
    rl->setContentsMargins(0, 0, 0, 0);
    m_detail = new QTextBrowser(right);
    m_detail->setAccessibleName(tr("Order details"));
    m_detail->setOpenExternalLinks(true); // tracking links open in the browser
    m_detail->setPlaceholderText(tr("Select an order to see its lines, payment and history."));
    auto *buttons = new QHBoxLayout;
    m_markPaid = new QPushButton(tr("Mark &paid"), right);
    m_markPaid->setAccessibleName(tr("Mark paid"));
    m_markPaid->setToolTip(tr("For orders paid outside Mercato (cash, bank transfer)"));
    m_ship = new QPushButton(tr("Sh&ip…"), right);
    m_ship->setAccessibleName(tr("Ship order"));
    m_ship->setToolTip(tr("Ship your units of this order, with the carrier and tracking number"));
    m_deliver = new QPushButton(tr("Mark &delivered"), right);
    m_deliver->setAccessibleName(tr("Mark delivered"));
    m_deliver->setToolTip(tr("Every shipment of yours in this order has arrived"));
    m_cancel = new QPushButton(tr("Cance&l my lines…"), right);
    m_cancel->setAccessibleName(tr("Cancel my lines"));
    m_cancel->setToolTip(tr("Cancel your unshipped lines of this order and give the money back"));
    m_refund = new QPushButton(tr("&Refund…"), right);
    m_refund->setAccessibleName(tr("Refund order"));
    m_refund->setToolTip(tr("Give money back for some units of your lines"));
    m_print = new QPushButton(tr("Pri&nt packing slip…"), right);
    m_print->setAccessibleName(tr("Print packing slip"));
    m_print->setToolTip(tr("Print the packing slip of your lines, or save it as PDF"));
    m_printInvoice = new QPushButton(tr("Print in&voice…"), right);
    m_printInvoice->setAccessibleName(tr("Print invoice"));
    m_saveInvoice = new QPushButton(tr("Save invoice as PD&F…"), right);
    m_saveInvoice->setAccessibleName(tr("Save invoice as PDF"));
    // Three rows: the moves of the order, the money and the packing slip, the invoice.
    auto *buttons2 = new QHBoxLayout;
    auto *buttons3 = new QHBoxLayout;
    buttons3->addWidget(m_printInvoice);
    buttons3->addWidget(m_saveInvoice);
    buttons3->addStretch(1);
    buttons->addWidget(m_markPaid);
    buttons->addWidget(m_ship);
    buttons->addWidget(m_deliver);
    buttons->addStretch(1);
    buttons2->addWidget(m_cancel);
    buttons2->addWidget(m_refund);
    buttons2->addWidget(m_print);
    buttons2->addStretch(1);
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
    rl->addLayout(buttons2);
    rl->addLayout(buttons3);
    rl->addWidget(m_historyTitle);
    rl->addWidget(historyTable, 2);
    split->addWidget(right);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    body()->addWidget(split, 1);

    connect(m_status, &QComboBox::currentIndexChanged, this, &OrdersPage::rebuildRows);
    connect(m_search, &QLineEdit::textChanged, m_proxy,
            &QSortFilterProxyModel::setFilterFixedString);
    connect(m_search, &QLineEdit::textChanged, this, [this] { updateEmptyState(m_view); });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        showOrder();
        updateButtons();
    });
    connect(m_history, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        selectRowWithId(m_view, index.data(RowsModel::IdRole).toString());
    });
    connect(m_markPaid, &QPushButton::clicked, this, [this] { move(SellerAction::MarkPaid); });
    connect(m_ship, &QPushButton::clicked, this, &OrdersPage::openShipDialog);
    connect(m_deliver, &QPushButton::clicked, this, &OrdersPage::deliver);
    connect(m_cancel, &QPushButton::clicked, this, &OrdersPage::openCancelDialog);
    connect(m_refund, &QPushButton::clicked, this, &OrdersPage::openRefundDialog);
    connect(m_print, &QPushButton::clicked, this, &OrdersPage::openPackingSlip);
    connect(m_printInvoice, &QPushButton::clicked, this,
            [this] { loadInvoice([this] { printInvoice(); }); });
    connect(m_saveInvoice, &QPushButton::clicked, this,
            [this] { loadInvoice([this] { chooseInvoicePdfFile(); }); });
    connect(m_export, &QPushButton::clicked, this, &OrdersPage::chooseExportFile);
    setTabOrder(m_status, m_search);
    setTabOrder(m_search, m_export);
    setTabOrder(m_export, m_view);
    setTabOrder(m_view, m_markPaid);
    setTabOrder(m_markPaid, m_ship);
    setTabOrder(m_ship, m_deliver);
    setTabOrder(m_deliver, m_cancel);
    setTabOrder(m_cancel, m_refund);
    setTabOrder(m_refund, m_print);
    setTabOrder(m_print, m_printInvoice);
    setTabOrder(m_printInvoice, m_saveInvoice);
    setTabOrder(m_saveInvoice, m_history);
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
            [shop, sellerId]() -> Result<QPair<QList<Order>, QHash<QString, QString>>> {
                auto orders = fetchAll<Order, OrderPage>(
                        [&](const QString &cursor) {
                            SellerOrderFilter filter;
                            filter.limit = 100;
                            filter.cursor = cursor;
                            return shop->orders().sellerOrders(sellerId, filter);
                        },
                        2000);
                if (!orders)
                    return orders.error();
                // Each customer's email, for the order view's contact.
                QHash<QString, QString> emails;
                for (const Order &o : orders.value()) {
                    if (emails.contains(o.customerId))
                        continue;
                    auto account = shop->accounts().account(o.customerId);
                    emails.insert(o.customerId, account ? account->email : QString());
                }
                return QPair{orders.value(), emails};
            },
            [this, generation](const Result<QPair<QList<Order>, QHash<QString, QString>>> &orders) {
                if (generation != m_generation)
                    return;
                if (!orders) {
                    showError(orders.error());
                    Q_EMIT loaded();
                    return;
                }
                m_orders = orders->first;
                m_emails = orders->second;
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
        rows.append(
                {o.id,
                 {formatTime(o.createdAt), orderNumber(o), o.customerName,
                  QString::number(itemCount(o)), formatMoney(total, o.currency),
                  statusLabel(o.status)},
                 {o.createdAt, o.number, o.customerName.toLower(), itemCount(o), total, o.status},
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
    int toShip = 0;
    int toRefund = 0;
    bool undelivered = false;
    if (o) {
        for (const OrderLine &l : o->items) {
            toShip += unshipped(l);
            toRefund += unrefunded(l);
        }
        for (const Shipment &s : o->shipments)
            undelivered = undelivered || !s.deliveredAt;
    }
    const bool paid
            = o
              && (o->status == OrderStatus::Paid || o->status == OrderStatus::PartiallyShipped
                  || o->status == OrderStatus::Shipped);
    m_ship->setEnabled(paid && o->status != OrderStatus::Shipped && toShip > 0);
    m_deliver->setEnabled(paid && o->status != OrderStatus::Paid && undelivered);
    // Cancel: an unpaid order, or a paid one with units still to ship; the service decides.
    m_cancel->setEnabled(o && (o->status == OrderStatus::PendingPayment || (paid && toShip > 0)));
    m_refund->setEnabled((paid || (o && o->status == OrderStatus::Delivered)) && toRefund > 0);
    m_print->setEnabled(o != nullptr);
    // An order gets its invoice number when it is paid: before that there is no invoice.
    const bool invoiced = o && !o->invoiceNumber.isEmpty();
    m_printInvoice->setEnabled(invoiced);
    m_saveInvoice->setEnabled(invoiced);
    const QString why = !o          ? tr("Select an order to print its invoice")
                        : !invoiced ? tr("No invoice yet: an order gets its invoice when it is "
                                         "paid")
                                    : QString();
    m_printInvoice->setToolTip(why.isEmpty() ? tr("Print invoice %1").arg(o->invoiceNumber) : why);
    m_saveInvoice->setToolTip(
            why.isEmpty() ? tr("Save invoice %1 as a PDF file").arg(o->invoiceNumber) : why);
}

QString OrdersPage::orderNumber(const Order &order)
{
    return order.number > 0 ? QStringLiteral("#%1").arg(order.number) : order.id.left(8);
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
    const auto esc = [](const QString &t) {
        return t.toHtmlEscaped();
    };
    QString html = QStringLiteral("<h3>%1</h3><p>%2 · %3</p>")
                           .arg(esc(tr("Order %1").arg(orderNumber(*o))), formatTime(o->createdAt),
                                esc(statusLabel(o->status)));
    // The customer and where the parcel goes.
    QStringList contact{QStringLiteral("<b>%1</b>").arg(esc(o->customerName))};
    if (const QString email = m_emails.value(o->customerId); !email.isEmpty())
        contact.append(QStringLiteral("<a href=\"mailto:%1\">%2</a>")
                               .arg(esc(QString::fromUtf8(QUrl::toPercentEncoding(email, "@"))),
                                    esc(email)));
    if (o->shippingAddress && !o->shippingAddress->phone.isEmpty())
        contact.append(esc(tr("Phone: %1").arg(o->shippingAddress->phone)));
    html += QStringLiteral("<p>%1</p>").arg(contact.join(QStringLiteral("<br>")));
    if (o->shippingAddress) {
        const Address &a = *o->shippingAddress;
        QStringList lines{a.name, a.line1};
        if (!a.line2.isEmpty())
            lines.append(a.line2);
        lines.append(QStringList{a.postalCode, a.city}.join(QLatin1Char(' ')).trimmed());
        if (!a.region.isEmpty())
            lines.append(a.region);
        lines.append(a.country);
        for (QString &l : lines)
            l = esc(l);
        html += QStringLiteral("<p><b>%1</b><br>%2</p>")
                        .arg(esc(tr("Ship to")), lines.join(QStringLiteral("<br>")));
    } else {
        html += QStringLiteral("<p><i>%1</i></p>")
                        .arg(esc(tr("No shipping address on this order.")));
    }
    if (!o->shippingName.isEmpty())
        html += QStringLiteral("<p>%1</p>")
                        .arg(esc(tr("Shipping: %1, %2")
                                         .arg(o->shippingName,
                                              formatMoney(o->shippingCents, o->currency))));
    html += QStringLiteral("<table cellpadding='3'><tr><th align='left'>%1</th><th>%2</th>"
                           "<th>%3</th><th align='right'>%4</th><th align='right'>%5</th></tr>")
                    .arg(tr("Product"), tr("Qty"), tr("Shipped"), tr("Price"), tr("Line"));
    for (const OrderLine &l : o->items) {
        QString name = esc(l.name);
        if (l.refundedQuantity > 0)
            name += QStringLiteral(" <i>(%1)</i>").arg(tr("%1 refunded").arg(l.refundedQuantity));
        html += QStringLiteral("<tr><td>%1</td><td align='center'>%2</td><td align='center'>%3</td>"
                               "<td align='right'>%4</td><td align='right'>%5</td></tr>")
                        .arg(name)
                        .arg(l.quantity)
                        .arg(l.shippedQuantity)
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
                    .arg(tr("Payment:"), esc(o->paymentProvider), esc(o->paymentState),
                         formatMoney(o->totalCents, o->currency));
    QHash<QString, QString> lineNames;
    for (const OrderLine &l : o->items)
        lineNames.insert(l.id, l.name);
    const auto units = [&](const auto &items) {
        QStringList parts;
        for (const auto &i : items)
            parts.append(QStringLiteral("%1 × %2")
                                 .arg(i.quantity)
                                 .arg(lineNames.value(i.orderItemId, tr("a line"))));
        return esc(parts.join(QStringLiteral(", ")));
    };
    if (!o->shipments.isEmpty()) {
        html += QStringLiteral("<p><b>%1</b><br>").arg(esc(tr("Shipments")));
        for (const Shipment &sh : o->shipments) {
            QString tracking = esc(sh.carrier.isEmpty() ? tr("No carrier given") : sh.carrier);
            if (!sh.trackingNumber.isEmpty()) {
                const QUrl url(sh.trackingUrl);
                tracking += QStringLiteral(" ")
                            + (url.isValid() && url.scheme() == QLatin1String("https")
                                       ? QStringLiteral("<a href=\"%1\">%2</a>")
                                                 .arg(esc(url.toString(QUrl::FullyEncoded)),
                                                      esc(sh.trackingNumber))
                                       : esc(sh.trackingNumber));
            }
            html += QStringLiteral("%1 — %2: %3 — %4<br>")
                            .arg(formatTime(sh.shippedAt), tracking, units(sh.items),
                                 sh.deliveredAt
                                         ? esc(tr("delivered %1").arg(formatTime(*sh.deliveredAt)))
                                         : esc(tr("on its way")));
        }
        html += QStringLiteral("</p>");
    }
    if (!o->refunds.isEmpty()) {
        html += QStringLiteral("<p><b>%1</b><br>").arg(esc(tr("Refunds")));
        for (const OrderRefund &r : o->refunds) {
            QString amount = formatMoney(r.amountCents, r.currency);
            if (r.shippingRefundedCents > 0)
                amount += QStringLiteral(" ")
                          + tr("(with %1 shipping)")
                                    .arg(formatMoney(r.shippingRefundedCents, r.currency));
            html += QStringLiteral("%1 — %2: %3 — %4<br>")
                            .arg(formatTime(r.createdAt), esc(amount), units(r.items),
                                 esc(r.reason));
        }
        html += QStringLiteral("</p>");
    }
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
        rows.append({other.id,
                     {formatTime(other.createdAt), orderNumber(other),
                      QString::number(itemCount(other)), formatMoney(total, other.currency),
                      statusLabel(other.status)},
                     {other.createdAt, other.number, itemCount(other), total, other.status},
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

void OrdersPage::showProblem(const QString &title, const Error &error)
{
    delete m_problem;
    m_problem = new QMessageBox(QMessageBox::Warning, title, describeError(error), QMessageBox::Ok,
                                this);
    m_problem->setAccessibleName(tr("Problem"));
    m_problem->setTextFormat(Qt::PlainText);
    m_problem->setInformativeText(tr("Nothing was changed."));
    m_problem->open();
}

void OrdersPage::change(std::function<Status()> work, const QString &done)
{
    for (QPushButton *b : {m_markPaid, m_ship, m_deliver, m_cancel, m_refund})
        b->setEnabled(false);
    ctx().worker.run(this, std::move(work), [this, done](const Status &result) {
        if (!result) {
            showProblem(tr("Could not change the order"), result.error());
            updateButtons();
            refresh();
            Q_EMIT changed(describeError(result.error()));
            return;
        }
        showMessage(done);
        refresh(); // the selection stays on the order
        Q_EMIT changed(QString());
    });
}

void OrdersPage::openShipDialog()
{
    const Order *o = selectedOrder();
    if (!o)
        return;
    delete m_dialog;
    auto *dialog = new QDialog(this);
    m_dialog = dialog;
    dialog->setWindowTitle(tr("Ship order %1").arg(orderNumber(*o)));
    dialog->setAccessibleName(tr("Ship order dialog"));
    dialog->setMinimumWidth(480);
    auto *layout = new QVBoxLayout(dialog);
    auto *form = new QFormLayout;
    auto *carrier = new QLineEdit(dialog);
    carrier->setAccessibleName(tr("Carrier"));
    carrier->setMaxLength(100);
    carrier->setPlaceholderText(tr("For example DHL, UPS, La Poste"));
    auto *number = new QLineEdit(dialog);
    number->setAccessibleName(tr("Tracking number"));
    number->setMaxLength(100);
    auto *url = new QLineEdit(dialog);
    url->setAccessibleName(tr("Tracking URL"));
    url->setMaxLength(2048);
    url->setPlaceholderText(tr("https://… (optional)"));
    form->addRow(tr("&Carrier:"), carrier);
    form->addRow(tr("&Tracking number:"), number);
    form->addRow(tr("Tracking &URL:"), url);
    layout->addLayout(form);
    auto *what = new QLabel(tr("Units to ship (every unshipped unit by default):"), dialog);
    what->setWordWrap(true);
    layout->addWidget(what);
    auto *grid = new QGridLayout;
    const auto lines
            = lineChooser(dialog, grid, *o, tr("Quantity to ship of %1"), unshipped, unshipped);
    layout->addLayout(grid);
    auto *problem = new QLabel(dialog);
    problem->setAccessibleName(tr("Shipment problem"));
    problem->setWordWrap(true);
    problem->hide();
    layout->addWidget(problem);
    for (QLineEdit *edit : {carrier, number, url})
        connect(edit, &QLineEdit::textChanged, problem, &QWidget::hide);
    auto *box = new QDialogButtonBox(dialog);
    auto *ok = box->addButton(tr("&Ship"), QDialogButtonBox::AcceptRole);
    ok->setAccessibleName(tr("Confirm shipment"));
    ok->setDefault(true);
    auto *cancel = box->addButton(QDialogButtonBox::Cancel);
    cancel->setAccessibleName(tr("Cancel"));
    layout->addWidget(box);
    connect(box, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    const QString orderId = o->id;
    const QString who = o->customerName;
    const QString label = orderNumber(*o);
    connect(ok, &QPushButton::clicked, dialog, [=, this] {
        // The API's rules for a shipment's fields (carrier and number required, an https link).
        QStringList problems;
        if (carrier->text().trimmed().isEmpty())
            problems.append(tr("Enter the carrier."));
        if (number->text().trimmed().isEmpty())
            problems.append(tr("Enter the tracking number."));
        const QString link = url->text().trimmed();
        const QUrl parsed(link, QUrl::StrictMode);
        if (!link.isEmpty()
            && (!parsed.isValid() || parsed.scheme() != QLatin1String("https")
                || parsed.host().isEmpty() || link.contains(QLatin1Char(' '))))
            problems.append(tr("The tracking URL must start with https://."));
        QList<ShipmentItem> items;
        for (const auto &[id, spin] : lines) {
            if (spin->value() > 0)
                items.append({id, spin->value()});
        }
        if (items.isEmpty())
            problems.append(tr("Choose at least one unit to ship."));
        if (!problems.isEmpty()) {
            problem->setText(problems.join(QLatin1Char('\n')));
            problem->show();
            return;
        }
        NewShipment input;
        input.carrier = carrier->text().trimmed();
        input.trackingNumber = number->text().trimmed();
        input.trackingUrl = link;
        input.items = items;
        dialog->accept();
        Shop *shop = &ctx().shop;
        const QString sellerId = seller().id;
        change(
                [shop, sellerId, orderId, input]() -> Status {
                    Shipments shipments(shop->database(), shop->notifier(), shop->events());
                    if (auto s = shipments.ship(sellerId, orderId, input); !s)
                        return s.error();
                    return Ok{};
                },
                tr("Order %1 shipped to %2; the customer is told.").arg(label, who));
    });
    dialog->open();
}

void OrdersPage::deliver()
{
    const Order *o = selectedOrder();
    if (!o)
        return;
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    const QString orderId = o->id;
    change(
            [shop, sellerId, orderId] {
                Shipments shipments(shop->database(), shop->notifier(), shop->events());
                return shipments.deliverAll(sellerId, orderId);
            },
            tr("Order %1 delivered.").arg(orderNumber(*o)));
}

void OrdersPage::openCancelDialog()
{
    const Order *o = selectedOrder();
    if (!o)
        return;
    delete m_dialog;
    auto *dialog = new QDialog(this);
    m_dialog = dialog;
    dialog->setWindowTitle(tr("Cancel your lines of order %1").arg(orderNumber(*o)));
    dialog->setAccessibleName(tr("Cancel my lines dialog"));
    dialog->setMinimumWidth(480);
    auto *layout = new QVBoxLayout(dialog);
    qint64 back = 0;
    for (const OrderLine &l : o->items)
        back += l.quantity > 0 ? l.lineTotalCents * unshipped(l) / l.quantity : 0;
    auto *explain = new QLabel(
            o->status == OrderStatus::PendingPayment
                    ? tr("Order %1 is not paid yet: it is cancelled and the reserved stock "
                         "goes back on sale. The customer is told why.")
                              .arg(orderNumber(*o))
                    : tr("Every unit of yours not shipped yet in order %1 is cancelled. The "
                         "customer gets their money back for them (about %2, coins included), "
                         "the units go back into stock, and the customer is told why. This "
                         "cannot be undone.")
                              .arg(orderNumber(*o), formatMoney(back, o->currency)),
            dialog);
    explain->setAccessibleName(tr("What cancelling does"));
    explain->setWordWrap(true);
    layout->addWidget(explain);
    auto *form = new QFormLayout;
    auto *reason = new QLineEdit(dialog);
    reason->setAccessibleName(tr("Cancel reason"));
    reason->setMaxLength(2000);
    reason->setPlaceholderText(tr("For example: out of stock, cannot ship to this country"));
    form->addRow(tr("&Reason (the customer sees it):"), reason);
    layout->addLayout(form);
    auto *box = new QDialogButtonBox(dialog);
    auto *ok = box->addButton(tr("Cancel my &lines"), QDialogButtonBox::AcceptRole);
    ok->setAccessibleName(tr("Confirm cancel"));
    ok->setEnabled(false);
    auto *keep = box->addButton(tr("&Keep the order"), QDialogButtonBox::RejectRole);
    keep->setAccessibleName(tr("Keep the order"));
    keep->setDefault(true);
    layout->addWidget(box);
    connect(reason, &QLineEdit::textChanged, ok,
            [ok](const QString &t) { ok->setEnabled(!t.trimmed().isEmpty()); });
    connect(box, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    const QString orderId = o->id;
    const QString label = orderNumber(*o);
    connect(ok, &QPushButton::clicked, dialog, [=, this] {
        const QString why = reason->text().trimmed();
        dialog->accept();
        Shop *shop = &ctx().shop;
        const QString sellerId = seller().id;
        change(
                [shop, sellerId, orderId, why]() -> Status {
                    if (auto s = SellerRefunds(*shop).cancel(sellerId, orderId, why); !s)
                        return s.error();
                    return Ok{};
                },
                tr("Your lines of order %1 are cancelled; the customer gets the money back.")
                        .arg(label));
    });
    dialog->open();
}

void OrdersPage::openRefundDialog()
{
    const Order *o = selectedOrder();
    if (!o)
        return;
    delete m_dialog;
    auto *dialog = new QDialog(this);
    m_dialog = dialog;
    dialog->setWindowTitle(tr("Refund order %1").arg(orderNumber(*o)));
    dialog->setAccessibleName(tr("Refund dialog"));
    dialog->setMinimumWidth(480);
    auto *layout = new QVBoxLayout(dialog);
    auto *what = new QLabel(tr("Units to refund (the customer gets back what they paid for "
                               "them, coins included):"),
                            dialog);
    what->setWordWrap(true);
    layout->addWidget(what);
    auto *grid = new QGridLayout;
    const auto lines = lineChooser(dialog, grid, *o, tr("Quantity to refund of %1"), unrefunded,
                                   [](const OrderLine &) { return 0; });
    layout->addLayout(grid);
    auto *form = new QFormLayout;
    auto *reason = new QLineEdit(dialog);
    reason->setAccessibleName(tr("Refund reason"));
    reason->setMaxLength(2000);
    form->addRow(tr("&Reason (the customer sees it):"), reason);
    auto *restock = new QCheckBox(tr("Put the refunded units back in &stock"), dialog);
    restock->setAccessibleName(tr("Restock"));
    form->addRow(QString(), restock);
    layout->addLayout(form);
    auto *box = new QDialogButtonBox(dialog);
    auto *ok = box->addButton(tr("R&efund"), QDialogButtonBox::AcceptRole);
    ok->setAccessibleName(tr("Confirm refund"));
    ok->setEnabled(false);
    auto *cancel = box->addButton(QDialogButtonBox::Cancel);
    cancel->setAccessibleName(tr("Cancel"));
    layout->addWidget(box);
    const auto ready = [ok, reason, lines] {
        int units = 0;
        for (const auto &line : lines)
            units += line.second->value();
        ok->setEnabled(units > 0 && !reason->text().trimmed().isEmpty());
    };
    connect(reason, &QLineEdit::textChanged, ok, ready);
    for (const auto &line : lines)
        connect(line.second, &QSpinBox::valueChanged, ok, ready);
    connect(box, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    const QString orderId = o->id;
    const QString label = orderNumber(*o);
    connect(ok, &QPushButton::clicked, dialog, [=, this] {
        QList<RefundItem> items;
        for (const auto &[id, spin] : lines) {
            if (spin->value() > 0)
                items.append({id, spin->value(), 0, 0});
        }
        const QString why = reason->text().trimmed();
        const bool back = restock->isChecked();
        dialog->accept();
        Shop *shop = &ctx().shop;
        const QString sellerId = seller().id;
        change(
                [shop, sellerId, orderId, items, why, back]() -> Status {
                    if (auto s = SellerRefunds(*shop).refund(sellerId, orderId, items, why, back);
                        !s)
                        return s.error();
                    return Ok{};
                },
                tr("Refund of order %1 made; the customer is told.").arg(label));
    });
    dialog->open();
}

void OrdersPage::openPackingSlip()
{
    const Order *o = selectedOrder();
    if (!o)
        return;
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    const QString orderId = o->id;
    const QString label = orderNumber(*o);
    m_print->setEnabled(false);
    // The order as loaded now, as the API's packing slip route loads it.
    ctx().worker.run(
            this,
            [shop, sellerId, orderId]() -> Result<QString> {
                auto order = shop->orders().sellerOrder(sellerId, orderId);
                if (!order)
                    return order.error();
                return Mercato::packingSlipHtml(order.value());
            },
            [this, label](const Result<QString> &html) {
                updateButtons();
                if (!html) {
                    showProblem(tr("Could not make the packing slip"), html.error());
                    return;
                }
                m_slipHtml = html.value();
                m_slipTitle = tr("Packing slip %1").arg(label);
                delete m_dialog;
                auto *dialog = new QDialog(this);
                m_dialog = dialog;
                dialog->setWindowTitle(tr("Packing slip for order %1").arg(label));
                dialog->setAccessibleName(tr("Packing slip dialog"));
                dialog->resize(620, 560);
                auto *layout = new QVBoxLayout(dialog);
                auto *preview = new QTextBrowser(dialog);
                preview->setAccessibleName(tr("Packing slip preview"));
                preview->setHtml(m_slipHtml);
                layout->addWidget(preview, 1);
                auto *box = new QDialogButtonBox(dialog);
                auto *print = box->addButton(tr("&Print…"), QDialogButtonBox::ActionRole);
                print->setAccessibleName(tr("Print"));
                auto *pdf = box->addButton(tr("Save as P&DF…"), QDialogButtonBox::ActionRole);
                pdf->setAccessibleName(tr("Save as PDF"));
                auto *close = box->addButton(QDialogButtonBox::Close);
                close->setAccessibleName(tr("Close"));
                layout->addWidget(box);
                connect(box, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
                connect(print, &QPushButton::clicked, this, &OrdersPage::printPackingSlip);
                connect(pdf, &QPushButton::clicked, this, &OrdersPage::choosePdfFile);
                dialog->open();
            });
}

void OrdersPage::printPackingSlip()
{
    auto *printer = new QPrinter(QPrinter::HighResolution);
    printer->setDocName(m_slipTitle);
    auto *dialog = new QPrintDialog(printer, m_dialog ? static_cast<QWidget *>(m_dialog) : this);
    dialog->setAccessibleName(tr("Print packing slip dialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::finished, dialog, [printer] { delete printer; });
    connect(dialog, &QDialog::accepted, this, [this, printer] {
        QTextDocument document;
        document.setHtml(m_slipHtml);
        document.print(printer);
        showMessage(tr("Packing slip sent to %1.").arg(printer->printerName()));
    });
    dialog->open();
}

void OrdersPage::choosePdfFile()
{
    QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (m_pdfDialog) {
        folder = m_pdfDialog->directory().absolutePath();
        delete m_pdfDialog;
    }
    m_pdfDialog = new QFileDialog(m_dialog ? static_cast<QWidget *>(m_dialog) : this,
                                  tr("Save the packing slip as PDF"), folder);
    m_pdfDialog->setAccessibleName(tr("Packing slip PDF file"));
    m_pdfDialog->setAcceptMode(QFileDialog::AcceptSave);
    m_pdfDialog->setFileMode(QFileDialog::AnyFile);
    m_pdfDialog->setNameFilter(tr("PDF files (*.pdf)"));
    m_pdfDialog->setDefaultSuffix(QStringLiteral("pdf"));
    QString name = m_slipTitle.toLower();
    name.replace(QLatin1Char(' '), QLatin1Char('-')).remove(QLatin1Char('#'));
    m_pdfDialog->selectFile(name + QStringLiteral(".pdf"));
    connect(m_pdfDialog, &QFileDialog::fileSelected, this, &OrdersPage::savePdf);
    m_pdfDialog->open();
}

namespace {
// A page or two of text as a PDF file, rendered on the GUI thread (QTextDocument and QPrinter
// are GUI objects); false when no file came out.
bool printPdf(QTextDocument &document, const QString &path, const QString &title)
{
    QPrinter printer(QPrinter::HighResolution);
    printer.setOutputFormat(QPrinter::PdfFormat);
    printer.setOutputFileName(path);
    printer.setDocName(title);
    printer.setCreator(QStringLiteral("Mercato"));
    document.print(&printer);
    const QFileInfo written(path);
    return written.exists() && written.size() > 0;
}

// The invoice's table has nine columns: at the screen's font they break words ("Quantit y")
// on an A4 page, so paper gets a smaller one.
void invoiceDocument(QTextDocument &document, const QString &html)
{
    QFont font = document.defaultFont();
    font.setPointSizeF(7.5);
    document.setDefaultFont(font);
    document.setHtml(html);
}
} // namespace

void OrdersPage::savePdf(const QString &path)
{
    if (path.isEmpty())
        return;
    QTextDocument document;
    document.setHtml(m_slipHtml);
    const QString error = printPdf(document, path, m_slipTitle)
                                  ? QString()
                                  : tr("the file could not be written");
    if (error.isEmpty())
        showMessage(tr("Packing slip saved to %1").arg(QDir::toNativeSeparators(path)));
    else
        showMessage(tr("Could not save %1: %2").arg(QDir::toNativeSeparators(path), error), true);
    Q_EMIT packingSlipSaved(path, error);
}

void OrdersPage::loadInvoice(std::function<void()> then)
{
    const Order *o = selectedOrder();
    if (!o || o->invoiceNumber.isEmpty())
        return;
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    const QString orderId = o->id;
    m_printInvoice->setEnabled(false);
    m_saveInvoice->setEnabled(false);
    // The order's invoice as the invoice route makes it: the whole order (one invoice, one
    // number), for a seller with lines in it or the store's owner.
    ctx().worker.run(
            this,
            [shop, sellerId, orderId]() -> Result<QPair<QString, QString>> {
                // The rule of the invoice route: a seller with lines in it, or the owner.
                auto order
                        = shop->orders().invoicedOrder(sellerId, QStringLiteral("seller"), orderId);
                if (!order)
                    return order.error();
                auto store = StoreProfiles::load(shop->database().connection());
                if (!store)
                    return store.error();
                return QPair{QString::fromUtf8(Invoices::html(order.value(), store.value())),
                             order->invoiceNumber};
            },
            [this, then](const Result<QPair<QString, QString>> &invoice) {
                updateButtons();
                if (!invoice) {
                    showProblem(tr("Could not make the invoice"), invoice.error());
                    Q_EMIT invoicePrinted(describeError(invoice.error()));
                    return;
                }
                m_invoiceHtml = invoice->first;
                m_invoiceTitle = tr("Invoice %1").arg(invoice->second);
                then();
            });
}

void OrdersPage::printInvoice()
{
    auto *printer = new QPrinter(QPrinter::HighResolution);
    printer->setDocName(m_invoiceTitle);
    auto *dialog = new QPrintDialog(printer, this);
    dialog->setAccessibleName(tr("Print invoice dialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::finished, dialog, [printer] { delete printer; });
    connect(dialog, &QDialog::accepted, this, [this, printer] {
        QTextDocument document;
        invoiceDocument(document, m_invoiceHtml);
        document.print(printer);
        showMessage(tr("%1 sent to %2.").arg(m_invoiceTitle, printer->printerName()));
        Q_EMIT invoicePrinted(QString());
    });
    dialog->open();
}

void OrdersPage::chooseInvoicePdfFile()
{
    QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (m_invoicePdfDialog) {
        folder = m_invoicePdfDialog->directory().absolutePath();
        delete m_invoicePdfDialog;
    }
    m_invoicePdfDialog = new QFileDialog(this, tr("Save the invoice as PDF"), folder);
    m_invoicePdfDialog->setAccessibleName(tr("Invoice PDF file"));
    m_invoicePdfDialog->setAcceptMode(QFileDialog::AcceptSave);
    m_invoicePdfDialog->setFileMode(QFileDialog::AnyFile);
    m_invoicePdfDialog->setNameFilter(tr("PDF files (*.pdf)"));
    m_invoicePdfDialog->setDefaultSuffix(QStringLiteral("pdf"));
    QString name = m_invoiceTitle.toLower();
    name.replace(QLatin1Char(' '), QLatin1Char('-'));
    m_invoicePdfDialog->selectFile(name + QStringLiteral(".pdf"));
    connect(m_invoicePdfDialog, &QFileDialog::fileSelected, this, &OrdersPage::saveInvoicePdf);
    m_invoicePdfDialog->open();
}

void OrdersPage::saveInvoicePdf(const QString &path)
{
    if (path.isEmpty())
        return;
    QTextDocument document;
    invoiceDocument(document, m_invoiceHtml);
    const QString error = printPdf(document, path, m_invoiceTitle)
                                  ? QString()
                                  : tr("the file could not be written");
    if (error.isEmpty())
        showMessage(tr("%1 saved to %2").arg(m_invoiceTitle, QDir::toNativeSeparators(path)));
    else
        showMessage(tr("Could not save %1: %2").arg(QDir::toNativeSeparators(path), error), true);
    Q_EMIT invoiceSaved(path, error);
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
