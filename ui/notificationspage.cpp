#include "notificationspage.h"

#include "consoleworker.h"
#include "rowsmodel.h"

#include "model/ordernumbers.h"
#include "model/shop.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace Mercato {

namespace {
QString kindLabel(const QString &kind)
{
    static const QHash<QString, const char *> labels{
            {QStringLiteral("order.paid"), QT_TRANSLATE_NOOP("NotificationsPage", "Order paid")},
            {QStringLiteral("order.placed"), QT_TRANSLATE_NOOP("NotificationsPage", "New order")},
            {QStringLiteral("stock.low"), QT_TRANSLATE_NOOP("NotificationsPage", "Low stock")},
            {QStringLiteral("refund.requested"),
             QT_TRANSLATE_NOOP("NotificationsPage", "Refund requested")},
            {QStringLiteral("complaint.opened"),
             QT_TRANSLATE_NOOP("NotificationsPage", "New complaint")},
            {QStringLiteral("complaint.message"),
             QT_TRANSLATE_NOOP("NotificationsPage", "Complaint message")},
    };
    const char *label = labels.value(kind);
    return label ? NotificationsPage::tr(label) : kind;
}
} // namespace

QPair<QString, QString> NotificationsPage::target(const QString &kind, const QJsonObject &data)
{
    if (kind.startsWith(QLatin1String("stock.")))
        return {QStringLiteral("Inventory"), data.value(QStringLiteral("productId")).toString()};
    if (kind.startsWith(QLatin1String("refund.")))
        return {QStringLiteral("Refunds & Complaints"),
                data.value(QStringLiteral("refundRequestId")).toString()};
    if (kind.startsWith(QLatin1String("complaint.")))
        return {QStringLiteral("Refunds & Complaints"),
                data.value(QStringLiteral("complaintId")).toString()};
    if (kind.startsWith(QLatin1String("order.")))
        return {QStringLiteral("Orders"), data.value(QStringLiteral("orderId")).toString()};
    if (kind.startsWith(QLatin1String("product.")) || kind.startsWith(QLatin1String("review.")))
        return {QStringLiteral("Products"), data.value(QStringLiteral("productId")).toString()};
    return {};
}

NotificationsPage::NotificationsPage(ConsoleContext context, QWidget *parent)
    : Page(QStringLiteral("Notifications"), tr("Notifications"), context, parent)
{
    auto *bar = new QHBoxLayout;
    m_unreadOnly = new QCheckBox(tr("&Unread only"), this);
    m_unreadOnly->setAccessibleName(tr("Unread only"));
    m_summary = new QLabel(this);
    m_summary->setAccessibleName(tr("Unread count"));
    m_markRead = new QPushButton(tr("&Mark read"), this);
    m_markRead->setAccessibleName(tr("Mark read"));
    m_markAll = new QPushButton(tr("Mark &all read"), this);
    m_markAll->setAccessibleName(tr("Mark all read"));
    m_open = new QPushButton(tr("&Open"), this);
    m_open->setAccessibleName(tr("Open notification"));
    bar->addWidget(m_unreadOnly);
    bar->addWidget(m_summary);
    bar->addStretch(1);
    bar->addWidget(m_open);
    bar->addWidget(m_markRead);
    bar->addWidget(m_markAll);
    body()->addLayout(bar);

    m_model = new RowsModel({tr("When"), tr("What"), tr("Title"), tr("Details")}, this);
    m_proxy = new QSortFilterProxyModel(this);
    m_view = new QTableView(this);
    body()->addWidget(
            tableWithEmptyState(m_view, m_model, m_proxy, tr("Notification list"),
                                tr("No notifications. Paid orders, low stock, refund requests "
                                   "and complaints show up here and in the tray.")),
            1);
    m_view->setColumnWidth(2, 260);
    m_view->sortByColumn(0, Qt::DescendingOrder); // newest first

    connect(m_unreadOnly, &QCheckBox::toggled, this, &NotificationsPage::refresh);
    connect(m_markRead, &QPushButton::clicked, this, &NotificationsPage::markRead);
    connect(m_markAll, &QPushButton::clicked, this, &NotificationsPage::markAllRead);
    connect(m_open, &QPushButton::clicked, this, &NotificationsPage::open);
    connect(m_view, &QTableView::doubleClicked, this, &NotificationsPage::open);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &NotificationsPage::updateButtons);
    updateButtons();
}

