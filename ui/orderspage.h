#pragma once
// Orders: the seller's orders (its own lines of each), filtered by status and searched by
// customer; the selected order's detail and history; the status moves the seller makes
// (mark paid for manual payments, ship, deliver); the customer's purchase history with
// this seller; and a CSV export of the rows the filters show (written on the worker thread).
// The page follows orders changed elsewhere (the API, a webhook) through ModelEvents.

#include "page.h"

#include "model/orders.h"

class QComboBox;
class QFileDialog;
class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QTextBrowser;

namespace Mercato {

class OrdersPage : public Page
{
    Q_OBJECT
public:
    OrdersPage(ConsoleContext context, QWidget *parent = nullptr);
    void refresh() override;
    void selectId(const QString &id) override;

    static QString statusLabel(const QString &status);

    // The rows the filters show now, in the table's order, as CSV records (header first).
    QList<QStringList> exportRecords() const;

Q_SIGNALS:
    void loaded();
    // A CSV export finished: `rows` orders written to `path`, or `error` (empty on success).
    void exported(const QString &path, int rows, const QString &error);

private:
    void rebuildRows();
    void showOrder();
    void move(SellerAction action);
    void updateButtons();
    void chooseExportFile();
    void exportTo(const QString &path);
    const Order *selectedOrder() const;

    QComboBox *m_status = nullptr;
    QLineEdit *m_search = nullptr;
    QLabel *m_summary = nullptr;
    RowsModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_view = nullptr;
    QTextBrowser *m_detail = nullptr;
    QPushButton *m_markPaid = nullptr;
    QPushButton *m_ship = nullptr;
    QPushButton *m_deliver = nullptr;
    QPushButton *m_export = nullptr;
    QFileDialog *m_fileDialog = nullptr;
    QLabel *m_historyTitle = nullptr;
    RowsModel *m_historyModel = nullptr;
    QSortFilterProxyModel *m_historyProxy = nullptr;
    QTableView *m_history = nullptr;
    QList<Order> m_orders;
    QString m_pendingSelect;
    quint64 m_generation = 0;
};

} // namespace Mercato
