#include "aftersalespage.h"

#include "consoleworker.h"
#include "rowsmodel.h"

#include "model/imagestore.h"
#include "model/ordernumbers.h"
#include "model/shop.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QHBoxLayout>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QUrl>
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

// Evidence photos from the local image store, scaled to `size` (0: full size); other stores
// give null images (the list shows names and the URL). Runs in the console's worker.
QList<QPair<QString, QImage>> loadEvidence(Shop *shop, const QList<EvidenceImage> &images, int size)
{
    QList<QPair<QString, QImage>> out;
    auto *local = dynamic_cast<LocalImageStore *>(&shop->images());
    for (const EvidenceImage &img : images) {
        QImage image;
        if (local) {
            const QString path = local->pathFor(QUrl(img.url).path().section(QLatin1Char('/'), -1));
            if (!path.isEmpty())
                image.load(path);
        }
        if (!image.isNull() && size > 0)
            image = image.scaled(size, size, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        out.append({img.id, image});
    }
    return out;
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
                                  {tr("Decided"), QStringLiteral("decided")},
                                  {tr("All"), QString()},
                                  {tr("Approved"), QStringLiteral("approved")},
                                  {tr("Refunded"), QStringLiteral("refunded")},
                                  {tr("Refund failed"), QStringLiteral("refund_failed")},
                                  {tr("Rejected"), QStringLiteral("rejected")}});
    bar->addWidget(new QLabel(tr("Show:"), w));
    bar->addWidget(m_refundStatus);
    bar->addStretch(1);
    layout->addLayout(bar);

    m_refundModel = new RowsModel({tr("Requested"), tr("Order"), tr("Customer"), tr("Product"),
                                   tr("Qty"), tr("Amount"), tr("Status"), tr("Reason")},
                                  this);
    m_refundProxy = new QSortFilterProxyModel(this);
    auto *split = new QSplitter(Qt::Horizontal, w);
    m_refundView = new QTableView(split);
    split->addWidget(tableWithEmptyState(m_refundView, m_refundModel, m_refundProxy,
                                         tr("Refund requests"),
                                         tr("No refund requests here. When a customer asks for a "
                                            "refund, it appears in this list for you to decide.")));
    auto *right = new QWidget(split);
    auto *rl = new QVBoxLayout(right);
    rl->setContentsMargins(0, 0, 0, 0);
    m_refundDetail = new QLabel(tr("Select a request to see the order, the customer's words "
                                   "and the photos."),
                                right);
    m_refundDetail->setAccessibleName(tr("Refund details"));
    m_refundDetail->setWordWrap(true);
    m_refundDetail->setTextFormat(Qt::RichText);
    m_refundDetail->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_photos = new QListWidget(right);
    m_photos->setAccessibleName(tr("Refund photos"));
    m_photos->setToolTip(tr("Double-click a photo to open it full size."));
    m_photos->setViewMode(QListView::IconMode);
    m_photos->setIconSize(QSize(96, 96));
    m_photos->setMaximumHeight(130);
    rl->addWidget(m_refundDetail, 1);
    rl->addWidget(m_photos);
    split->addWidget(right);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    layout->addWidget(split, 1);

    auto *decide = new QHBoxLayout;
    m_note = new QLineEdit(w);
    m_note->setAccessibleName(tr("Decision note"));
    m_note->setPlaceholderText(tr("Note to the customer (required to reject)"));
    m_restock = new QCheckBox(tr("Put the items back in st&ock"), w);
    m_restock->setAccessibleName(tr("Restock"));
    m_restock->setChecked(true);
    m_approve = new QPushButton(tr("&Approve..."), w);
    m_approve->setAccessibleName(tr("Approve refund"));
    m_reject = new QPushButton(tr("Re&ject"), w);
    m_reject->setAccessibleName(tr("Reject refund"));
    m_retry = new QPushButton(tr("Re&try refund"), w);
    m_retry->setAccessibleName(tr("Retry refund"));
    m_retry->setToolTip(tr("Send a failed refund to the payment provider again."));
    decide->addWidget(m_note, 1);
    decide->addWidget(m_restock);
    decide->addWidget(m_approve);
    decide->addWidget(m_reject);
    decide->addWidget(m_retry);
    layout->addLayout(decide);

    m_confirm = new QWidget(w);
    auto *confirm = new QHBoxLayout(m_confirm);
    confirm->setContentsMargins(0, 0, 0, 0);
    m_confirmText = new QLabel(m_confirm);
    m_confirmText->setTextFormat(Qt::PlainText);
    m_confirmText->setAccessibleName(tr("Refund confirmation"));
    m_confirmText->setWordWrap(true);
    auto *yes = new QPushButton(tr("&Confirm refund"), m_confirm);
    yes->setAccessibleName(tr("Confirm refund"));
    auto *no = new QPushButton(tr("Ca&ncel"), m_confirm);
    no->setAccessibleName(tr("Cancel refund"));
    confirm->addWidget(m_confirmText, 1);
    confirm->addWidget(yes);
    confirm->addWidget(no);
    m_confirm->hide();
    layout->addWidget(m_confirm);

    connect(yes, &QPushButton::clicked, this, [this] {
        m_confirm->hide();
        decideRefund(true, m_confirmFor);
    });
    connect(no, &QPushButton::clicked, this, [this] {
        m_confirm->hide();
        m_confirmFor.clear();
        updateButtons();
    });
    // The confirmation is about one request with one restock choice: a change cancels it.
    connect(m_restock, &QCheckBox::toggled, this, [this] {
        m_confirm->hide();
        updateButtons();
    });
    connect(m_photos, &QListWidget::itemActivated, this, &AfterSalesPage::openPhoto);
    connect(m_retry, &QPushButton::clicked, this, &AfterSalesPage::retryRefund);
    connect(m_refundStatus, &QComboBox::currentIndexChanged, this, &AfterSalesPage::refresh);
    connect(m_refundView->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        m_confirm->hide();
        showRefund();
        updateButtons();
    });
    connect(m_approve, &QPushButton::clicked, this, &AfterSalesPage::askToApprove);
    connect(m_reject, &QPushButton::clicked, this,
            [this] { decideRefund(false, selectedId(m_refundView)); });
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
    m_complaintModel = new RowsModel(
            {tr("Opened"), tr("Order"), tr("Customer"), tr("Subject"), tr("Status")}, this);
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
    m_resolveButton = new QPushButton(tr("Mark resol&ved"), right);
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
    const QString refundFilter = m_refundStatus->currentData().toString();
    const bool decidedOnly = refundFilter == QLatin1String("decided");
    const QString refundStatus = decidedOnly ? QString() : refundFilter;
    const QString complaintStatus = m_complaintStatus->currentData().toString();
    struct Lists
    {
        Result<QList<RefundRequest>> first;
        Result<QList<Complaint>> second;
        QHash<QString, qint64> numbers;
    };
    ctx().worker.run(
            this,
            [shop, sellerId, refundStatus, decidedOnly, complaintStatus]() -> Lists {
                auto refunds
                        = fetchAll<RefundRequest, RefundRequestPage>([&](const QString &cursor) {
                              return shop->refunds().listForSeller(sellerId, refundStatus, 100,
                                                                   cursor);
                          });
                if (refunds && decidedOnly)
                    refunds->removeIf([](const RefundRequest &r) {
                        return r.status == QLatin1String("requested");
                    });
                auto complaints = fetchAll<Complaint, ComplaintPage>([&](const QString &cursor) {
                    return shop->complaints().listForSeller(sellerId, complaintStatus, 100, cursor);
                });
                QStringList ids;
                if (refunds) {
                    for (const RefundRequest &r : std::as_const(refunds.value()))
                        ids.append(r.orderId);
                }
                if (complaints) {
                    for (const Complaint &c : std::as_const(complaints.value()))
                        ids.append(c.orderId);
                }
                ids.removeDuplicates();
                auto numbers = OrderNumbers::of(shop->database().connection(), ids);
                return {refunds, complaints, numbers ? numbers.value() : QHash<QString, qint64>{}};
            },
            [this](const Lists &lists) {
                const QString keepRefund
                        = m_pendingSelect.isEmpty() ? selectedId(m_refundView) : m_pendingSelect;
                const QString keepComplaint
                        = m_pendingSelect.isEmpty() ? selectedId(m_complaintView) : m_pendingSelect;
                m_orderNumbers = lists.numbers;
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
                                     {formatTime(r.createdAt), orderLabel(r.orderId),
                                      r.customerName, r.productName, QString::number(r.quantity),
                                      amount, r.status, r.reason},
                                     {r.createdAt, m_orderNumbers.value(r.orderId), r.customerName,
                                      r.productName, r.quantity, r.amountCents.value_or(0),
                                      r.status, r.reason},
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
                                     {formatTime(c.createdAt), orderLabel(c.orderId),
                                      c.customerName, c.subject, c.status},
                                     {c.createdAt, m_orderNumbers.value(c.orderId), c.customerName,
                                      c.subject, c.status},
                                     c.status == QLatin1String("open")});
                    }
                    m_complaintModel->setRows(rows);
                }
                selectRowWithId(m_refundView, keepRefund);
                selectRowWithId(m_complaintView, keepComplaint);
                if (!m_pendingSelect.isEmpty() && m_complaintModel->rowOf(m_pendingSelect) >= 0)
                    m_tabs->setCurrentIndex(1);
                m_pendingSelect.clear();
                showRefund();
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
    bool failed = false;
    for (const RefundRequest &r : std::as_const(m_refunds)) {
        if (r.id == refundId) {
            decidable = r.status == QLatin1String("requested");
            failed = r.status == QLatin1String("refund_failed");
        }
    }
    const bool confirming = m_confirm->isVisible();
    m_approve->setEnabled(decidable && !confirming);
    m_reject->setEnabled(decidable && !confirming);
    m_retry->setEnabled(failed);
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