void NotificationsPage::refresh()
{
    if (seller().id.isEmpty()) {
        m_unread = 0;
        Q_EMIT unreadCountChanged(0);
        return;
    }
    Shop *shop = &ctx().shop;
    const QString userId = seller().id;
    const bool unreadOnly = m_unreadOnly->isChecked();
    const quint64 generation = ++m_generation;
    using Loaded = QPair<Result<QList<NotificationItem>>, Result<qint64>>;
    ctx().worker.run(
            this,
            [shop, userId, unreadOnly]() -> Loaded {
                auto items = fetchAll<NotificationItem, NotificationPage>(
                        [&](const QString &cursor) {
                            return shop->notifications().list(userId, unreadOnly, 100, cursor);
                        },
                        500);
                // People know orders by number: a body naming an order's id names its number.
                if (items) {
                    QStringList ids;
                    for (const NotificationItem &n : std::as_const(items.value()))
                        ids.append(n.data.value(QStringLiteral("orderId")).toString());
                    ids.removeAll(QString());
                    ids.removeDuplicates();
                    if (auto numbers = OrderNumbers::of(shop->database().connection(), ids)) {
                        for (NotificationItem &n : items.value()) {
                            const QString id = n.data.value(QStringLiteral("orderId")).toString();
                            if (const qint64 number = numbers->value(id); number > 0)
                                n.body.replace(id, QStringLiteral("#%1").arg(number));
                        }
                    }
                }
                return {items, shop->notifications().unreadCount(userId)};
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
                m_items = loaded.first.value();
                m_unread = loaded.second.value();
                QList<TableRow> rows;
                for (const NotificationItem &n : std::as_const(m_items)) {
                    rows.append({n.id,
                                 {formatTime(n.createdAt), kindLabel(n.kind), n.title, n.body},
                                 {n.createdAt, n.kind, n.title, n.body},
                                 !n.readAt.has_value()});
                }
                m_model->setRows(rows);
                m_summary->setText(m_unread ? tr("%n unread", nullptr, int(m_unread))
                                            : tr("All read"));
                if (!keep.isEmpty())
                    selectRowWithId(m_view, keep);
                updateButtons();
                Q_EMIT unreadCountChanged(m_unread);
                Q_EMIT this->loaded();
            });
}

void NotificationsPage::selectId(const QString &id)
{
    m_pendingSelect = id;
    refresh();
}

const NotificationItem *NotificationsPage::selectedItem() const
{
    const QString id = selectedId(m_view);
    for (const NotificationItem &n : m_items) {
        if (n.id == id)
            return &n;
    }
    return nullptr;
}

void NotificationsPage::updateButtons()
{
    const NotificationItem *n = selectedItem();
    m_markRead->setEnabled(n && !n->readAt);
    m_open->setEnabled(n && !target(n->kind, n->data).first.isEmpty());
    m_markAll->setEnabled(m_unread > 0);
}

void NotificationsPage::markRead()
{
    const NotificationItem *n = selectedItem();
    if (!n)
        return;
    m_markRead->setEnabled(false);
    Shop *shop = &ctx().shop;
    const QString userId = seller().id;
    const QString id = n->id;
    ctx().worker.run(
            this, [shop, userId, id] { return shop->notifications().markRead(userId, id); },
            [this](const Status &s) {
                if (!s)
                    showError(s.error());
                refresh();
            });
}

void NotificationsPage::markAllRead()
{
    m_markAll->setEnabled(false);
    Shop *shop = &ctx().shop;
    const QString userId = seller().id;
    ctx().worker.run(
            this, [shop, userId] { return shop->notifications().markAllRead(userId); },
            [this](const Status &s) {
                if (!s)
                    showError(s.error());
                else
                    showMessage(tr("All notifications marked read."));
                refresh();
            });
}

void NotificationsPage::open()
{
    const NotificationItem *n = selectedItem();
    if (!n)
        return;
    const auto [page, id] = target(n->kind, n->data);
    if (page.isEmpty())
        return;
    if (!n->readAt)
        markRead();
    Q_EMIT openTarget(page, id);
}

} // namespace Mercato
