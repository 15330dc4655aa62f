#include "inventorypage.h"

#include "consoleworker.h"
#include "rowsmodel.h"

#include "model/shop.h"

#include <QCheckBox>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>

namespace Mercato {

namespace {
const QColor kLowStock(0xff, 0xeb, 0xc2);
const QColor kOutOfStock(0xfd, 0xd8, 0xd6);
} // namespace

InventoryPage::InventoryPage(ConsoleContext context, QWidget *parent)
    : Page(QStringLiteral("Inventory"), tr("Inventory"), context, parent)
{
    auto *bar = new QHBoxLayout;
    m_lowOnly = new QCheckBox(tr("Show &low stock only"), this);
    m_lowOnly->setAccessibleName(tr("Low stock only"));
    m_summary = new QLabel(this);
    m_summary->setTextFormat(Qt::PlainText);
    m_summary->setAccessibleName(tr("Inventory summary"));
    bar->addWidget(m_lowOnly);
    bar->addStretch(1);
    bar->addWidget(m_summary);
    body()->addLayout(bar);

    m_model = new RowsModel(
            {tr("Product"), tr("In stock"), tr("Alert at"), tr("State"), tr("Price")}, this);
    m_proxy = new QSortFilterProxyModel(this);
    m_view = new QTableView(this);
    body()->addWidget(
            tableWithEmptyState(m_view, m_model, m_proxy, tr("Stock levels"),
                                tr("Nothing to show. Products you list on the Products page "
                                   "appear here with their stock.")),
            1);
    m_view->setColumnWidth(0, 260);

    auto *box = new QGroupBox(tr("Adjust stock"), this);
    box->setAccessibleName(tr("Adjust stock"));
    auto *bl = new QHBoxLayout(box);
    m_selected = new QLabel(tr("Select a product above."), box);
    m_selected->setTextFormat(Qt::PlainText);
    m_selected->setAccessibleName(tr("Product to adjust"));
    m_selected->setMinimumWidth(200);
    m_delta = new QSpinBox(box);
    m_delta->setAccessibleName(tr("Stock change"));
    m_delta->setRange(-int(ProductLimits::kStockMax), int(ProductLimits::kStockMax));
    m_delta->setPrefix(QString());
    m_delta->setToolTip(tr("Positive to add (a delivery), negative to take away (breakage, loss)"));
    m_reason = new QLineEdit(box);
    m_reason->setAccessibleName(tr("Adjustment reason"));
    m_reason->setPlaceholderText(
            tr("Reason, e.g. “delivery from supplier” or “2 broken in storage”"));
    m_reason->setMaxLength(500);
    m_apply = new QPushButton(tr("&Apply"), box);
    m_apply->setAccessibleName(tr("Apply adjustment"));
    bl->addWidget(m_selected);
    bl->addWidget(new QLabel(tr("Change:"), box));
    bl->addWidget(m_delta);
    bl->addWidget(m_reason, 1);
    bl->addWidget(m_apply);
    body()->addWidget(box);

    connect(m_lowOnly, &QCheckBox::toggled, this, &InventoryPage::refresh);
    connect(m_apply, &QPushButton::clicked, this, &InventoryPage::adjust);
    connect(m_reason, &QLineEdit::returnPressed, this, &InventoryPage::adjust);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &InventoryPage::updateControls);
    setTabOrder(m_lowOnly, m_view);
    setTabOrder(m_view, m_delta);
    setTabOrder(m_delta, m_reason);
    setTabOrder(m_reason, m_apply);
    updateControls();
}