void AfterSalesPage::askToApprove()
{
    const QString id = selectedId(m_refundView);
    if (id.isEmpty())
        return;
    m_approve->setEnabled(false);
    m_reject->setEnabled(false);
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    ctx().worker.run(
            this, [shop, sellerId, id] { return shop->refunds().preview(sellerId, id); },
            [this, id](const Result<RefundAmount> &amount) {
                if (selectedId(m_refundView) != id)
                    return;
                if (!amount) {
                    showError(amount.error());
                    updateButtons();
                    return;
                }
                const RefundRequest *r = nullptr;
                for (const RefundRequest &each : std::as_const(m_refunds)) {
                    if (each.id == id)
                        r = &each;
                }
                if (!r)
                    return;
                QString text
                        = tr("Refund %1 to %2 for %3 × %4")
                                  .arg(formatMoney(amount->cents, r->currency), r->customerName)
                                  .arg(r->quantity)
                                  .arg(r->productName);
                if (amount->coins > 0)
                    text += tr(", and %n coin(s) back", nullptr, int(amount->coins));
                text += QStringLiteral(". ")
                        + (m_restock->isChecked() ? tr("The items go back in stock.")
                                                  : tr("The items do not go back in stock."));
                m_confirmText->setText(text);
                m_confirmFor = id;
                m_confirm->show();
                updateButtons();
            });
}

