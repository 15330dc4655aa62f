#pragma once
// Customers (read-only): everyone who bought from this seller, with their orders and refund
// requests.

#include "page.h"

#include "model/orders.h"
#include "model/refunds.h"

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace Mercato {

class CustomersPage : public Page
{
    Q_OBJECT
public:
    CustomersPage(ConsoleContext context, QWidget *parent = nullptr);
    void refresh() override;
    void selectId(const QString &id) override;

Q_SIGNALS:
    void loaded();
    void openOrder(const QString &orderId);

private:
    void showCustomer();

    QLineEdit *m_search = nullptr;
    RowsModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_view = nullptr;
    QLabel *m_title = nullptr;
    RowsModel *m_orderModel = nullptr;
    QSortFilterProxyModel *m_orderProxy = nullptr;
    QTableView *m_orderView = nullptr;
    RowsModel *m_refundModel = nullptr;
    QSortFilterProxyModel *m_refundProxy = nullptr;
    QTableView *m_refundView = nullptr;
    QList<Order> m_orders;
    QList<RefundRequest> m_refunds;
    QString m_pendingSelect;
    quint64 m_generation = 0;
};

} // namespace Mercato
