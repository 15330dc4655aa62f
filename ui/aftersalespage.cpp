#include "aftersalespage.h"

#include "consoleworker.h"
#include "rowsmodel.h"

#include "model/shop.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace Mercato {

namespace {
QComboBox *statusCombo(QWidget *parent, const QString &name,
                       const QList<QPair<QString, QString>> &items)
{
    auto *combo = new QComboBox(parent);
    combo->setAccessibleName(name);
    for (const auto &[label, value] : items)
        combo->addItem(label, value);
    return combo;
}
} // namespace

AfterSalesPage::AfterSalesPage(ConsoleContext context, QWidget *parent)
    : Page(QStringLiteral("Refunds & Complaints"), tr("Refunds & Complaints"), context, parent)
{
    m_tabs = new QTabWidget(this);
    m_tabs->setAccessibleName(tr("Refunds and complaints tabs"));
    m_tabs->addTab(buildRefunds(), tr("&Refunds"));
    m_tabs->addTab(buildComplaints(), tr("&Complaints"));
    body()->addWidget(m_tabs);
}

QWidget *AfterSalesPage::buildRefunds()
{
    auto *w = new QWidget(this);
    auto *layout = new QVBoxLayout(w);
    auto *bar = new QHBoxLayout;
    m_refundStatus = statusCombo(w, tr("Refund status filter"),
                                 {{tr("Waiting for a decision"), QStringLiteral("requested")},
                                  {tr("All"), QString()},
                                  {tr("Approved"), QStringLiteral("approved")},
                                  {tr("Refunded"), QStringLiteral("refunded")},
                                  {tr("Refund failed"), QStringLiteral("refund_failed")},
                                  {tr("Rejected"), QStringLiteral("rejected")}});
    bar->addWidget(new QLabel(tr("Show:"), w));
    bar->addWidget(m_refundStatus);
    bar->addStretch(1);
    layout->addLayout(bar);

    m_refundModel = new RowsModel({tr("Requested"), tr("Customer"), tr("Product"), tr("Qty"),
                                   tr("Amount"), tr("Status"), tr("Reason")},
                                  this);
    m_refundProxy = new QSortFilterProxyModel(this);
    m_refundView = new QTableView(w);
    layout->addWidget(tableWithEmptyState(m_refundView, m_refundModel, m_refundProxy,
                                          tr("Refund requests"),
                                          tr("No refund requests here. When a customer asks for a "
                                             "refund, it appears in this list for you to decide.")),
                      1);

    auto *decide = new QHBoxLayout;
    m_note = new QLineEdit(w);
    m_note->setAccessibleName(tr("Decision note"));
    m_note->setPlaceholderText(tr("Note to the customer (optional)"));
    m_restock = new QCheckBox(tr("Put the items back in &stock"), w);
    m_restock->setAccessibleName(tr("Restock"));
    m_restock->setChecked(true);
    m_approve = new QPushButton(tr("&Approve"), w);
    m_approve->setAccessibleName(tr("Approve refund"));
    m_reject = new QPushButton(tr("Re&ject"), w);
    m_reject->setAccessibleName(tr("Reject refund"));
    decide->addWidget(m_note, 1);
    decide->addWidget(m_restock);
    decide->addWidget(m_approve);
    decide->addWidget(m_reject);
    layout->addLayout(decide);

    connect(m_refundStatus, &QComboBox::currentIndexChanged, this, &AfterSalesPage::refresh);
    connect(m_refundView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &AfterSalesPage::updateButtons);
    connect(m_approve, &QPushButton::clicked, this, [this] { decideRefund(true); });
    connect(m_reject, &QPushButton::clicked, this, [this] { decideRefund(false); });
    return w;
}