void AfterSalesPage::decideRefund(bool approve, const QString &id)
{
    if (id.isEmpty())
        return;
    const QString note = m_note->text().trimmed();
    if (!approve && note.isEmpty()) {
        showMessage(tr("Write a note telling the customer why before rejecting."), true);
        m_note->setFocus();
        return;
    }
    m_approve->setEnabled(false);
    m_reject->setEnabled(false);
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    const bool restock = m_restock->isChecked();
    ctx().worker.run(
            this,
            [shop, sellerId, id, note, restock, approve] {
                return approve ? shop->refunds().approve(sellerId, id, note, restock)
                               : shop->refunds().reject(sellerId, id, note);
            },
            [this, approve](const Result<RefundRequest> &result) {
                m_confirmFor.clear();
                if (!result) {
                    showError(result.error());
                    updateButtons();
                    return;
                }
                m_note->clear();
                if (approve && result->status == QLatin1String("refund_failed"))
                    showMessage(tr("Refund approved for %1, but the payment provider refused it: "
                                   "%2. Retry it from this list.")
                                        .arg(result->customerName, result->refundError),
                                true);
                else
                    showMessage(approve ? tr("Refund approved for %1.").arg(result->customerName)
                                        : tr("Refund rejected for %1.").arg(result->customerName));
                refresh();
            });
}

void AfterSalesPage::retryRefund()
{
    const QString id = selectedId(m_refundView);
    if (id.isEmpty())
        return;
    m_retry->setEnabled(false);
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    ctx().worker.run(
            this, [shop, sellerId, id] { return shop->refunds().retryRefund(sellerId, id); },
            [this](const Result<RefundRequest> &result) {
                if (!result)
                    showError(result.error());
                else if (result->status == QLatin1String("refund_failed"))
                    showMessage(tr("The refund failed again: %1").arg(result->refundError), true);
                else
                    showMessage(tr("Refund sent for %1.").arg(result->customerName));
                refresh();
            });
}

