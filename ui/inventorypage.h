#pragma once
// Inventory: stock levels with low stock highlighted, and hand adjustments with a reason
// (each one a row of the stock ledger).

#include "page.h"

#include "model/catalog.h"

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QSpinBox;
class QTableView;

namespace Mercato {

class InventoryPage : public Page
{
    Q_OBJECT
public:
    InventoryPage(ConsoleContext context, QWidget *parent = nullptr);
    void refresh() override;
    void selectId(const QString &id) override;

Q_SIGNALS:
    void loaded();

private:
    void adjust();
    void updateControls();
    const Product *selectedProduct() const;

    RowsModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_view = nullptr;
    QCheckBox *m_lowOnly = nullptr;
    QLabel *m_summary = nullptr;
    QLabel *m_selected = nullptr;
    QSpinBox *m_delta = nullptr;
    QLineEdit *m_reason = nullptr;
    QPushButton *m_apply = nullptr;
    QList<Product> m_products;
    QString m_pendingSelect;
    quint64 m_generation = 0;
};

} // namespace Mercato