QWidget *AfterSalesPage::buildComplaints()
{
    auto *w = new QWidget(this);
    auto *layout = new QVBoxLayout(w);
    auto *bar = new QHBoxLayout;
    m_complaintStatus = statusCombo(w, tr("Complaint status filter"),
                                    {{tr("Open"), QStringLiteral("open")},
                                     {tr("All"), QString()},
                                     {tr("Answered"), QStringLiteral("answered")},
                                     {tr("Resolved"), QStringLiteral("resolved")}});
    bar->addWidget(new QLabel(tr("Show:"), w));
    bar->addWidget(m_complaintStatus);
    bar->addStretch(1);
    layout->addLayout(bar);

    auto *split = new QSplitter(Qt::Horizontal, w);
    m_complaintModel
            = new RowsModel({tr("Opened"), tr("Customer"), tr("Subject"), tr("Status")}, this);
    m_complaintProxy = new QSortFilterProxyModel(this);
    m_complaintView = new QTableView(split);
    split->addWidget(tableWithEmptyState(m_complaintView, m_complaintModel, m_complaintProxy,
                                         tr("Complaints"),
                                         tr("No complaints here. Customers' complaints about their "
                                            "orders appear in this list for you to answer.")));
    auto *right = new QWidget(split);
    auto *rl = new QVBoxLayout(right);
    rl->setContentsMargins(0, 0, 0, 0);
    m_thread = new QTextBrowser(right);
    m_thread->setAccessibleName(tr("Complaint conversation"));
    m_thread->setPlaceholderText(tr("Select a complaint to read the conversation."));
    m_reply = new QPlainTextEdit(right);
    m_reply->setAccessibleName(tr("Reply text"));
    m_reply->setPlaceholderText(tr("Your answer to the customer"));
    m_reply->setMaximumHeight(90);
    auto *buttons = new QHBoxLayout;
    m_replyButton = new QPushButton(tr("Send re&ply"), right);
    m_replyButton->setAccessibleName(tr("Reply to complaint"));
    m_resolveButton = new QPushButton(tr("Mark re&solved"), right);
    m_resolveButton->setAccessibleName(tr("Resolve complaint"));
    buttons->addStretch(1);
    buttons->addWidget(m_replyButton);
    buttons->addWidget(m_resolveButton);
    rl->addWidget(m_thread, 1);
    rl->addWidget(m_reply);
    rl->addLayout(buttons);
    split->addWidget(right);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    layout->addWidget(split, 1);

    connect(m_complaintStatus, &QComboBox::currentIndexChanged, this, &AfterSalesPage::refresh);
    connect(m_complaintView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            [this] {
                showComplaint();
                updateButtons();
            });
    connect(m_replyButton, &QPushButton::clicked, this, [this] { moveComplaint(false); });
    connect(m_resolveButton, &QPushButton::clicked, this, [this] { moveComplaint(true); });
    updateButtons();
    return w;
}

void AfterSalesPage::refresh()
{
    if (seller().id.isEmpty())
        return;
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    const QString refundStatus = m_refundStatus->currentData().toString();
    const QString complaintStatus = m_complaintStatus->currentData().toString();
    using Lists = QPair<Result<QList<RefundRequest>>, Result<QList<Complaint>>>;
    ctx().worker.run(
            this,
            [shop, sellerId, refundStatus, complaintStatus]() -> Lists {
                auto refunds
                        = fetchAll<RefundRequest, RefundRequestPage>([&](const QString &cursor) {
                              return shop->refunds().listForSeller(sellerId, refundStatus, 100,
                                                                   cursor);
                          });
                auto complaints = fetchAll<Complaint, ComplaintPage>([&](const QString &cursor) {
                    return shop->complaints().listForSeller(sellerId, complaintStatus, 100, cursor);
                });
                return {refunds, complaints};
            },
            [this](const Lists &lists) {
                const QString keepRefund
                        = m_pendingSelect.isEmpty() ? selectedId(m_refundView) : m_pendingSelect;
                const QString keepComplaint
                        = m_pendingSelect.isEmpty() ? selectedId(m_complaintView) : m_pendingSelect;
                if (!lists.first) {
                    showError(lists.first.error());
                } else {
                    m_refunds = lists.first.value();
                    QList<TableRow> rows;
                    for (const RefundRequest &r : std::as_const(m_refunds)) {
                        const QString amount = r.amountCents
                                                       ? formatMoney(*r.amountCents, r.currency)
                                                       : QString();
                        rows.append({r.id,
                                     {formatTime(r.createdAt), r.customerName, r.productName,
                                      QString::number(r.quantity), amount, r.status, r.reason},
                                     {r.createdAt, r.customerName, r.productName, r.quantity,
                                      r.amountCents.value_or(0), r.status, r.reason},
                                     r.status == QLatin1String("requested")});
                    }
                    m_refundModel->setRows(rows);
                }
                if (!lists.second) {
                    showError(lists.second.error());
                } else {
                    m_complaints = lists.second.value();
                    QList<TableRow> rows;
                    for (const Complaint &c : std::as_const(m_complaints)) {
                        rows.append({c.id,
                                     {formatTime(c.createdAt), c.customerName, c.subject, c.status},
                                     {c.createdAt, c.customerName, c.subject, c.status},
                                     c.status == QLatin1String("open")});
                    }
                    m_complaintModel->setRows(rows);
                }
                selectRowWithId(m_refundView, keepRefund);
                selectRowWithId(m_complaintView, keepComplaint);
                if (!m_pendingSelect.isEmpty() && m_complaintModel->rowOf(m_pendingSelect) >= 0)
                    m_tabs->setCurrentIndex(1);
                m_pendingSelect.clear();
                showComplaint();
                updateButtons();
            });
}

