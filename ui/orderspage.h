#pragma once
// Orders: the seller's orders (its own lines of each), filtered by status and searched by
// customer; the selected order's detail and history; the status moves the seller makes
// (mark paid for manual payments; ship units with carrier and tracking, deliver, cancel its own
// lines, refund) through the same model services as the API; the packing slip printed or saved
// as PDF; the customer's purchase history with this seller; and a CSV export of the rows the
// filters show (written on the worker thread). Orders are shown by their number (#1001). The
// page follows orders changed elsewhere (the API, a webhook) through ModelEvents.

#include "page.h"

#include "model/orders.h"

#include <QHash>

#include <functional>

class QComboBox;
class QDialog;
class QFileDialog;
class QMessageBox;
class QSpinBox;
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
    // "#1001", or the id's first characters for an order made outside checkout.
    static QString orderNumber(const Order &order);

    // The packing slip of the selected order as last loaded (the HTML the PDF is made from).
    QString packingSlipHtml() const { return m_slipHtml; }
    // The invoice of the selected order as last loaded (Invoices::html, the API's invoice).
    QString invoiceHtml() const { return m_invoiceHtml; }

    // The rows the filters show now, in the table's order, as CSV records (header first).
    QList<QStringList> exportRecords() const;

Q_SIGNALS:
    void loaded();
    // A CSV export finished: `rows` orders written to `path`, or `error` (empty on success).
    void exported(const QString &path, int rows, const QString &error);
    // The packing slip was saved as PDF to `path`, or `error` (empty on success).
    void packingSlipSaved(const QString &path, const QString &error);
    // The invoice was saved as PDF to `path`, or `error` (empty on success).
    void invoiceSaved(const QString &path, const QString &error);
    // The invoice was sent to a printer (`error` empty) or could not be made.
    void invoicePrinted(const QString &error);
    // A change (ship, deliver, cancel, refund) finished; `error` empty on success.
    void changed(const QString &error);

private:
    void rebuildRows();
    void showOrder();
    void move(SellerAction action);
    void openShipDialog();
    void deliver();
    void openCancelDialog();
    void openRefundDialog();
    void openPackingSlip();
    void printPackingSlip();
    void choosePdfFile();
    void savePdf(const QString &path);
    // Loads the selected order's invoice in the worker, then `then()` on the GUI thread.
    void loadInvoice(std::function<void()> then);
    void printInvoice();
    void chooseInvoicePdfFile();
    void saveInvoicePdf(const QString &path);
    // Runs a model change on the worker; a refusal is shown in a plain dialog and changes
    // nothing, success shows `done` and reloads.
    void change(std::function<Status()> work, const QString &done);
    void showProblem(const QString &title, const Error &error);
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
    QPushButton *m_cancel = nullptr;
    QPushButton *m_refund = nullptr;
    QPushButton *m_print = nullptr;
    QPushButton *m_printInvoice = nullptr;
    QPushButton *m_saveInvoice = nullptr;
    QFileDialog *m_invoicePdfDialog = nullptr;
    QString m_invoiceHtml;
    QString m_invoiceTitle;
    QDialog *m_dialog = nullptr; // the open Ship, Cancel, Refund or packing slip dialog
    QMessageBox *m_problem = nullptr;
    QFileDialog *m_pdfDialog = nullptr;
    QString m_slipHtml;
    QString m_slipTitle;
    QHash<QString, QString> m_emails; // customer id → email
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