void InventoryPage::refresh()
{
    if (seller().id.isEmpty())
        return;
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    const bool lowOnly = m_lowOnly->isChecked();
    const quint64 generation = ++m_generation;
    ctx().worker.run(
            this,
            [shop, sellerId, lowOnly] {
                return fetchAll<Product, ProductPage>([&](const QString &cursor) {
                    InventoryQuery q;
                    q.sellerId = sellerId;
                    q.lowStockOnly = lowOnly;
                    q.limit = 100;
                    q.cursor = cursor;
                    return shop->catalog().inventory(q);
                });
            },
            [this, generation](const Result<QList<Product>> &products) {
                if (generation != m_generation)
                    return;
                if (!products) {
                    showError(products.error());
                    Q_EMIT loaded();
                    return;
                }
                const QString keep
                        = m_pendingSelect.isEmpty() ? selectedId(m_view) : m_pendingSelect;
                m_pendingSelect.clear();
                m_products = products.value();
                const QString currency = ctx().shop.settings().storeCurrency();
                QList<TableRow> rows;
                int low = 0;
                for (const Product &p : std::as_const(m_products)) {
                    const bool out = p.stock <= 0;
                    const bool isLow = p.lowStock();
                    low += isLow ? 1 : 0;
                    const QString state = out ? tr("Out of stock") : isLow ? tr("Low") : tr("OK");
                    rows.append({p.id,
                                 {p.name, QString::number(p.stock),
                                  QString::number(p.lowStockThreshold), state,
                                  formatMoney(p.priceCents, currency)},
                                 {p.name.toLower(), p.stock, p.lowStockThreshold,
                                  out     ? 0
                                  : isLow ? 1
                                          : 2,
                                  p.priceCents},
                                 isLow,
                                 out     ? kOutOfStock
                                 : isLow ? kLowStock
                                         : QColor()});
                }
                m_model->setRows(rows);
                m_summary->setText(tr("%n product(s)", nullptr, int(m_products.size()))
                                   + QStringLiteral(" · ") + tr("%n low on stock", nullptr, low));
                if (!keep.isEmpty())
                    selectRowWithId(m_view, keep);
                updateControls();
                Q_EMIT loaded();
            });
}

void InventoryPage::selectId(const QString &id)
{
    m_pendingSelect = id;
    refresh();
}

const Product *InventoryPage::selectedProduct() const
{
    const QString id = selectedId(m_view);
    for (const Product &p : m_products) {
        if (p.id == id)
            return &p;
    }
    return nullptr;
}

void InventoryPage::updateControls()
{
    const Product *p = selectedProduct();
    m_selected->setText(p ? tr("%1 (%2 in stock)").arg(p->name).arg(p->stock)
                          : tr("Select a product above."));
    m_delta->setEnabled(p);
    m_reason->setEnabled(p);
    m_apply->setEnabled(p);
}

void InventoryPage::adjust()
{
    const Product *p = selectedProduct();
    if (!p)
        return;
    const qint64 delta = m_delta->value();
    const QString reason = m_reason->text().trimmed();
    QStringList problems;
    if (delta == 0)
        problems.append(tr("Enter how many to add (positive) or take away (negative)."));
    else if (p->stock + delta < 0)
        problems.append(tr("Only %1 in stock: you can take away at most %1.").arg(p->stock));
    if (reason.isEmpty())
        problems.append(tr("Give a reason; it is kept in the stock history."));
    if (!problems.isEmpty()) {
        showMessage(problems.join(QLatin1Char('\n')), true);
        (delta == 0 ? static_cast<QWidget *>(m_delta) : static_cast<QWidget *>(m_reason))
                ->setFocus();
        return;
    }
    m_apply->setEnabled(false);
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    const QString id = p->id;
    ctx().worker.run(
            this,
            [shop, sellerId, id, delta, reason] {
                return shop->catalog().adjustStock(sellerId, id, delta, reason);
            },
            [this, id](const Result<Product> &result) {
                if (!result) {
                    showError(result.error());
                    updateControls();
                    return;
                }
                m_delta->setValue(0);
                m_reason->clear();
                showMessage(result->lowStock()
                                    ? tr("%1 now has %2 in stock — at or below its alert level.")
                                              .arg(result->name)
                                              .arg(result->stock)
                                    : tr("%1 now has %2 in stock.")
                                              .arg(result->name)
                                              .arg(result->stock));
                m_pendingSelect = id;
                refresh();
            });
}

} // namespace Mercato