void AfterSalesPage::selectId(const QString &id)
{
    m_pendingSelect = id;
    refresh();
}

void AfterSalesPage::updateButtons()
{
    const QString refundId = selectedId(m_refundView);
    bool decidable = false;
    for (const RefundRequest &r : std::as_const(m_refunds)) {
        if (r.id == refundId)
            decidable = r.status == QLatin1String("requested");
    }
    m_approve->setEnabled(decidable);
    m_reject->setEnabled(decidable);
    const QString complaintId = selectedId(m_complaintView);
    bool open = false;
    for (const Complaint &c : std::as_const(m_complaints)) {
        if (c.id == complaintId)
            open = c.status != QLatin1String("resolved");
    }
    m_replyButton->setEnabled(open);
    m_resolveButton->setEnabled(open);
    m_reply->setEnabled(open);
}

void AfterSalesPage::decideRefund(bool approve)
{
    const QString id = selectedId(m_refundView);
    if (id.isEmpty())
        return;
    m_approve->setEnabled(false);
    m_reject->setEnabled(false);
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    const QString note = m_note->text().trimmed();
    const bool restock = m_restock->isChecked();
    ctx().worker.run(
            this,
            [shop, sellerId, id, note, restock, approve] {
                return approve ? shop->refunds().approve(sellerId, id, note, restock)
                               : shop->refunds().reject(sellerId, id, note);
            },
            [this, approve](const Result<RefundRequest> &result) {
                if (!result) {
                    showError(result.error());
                    updateButtons();
                    return;
                }
                m_note->clear();
                showMessage(approve ? tr("Refund approved for %1.").arg(result->customerName)
                                    : tr("Refund rejected for %1.").arg(result->customerName));
                refresh();
            });
}

void AfterSalesPage::moveComplaint(bool resolve)
{
    const QString id = selectedId(m_complaintView);
    const QString message = m_reply->toPlainText().trimmed();
    if (id.isEmpty())
        return;
    if (!resolve && message.isEmpty()) {
        showMessage(tr("Write an answer before sending it."), true);
        return;
    }
    m_replyButton->setEnabled(false);
    m_resolveButton->setEnabled(false);
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    ctx().worker.run(
            this,
            [shop, sellerId, id, message, resolve] {
                auto result = resolve ? shop->complaints().resolve(sellerId, id, message)
                                      : shop->complaints().reply(sellerId, id, message);
                if (!result)
                    return result;
                return shop->complaints().getForSeller(sellerId, id);
            },
            [this, resolve](const Result<Complaint> &result) {
                if (!result) {
                    showError(result.error());
                    updateButtons();
                    return;
                }
                m_reply->clear();
                showMessage(resolve ? tr("Complaint resolved.") : tr("Answer sent."));
                for (Complaint &c : m_complaints) {
                    if (c.id == result->id)
                        c = result.value();
                }
                refresh();
            });
}

void AfterSalesPage::showComplaint()
{
    const QString id = selectedId(m_complaintView);
    if (id.isEmpty()) {
        m_thread->clear();
        return;
    }
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    ctx().worker.run(
            this, [shop, sellerId, id] { return shop->complaints().getForSeller(sellerId, id); },
            [this, id](const Result<Complaint> &c) {
                if (!c || selectedId(m_complaintView) != id)
                    return;
                QString html
                        = QStringLiteral("<h3>%1</h3><p><i>%2, %3</i></p><p>%4</p>")
                                  .arg(c->subject.toHtmlEscaped(), c->customerName.toHtmlEscaped(),
                                       formatTime(c->createdAt), c->message.toHtmlEscaped());
                for (const ComplaintMessage &m : c->messages) {
                    html += QStringLiteral("<hr><p><b>%1</b> <i>(%2, %3)</i></p><p>%4</p>")
                                    .arg(m.authorName.toHtmlEscaped(), m.authorRole,
                                         formatTime(m.createdAt), m.message.toHtmlEscaped());
                }
                m_thread->setHtml(html);
            });
}

} // namespace Mercato