void AfterSalesPage::showRefund()
{
    const QString id = selectedId(m_refundView);
    const RefundRequest *r = nullptr;
    for (const RefundRequest &each : std::as_const(m_refunds)) {
        if (each.id == id)
            r = &each;
    }
    m_photos->clear();
    if (!r) {
        m_refundDetail->setText(
                tr("Select a request to see the order, the customer's words and the photos."));
        return;
    }
    QString html = QStringLiteral("<h3>%1 × %2</h3><p>%3 · %4 · %5</p><p><b>%6</b></p>"
                                  "<blockquote>%7</blockquote>")
                           .arg(r->quantity)
                           .arg(r->productName.toHtmlEscaped(),
                                tr("Order %1").arg(orderLabel(r->orderId)),
                                r->customerName.toHtmlEscaped(), formatTime(r->createdAt),
                                tr("Status: %1").arg(r->status), r->reason.toHtmlEscaped());
    if (r->amountCents)
        html += QStringLiteral("<p>%1</p>")
                        .arg(tr("Refund: %1").arg(formatMoney(*r->amountCents, r->currency)));
    if (!r->note.isEmpty())
        html += QStringLiteral("<p>%1</p>").arg(tr("Your note: %1").arg(r->note.toHtmlEscaped()));
    if (!r->refundError.isEmpty())
        html += QStringLiteral("<p style=\"color:#b00020\">%1</p>")
                        .arg(tr("The payment provider refused the refund: %1")
                                     .arg(r->refundError.toHtmlEscaped()));
    if (r->images.isEmpty())
        html += QStringLiteral("<p><i>%1</i></p>").arg(tr("No photos."));
    m_refundDetail->setText(html);
    for (int i = 0; i < r->images.size(); ++i) {
        auto *item = new QListWidgetItem(tr("Photo %1").arg(i + 1), m_photos);
        item->setData(Qt::UserRole, r->images.at(i).id);
        item->setData(Qt::UserRole + 1, r->images.at(i).url);
        item->setToolTip(r->images.at(i).url);
    }
    if (r->images.isEmpty())
        return;
    // Decoding and scaling happen in the worker, never on the GUI thread.
    Shop *shop = &ctx().shop;
    const QList<EvidenceImage> images = r->images;
    ctx().worker.run(
            this, [shop, images] { return loadEvidence(shop, images, 96); },
            [this, id](const QList<QPair<QString, QImage>> &thumbs) {
                if (selectedId(m_refundView) != id)
                    return;
                for (int i = 0; i < m_photos->count(); ++i) {
                    QListWidgetItem *item = m_photos->item(i);
                    for (const auto &[imageId, image] : thumbs) {
                        if (imageId == item->data(Qt::UserRole).toString() && !image.isNull())
                            item->setIcon(QIcon(QPixmap::fromImage(image)));
                    }
                }
            });
}

void AfterSalesPage::openPhoto(QListWidgetItem *item)
{
    if (!item)
        return;
    const EvidenceImage image{item->data(Qt::UserRole).toString(),
                              item->data(Qt::UserRole + 1).toString()};
    Shop *shop = &ctx().shop;
    ctx().worker.run(
            this, [shop, image] { return loadEvidence(shop, {image}, 0); },
            [this, image](const QList<QPair<QString, QImage>> &loaded) {
                auto *dialog = new QDialog(this);
                dialog->setAttribute(Qt::WA_DeleteOnClose);
                dialog->setWindowTitle(tr("Refund photo"));
                auto *l = new QVBoxLayout(dialog);
                auto *label = new QLabel(dialog);
                label->setTextFormat(Qt::PlainText);
                label->setAccessibleName(tr("Refund photo"));
                if (!loaded.isEmpty() && !loaded.first().second.isNull())
                    label->setPixmap(QPixmap::fromImage(loaded.first().second));
                else
                    label->setText(tr("This photo is stored at %1").arg(image.url));
                l->addWidget(label);
                dialog->open();
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
                QString html = QStringLiteral("<h3>%1</h3><p><i>%2, %3, %4</i></p><p>%5</p>")
                                       .arg(c->subject.toHtmlEscaped(),
                                            tr("order %1").arg(orderLabel(c->orderId)),
                                            c->customerName.toHtmlEscaped(),
                                            formatTime(c->createdAt), c->message.toHtmlEscaped());
                for (const ComplaintMessage &m : c->messages) {
                    html += QStringLiteral("<hr><p><b>%1</b> <i>(%2, %3)</i></p><p>%4</p>")
                                    .arg(m.authorName.toHtmlEscaped(), m.authorRole,
                                         formatTime(m.createdAt), m.message.toHtmlEscaped());
                }
                m_thread->setHtml(html);
            });
}

QString AfterSalesPage::orderLabel(const QString &orderId) const
{
    const qint64 number = m_orderNumbers.value(orderId);
    return number > 0 ? QStringLiteral("#%1").arg(number) : tr("(not numbered)");
}

} // namespace Mercato
