#pragma once
// Notifications: the signed-in seller's notifications, newest first, unread in bold; mark one
// or all read, or open the page and row a notification is about.

#include "page.h"

#include "model/notifications.h"

class QCheckBox;
class QLabel;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace Mercato {

class NotificationsPage : public Page
{
    Q_OBJECT
public:
    NotificationsPage(ConsoleContext context, QWidget *parent = nullptr);
    void refresh() override;
    void selectId(const QString &id) override;

    // The page and row a notification of `kind` with `data` is about ({} when none).
    static QPair<QString, QString> target(const QString &kind, const QJsonObject &data);

Q_SIGNALS:
    void loaded();
    void unreadCountChanged(qint64 count);
    void openTarget(const QString &page, const QString &id);

private:
    void markRead();
    void markAllRead();
    void open();
    void updateButtons();
    const NotificationItem *selectedItem() const;

    RowsModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_view = nullptr;
    QCheckBox *m_unreadOnly = nullptr;
    QLabel *m_summary = nullptr;
    QPushButton *m_markRead = nullptr;
    QPushButton *m_markAll = nullptr;
    QPushButton *m_open = nullptr;
    QList<NotificationItem> m_items;
    qint64 m_unread = 0;
    QString m_pendingSelect;
    quint64 m_generation = 0;
};

} // namespace Mercato
