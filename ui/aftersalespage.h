#pragma once
// Refunds & Complaints: decide refund requests (note, restock) and answer or resolve complaints.

#include "page.h"

#include <QHash>

#include "model/complaints.h"
#include "model/refunds.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QListWidgetItem;
class QPlainTextEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QTabWidget;
class QTextBrowser;

namespace Mercato {

class AfterSalesPage : public Page
{
    Q_OBJECT
public:
    AfterSalesPage(ConsoleContext context, QWidget *parent = nullptr);
    void refresh() override;
    void selectId(const QString &id) override;

private:
    QWidget *buildRefunds();
    QWidget *buildComplaints();
    void decideRefund(bool approve, const QString &id);
    // Approve asks first: the computed amount and the restock choice, then "Confirm refund".
    void askToApprove();
    void retryRefund();
    void showRefund();
    void openPhoto(QListWidgetItem *item);
    void moveComplaint(bool resolve);
    void showComplaint();
    void updateButtons();

    QTabWidget *m_tabs = nullptr;
    RowsModel *m_refundModel = nullptr;
    QSortFilterProxyModel *m_refundProxy = nullptr;
    QTableView *m_refundView = nullptr;
    QComboBox *m_refundStatus = nullptr;
    QLineEdit *m_note = nullptr;
    QCheckBox *m_restock = nullptr;
    QPushButton *m_approve = nullptr;
    QPushButton *m_reject = nullptr;
    QPushButton *m_retry = nullptr;
    QLabel *m_refundDetail = nullptr;
    QListWidget *m_photos = nullptr;
    QWidget *m_confirm = nullptr;
    QLabel *m_confirmText = nullptr;
    QString m_confirmFor; // the request the confirmation is about
    QList<RefundRequest> m_refunds;

    RowsModel *m_complaintModel = nullptr;
    QSortFilterProxyModel *m_complaintProxy = nullptr;
    QTableView *m_complaintView = nullptr;
    QComboBox *m_complaintStatus = nullptr;
    QTextBrowser *m_thread = nullptr;
    QPlainTextEdit *m_reply = nullptr;
    QPushButton *m_replyButton = nullptr;
    QPushButton *m_resolveButton = nullptr;
    QList<Complaint> m_complaints;
    QHash<QString, qint64> m_orderNumbers; // of the orders the lists name
    // "#1001" for an order of the lists.
    QString orderLabel(const QString &orderId) const;
    QString m_pendingSelect;
};

} // namespace Mercato
